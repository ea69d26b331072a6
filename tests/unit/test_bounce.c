/*
 * Unit tests for bounce.c over the corpus in tests/fixtures/bounces/ (run
 * from the repository root): every bounce format is read for its kind,
 * failed recipient, status and returned Message-ID; replies, auto-replies
 * and success reports are not bounces; every file in the folder has an
 * expectation here, and the result does not depend on line ends or on
 * where a truncated message stops.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

#define CORPUS "tests/fixtures/bounces/"

struct expect {
	const char *file;
	enum bounce_kind kind;
	const char *format;
	const char *recipient;
	const char *status;
	const char *message_id; /* the returned message's, or NULL */
	const char *envelope_to;
};

static const struct expect corpus[] = {
    {"postfix-hard.eml", BOUNCE_HARD, "postfix", "bob@example.net", "5.1.1",
     "<1767074401.9c2f0e4d8b7a6135@digest.example.org>",
     "digest+bounce-bob-3f9a1c0e5b7d2468@example.org"},
    {"postfix-delayed.eml", BOUNCE_SOFT, "postfix", "carol@example.com",
     "4.4.1", "<1767160809.51d0a8e3c4b2f796@digest.example.org>",
     "digest@example.org"},
    {"exim-hard.eml", BOUNCE_HARD, "exim", "dave@example.com", "5.1.1",
     "<1767074402.7a1be94c03d2f586@digest.example.org>",
     "digest+bounce-dave-0d6e2b9a7c41f853@example.org"},
    {"exim-delay.eml", BOUNCE_SOFT, "exim", "erin@example.com", "4.7.1", NULL,
     "digest@example.org"},
    {"exchange-ndr.eml", BOUNCE_HARD, "exchange", "frank@contoso.com", "5.1.10",
     "<1767074403.e8d71c2b5a490f63@digest.example.org>",
     "digest+bounce-frank-c2e47a91b8d0f356@example.org"},
    {"exchange-legacy.eml", BOUNCE_HARD, "exchange", "grace@fabrikam.example",
     "5.1.1", "<1767074404.2b6f0a9d3e8c7145@digest.example.org>",
     "digest+bounce-grace-5a0c93e1d7b2f648@example.org"},
    {"gmail-address-not-found.eml", BOUNCE_HARD, "gmail", "ivan@example.com",
     "5.1.1", "<1767074406.0d9c8b7a6f5e4321@digest.example.org>",
     "digest+bounce-ivan-71b5e0c8a3d29f46@example.org"},
    {"gmail-text-only.eml", BOUNCE_HARD, "gmail", "heidi@example.edu", "5.1.1",
     "<1767074405.c47e2a0b9f1d8356@digest.example.org>",
     "digest+bounce-heidi-9e3d1f7b0a2c6584@example.org"},
    {"qmail-failure.eml", BOUNCE_HARD, "qmail", "judy@example.info", "5.1.1",
     "<1767074407.f1e2d3c4b5a69788@digest.example.org>",
     "digest+bounce-judy-4c8e2a6f1b9d0357@example.org"},
    /* Well-formed, and a lie: it reads as a bounce; bounces.c refuses
     * it because it is tied to nothing we sent. */
    {"forged-dsn.eml", BOUNCE_HARD, "postfix", "alice@example.org", "5.1.1",
     "<1767074400.deadbeefdeadbeef@digest.example.org>", "digest@example.org"},
    /* Not bounces: each quotes one of our Message-IDs somewhere. */
    {"reply.eml", BOUNCE_NONE, NULL, NULL, NULL, NULL, "digest@example.org"},
    {"out-of-office.eml", BOUNCE_NONE, NULL, NULL, NULL, NULL,
     "digest+bounce-carol-8f0b3d5e7a1c2469@example.org"},
    {"delivered-dsn.eml", BOUNCE_NONE, NULL, NULL, NULL, NULL,
     "digest@example.org"},
};

