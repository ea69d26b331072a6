/*
 * arena: many small strings that live and die together, in a few large
 * blocks.
 *
 * A run keeps a few strings per subscriber until it ends (the profiles'
 * file names, the journal's ids, the addresses already seen); one malloc
 * each costs a header and rounding, often more than the string. Design
 * decision: an arena is a chain of blocks that are never moved or grown,
 * so a string it hands out stays where it is until arena_release, and
 * nothing is freed one by one.
 */
#ifndef PAPERBOY_ARENA_H
#define PAPERBOY_ARENA_H

#include <stddef.h>

/* A block's size: large enough that its header and the unused end of a
 * full block (at most a quarter of it) cost little per string, small
 * enough that an arena holding a few strings costs little. */
#define ARENA_BLOCK ((size_t)64 << 10)

struct arena_block;

struct arena {
	struct arena_block *head; /* the block being filled, then older */
	size_t used;              /* bytes of head in use */
	size_t total;             /* bytes handed out, for the tests */
};

#define ARENA_INIT { NULL, 0, 0 }

/*
 * len bytes (not aligned: for chars only), valid until arena_release.
 * A request of more than a quarter of ARENA_BLOCK gets a block of its
 * own. Never returns NULL (xmalloc).
 */
char *arena_alloc(struct arena *a, size_t len);
/* A copy of len bytes at s, NUL-terminated; owned by the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
/* A copy of s; owned by the arena. */
char *arena_strdup(struct arena *a, const char *s);
/* Frees every block; a may be used again (as ARENA_INIT). */
void arena_release(struct arena *a);

#endif
