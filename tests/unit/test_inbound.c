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

#include "buf.h"
#include "inbound.h"
#include "mime.h"

#define TOK "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE"
/* TOK in an RFC 2047 Q word: '_' is a space there, so it is =5F. */
#define TOK_Q "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-=5FAbCdE"

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

/* A mail client may send the Subject RFC 2047 encoded, Q or B, in one
 * word or several (the blanks between words are not text). */
static void test_subject_encoded(void **state)
{
	(void)state;
	expect("Subject: =?UTF-8?Q?unsubscribe_alice_" TOK_Q "?=\r\n\r\n",
	       "alice", TOK);
	expect("Subject: =?utf-8?q?Re=3A_unsubscribe?= =?utf-8?q?_bob?=\r\n"
	       " =?utf-8?q?_" TOK_Q "?=\r\n\r\n",
	       "bob", TOK);
	/* "unsubscribe chen " in base64, then the token in the clear. */
	expect("Subject: =?UTF-8?B?dW5zdWJzY3JpYmUgY2hlbiA=?=" TOK "\n\n",
	       "chen", TOK);
	/* Malformed words stay text and match nothing. */
	expect("Subject: =?UTF-8?X?unsubscribe_alice_" TOK_Q "?=\r\n\r\n",
	       NULL, NULL);
}

/* The decoder on its own: what is no encoded word is kept as is. */
static void test_decode_words(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain text", "plain text" },
		{ "=?UTF-8?Q?caf=C3=A9?= ok", "caf\xc3\xa9 ok" },
		{ "=?UTF-8?Q?a?=  =?UTF-8?B?Yg==?=", "ab" },
		{ "x =?UTF-8?Q?a?= y", "x a y" },
		{ "=?UTF-8?Q?no end", "=?UTF-8?Q?no end" },
		{ "=??Q?a?=", "=??Q?a?=" },
		{ "=?UTF-8?B?!!!?=", "=?UTF-8?B?!!!?=" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;

		assert_int_equal(mime_decode_words(cases[i].in, &b), 0);
		assert_string_equal(buf_str(&b), cases[i].out);
		buf_release(&b);
	}
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
		cmocka_unit_test(test_subject_encoded),
		cmocka_unit_test(test_decode_words),
		cmocka_unit_test(test_recipient),
		cmocka_unit_test(test_not_a_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