static void read_fixture(const char *name, struct buf *b)
{
	struct errbuf eb = ERRBUF_INIT;
	char *path = util_path_join(CORPUS, name);

	buf_init(b, BOUNCE_MAX_INPUT * 2);
	if (util_read_file(path, b, &eb) < 0)
		fail_msg("%s", eb.msg);
	free(path);
}

static void check(const struct expect *e, const char *msg, size_t len,
		  const char *how)
{
	struct bounce_report r;
	int got = bounce_parse(msg, len, &r);

	if (got != (e->kind != BOUNCE_NONE) || r.kind != e->kind)
		fail_msg("%s (%s): kind %s, want %s (%s)", e->file, how,
			 bounce_kind_name(r.kind), bounce_kind_name(e->kind),
			 r.reason);
	if (e->format)
		assert_string_equal(r.format, e->format);
	else
		assert_null(r.format);
	if (e->recipient)
		assert_string_equal(r.recipient, e->recipient);
	else
		assert_null(r.recipient);
	if (e->status)
		assert_string_equal(r.status, e->status);
	else
		assert_null(r.status);
	if (e->message_id) {
		assert_int_equal(r.message_ids.n, 1);
		assert_string_equal(r.message_ids.v[0], e->message_id);
	} else {
		/* A reply's In-Reply-To is not a returned message. */
		assert_int_equal(r.message_ids.n, 0);
	}
	assert_true(r.envelope_to.n >= 1);
	assert_string_equal(r.envelope_to.v[0], e->envelope_to);
	assert_non_null(r.reason);
	if (e->kind != BOUNCE_NONE)
		assert_non_null(r.diagnostic);
	bounce_report_release(&r);
}

static void test_corpus(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(corpus); i++) {
		struct buf b;

		read_fixture(corpus[i].file, &b);
		check(&corpus[i], b.data, b.len, "as written");
		buf_release(&b);
	}
}

/* The same messages with CRLF line ends, as SMTP carries them. */
static void test_corpus_crlf(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(corpus); i++) {
		struct buf b, crlf;

		read_fixture(corpus[i].file, &b);
		buf_init(&crlf, BOUNCE_MAX_INPUT * 2);
		for (j = 0; j < b.len; j++) {
			if (b.data[j] == '\n')
				buf_addch(&crlf, '\r');
			buf_addch(&crlf, b.data[j]);
		}
		check(&corpus[i], crlf.data, crlf.len, "CRLF");
		buf_release(&b);
		buf_release(&crlf);
	}
}

/* Every file in the corpus folder has an expectation above. */
static void test_corpus_complete(void **state)
{
	DIR *d = opendir(CORPUS);
	struct dirent *de;
	size_t n = 0, i;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		int known = 0;

		if (!util_ends_with(de->d_name, ".eml"))
			continue;
		n++;
		for (i = 0; i < ARRAY_SIZE(corpus); i++)
			known |= !strcmp(corpus[i].file, de->d_name);
		if (!known)
			fail_msg("%s%s has no expectation in test_bounce.c",
				 CORPUS, de->d_name);
	}
	closedir(d);
	assert_int_equal(n, ARRAY_SIZE(corpus));
}

/* Every prefix of every message parses without harm, and what a prefix
 * says it found is a well-formed value. */
static void test_truncated(void **state)
{
	size_t i, cut;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(corpus); i++) {
		struct buf b;

		read_fixture(corpus[i].file, &b);
		for (cut = 0; cut <= b.len; cut += 7) {
			struct bounce_report r;
			size_t k;

			bounce_parse(b.data, cut, &r);
			if (r.recipient)
				assert_non_null(strchr(r.recipient, '@'));
			for (k = 0; k < r.message_ids.n; k++)
				assert_true(r.message_ids.v[k][0] == '<');
			bounce_report_release(&r);
		}
		buf_release(&b);
	}
}

