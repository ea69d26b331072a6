/*
 * Unit tests for arena: strings of every length up to a few blocks keep
 * their place and their bytes while the arena grows, a large one does not
 * waste the block being filled, and a released arena is usable again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xalloc.h"
#include "banned.h"

/* Strings in the growth test: several blocks' worth. */
#define NSTRINGS 20000

/* The i-th string: a length from 0 to 300 bytes that varies with i
 * (ids, names, a few past a quarter block), its bytes drawn from i. */
static size_t length_of(size_t i)
{
	if (i % 997 == 0)
		return ARENA_BLOCK / 4 + i % 7; /* a block of its own */
	return (i * 7919) % 301;
}

static void fill(char *p, size_t len, size_t i)
{
	size_t k;

	for (k = 0; k < len; k++)
		p[k] = (char)('a' + (i + k) % 26);
	p[len] = '\0';
}

static void test_growth_keeps_strings(void **state)
{
	struct arena a = ARENA_INIT;
	char **got = xcalloc(NSTRINGS, sizeof(*got));
	char *want = xmalloc(ARENA_BLOCK);
	size_t i, total = 0;

	(void)state;
	for (i = 0; i < NSTRINGS; i++) {
		size_t len = length_of(i);

		fill(want, len, i);
		got[i] = arena_strdup(&a, want);
		total += len + 1;
		/* A string from the arena is a copy, not the argument. */
		assert_ptr_not_equal(got[i], want);
	}
	assert_int_equal(a.total, total);
	/* Every string is still where it was put, with its bytes. */
	for (i = 0; i < NSTRINGS; i++) {
		size_t len = length_of(i);

		fill(want, len, i);
		assert_int_equal(strlen(got[i]), len);
		assert_memory_equal(got[i], want, len + 1);
	}
	arena_release(&a);
	assert_null(a.head);
	assert_int_equal(a.total, 0);
	free(got);
	free(want);
}

/* Consecutive small strings share a block, one after the other; a large
 * one in between leaves the block being filled in use. */
static void test_packing(void **state)
{
	struct arena a = ARENA_INIT;
	char *big = xmalloc(ARENA_BLOCK + 1);
	char *x, *y, *z, *large;

	(void)state;
	x = arena_strdup(&a, "alice");
	y = arena_strndup(&a, "bobby", 3);
	assert_ptr_equal(y, x + 6);
	assert_string_equal(y, "bob");
	memset(big, 'L', ARENA_BLOCK);
	big[ARENA_BLOCK] = '\0';
	large = arena_strdup(&a, big);
	z = arena_strdup(&a, "carol");
	assert_ptr_equal(z, y + 4);
	assert_int_equal(strlen(large), ARENA_BLOCK);
	assert_string_equal(x, "alice");
	assert_string_equal(z, "carol");
	/* Empty strings and empty requests are fine. */
	assert_string_equal(arena_strdup(&a, ""), "");
	assert_non_null(arena_alloc(&a, 0));
	arena_release(&a);

	/* A large first request, then small ones: released as well. */
	large = arena_strdup(&a, big);
	x = arena_strdup(&a, "dave");
	assert_string_equal(x, "dave");
	assert_int_equal(strlen(large), ARENA_BLOCK);
	arena_release(&a);
	free(big);
}

/* A block filled to its last byte, then one byte more. */
static void test_block_boundary(void **state)
{
	struct arena a = ARENA_INIT;
	size_t quarter = ARENA_BLOCK / 4, used = 0;
	char *p, *q;

	(void)state;
	while (used + quarter <= ARENA_BLOCK) {
		p = arena_alloc(&a, quarter);
		memset(p, 'q', quarter);
		used += quarter;
	}
	assert_int_equal(a.used, ARENA_BLOCK);
	q = arena_alloc(&a, 1);
	*q = 'r';
	assert_int_equal(a.used, 1);
	assert_int_equal(p[quarter - 1], 'q');
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth_keeps_strings),
		cmocka_unit_test(test_packing),
		cmocka_unit_test(test_block_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
