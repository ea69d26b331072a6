/*
 * Unit tests for vote: the link's form, and that its token verifies only
 * for the subscriber, day, paper and direction it was made for (a test
 * issue's never).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vote.h"

static void fixed_key(struct token_key *key)
{
	size_t i;

	for (i = 0; i < sizeof(key->secret); i++)
		key->secret[i] = (unsigned char)i;
}

/* The t= of a vote URL (points into url). */
static const char *token_of(const char *url)
{
	const char *t = strstr(url, "&t=");

	assert_non_null(t);
	assert_int_equal(strlen(t + 3), TOKEN_LEN);
	return t + 3;
}

#define PREFIX                                                                 \
	"https://digest.example.org/vote?s=alice&p=2512.23675&d=2025-12-30"    \
	"&v=up&t="

static void test_url_form(void **state)
{
	struct conf c;
	struct token_key key;
	char *u;

	(void)state;
	memset(&c, 0, sizeof(c));
	fixed_key(&key);
	c.base_url = (char *)"https://digest.example.org";
	u = vote_url(&c, &key, 0, "alice", "2025-12-30", "2512.23675", 1);
	assert_int_equal(strncmp(u, PREFIX, strlen(PREFIX)), 0);
	assert_int_equal(strlen(u), strlen(PREFIX) + TOKEN_LEN);
	assert_true(vote_token_ok(&key, 1, "alice", "2025-12-30", "2512.23675",
				  token_of(u)));
	free(u);
	c.base_url = (char *)"https://example.org/digest/";
	u = vote_url(&c, &key, 0, "alice", "2025-12-30", "2512.23675", 0);
	assert_non_null(strstr(u, "/digest/vote?s=alice&"));
	assert_non_null(strstr(u, "&v=down&"));
	free(u);
	c.base_url = (char *)"";
	u = vote_url(&c, &key, 0, "alice", "2025-12-30", "2512.23675", 1);
	assert_string_equal(u, "");
	free(u);
}

static void test_token_binds_everything(void **state)
{
	struct conf c;
	struct token_key key, other;
	char *u, *test;
	const char *t;

	(void)state;
	memset(&c, 0, sizeof(c));
	fixed_key(&key);
	fixed_key(&other);
	other.secret[0] ^= 1;
	c.base_url = (char *)"https://digest.example.org";
	u = vote_url(&c, &key, 0, "alice", "2025-12-30", "2512.23675", 1);
	t = token_of(u);
	assert_true(
	    vote_token_ok(&key, 1, "alice", "2025-12-30", "2512.23675", t));
	assert_false(
	    vote_token_ok(&key, 0, "alice", "2025-12-30", "2512.23675", t));
	assert_false(
	    vote_token_ok(&key, 1, "bob", "2025-12-30", "2512.23675", t));
	assert_false(
	    vote_token_ok(&key, 1, "alice", "2025-12-29", "2512.23675", t));
	assert_false(
	    vote_token_ok(&key, 1, "alice", "2025-12-30", "2512.23676", t));
	/* Moving the "/" between day and paper is another message. */
	assert_false(
	    vote_token_ok(&key, 1, "alice", "2025-12-3", "0/2512.23675", t));
	assert_false(
	    vote_token_ok(&other, 1, "alice", "2025-12-30", "2512.23675", t));
	assert_false(
	    vote_token_ok(&key, 1, "alice", "2025-12-30", "2512.23675", ""));
	/* An unsubscribe token for the same subscriber is no vote. */
	test = token_make(&key, TOKEN_UNSUBSCRIBE, "alice",
			  "2025-12-30/2512.23675");
	assert_false(
	    vote_token_ok(&key, 1, "alice", "2025-12-30", "2512.23675", test));
	free(test);
	free(u);
	/* A test issue's links: well formed, valid for nothing. */
	u = vote_url(&c, &key, 1, "alice", "2025-12-30", "2512.23675", 1);
	t = token_of(u);
	assert_false(
	    vote_token_ok(&key, 1, "alice", "2025-12-30", "2512.23675", t));
	assert_false(
	    vote_token_ok(&key, 0, "alice", "2025-12-30", "2512.23675", t));
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_form),
	    cmocka_unit_test(test_token_binds_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
