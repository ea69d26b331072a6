/*
 * Unit tests for bounces.c: three hard bounces quoting the Message-ID we
 * sent make a profile "bouncing" with every other byte of it unchanged;
 * bounces tied to nothing we sent (a forged DSN, another address, a VERP
 * address with a made-up or flipped signature) change nothing; a signed
 * VERP address counts without the journal; a report delivered twice
 * counts once; soft bounces never suppress; old bounces fall out of the
 * window. The bounce messages are the corpus of tests/fixtures/bounces/
 * (run from the repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounce.h"
#include "bounces.h"
#include "buf.h"
#include "journal.h"
#include "subs.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"

#define CORPUS "tests/fixtures/bounces/"
/* 2025-12-30T08:00:00Z: two hours after the day's digests went out. */
#define NOW		  ((time_t)1767081600)
#define DAY		  "2025-12-30"
#define VERP		  "digest+bounce-{id}@example.org"
#define BOB_MID		  "<1767074401.9c2f0e4d8b7a6135@digest.example.org>"
#define POSTFIX_BOUNCE_ID "<20251230060004.4dQx2L1s7Rz9v@mail.example.org>"

/* bob's profile, written by hand: comments and layout must survive. */
#define BOB_HEAD                                                               \
	"# Bob reads about compression.\n"                                     \
	"name = \"Bob Example\";   # display name\n"                           \
	"email = \"bob@example.net\";\n"
#define BOB_TAIL                                                               \
	"  // set by hand\n"                                                   \
	"topics = ( { name = \"Compression\";\n"                               \
	"             keywords = [\"pruning\", \"status = \\\"x\\\"\"]; } "    \
	");\n"                                                                 \
	"/* the end */\n"
static const char bob_cfg[] = BOB_HEAD "status  =  \"active\";" BOB_TAIL;
static const char bob_bouncing[] = BOB_HEAD "status = \"bouncing\";" BOB_TAIL;

struct fixture {
	char base[64];
	char *state, *subs_dir;
	struct subs_list subs;
	struct token_key key;
	struct bounces_config cfg;
};

static void put(const char *dir, const char *name, const char *text)
{
	struct errbuf eb = ERRBUF_INIT;
	char *path = util_path_join(dir, name);

	assert_int_equal(util_write_atomic(path, text, strlen(text), 0644, &eb),
			 0);
	free(path);
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;

	if (util_read_file(path, &b, &eb) < 0)
		return NULL;
	return buf_detach(&b, NULL);
}

