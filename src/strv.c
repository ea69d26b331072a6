/*
 * strv: owned string arrays (see strv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strv.h"
#include "xalloc.h"
#include "banned.h"

void strv_push_owned(struct strv *sv, char *s)
{
	ALLOC_GROW(sv->v, sv->n + 2, sv->alloc);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
	strv_push_owned(sv, xstrdup(s));
}

void strv_release(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
	sv->alloc = 0;
}

int strv_contains(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

char *strv_join(const struct strv *sv, const char *sep)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sv->n; i++) {
		if (i)
			buf_addstr(&b, sep);
		buf_addstr(&b, sv->v[i]);
	}
	return buf_detach(&b, NULL);
}
