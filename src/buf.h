/*
 * buf: a growable byte buffer with a hard size limit.
 *
 * Every input paperboy reads from outside has a size limit; the buffer
 * carries it, so that code appending hostile text cannot grow memory without
 * bound. The data is always NUL-terminated (the NUL is not counted in len).
 *
 * The contract (curl's dynbuf): an append past the limit fails with -1,
 * leaves the contents as they were, and the failure is sticky: every later
 * append fails too, until the writer rewinds on purpose (buf_truncate to a
 * length it knows is whole, buf_reset, buf_release). So a writer may append
 * a whole document without checking each step, and check once at the end
 * with buf_failed(): a document is never silently missing a middle part.
 */
#ifndef PAPERBOY_BUF_H
#define PAPERBOY_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* The default limit for a buffer whose caller sets none: 64 MiB. */
#define BUF_DEFAULT_LIMIT ((size_t)64 << 20)

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t limit;
	int failed; /* an append was refused: later ones are too */
};

#define BUF_INIT { NULL, 0, 0, BUF_DEFAULT_LIMIT, 0 }

/* Prepares an empty buffer that will refuse to grow past `limit` bytes. */
void buf_init(struct buf *b, size_t limit);
/* Frees the data; the buffer may be reused after buf_init(). */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory and limit; clears the failure. */
void buf_reset(struct buf *b);
/* Hands the NUL-terminated data to the caller (free() it); empties b. */
char *buf_detach(struct buf *b, size_t *len);

/* Each returns 0, or -1 if the result would exceed the limit or an
 * earlier append failed (see buf_failed). */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* The contents as a C string; "" for an empty buffer, never NULL. */
const char *buf_str(const struct buf *b);

/* 1 if an append was refused since the last buf_init, buf_reset or
 * buf_truncate. */
static inline int buf_failed(const struct buf *b)
{
	return b->failed;
}

/* Shortens the buffer to len bytes (no-op if already shorter) and clears
 * the failure: the writer rewinds to a whole document it can go on from. */
void buf_truncate(struct buf *b, size_t len);

/* Makes room for extra more bytes in one allocation (a writer that knows
 * its size spares the doublings); no further than the limit allows, and
 * never a failure: the appends still decide. */
void buf_reserve(struct buf *b, size_t extra);

/* Gives back the memory past the contents (a finished document kept
 * while others are made: its room to grow is no longer needed). */
void buf_fit(struct buf *b);

#endif
