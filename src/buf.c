/*
 * buf: growable, bounded byte buffer (see buf.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"
#include "banned.h"

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->limit = limit;
	b->failed = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->failed = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->data)
		b->data = xcalloc(1, 1);
	p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->failed = 0;
	return p;
}

static int buf_grow(struct buf *b, size_t extra)
{
	size_t need;

	if (b->failed)
		return -1;
	if (extra > b->limit || b->len > b->limit - extra) {
		b->failed = 1;
		return -1;
	}
	need = b->len + extra + 1;
	if (need > b->alloc) {
		size_t n = b->alloc < 64 ? 64 : b->alloc;
		while (n < need)
			n *= 2;
		/* Doubling must not reserve past what the limit allows. */
		if (b->limit < SIZE_MAX && n > b->limit + 1)
			n = b->limit + 1 > need ? b->limit + 1 : need;
		b->data = xrealloc(b->data, n);
		b->alloc = n;
	}
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->failed = 1;
		return -1;
	}
	if (buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return ret;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

void buf_reserve(struct buf *b, size_t extra)
{
	size_t room;

	if (b->failed || b->len > b->limit)
		return;
	room = b->limit - b->len;
	if (extra > room)
		extra = room;
	if (b->len + extra + 1 > b->alloc) {
		b->data = xrealloc(b->data, b->len + extra + 1);
		b->alloc = b->len + extra + 1;
		b->data[b->len] = '\0';
	}
}

void buf_fit(struct buf *b)
{
	if (b->data && b->alloc > b->len + 1) {
		b->data = xrealloc(b->data, b->len + 1);
		b->alloc = b->len + 1;
	}
}

void buf_truncate(struct buf *b, size_t len)
{
	b->failed = 0;
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}
