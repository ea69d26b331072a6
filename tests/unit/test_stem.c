/*
 * Unit tests for stem.c: Snowball stems, function words, pairs of stem
 * and word, and a stem cache that stays right when it starts over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stem.h"
#include "strv.h"
#include "xalloc.h"

static void push(void *ctx, const char *w, size_t len)
{
	strv_push_owned(ctx, xstrndup(w, len));
}

static char *words(const char *text)
{
	struct strv sv = STRV_INIT;
	char *s;

	stem_each_word(text, push, &sv);
	s = strv_join(&sv, " ");
	strv_release(&sv);
	return s;
}

static void test_stems(void **state)
{
	char *s;

	(void)state;
	s = words("Efficient efficiency, PRUNING pruned; Mixture-of-Experts "
		  "$x^2$ Gödel");
	assert_string_equal(s, "effici effici prune prune mixtur of expert "
			       "godel");
	free(s);
	assert_true(stem_is_stopword("the", 3));
	assert_true(stem_is_stopword("we", 2));
	assert_false(stem_is_stopword("expert", 6));
	assert_false(stem_is_stopword("averyveryverylongword", 21));
}

static void pair(void *ctx, const char *stem, size_t len, const char *word,
		 size_t wlen)
{
	struct buf *b = ctx;

	buf_addf(b, "%.*s=%.*s ", (int)len, stem, (int)wlen, word);
}

static void test_pairs(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	stem_each_pair("Sparse Attention", pair, &b);
	assert_string_equal(buf_str(&b), "spars=sparse attent=attention ");
	buf_release(&b);
}

/* More distinct words than the cache holds: it starts over, and every
 * word still gets its own stem (the cache is checked against a fresh
 * stemming of the same word). */
static void test_cache_overflow(void **state)
{
	char w[32], *a, *b;
	size_t i;

	(void)state;
	for (i = 0; i < 70000; i++) {
		snprintf(w, sizeof(w), "running%zus", i);
		a = words(w);
		b = words(w);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	a = words("connections connected");
	assert_string_equal(a, "connect connect");
	free(a);
	stem_cleanup();
	a = words("connections");
	assert_string_equal(a, "connect");
	free(a);
	stem_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stems),
	    cmocka_unit_test(test_pairs),
	    cmocka_unit_test(test_cache_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
