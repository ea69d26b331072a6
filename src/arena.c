/*
 * arena: strings in blocks that never move (see arena.h).
 *
 * A request larger than a quarter block gets a block of exactly its size,
 * linked behind the head, so that the head's free space stays in use and
 * no block is ever more than a quarter empty on account of a large one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xalloc.h"
#include "banned.h"

struct arena_block {
	struct arena_block *next;
	char data[];
};

/* Requests above this get a block of their own (see the top). */
#define ARENA_LARGE (ARENA_BLOCK / 4)

static struct arena_block *new_block(size_t size)
{
	struct arena_block *b;

	/* An impossible size fails as out of memory, as in xreallocarray. */
	b = xmalloc(size > SIZE_MAX - sizeof(*b) ? SIZE_MAX
						 : sizeof(*b) + size);
	b->next = NULL;
	return b;
}

char *arena_alloc(struct arena *a, size_t len)
{
	struct arena_block *b;

	if (!a->head || (len <= ARENA_LARGE && ARENA_BLOCK - a->used < len)) {
		b = new_block(ARENA_BLOCK);
		b->next = a->head;
		a->head = b;
		a->used = 0;
	}
	a->total += len;
	if (len > ARENA_LARGE) {
		b = new_block(len);
		b->next = a->head->next;
		a->head->next = b;
		return b->data;
	}
	a->used += len;
	return a->head->data + a->used - len;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void arena_release(struct arena *a)
{
	struct arena_block *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	memset(a, 0, sizeof(*a));
}
