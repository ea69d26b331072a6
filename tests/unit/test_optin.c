/*
 * Unit tests for optin.c (double opt-in) and the profile writers it and
 * the profile page use (subs_create, subs_set_lists): a request mails one
 * link and creates nothing; the link is judged forged, expired or valid
 * from itself; confirming creates an active profile from the starter once;
 * an address that has a profile gets no second one; a starter that does
 * not make a valid profile creates nothing; requests to one address are
 * throttled; subs_set_lists changes only the edited lists' bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "optin.h"
#include "subs.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"
#include "banned.h"

/* 2025-12-30T12:00:00Z */
#define NOW 1767096000

struct fixture {
	char dir[64];
	struct conf conf;
	struct token_key key;
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = util_path_join(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static char *read_text(const char *dir, const char *name)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b = BUF_INIT;
	char *p = util_path_join(dir, name);

	if (util_read_file(p, &b, &eb) < 0) {
		free(p);
		buf_release(&b);
		return NULL;
	}
	free(p);
	return buf_detach(&b, NULL);
}

static const char starter[] =
	"# starter\n"
	"topics = ( { name = \"LLMs\"; keywords = [\"language model\"]; } );\n";

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct errbuf eb = ERRBUF_INIT;
	char *cfg, *sub;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_optin.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	write_file(f->dir, "paperboy.cfg",
		   "list = { name = \"Test <List> & Co\"; "
		   "id = \"digest.example.org\"; "
		   "from = \"Paperboy <digest@example.org>\"; "
		   "base_url = \"https://digest.example.org\"; };\n"
		   "delivery = { method = \"outbox\"; };\n");
	sub = util_path_join(f->dir, "subscribers");
	mkdir(sub, 0700);
	free(sub);
	sub = util_path_join(f->dir, "templates");
	mkdir(sub, 0700);
	write_file(sub, "starter.cfg", starter);
	free(sub);
	cfg = util_path_join(f->dir, "paperboy.cfg");
	if (conf_load(cfg, &f->conf, &eb) < 0 ||
	    token_load_key(f->conf.secret_file, &f->key, &eb) < 0) {
		fprintf(stderr, "%s\n", eb.msg);
		free(cfg);
		return -1;
	}
	free(cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_tree(f->dir);
	conf_release(&f->conf);
	free(f);
	return 0;
}

/* s and t of a confirmation URL. */
static void split_url(const char *url, char *s, char *t, size_t size)
{
	const char *ps = strstr(url, "?s="), *pt = strstr(url, "&t=");

	assert_non_null(ps);
	assert_non_null(pt);
	snprintf(s, size, "%.*s", (int)(pt - ps - 3), ps + 3);
	snprintf(t, size, "%s", pt + 3);
}

static void request(struct fixture *f, const char *email, const char *name,
		    long when, char *s, char *t)
{
	struct errbuf eb = ERRBUF_INIT;
	struct optin_sent sent;

	assert_int_equal(optin_request(&f->conf, &f->key, email, name, when,
				       &sent, &eb), 0);
	assert_int_equal(sent.outcome, OPTIN_SENT);
	assert_non_null(strstr(sent.url,
			       "https://digest.example.org/confirm?s="));
	split_url(sent.url, s, t, 128);
	optin_sent_release(&sent);
}

static void test_request_then_confirm(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct optin_confirmed done;
	struct subscriber sub;
	char s[128], t[128], *email, *name, *text, *p;

	request(f, "New.Reader@Example.org", "New \"Reader\"", NOW, s, t);
	assert_int_equal(count_files(f->conf.outbox_dir), 3); /* tmp new cur */
	p = util_path_join(f->conf.outbox_dir, "new");
	assert_int_equal(count_files(p), 1);
	free(p);
	assert_int_equal(count_files(f->conf.subscribers_dir), 0);

	assert_int_equal(optin_check(&f->conf, &f->key, s, t, NOW + 60,
				     &email, &name, &eb), OPTIN_VALID);
	assert_string_equal(email, "New.Reader@Example.org");
	assert_string_equal(name, "New \"Reader\"");
	free(email);
	free(name);

	assert_int_equal(optin_confirm(&f->conf, &f->key, s, t, NOW + 60,
				       "test", &done, &eb), OPTIN_VALID);
	assert_true(done.created);
	assert_string_equal(done.id, "new.reader");
	optin_confirmed_release(&done);
	text = read_text(f->conf.subscribers_dir, "new.reader.cfg");
	assert_non_null(text);
	assert_true(!strncmp(text, starter, strlen(starter)));
	assert_non_null(strstr(text, "\nname = \"New \\\"Reader\\\"\";\n"));
	free(text);
	p = util_path_join(f->conf.subscribers_dir, "new.reader.cfg");
	assert_int_equal(subs_load_file(p, &sub, &eb), 0);
	assert_int_equal(sub.status, SUBS_ACTIVE);
	assert_string_equal(sub.email, "New.Reader@Example.org");
	subs_release(&sub);
	free(p);

	/* Used once: the same link again changes nothing. */
	assert_int_equal(optin_confirm(&f->conf, &f->key, s, t, NOW + 120,
				       "test", &done, &eb), OPTIN_EXPIRED);
	optin_confirmed_release(&done);
	assert_int_equal(count_files(f->conf.subscribers_dir), 1);
}

static void test_forged_and_expired(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct optin_confirmed done;
	char s[128], t[128], s2[160], *email, *name, c0;

	request(f, "reader@example.org", "", NOW, s, t);
	c0 = t[0];
	t[0] = c0 == 'A' ? 'B' : 'A';
	assert_int_equal(optin_confirm(&f->conf, &f->key, s, t, NOW, "test",
				       &done, &eb), OPTIN_FORGED);
	optin_confirmed_release(&done);
	t[0] = c0;
	/* A later expiry is another request: its token does not fit. */
	snprintf(s2, sizeof(s2), "9%s", s);
	assert_int_equal(optin_check(&f->conf, &f->key, s2, t, NOW, &email,
				     &name, &eb), OPTIN_FORGED);
	free(email);
	free(name);
	assert_int_equal(optin_check(&f->conf, &f->key, NULL, t, NOW, &email,
				     &name, &eb), OPTIN_FORGED);
	free(email);
	free(name);
	assert_int_equal(optin_confirm(&f->conf, &f->key, s, t,
				       NOW + OPTIN_LIFETIME + 1, "test",
				       &done, &eb), OPTIN_EXPIRED);
	optin_confirmed_release(&done);
	assert_int_equal(count_files(f->conf.subscribers_dir), 0);
}

static void test_throttle_and_bad_input(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct optin_sent sent;
	char s[128], t[128];

	request(f, "reader@example.org", "", NOW, s, t);
	assert_int_equal(optin_request(&f->conf, &f->key, "READER@example.org",
				       "", NOW + 60, &sent, &eb), 0);
	assert_int_equal(sent.outcome, OPTIN_THROTTLED);
	optin_sent_release(&sent);
	request(f, "reader@example.org", "", NOW + OPTIN_RESEND_AFTER + 1, s,
		t);
	assert_int_equal(optin_request(&f->conf, &f->key, "no address", "",
				       NOW, &sent, &eb), -1);
	assert_int_equal(eb.kind, ERRBUF_USAGE);
	assert_int_equal(optin_request(&f->conf, &f->key, "a@example.org",
				       "line\nbreak", NOW, &sent, &eb), -1);
	assert_int_equal(eb.kind, ERRBUF_USAGE);
}

static void test_existing_address(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct optin_confirmed done;
	char s[128], t[128], *before, *after;

	write_file(f->conf.subscribers_dir, "alice.cfg",
		   "email = \"alice@example.org\";\n"
		   "authors = [\"Someone\"];\n");
	before = read_text(f->conf.subscribers_dir, "alice.cfg");
	request(f, "ALICE@example.org", "", NOW, s, t);
	assert_int_equal(optin_confirm(&f->conf, &f->key, s, t, NOW, "test",
				       &done, &eb), OPTIN_VALID);
	assert_false(done.created);
	assert_false(done.resubscribed);
	assert_string_equal(done.id, "alice");
	optin_confirmed_release(&done);
	after = read_text(f->conf.subscribers_dir, "alice.cfg");
	assert_string_equal(before, after);
	assert_int_equal(count_files(f->conf.subscribers_dir), 1);
	free(before);
	free(after);
}

static void test_bad_starter(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct optin_confirmed done;
	char s[128], t[128], *dir = util_dirname(f->conf.starter_profile);

	write_file(dir, "starter.cfg", "status = \"active\";\n");
	free(dir);
	request(f, "bob@example.org", "", NOW, s, t);
	assert_int_equal(optin_confirm(&f->conf, &f->key, s, t, NOW, "test",
				       &done, &eb), -1);
	assert_int_equal(eb.kind, ERRBUF_CONFIG);
	assert_non_null(strstr(eb.msg, "starter profile"));
	optin_confirmed_release(&done);
	assert_int_equal(count_files(f->conf.subscribers_dir), 0);
}

static const char profile[] =
	"# Carol: a comment at the top.\n"
	"name = \"Carol\";  # her name\n"
	"email = \"carol@example.org\";\n"
	"authors = [\"A. Author\",\n"
	"           \"B. Author\"];  // trailing\n"
	"topics = ( { name = \"Old\"; # inside\n"
	"             keywords = [\"old\"]; weight = 2.0; } );\n"
	"/* between */ max_papers = 10;\n";

static const char edited[] =
	"# Carol: a comment at the top.\n"
	"name = \"Carol\";  # her name\n"
	"email = \"carol@example.org\";\n"
	"authors = [\"C. \\\"Quoted\\\"\"];  // trailing\n"
	"topics = ( { name = \"New\";\n"
	"             keywords = [\"new one\", \"two\"];\n"
	"             weight = 2.0; } );\n"
	"/* between */ max_papers = 10;\n"
	"exclude = [\"never\"];\n";

static void test_set_lists(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct strv authors = STRV_INIT, exclude = STRV_INIT;
	struct strv never = STRV_INIT;
	struct subs_topic topic;
	struct subs_lists l;
	char *p, *text;

	write_file(f->conf.subscribers_dir, "carol.cfg", profile);
	p = util_path_join(f->conf.subscribers_dir, "carol.cfg");
	memset(&topic, 0, sizeof(topic));
	topic.name = "New";
	strv_push(&topic.keywords, "new one");
	strv_push(&topic.keywords, "two");
	topic.weight = 2.0;
	strv_push(&authors, "C. \"Quoted\"");
	strv_push(&exclude, "never");
	l.topics = &topic;
	l.ntopics = 1;
	l.authors = &authors;
	l.exclude = &exclude;
	l.never = NULL;
	l.criteria = NULL;
	assert_int_equal(subs_set_lists(p, &l, &eb), 0);
	text = read_text(f->conf.subscribers_dir, "carol.cfg");
	assert_string_equal(text, edited);
	free(text);

	/* never is written when given; a list the file lacks is added only
	 * with entries, one it has is replaced even by an empty one. */
	strv_release(&authors);
	strv_push(&never, "protein folding");
	l.never = &never;
	write_file(f->conf.subscribers_dir, "carol.cfg", profile);
	assert_int_equal(subs_set_lists(p, &l, &eb), 0);
	text = read_text(f->conf.subscribers_dir, "carol.cfg");
	assert_non_null(strstr(text, "authors = [];  // trailing\n"));
	assert_non_null(strstr(text, "exclude = [\"never\"];\n"
				     "never = [\"protein folding\"];\n"));
	free(text);
	strv_release(&exclude);
	strv_release(&never);
	write_file(f->conf.subscribers_dir, "carol.cfg", profile);
	strv_push(&authors, "C. \"Quoted\"");
	assert_int_equal(subs_set_lists(p, &l, &eb), 0);
	text = read_text(f->conf.subscribers_dir, "carol.cfg");
	assert_null(strstr(text, "exclude"));
	assert_null(strstr(text, "never"));
	free(text);
	strv_push(&exclude, "never");
	l.never = NULL;
	write_file(f->conf.subscribers_dir, "carol.cfg", edited);

	/* A keyword the loader refuses: nothing changes. */
	strv_push(&topic.keywords, "line\nbreak");
	assert_int_equal(subs_set_lists(p, &l, &eb), -1);
	assert_non_null(strstr(eb.msg, "carol.cfg:"));
	text = read_text(f->conf.subscribers_dir, "carol.cfg");
	assert_string_equal(text, edited);
	free(text);
	strv_release(&topic.keywords);
	strv_release(&authors);
	strv_release(&exclude);
	strv_release(&never);
	free(p);
}

/* criteria: a multi-line string with quotes and semicolons is replaced
 * whole, read back as written; NULL leaves it; "" empties one the file
 * has and adds none where it has none. */
static void test_set_criteria(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct strv authors = STRV_INIT;
	struct subs_lists l;
	struct subscriber s;
	const char *want = "Sparse \"experts\"; routing.\nAnd pruning.";
	char *p, *text;

	write_file(f->conf.subscribers_dir, "dora.cfg",
		   "email = \"dora@example.org\";\n"
		   "authors = [\"D. Author\"];\n"
		   "criteria = \"old; \\\"text\\\"\n second line\";  # hers\n"
		   "max_papers = 10;\n");
	p = util_path_join(f->conf.subscribers_dir, "dora.cfg");
	strv_push(&authors, "D. Author");
	memset(&l, 0, sizeof(l));
	l.authors = &authors;
	l.criteria = want;
	if (subs_set_lists(p, &l, &eb) < 0)
		fail_msg("%s", eb.msg);
	text = read_text(f->conf.subscribers_dir, "dora.cfg");
	assert_non_null(strstr(text, "criteria = \"Sparse \\\"experts\\\"; "
				     "routing.\nAnd pruning.\";  # hers\n"
				     "max_papers = 10;\n"));
	assert_null(strstr(text, "old"));
	free(text);
	assert_int_equal(subs_load_file(p, &s, &eb), 0);
	assert_string_equal(s.criteria, want);
	subs_release(&s);

	l.criteria = NULL;
	assert_int_equal(subs_set_lists(p, &l, &eb), 0);
	assert_int_equal(subs_load_file(p, &s, &eb), 0);
	assert_string_equal(s.criteria, want);
	subs_release(&s);

	l.criteria = "";
	assert_int_equal(subs_set_lists(p, &l, &eb), 0);
	text = read_text(f->conf.subscribers_dir, "dora.cfg");
	assert_non_null(strstr(text, "criteria = \"\";  # hers\n"));
	free(text);
	write_file(f->conf.subscribers_dir, "dora.cfg",
		   "email = \"dora@example.org\";\n"
		   "authors = [\"D. Author\"];\n");
	assert_int_equal(subs_set_lists(p, &l, &eb), 0);
	text = read_text(f->conf.subscribers_dir, "dora.cfg");
	assert_null(strstr(text, "criteria"));
	free(text);
	strv_release(&authors);
	free(p);
}

/* A mail that fails or is dropped after the reader asked again (serve's
 * queue can hold it past OPTIN_RESEND_AFTER) leaves the newer request,
 * whose link was mailed, working. */
static void test_old_mail_keeps_new_request(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct optin_mail *old, *new;
	struct optin_sent sent;
	char s[128], t[128], *email, *name, *where;

	assert_int_equal(optin_prepare(&f->conf, &f->key, "r@example.org", "",
				       NOW, &old, &sent, &eb), 0);
	optin_sent_release(&sent);
	assert_int_equal(optin_prepare(&f->conf, &f->key, "r@example.org", "",
				       NOW + OPTIN_RESEND_AFTER + 1, &new,
				       &sent, &eb), 0);
	assert_non_null(new);
	split_url(sent.url, s, t, sizeof(s));
	optin_sent_release(&sent);
	assert_int_equal(optin_send(&f->conf, new, &where, &eb), 0);
	free(where);
	optin_mail_free(new, 0);
	optin_mail_free(old, 1);
	assert_int_equal(optin_check(&f->conf, &f->key, s, t,
				     NOW + OPTIN_RESEND_AFTER + 60, &email,
				     &name, &eb), OPTIN_VALID);
	free(email);
	free(name);
	/* Its own request, dropped, is gone. */
	assert_int_equal(optin_prepare(&f->conf, &f->key, "q@example.org", "",
				       NOW, &old, &sent, &eb), 0);
	split_url(sent.url, s, t, sizeof(s));
	optin_sent_release(&sent);
	optin_mail_free(old, 1);
	assert_int_equal(optin_check(&f->conf, &f->key, s, t, NOW + 60, &email,
				     &name, &eb), OPTIN_EXPIRED);
	free(email);
	free(name);
}

static void test_create_never_replaces(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	const char *text = "email = \"d@example.org\";\nauthors = [\"X\"];\n";
	char *back;

	assert_int_equal(subs_create(f->conf.subscribers_dir, "dana", text,
				     strlen(text), &eb), 0);
	assert_int_equal(subs_create(f->conf.subscribers_dir, "dana",
				     "email = \"e@example.org\";\n", 25, &eb),
			 1);
	back = read_text(f->conf.subscribers_dir, "dana.cfg");
	assert_string_equal(back, text);
	free(back);
	/* Not a valid profile: refused, nothing left behind. */
	assert_int_equal(subs_create(f->conf.subscribers_dir, "eve",
				     "email = 1;\n", 11, &eb), -1);
	assert_null(read_text(f->conf.subscribers_dir, "eve.cfg"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_request_then_confirm, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_forged_and_expired, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_throttle_and_bad_input, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_existing_address, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_starter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_lists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_criteria, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_old_mail_keeps_new_request,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_never_replaces, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