static void load_subs(struct fixture *f)
{
	struct errbuf eb = ERRBUF_INIT;
	struct strv errors = STRV_INIT;

	subs_list_release(&f->subs);
	memset(&f->subs, 0, sizeof(f->subs));
	assert_int_equal(subs_load_dir(f->subs_dir, &f->subs, &errors, &eb), 0);
	if (errors.n)
		fail_msg("%s", errors.v[0]);
	strv_release(&errors);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j;
	size_t i;

	snprintf(f->base, sizeof(f->base), "/tmp/test_bounces.XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	f->state = util_path_join(f->base, "state");
	f->subs_dir = util_path_join(f->base, "subscribers");
	mkdir(f->state, 0700);
	mkdir(f->subs_dir, 0700);
	put(f->subs_dir, "bob.cfg", bob_cfg);
	put(f->subs_dir, "alice.cfg",
	    "email = \"alice@example.org\";\nauthors = [\"A B\"];\n");
	put(f->subs_dir, "carol.cfg",
	    "email = \"carol@example.com\";\nauthors = [\"A B\"];\n");
	put(f->subs_dir, "dave.cfg",
	    "email = \"dave@example.com\";\nauthors = [\"A B\"];\n");
	put(f->subs_dir, "judy.cfg",
	    "email = \"judy@example.info\";\nstatus = \"unsubscribed\";\n"
	    "unsubscribed_at = \"2025-12-01T00:00:00Z\";\n"
	    "authors = [\"A B\"];\n");
	load_subs(f);
	/* The day's journal: what we sent to whom. */
	{
		char *jdir = util_path_join(f->state, "journal");

		if (journal_open(jdir, DAY, &j, &eb) < 0)
			fail_msg("%s", eb.msg);
		free(jdir);
	}
	static const char *const sent[][2] = {
	    {"alice", "<1767074400.0123456789abcdef@digest.example.org>"},
	    {"bob", BOB_MID},
	    {"carol", "<1767160809.51d0a8e3c4b2f796@digest.example.org>"},
	    {"judy", "<1767074407.f1e2d3c4b5a69788@digest.example.org>"},
	};
	for (i = 0; i < ARRAY_SIZE(sent); i++) {
		assert_int_equal(
		    journal_attempt(j, sent[i][0], sent[i][1], &eb), 0);
		assert_int_equal(journal_result(j, sent[i][0], JOURNAL_SENT,
						sent[i][1], "250 ok", &eb),
				 0);
	}
	journal_close(j);
	for (i = 0; i < sizeof(f->key.secret); i++)
		f->key.secret[i] = (unsigned char)(i * 7 + 1);
	f->cfg.state_dir = f->state;
	f->cfg.verp_form = VERP;
	f->cfg.key = &f->key;
	f->cfg.limit = 3;
	f->cfg.window_days = 30;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_tree(f->base);
	subs_list_release(&f->subs);
	free(f->state);
	free(f->subs_dir);
	free(f);
	return 0;
}

/* The fixture with every `from` replaced by `to`. */
static char *fixture_with(const char *name, const char *from, const char *to)
{
	char *path = util_path_join(CORPUS, name), *text = slurp(path), *p;
	struct buf b = BUF_INIT;
	const char *at = text;

	assert_non_null(text);
	while (from && (p = strstr(at, from)) != NULL) {
		buf_add(&b, at, (size_t)(p - at));
		buf_addstr(&b, to);
		at = p + strlen(from);
	}
	buf_addstr(&b, at);
	free(text);
	free(path);
	return buf_detach(&b, NULL);
}

/* Parses msg and hands it to bounces_handle; returns the outcome. */
static void handle(struct fixture *f, const char *msg, time_t when,
		   struct bounces_outcome *out)
{
	struct bounce_report r;
	struct errbuf eb = ERRBUF_INIT;

	bounce_parse(msg, strlen(msg), &r);
	if (bounces_handle(&f->cfg, &f->subs, &r, when, out, &eb) < 0)
		fail_msg("bounces_handle: %s", eb.msg);
	bounce_report_release(&r);
}

/* The postfix bounce for bob with its own Message-ID number n. */
static char *bob_bounce(int n)
{
	char id[64];

	snprintf(id, sizeof(id), "<20251230060004.%d@mail.example.org>", n);
	return fixture_with("postfix-hard.eml", POSTFIX_BOUNCE_ID, id);
}

static void expect_file(const char *dir, const char *name, const char *want)
{
	char *path = util_path_join(dir, name), *got = slurp(path);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("%s is\n---\n%s---\nwanted\n---\n%s---", path, got,
			 want);
	free(got);
	free(path);
}

static void test_three_hard_bounces(void **state)
{
	struct fixture *f = *state;
	struct bounces_outcome o;
	struct stat st;
	char *path, *log;
	int i;

	for (i = 1; i <= 3; i++) {
		char *msg = bob_bounce(i);

		handle(f, msg, NOW + i * 86400, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_COUNTED);
		assert_string_equal(o.subscriber, "bob");
		/* The VERP address in the fixture is not signed by our key:
		 * it is the journal's Message-ID that ties it. */
		assert_string_equal(o.via, "message-id");
		assert_int_equal(o.hard, i);
		assert_int_equal(o.suppressed, i == 3);
		bounces_outcome_release(&o);
		expect_file(f->subs_dir, "bob.cfg",
			    i < 3 ? bob_cfg : bob_bouncing);
	}
	/* The record: one line per bounce, 0600 in a 0700 folder. */
	path = util_path_join(f->state, "bounces/bob");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);
	path = util_path_join(f->state, "bounces");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(path);
	path = util_path_join(f->state, "bounces/bob");
	log = slurp(path);
	assert_non_null(strstr(log, "\thard\tmessage-id\t" BOB_MID
				    "\t5.1.1\t<20251230060004.3@"));
	free(log);
	free(path);
	path = util_path_join(f->state, "unsubscribe.log");
	log = slurp(path);
	assert_non_null(log);
	assert_non_null(
	    strstr(log, "\tbouncing\tbob\tbob@example.net\tbounce\n"));
	free(log);
	free(path);
	/* The profile loads as bouncing; a fourth bounce changes nothing. */
	load_subs(f);
	assert_int_equal(subs_find(&f->subs, "bob")->status, SUBS_BOUNCING);
	{
		char *msg = bob_bounce(4);

		handle(f, msg, NOW + 5 * 86400, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_COUNTED);
		assert_int_equal(o.suppressed, 0);
		bounces_outcome_release(&o);
		expect_file(f->subs_dir, "bob.cfg", bob_bouncing);
	}
}