static void test_not_bounces(void **state)
{
	static const char *const msgs[] = {
	    "",
	    "\n\n",
	    "Subject: hello\n\nhi\n",
	    /* A bounce's subject from a person, with no report. */
	    "From: Bob <bob@example.net>\nSubject: Re: Undeliverable: "
	    "x\n\nwhat does this mean?\n",
	    /* A mailer-daemon with no recipient and no status. */
	    "From: MAILER-DAEMON@example.net\nSubject: failure notice\n\n"
	    "Something went wrong.\n",
	    /* An auto-reply from a mail system. */
	    "From: MAILER-DAEMON@example.net\nSubject: Out of Office\n\n"
	    "This message was created automatically by mail delivery "
	    "software. <x@example.net>: 550 5.1.1\n",
	    /* A report whose recipients were all delivered. */
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.c\n"
	    "Action: delivered\nStatus: 2.0.0\n\n--b--\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(msgs); i++) {
		struct bounce_report r;

		if (bounce_parse(msgs[i], strlen(msgs[i]), &r))
			fail_msg("taken for a bounce: %s", msgs[i]);
		assert_int_equal(r.kind, BOUNCE_NONE);
		assert_null(r.recipient);
		assert_int_equal(r.message_ids.n, 0);
		bounce_report_release(&r);
	}
}

/* Hostile values are refused, not passed on. */
static void test_hostile_values(void **state)
{
	struct buf m = BUF_INIT;
	struct bounce_report r;
	size_t i;

	(void)state;
	buf_addstr(&m, "From: MAILER-DAEMON@x.example\n"
		       "Delivered-To: evil\"@x <a@b>\n"
		       "Content-Type: multipart/report; "
		       "report-type=delivery-status; boundary=\"b\"\n\n--b\n"
		       "Content-Type: message/delivery-status\n\n"
		       "Reporting-MTA: dns; x\n\n"
		       "Final-Recipient: rfc822; \"a;b\"@c.d\n"
		       "Action: failed\nStatus: 5.1.1\n\n--b\n"
		       "Content-Type: text/rfc822-headers\n\n"
		       "Message-ID: <a b@c>\n\n--b--\n");
	assert_int_equal(bounce_parse(m.data, m.len, &r), 1);
	assert_int_equal(r.kind, BOUNCE_HARD);
	assert_null(r.recipient);
	assert_int_equal(r.message_ids.n, 0);
	for (i = 0; i < r.envelope_to.n; i++)
		assert_null(strpbrk(r.envelope_to.v[i], "\" <>"));
	bounce_report_release(&r);
	buf_release(&m);

	/* A NUL ends the message: what follows it is not read. */
	{
		static const char msg[] =
		    "From: MAILER-DAEMON@x.example\nSubject: failure "
		    "notice\n\n\0I'm afraid I wasn't able to deliver your "
		    "message\n<a@b.example>:\n550 5.1.1\n";

		assert_int_equal(bounce_parse(msg, sizeof(msg) - 1, &r), 0);
		bounce_report_release(&r);
	}
}

/* Deep nesting and many parts stop at the limits. */
static void test_limits(void **state)
{
	struct buf m = BUF_INIT;
	struct bounce_report r;
	int i;

	(void)state;
	for (i = 0; i < 50; i++)
		buf_addf(&m,
			 "Content-Type: multipart/mixed; boundary=b%d\n\n"
			 "--b%d\n",
			 i, i);
	buf_addstr(&m, "Content-Type: message/delivery-status\n\n"
		       "Final-Recipient: rfc822; a@b.c\nAction: failed\n"
		       "Status: 5.1.1\n");
	assert_int_equal(bounce_parse(m.data, m.len, &r), 0);
	bounce_report_release(&r);
	buf_reset(&m);
	buf_addstr(&m, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 1000; i++)
		buf_addstr(&m, "--b\nContent-Type: text/plain\n\nx\n");
	buf_addstr(&m, "--b\nContent-Type: message/delivery-status\n\n"
		       "Final-Recipient: rfc822; a@b.c\nAction: failed\n"
		       "Status: 5.1.1\n--b--\n");
	assert_int_equal(bounce_parse(m.data, m.len, &r), 0);
	bounce_report_release(&r);
	buf_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_corpus_crlf),
	    cmocka_unit_test(test_corpus_complete),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_not_bounces),
	    cmocka_unit_test(test_hostile_values),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
