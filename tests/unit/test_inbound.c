/*
 * Unit tests for inbound.c: where a reply's unsubscribe request is found,
 * and what is not taken for one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "inbound.h"

#define TOK "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE"

static void expect(const char *msg, const char *id, const char *token)
{
	char *i, *t;
	int found = inbound_find_request(msg, &i, &t);

	if (!id) {
		if (found || i || t)
			fail_msg("expected nothing in \"%s\", got %s %s", msg,
				 i ? i : "(null)", t ? t : "(null)");
		return;
	}
	if (!found)
		fail_msg("expected %s %s in \"%s\"", id, token, msg);
	assert_string_equal(i, id);
	assert_string_equal(t, token);
	free(i);
	free(t);
}

static void test_subject(void **state)
{
	(void)state;
	expect("From: a@example.org\r\nSubject: unsubscribe alice " TOK
	       "\r\n\r\nbody\r\n", "alice", TOK);
	expect("subject: Re: UNSUBSCRIBE bob.x " TOK "\n\n", "bob.x", TOK);
	/* Folded onto a continuation line. */
	expect("Subject: please\r\n unsubscribe chen " TOK "\r\n\r\n", "chen",
	       TOK);
}

static void test_recipient(void **state)
{
	(void)state;
	expect("Delivered-To: digest+dana." TOK "@example.org\r\n\r\n",
	       "dana", TOK);
	expect("To: \"List\" <digest+e_f." TOK "@example.org>\r\n\r\n", "e_f",
	       TOK);
}

static void test_not_a_request(void **state)
{
	(void)state;
	expect("Subject: thanks!\r\n\r\nunsubscribe alice " TOK "\r\n", NULL,
	       NULL);
	/* Only headers count: the body's Subject line is not one. */
	expect("To: x@example.org\r\n\r\nSubject: unsubscribe a b\r\n", NULL,
	       NULL);
	/* Characters no id or token has: a space, a '<'. */
	expect("To: x+a b.c@d\r\n\r\n", NULL, NULL);
	expect("Subject: unsubscribe al<ce " TOK "\r\n\r\n", NULL, NULL);
	expect("", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_recipient),
		cmocka_unit_test(test_not_a_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