static void expect_untouched(struct fixture *f, const char *id)
{
	char *path = util_path_join(f->state, "bounces"), *rec;
	struct buf name = BUF_INIT;

	buf_addf(&name, "bounces/%s", id);
	free(path);
	path = util_path_join(f->state, buf_str(&name));
	rec = slurp(path);
	if (rec)
		fail_msg("%s was written:\n%s", path, rec);
	free(path);
	buf_release(&name);
	path = util_path_join(f->state, "unsubscribe.log");
	assert_null(slurp(path));
	free(path);
}

static void test_forged_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct bounces_outcome o;
	char *before = NULL, *path = util_path_join(f->subs_dir, "alice.cfg");
	int i;

	before = slurp(path);
	for (i = 1; i <= 3; i++) {
		char id[64], *msg;

		snprintf(id, sizeof(id), "<forged.%d@mail.attacker.example>",
			 i);
		msg = fixture_with("forged-dsn.eml",
				   "<20251230120000.forged@mail.attacker."
				   "example>",
				   id);
		handle(f, msg, NOW + i, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_NOT_OURS);
		assert_null(o.subscriber);
		assert_non_null(strstr(o.why, "tied to no message we sent"));
		bounces_outcome_release(&o);
	}
	expect_file(f->subs_dir, "alice.cfg", before);
	expect_untouched(f, "alice");
	free(before);
	free(path);
}

/* Our Message-ID for bob, but the report names another address. */
static void test_other_address(void **state)
{
	struct fixture *f = *state;
	struct bounces_outcome o;
	int i;

	for (i = 1; i <= 3; i++) {
		char id[64], *m1, *msg;

		snprintf(id, sizeof(id), "<x.%d@mail.example.org>", i);
		m1 = fixture_with("postfix-hard.eml", POSTFIX_BOUNCE_ID, id);
		/* Every bob@example.net of the report becomes mallory's. */
		{
			struct buf b = BUF_INIT;
			const char *at = m1, *p;

			while ((p = strstr(at, "bob@example.net")) != NULL) {
				buf_add(&b, at, (size_t)(p - at));
				buf_addstr(&b, "mallory@example.net");
				at = p + strlen("bob@example.net");
			}
			buf_addstr(&b, at);
			msg = buf_detach(&b, NULL);
		}
		free(m1);
		handle(f, msg, NOW + i, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_NOT_OURS);
		assert_non_null(strstr(o.why, "another address"));
		bounces_outcome_release(&o);
	}
	expect_file(f->subs_dir, "bob.cfg", bob_cfg);
	expect_untouched(f, "bob");
}

