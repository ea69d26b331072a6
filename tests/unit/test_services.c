/*
 * Unit tests for the pipeline services under the commands: source (a
 * day's listing from a file and from the day's cache), day (opening a
 * day, broken profiles, a malformed date) and issue (one subscriber's
 * finished message, a test issue). Each test works in its own temporary
 * folder with a config that points at the repository's sample listing,
 * templates and one profile (run from the repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "day.h"
#include "issue.h"
#include "render.h"
#include "source.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

#define SAMPLE "sample/arxiv-2025-12-30.xml"
#define SAMPLE_DATE "2025-12-30"

struct fixture {
	char dir[64];
	char *cfg;
};

static void write_text(const char *path, const char *text)
{
	struct errbuf eb = ERRBUF_INIT;

	assert_int_equal(util_write_atomic(path, text, strlen(text), 0600,
					   &eb),
			 0);
}

static char *in(const struct fixture *f, const char *name)
{
	return util_path_join(f->dir, name);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct buf cfg = BUF_INIT, profile = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	char cwd[4096];
	char *subs, *p;

	snprintf(f->dir, sizeof(f->dir), "/tmp/paperboy-services.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	subs = in(f, "subscribers");
	assert_int_equal(mkdir(subs, 0700), 0);
	assert_int_equal(util_read_file("subscribers/alice.cfg", &profile,
					&eb),
			 0);
	p = util_path_join(subs, "alice.cfg");
	write_text(p, buf_str(&profile));
	free(p);
	buf_addf(&cfg,
		 "list = { name = \"Test\"; id = \"test.example.org\";\n"
		 "  from = \"Test <digest@test.example.org>\";\n"
		 "  base_url = \"https://test.example.org\";\n"
		 "  secret_file = \"state/secret.key\"; };\n"
		 "paths = { subscribers = \"subscribers\";\n"
		 "  templates = \"%s/templates\"; state = \"state\"; };\n"
		 "sources = { arxiv = { categories = [\"cs.LG\"];\n"
		 "  rss_url = \"http://127.0.0.1:9/rss/\";\n"
		 "  api_url = \"http://127.0.0.1:9/api\"; }; };\n",
		 cwd);
	f->cfg = in(f, "paperboy.cfg");
	write_text(f->cfg, buf_str(&cfg));
	buf_release(&cfg);
	buf_release(&profile);
	free(subs);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct buf cmd = BUF_INIT;

	buf_addf(&cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(buf_str(&cmd)), 0);
	buf_release(&cmd);
	free(f->cfg);
	free(f);
	return 0;
}

static void load_conf(const struct fixture *f, struct conf *c)
{
	struct errbuf eb = ERRBUF_INIT;

	assert_int_equal(conf_load(f->cfg, c, &eb), 0);
}

/* A listing read from a file is kept, and then read from the cache. */
static void test_source_file_then_cache(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct conf c;
	char *manifest = in(f, "state/cache/" SAMPLE_DATE "/MANIFEST");
	int items = -1, again = -1;
	size_t n;

	load_conf(f, &c);
	assert_int_equal(source_load(&c, SAMPLE_DATE, SAMPLE, 1, NULL, &l,
				     &items, &eb),
			 0);
	assert_true(items > 0);
	n = l.n;
	listing_release(&l);
	assert_int_equal(access(manifest, F_OK), 0);
	/* No file named now: the cache answers, with nothing fetched (the
	 * sources point at a port where nothing listens). */
	assert_int_equal(source_load(&c, SAMPLE_DATE, NULL, 1, NULL, &l,
				     &again, &eb),
			 0);
	assert_int_equal(again, items);
	assert_int_equal(l.n, n);
	listing_release(&l);
	free(manifest);
	conf_release(&c);
}

/* A dry run (store off) keeps nothing. */
static void test_source_no_store(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct conf c;
	char *dir = in(f, "state/cache/" SAMPLE_DATE);
	int items = 0;

	load_conf(f, &c);
	assert_int_equal(source_load(&c, SAMPLE_DATE, SAMPLE, 0, NULL, &l,
				     &items, &eb),
			 0);
	listing_release(&l);
	assert_int_not_equal(access(dir, F_OK), 0);
	free(dir);
	conf_release(&c);
}

/* Each failure carries the kind the commands map to an exit code. */
static void test_source_failure_kinds(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct conf c;
	char *bad = in(f, "bad.xml");
	int items = 0;

	load_conf(f, &c);
	assert_int_equal(source_load(&c, SAMPLE_DATE, "/nonexistent.xml", 0,
				     NULL, &l, &items, &eb),
			 -1);
	assert_int_equal(eb.kind, ERRBUF_NOINPUT);
	assert_non_null(strstr(eb.msg, "cannot read the listing"));
	write_text(bad, "<rss><channel><item><title>x</title></channel>");
	errbuf_clear(&eb);
	assert_int_equal(source_load(&c, SAMPLE_DATE, bad, 0, NULL, &l,
				     &items, &eb),
			 -1);
	assert_int_equal(eb.kind, ERRBUF_DATA);
	assert_non_null(strstr(eb.msg, bad));
	/* Not cached and nothing listens where the sources point: the day
	 * is a temporary failure, to try again later. */
	errbuf_clear(&eb);
	assert_int_equal(source_load(&c, "2025-12-29", NULL, 0, NULL, &l,
				     &items, &eb),
			 -1);
	assert_int_equal(eb.kind, ERRBUF_TEMP);
	free(bad);
	conf_release(&c);
}

