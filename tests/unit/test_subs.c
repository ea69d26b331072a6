/*
 * Unit tests for subs.c and conf.c: profiles load with their defaults,
 * and every kind of mistake is reported with file and line; the names of
 * a folder and the duplicate-address rule across groups and folders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "subs.h"
#include "util.h"
#include "xalloc.h"

static char dir[] = "/tmp/paperboy-subs-XXXXXX";

static char *write_profile(const char *name, const char *text)
{
	struct errbuf eb = ERRBUF_INIT;
	char *path = util_path_join(dir, name);

	assert_int_equal(util_write_atomic(path, text, strlen(text), 0644,
					   &eb), 0);
	return path;
}

static void expect_error(const char *text, const char *want)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subscriber s;
	char *path = write_profile("p.cfg", text);

	assert_int_equal(subs_load_file(path, &s, &eb), -1);
	if (!strstr(eb.msg, want))
		fail_msg("expected \"%s\" in \"%s\"", want, eb.msg);
	unlink(path);
	free(path);
}

static void test_good_profile(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subscriber s;
	char *path = write_profile("alice.cfg",
		"name = \"Alice\";\n"
		"email = \"alice@example.org\";\n"
		"topics = ( { name = \"MoE\"; keywords = [\"MoE\", \"experts\"];"
		" weight = 2.0; } );\n"
		"authors = [\"Yoshua Bengio\"];\n");

	(void)state;
	if (subs_load_file(path, &s, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_string_equal(s.id, "alice");
	assert_string_equal(s.email, "alice@example.org");
	assert_int_equal(s.status, SUBS_ACTIVE);
	assert_int_equal(s.min_relevance, 5);
	assert_int_equal(s.max_papers, 30);
	assert_int_equal(s.ntopics, 1);
	assert_string_equal(s.topics[0].keywords.v[1], "experts");
	assert_true(s.topics[0].weight == 2.0);
	assert_string_equal(s.authors.v[0], "Yoshua Bengio");
	subs_release(&s);
	unlink(path);
	free(path);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	/* A syntax error: libconfig's own line. */
	expect_error("name = \"A\";\nemail = \"a@example.org\";\n"
		     "topics = = ( );\n", "p.cfg:3: syntax error");
	expect_error("email = \"a@example.org\";\n"
		     "min_relevence = 5;\n", "p.cfg:2: unknown setting "
		     "'min_relevence'");
	expect_error("email = \"a@example.org\";\n"
		     "authors = [\"X Y\"];\nmin_relevance = 11;\n",
		     "p.cfg:3: 'min_relevance' must be between 1 and 10");
	expect_error("email = \"no-domain\";\nauthors = [\"X Y\"];\n",
		     "p.cfg:1: 'email' is not a valid address");
	expect_error("email = \"a@example.org\";\nauthors = [\"X Y\"];\n"
		     "name = \"Eve\\r\\nBcc: x@evil.org\";\n",
		     "p.cfg:3: 'name' must not contain a line break");
	expect_error("email = \"a@example.org\";\n"
		     "topics = ( { name = \"T\"; keywords = []; } );\n",
		     "topic 'T' has no keywords");
	expect_error("email = \"a@example.org\";\n",
		     "neither topics nor authors");
	expect_error("name = \"A\";\nauthors = [\"X Y\"];\n",
		     "'email' is missing");
	expect_error("email = \"a@example.org\";\nauthors = [\"X Y\"];\n"
		     "status = \"paused\";\n", "p.cfg:3: 'status' must be");
	expect_error("email = \"a@example.org\";\nauthors = \"X Y\";\n",
		     "p.cfg:2: 'authors' must be a list of strings");
}