/* A signed VERP address ties a bounce without any journal. */
static void test_verp(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct bounces_outcome o;
	char *verp = token_verp_make(&f->key, VERP, "dave", &eb), *flipped;
	int i;

	assert_non_null(verp);
	for (i = 1; i <= 3; i++) {
		char id[64], *m1, *msg;

		snprintf(id, sizeof(id), "<E1vaXyZ-000%d@relay.example.com>",
			 i);
		m1 = fixture_with("exim-hard.eml",
				  "digest+bounce-dave-0d6e2b9a7c41f853@"
				  "example.org",
				  verp);
		{
			struct buf b = BUF_INIT;
			const char *p = strstr(m1, "<E1vaXyZ-0004Qk-2s@");

			assert_non_null(p);
			buf_add(&b, m1, (size_t)(p - m1));
			buf_addstr(&b, id);
			buf_addstr(&b, strchr(p, '>') + 1);
			msg = buf_detach(&b, NULL);
		}
		free(m1);
		handle(f, msg, NOW + i, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_COUNTED);
		assert_string_equal(o.via, "verp");
		assert_string_equal(o.subscriber, "dave");
		assert_int_equal(o.suppressed, i == 3);
		bounces_outcome_release(&o);
	}
	load_subs(f);
	assert_int_equal(subs_find(&f->subs, "dave")->status, SUBS_BOUNCING);

	/* One flipped signature digit: not ours (and no journal entry). */
	flipped = xstrdup(verp);
	{
		char *sig = strchr(flipped, '@') - 1;

		*sig = *sig == '0' ? '1' : '0';
	}
	{
		char *msg = fixture_with("exim-hard.eml",
					 "digest+bounce-dave-0d6e2b9a7c41f853@"
					 "example.org",
					 flipped);

		handle(f, msg, NOW, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_NOT_OURS);
		bounces_outcome_release(&o);
	}
	free(flipped);
	free(verp);
}

static void test_duplicate_counts_once(void **state)
{
	struct fixture *f = *state;
	struct bounces_outcome o;
	char *msg = bob_bounce(7);
	int i;

	for (i = 0; i < 5; i++) {
		handle(f, msg, NOW + i, &o);
		assert_int_equal(o.result,
				 i ? BOUNCES_DUPLICATE : BOUNCES_COUNTED);
		assert_int_equal(o.hard, 1);
		bounces_outcome_release(&o);
	}
	free(msg);
	expect_file(f->subs_dir, "bob.cfg", bob_cfg);
}

static void test_soft_never_suppresses(void **state)
{
	struct fixture *f = *state;
	struct bounces_outcome o;
	int i;

	for (i = 1; i <= 10; i++) {
		char id[64], *msg;

		snprintf(id, sizeof(id), "<delay.%d@mail.example.org>", i);
		msg = fixture_with("postfix-delayed.eml",
				   "<20251231100012.8Kq3Zm1sbPz2T@mail."
				   "example.org>",
				   id);
		handle(f, msg, NOW + 86400 + i, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_COUNTED);
		assert_string_equal(o.subscriber, "carol");
		assert_int_equal(o.soft, i);
		assert_int_equal(o.hard, 0);
		assert_int_equal(o.suppressed, 0);
		bounces_outcome_release(&o);
	}
	load_subs(f);
	assert_int_equal(subs_find(&f->subs, "carol")->status, SUBS_ACTIVE);
}