static void test_day_bad_date(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct day d;
	struct day_opts o;

	memset(&o, 0, sizeof(o));
	o.config = f->cfg;
	o.date = "2025-13-01";
	o.listing = SAMPLE;
	o.dry_run = 1;
	assert_int_equal(day_open(&d, &o, &eb), -1);
	assert_int_equal(eb.kind, ERRBUF_USAGE);
	day_close(&d);
}

/* A broken profile is listed, not fatal; the others load. */
static void test_day_broken_profile(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	char *broken = in(f, "subscribers/broken.cfg");
	struct day d;
	struct day_opts o;

	write_text(broken, "name = \"Broken\";\nemail = ;\n");
	memset(&o, 0, sizeof(o));
	o.config = f->cfg;
	o.date = SAMPLE_DATE;
	o.listing = SAMPLE;
	o.dry_run = 1;
	assert_int_equal(day_open(&d, &o, &eb), 0);
	assert_true(d.items > 0);
	assert_int_equal(d.subs.n, 1);
	assert_int_equal(d.broken.n, 1);
	assert_non_null(strstr(d.broken.v[0], "broken.cfg:2"));
	assert_non_null(d.idx);
	day_close(&d);
	free(broken);
}

static void open_sample_day(const struct fixture *f, struct day *d)
{
	struct errbuf eb = ERRBUF_INIT;
	struct day_opts o;

	memset(&o, 0, sizeof(o));
	o.config = f->cfg;
	o.date = SAMPLE_DATE;
	o.listing = SAMPLE;
	o.dry_run = 1;
	assert_int_equal(day_open(d, &o, &eb), 0);
}

/* The finished message: addressed, signed links, both parts. */
static void test_issue_compose(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct render_templates t = { NULL, NULL };
	struct issue is;
	struct day d;
	const char *msg;

	open_sample_day(f, &d);
	assert_int_equal(render_load(&d.conf, &t, &eb), 0);
	assert_int_equal(issue_compose(&d, &t, &d.subs.v[0], NULL, &is, &eb),
			 0);
	assert_true(is.digest.n > 0);
	msg = buf_str(&is.message);
	assert_non_null(strstr(msg, "To: Alice Example <alice@example.org>"));
	assert_non_null(strstr(msg, "List-Unsubscribe: <https://"
				    "test.example.org/unsubscribe?s=alice&t="));
	assert_non_null(strstr(msg, "List-Unsubscribe-Post: "
				    "List-Unsubscribe=One-Click"));
	assert_non_null(strstr(msg, "text/plain"));
	assert_non_null(strstr(msg, "text/html"));
	assert_non_null(is.message_id);
	issue_release(&is);
	render_release(&t);
	day_close(&d);
}

/* A test issue goes to another address, marked, with inert links. */
static void test_issue_test_copy(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct render_templates t = { NULL, NULL };
	struct issue_opts opts = { "tester@example.net", "[TEST] ", 0, 0 };
	struct issue real, test;
	struct day d;
	char *real_url, *test_url;

	open_sample_day(f, &d);
	assert_int_equal(render_load(&d.conf, &t, &eb), 0);
	assert_int_equal(issue_compose(&d, &t, &d.subs.v[0], &opts, &test,
				       &eb),
			 0);
	assert_int_equal(strncmp(test.subject, "[TEST] ", 7), 0);
	assert_non_null(strstr(buf_str(&test.message),
			       "To: tester@example.net"));
	assert_null(strstr(buf_str(&test.message), "alice@example.org>"));
	assert_int_equal(issue_compose(&d, &t, &d.subs.v[0], NULL, &real,
				       &eb),
			 0);
	real_url = issue_unsubscribe_url(&d.conf, &d.key, TOKEN_UNSUBSCRIBE,
					 &d.subs.v[0]);
	test_url = issue_unsubscribe_url(&d.conf, &d.key, TOKEN_TEST,
					 &d.subs.v[0]);
	assert_string_not_equal(real_url, test_url);
	free(real_url);
	free(test_url);
	issue_release(&real);
	issue_release(&test);
	render_release(&t);
	day_close(&d);
}

int main(void)
{
	/* The network tests meet a closed port: keep the retries short, as
	 * the shell tests do. */
	setenv("PAPERBOY_TEST_BACKOFF_MS", "5", 1);
	setenv("PAPERBOY_TEST_MIN_INTERVAL_MS", "5", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_source_file_then_cache,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_no_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_source_failure_kinds,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_day_bad_date, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_day_broken_profile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_issue_compose, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_issue_test_copy, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
