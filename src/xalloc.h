/*
 * xalloc: allocation that never returns NULL.
 *
 * Out of memory is not a condition paperboy can recover from in a useful
 * way, so every allocation goes through these wrappers, which print one line
 * and exit with EX_OSERR. Callers never check for NULL.
 */
#ifndef PAPERBOY_XALLOC_H
#define PAPERBOY_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of nmemb elements of size bytes, checking for overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and always NUL-terminates. */
char *xstrndup(const char *s, size_t n);
/* Like xstrdup but returns NULL for NULL. */
char *xstrdup_or_null(const char *s);

/*
 * ALLOC_GROW(array, needed, alloc): makes room for `needed` elements,
 * growing geometrically (git's idiom).
 */
#define ALLOC_GROW(array, needed, alloc)                                     \
	do {                                                                 \
		if ((needed) > (alloc)) {                                    \
			size_t alloc_grow_new_ = (alloc) < 8 ? 8 : (alloc)*2; \
			if (alloc_grow_new_ < (needed))                      \
				alloc_grow_new_ = (needed);                  \
			(array) = xreallocarray((array), alloc_grow_new_,    \
						sizeof(*(array)));           \
			(alloc) = alloc_grow_new_;                           \
		}                                                            \
	} while (0)

#endif