/* Hard bounces older than the window do not add up. */
static void test_window(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct bounces_outcome o;
	long hard, soft;
	int dup, i;
	char *msg;

	for (i = 0; i < 5; i++)
		assert_int_equal(bounces_record(f->state, "bob", BOUNCE_HARD,
						"smtp", NULL, "5.1.1", NULL,
						NOW - (40 + i) * 86400, &dup,
						&eb),
				 0);
	assert_int_equal(
	    bounces_count(f->state, "bob", NOW, 30, &hard, &soft, &eb), 0);
	assert_int_equal(hard, 0);
	assert_int_equal(
	    bounces_count(f->state, "bob", NOW, 60, &hard, &soft, &eb), 0);
	assert_int_equal(hard, 5);
	msg = bob_bounce(9);
	handle(f, msg, NOW, &o);
	free(msg);
	assert_int_equal(o.hard, 1);
	assert_int_equal(o.suppressed, 0);
	bounces_outcome_release(&o);
	expect_file(f->subs_dir, "bob.cfg", bob_cfg);
	/* A 5xx at RCPT in our own session is a hard bounce too. */
	for (i = 0; i < 2; i++)
		assert_int_equal(bounces_record(f->state, "bob", BOUNCE_HARD,
						"smtp", BOB_MID, "5.1.1", NULL,
						NOW, &dup, &eb),
				 0);
	{
		int changed;
		const struct subscriber *s = subs_find(&f->subs, "bob");

		assert_int_equal(
		    bounces_apply_limit(f->state, s, 3, 30, NOW, &changed, &eb),
		    0);
		assert_int_equal(changed, 1);
	}
	expect_file(f->subs_dir, "bob.cfg", bob_bouncing);
}

/* Our Message-ID, but made before the window: not counted any more. */
static void test_old_message(void **state)
{
	struct fixture *f = *state;
	struct bounces_outcome o;
	char *msg = bob_bounce(11);

	handle(f, msg, NOW + 31 * 86400, &o);
	assert_int_equal(o.result, BOUNCES_NOT_OURS);
	bounces_outcome_release(&o);
	handle(f, msg, NOW + 29 * 86400, &o);
	assert_int_equal(o.result, BOUNCES_COUNTED);
	bounces_outcome_release(&o);
	free(msg);
}

/* An unsubscribed profile is recorded but never made "bouncing". */
static void test_unsubscribed_stays(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	char *path = util_path_join(f->subs_dir, "judy.cfg");
	char *before = slurp(path), *verp;
	struct bounces_outcome o;
	int i;

	verp = token_verp_make(&f->key, VERP, "judy", &eb);
	for (i = 1; i <= 4; i++) {
		char *msg = fixture_with("qmail-failure.eml",
					 "digest+bounce-judy-4c8e2a6f1b9d0357@"
					 "example.org",
					 verp);

		/* qmail reports carry no Message-ID: each arrival counts. */
		handle(f, msg, NOW + i, &o);
		free(msg);
		assert_int_equal(o.result, BOUNCES_COUNTED);
		assert_int_equal(o.suppressed, 0);
		bounces_outcome_release(&o);
	}
	expect_file(f->subs_dir, "judy.cfg", before);
	free(verp);
	free(before);
	free(path);
}

static void test_bad_ids(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	long hard, soft;
	int dup;

	assert_int_equal(bounces_record(f->state, "../x", BOUNCE_HARD, "smtp",
					NULL, NULL, NULL, NOW, &dup, &eb),
			 -1);
	assert_int_equal(bounces_record(f->state, "..", BOUNCE_HARD, "smtp",
					NULL, NULL, NULL, NOW, &dup, &eb),
			 -1);
	assert_int_equal(bounces_record(f->state, "bob", BOUNCE_NONE, "smtp",
					NULL, NULL, NULL, NOW, &dup, &eb),
			 -1);
	assert_int_equal(
	    bounces_count(f->state, "a/b", NOW, 30, &hard, &soft, &eb), -1);
	/* Nobody has bounced yet: no record is zero, not an error. */
	assert_int_equal(
	    bounces_count(f->state, "carol", NOW, 30, &hard, &soft, &eb), 0);
	assert_int_equal(hard + soft, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_three_hard_bounces),
	    T(test_forged_changes_nothing),
	    T(test_other_address),
	    T(test_verp),
	    T(test_duplicate_counts_once),
	    T(test_soft_never_suppresses),
	    T(test_window),
	    T(test_old_message),
	    T(test_unsubscribed_stays),
	    T(test_bad_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