static void test_profile_features(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subscriber s;
	char *path = write_profile("f.cfg",
		"email = \"f@example.org\";\n"
		"categories = [\"cs.LG\"];\nprimary_only = true;\n"
		"announce_types = [\"new\", \"replace\"];\n"
		"topics = ( { name = \"MoE\"; keywords = [\"MoE\"];\n"
		"  require = [\"routing\"]; exclude = [\"vision\"]; } );\n"
		"never = [\"federated learning\"];\n");

	(void)state;
	if (subs_load_file(path, &s, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_true(s.primary_only);
	assert_int_equal(s.announce_types.n, 2);
	assert_string_equal(s.announce_types.v[1], "replace");
	assert_string_equal(s.topics[0].require.v[0], "routing");
	assert_string_equal(s.topics[0].exclude.v[0], "vision");
	assert_int_equal(s.never.n, 1);
	assert_string_equal(s.never.v[0], "federated learning");
	subs_release(&s);
	unlink(path);
	free(path);

	expect_error("email = \"a@example.org\";\nauthors = [\"X Y\"];\n"
		     "announce_types = [\"new\", \"old\"];\n",
		     "p.cfg:3: 'announce_types': \"old\" is not one of");
	expect_error("email = \"a@example.org\";\nauthors = [\"X Y\"];\n"
		     "primary_only = true;\n",
		     "p.cfg:3: 'primary_only' needs 'categories'");
	expect_error("email = \"a@example.org\";\n"
		     "topics = ( { name = \"T\"; keywords = [\"a\"];\n"
		     "  require = [\"\"]; } );\n",
		     "p.cfg:3: empty entry in 'require'");
	expect_error("email = \"a@example.org\";\n"
		     "topics = ( { name = \"T\"; keywords = [\"a\"];\n"
		     "  exclude = \"b\"; } );\n",
		     "p.cfg:3: 'exclude' must be a list of strings");
	expect_error("email = \"a@example.org\";\nauthors = [\"X Y\"];\n"
		     "never = [\"\"];\n",
		     "p.cfg:3: empty entry in 'never'");
}

/* @include would make libconfig open any file: refused with its line. */
static void test_include_refused(void **state)
{
	(void)state;
	expect_error("email = \"a@example.org\";\n  @include \"/dev/zero\"\n",
		     "p.cfg:2: @include is not allowed");
	expect_error("email = \"a@example.org\";\n@INCLUDE \"x.cfg\"\n",
		     "p.cfg:2: @include is not allowed");
}

/* The same text through subs_load_string: same result, no file. */
static void test_load_string(void **state)
{
	static const char text[] = "email = \"b@example.org\";\n"
				   "authors = [\"X Y\"];\n";
	struct errbuf eb = ERRBUF_INIT;
	struct subscriber s;

	(void)state;
	if (subs_load_string("subscribers/bob.cfg", text, strlen(text), &s,
			     &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_string_equal(s.id, "bob");
	assert_string_equal(s.email, "b@example.org");
	subs_release(&s);
	assert_int_equal(subs_load_string("subscribers/bob.cfg", "a\0b", 3,
					  &s, &eb), -1);
	assert_non_null(strstr(eb.msg, "subscribers/bob.cfg: contains a NUL"));
}

static void test_dir_skips_broken_and_duplicates(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subs_list l = { NULL, 0, 0 };
	struct strv errors = STRV_INIT;
	char *a = write_profile("a.cfg", "email = \"x@example.org\";\n"
					 "authors = [\"X Y\"];\n");
	char *b = write_profile("b.cfg", "email = \"X@example.org\";\n"
					 "authors = [\"X Y\"];\n");
	char *c = write_profile("c.cfg", "email = \n");
	char *d = write_profile("d.cfg", "email = \"d@example.org\";\n"
					 "authors = [\"X Y\"];\n");

	(void)state;
	assert_int_equal(subs_load_dir(dir, &l, &errors, &eb), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "a");
	assert_string_equal(l.v[1].id, "d");
	assert_int_equal(errors.n, 2);
	assert_non_null(strstr(errors.v[0], "already used by"));
	assert_non_null(strstr(errors.v[1], "c.cfg:"));
	subs_list_release(&l);
	strv_release(&errors);
	unlink(a);
	unlink(b);
	unlink(c);
	unlink(d);
	free(a);
	free(b);
	free(c);
	free(d);
}

/* A run loads the profiles a group at a time: the duplicate rule still
 * holds across groups, and each name says what became of it. */
static void test_names_by_group(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subs_list g1 = { NULL, 0, 0 }, g2 = { NULL, 0, 0 };
	struct subs_names names = SUBS_NAMES_INIT;
	struct strv errors = STRV_INIT;
	struct subs_seen *seen = subs_seen_new();
	long index[2];
	char *p[4];
	size_t i;

	(void)state;
	p[0] = write_profile("a.cfg", "email = \"x@example.org\";\n"
				      "authors = [\"X Y\"];\n");
	p[1] = write_profile("b.cfg", "email = \n");
	p[2] = write_profile("c.cfg", "email = \"X@example.org\";\n"
				      "authors = [\"X Y\"];\n");
	p[3] = write_profile("d.cfg", "email = \"d@example.org\";\n"
				      "authors = [\"X Y\"];\n");
	assert_int_equal(subs_list_names(dir, &names, &eb), 0);
	assert_int_equal(names.n, 4);
	assert_string_equal(names.v[0], "a.cfg");
	assert_string_equal(names.v[3], "d.cfg");

	subs_load_names(dir, names.v, 2, seen, &g1, index, &errors);
	assert_int_equal(g1.n, 1);
	assert_int_equal(index[0], 0);
	assert_int_equal(index[1], -1);
	assert_int_equal(errors.n, 1);
	assert_non_null(strstr(errors.v[0], "b.cfg:"));
	/* The second group: c repeats a's address (a is released). */
	subs_list_release(&g1);
	subs_load_names(dir, names.v + 2, 2, seen, &g2, index, &errors);
	assert_int_equal(g2.n, 1);
	assert_int_equal(index[0], -1);
	assert_int_equal(index[1], 0);
	assert_string_equal(g2.v[0].id, "d");
	assert_int_equal(errors.n, 2);
	assert_non_null(strstr(errors.v[1], "c.cfg: email X@example.org is "
					    "already used by"));
	assert_non_null(strstr(errors.v[1], "a.cfg"));
	subs_list_release(&g2);
	/* A name whose file is gone since it was listed: no message. */
	unlink(p[3]);
	subs_load_names(dir, names.v + 3, 1, seen, &g2, index, &errors);
	assert_int_equal(g2.n, 0);
	assert_int_equal(index[0], SUBS_NAME_GONE);
	assert_int_equal(errors.n, 2);
	subs_seen_free(seen);
	subs_names_release(&names);
	strv_release(&errors);
	for (i = 0; i < 4; i++) {
		unlink(p[i]);
		free(p[i]);
	}
}

/* The duplicate rule names the earlier profile's path, whatever folder
 * it is in: subs_seen keeps a folder once, a path without one whole. */
static void test_seen_paths(void **state)
{
	static const char other[] = "email = \"o@example.org\";\n"
				    "authors = [\"X Y\"];\n";
	static const char mine[] = "email = \"y@example.org\";\n"
				   "authors = [\"X Y\"];\n";
	struct errbuf eb = ERRBUF_INIT;
	struct subs_list l = { NULL, 0, 0 };
	struct strv errors = STRV_INIT;
	struct buf want = BUF_INIT;
	struct subscriber s;
	char *p[3];
	size_t i;

	(void)state;
	assert_int_equal(subs_load_string("/elsewhere/other/o.cfg", other,
					  strlen(other), &s, &eb), 0);
	ALLOC_GROW(l.v, l.n + 1, l.alloc);
	l.v[l.n++] = s;
	assert_int_equal(subs_load_string("y.cfg", mine, strlen(mine), &s,
					  &eb), 0);
	ALLOC_GROW(l.v, l.n + 1, l.alloc);
	l.v[l.n++] = s;
	p[0] = write_profile("w.cfg", "email = \"w@example.org\";\n"
				      "authors = [\"X Y\"];\n");
	p[1] = write_profile("y.cfg", mine);
	p[2] = write_profile("z.cfg", "email = \"O@example.org\";\n"
				      "authors = [\"X Y\"];\n");
	assert_int_equal(subs_load_dir(dir, &l, &errors, &eb), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[2].id, "w");
	assert_int_equal(errors.n, 2);
	buf_addf(&want, "%s: email y@example.org is already used by y.cfg; "
			"skipped", p[1]);
	assert_string_equal(errors.v[0], buf_str(&want));
	buf_reset(&want);
	buf_addf(&want, "%s: email O@example.org is already used by "
			"/elsewhere/other/o.cfg; skipped", p[2]);
	assert_string_equal(errors.v[1], buf_str(&want));
	buf_release(&want);
	subs_list_release(&l);
	strv_release(&errors);
	for (i = 0; i < 3; i++) {
		unlink(p[i]);
		free(p[i]);
	}
}

/* The names of a folder of many profiles: every one, in name order,
 * however long (the arena that holds them fills several blocks). */
static void test_many_names(void **state)
{
	enum { N = 2000 };
	struct errbuf eb = ERRBUF_INIT;
	struct subs_names names = SUBS_NAMES_INIT;
	char name[80], prev[80] = "";
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		char *path;
		FILE *fp;

		snprintf(name, sizeof(name), "%04zu-%.*s.cfg", i,
			 (int)(i % 60), "abcdefghijklmnopqrstuvwxyzabcdefghij"
					"klmnopqrstuvwxyzabcdefghijklmno");
		path = util_path_join(dir, name);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fclose(fp);
		free(path);
	}
	assert_int_equal(subs_list_names(dir, &names, &eb), 0);
	assert_int_equal(names.n, N);
	for (i = 0; i < N; i++) {
		char *path;

		snprintf(name, sizeof(name), "%04zu-%.*s.cfg", i,
			 (int)(i % 60), "abcdefghijklmnopqrstuvwxyzabcdefghij"
					"klmnopqrstuvwxyzabcdefghijklmno");
		assert_string_equal(names.v[i], name);
		assert_true(strcmp(prev, names.v[i]) < 0);
		snprintf(prev, sizeof(prev), "%s", names.v[i]);
		path = util_path_join(dir, name);
		unlink(path);
		free(path);
	}
	/* Appended to what the list held, and released as a whole. */
	assert_int_equal(subs_list_names(dir, &names, &eb), 0);
	assert_int_equal(names.n, N);
	subs_names_release(&names);
	assert_null(names.v);
	assert_int_equal(names.n, 0);
}

static void test_conf_defaults_and_paths(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct conf c;
	char *path = write_profile("paperboy.cfg",
				   "list = { name = \"Lab digest\"; };\n"
				   "paths = { subscribers = \"subs\"; };\n");

	(void)state;
	if (conf_load(path, &c, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_string_equal(c.list_name, "Lab digest");
	assert_string_equal(c.from_addr, "digest@example.org");
	assert_string_equal(c.from_display, "Paperboy");
	assert_string_equal(c.delivery_method, "outbox");
	assert_true(strstr(c.subscribers_dir, dir) == c.subscribers_dir);
	assert_true(util_ends_with(c.subscribers_dir, "/subs"));
	assert_int_equal(c.categories.n, 2);
	conf_release(&c);
	unlink(path);
	free(path);

	path = write_profile("paperboy.cfg",
			     "delivery = {\n method = \"pigeon\";\n};\n");
	assert_int_equal(conf_load(path, &c, &eb), -1);
	assert_non_null(strstr(eb.msg, "paperboy.cfg:1: 'method' must be"));
	unlink(path);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_profile),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_profile_features),
		cmocka_unit_test(test_include_refused),
		cmocka_unit_test(test_load_string),
		cmocka_unit_test(test_dir_skips_broken_and_duplicates),
		cmocka_unit_test(test_names_by_group),
		cmocka_unit_test(test_seen_paths),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_conf_defaults_and_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
