/*
 * Unit tests for dispatch, the run of one day: the shard hash (FNV-1a
 * test vectors) and --shard parsing; a dry run reports the same events in
 * subscriber order with one compose thread or several; a real run into
 * the outbox on several threads writes one message per subscriber and
 * journals each, and a rerun sends nothing; shards split the day. Works
 * in a temporary folder with the sample listing and the repository's
 * templates and example profiles (run from the repository root).
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

#include "day.h"
#include "dispatch.h"
#include "render.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"
#include "banned.h"

#define SAMPLE "sample/arxiv-2025-12-30.xml"
#define SAMPLE_DATE "2025-12-30"
/* Subscribers of the fixture: the example profiles, cycled. */
#define NSUBS 24

static const char *const profiles[] = { "alice", "bruno", "chen", "dana",
					"seed-criteria" };

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

/* A copy of profile `from` as subscriber `id` at id@example.org. */
static void copy_profile(const char *subs, const char *from, const char *id)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf in = BUF_INIT, out = BUF_INIT, name = BUF_INIT;
	const char *p, *line;
	char *path;

	buf_addf(&name, "subscribers/%s.cfg", from);
	assert_int_equal(util_read_file(buf_str(&name), &in, &eb), 0);
	for (p = buf_str(&in); *p; p = line) {
		line = strchr(p, '\n');
		line = line ? line + 1 : p + strlen(p);
		if (!strncmp(p, "email = ", 8))
			buf_addf(&out, "email = \"%s@example.org\";\n", id);
		else
			buf_add(&out, p, (size_t)(line - p));
	}
	buf_reset(&name);
	buf_addf(&name, "%s.cfg", id);
	path = util_path_join(subs, buf_str(&name));
	write_text(path, buf_str(&out));
	free(path);
	buf_release(&in);
	buf_release(&out);
	buf_release(&name);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct buf cfg = BUF_INIT;
	char cwd[4096], id[32];
	char *subs;
	int i;

	snprintf(f->dir, sizeof(f->dir), "/tmp/paperboy-dispatch.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	subs = util_path_join(f->dir, "subscribers");
	assert_int_equal(mkdir(subs, 0700), 0);
	for (i = 0; i < NSUBS; i++) {
		snprintf(id, sizeof(id), "u%02d", i);
		copy_profile(subs, profiles[i % ARRAY_SIZE(profiles)], id);
	}
	buf_addf(&cfg,
		 "list = { name = \"Test\"; id = \"test.example.org\";\n"
		 "  from = \"Test <digest@test.example.org>\";\n"
		 "  base_url = \"https://test.example.org\";\n"
		 "  secret_file = \"state/secret.key\"; };\n"
		 "paths = { subscribers = \"subscribers\";\n"
		 "  templates = \"%s/templates\"; state = \"state\"; };\n"
		 "sources = { arxiv = { categories = [\"cs.LG\", \"cs.CL\"];\n"
		 "  rss_url = \"http://127.0.0.1:9/rss/\";\n"
		 "  api_url = \"http://127.0.0.1:9/api\"; }; };\n"
		 "delivery = { method = \"outbox\"; outbox = \"outbox\";\n"
		 "  smtp = { batch = 5; }; };\n",
		 cwd);
	f->cfg = util_path_join(f->dir, "paperboy.cfg");
	write_text(f->cfg, buf_str(&cfg));
	buf_release(&cfg);
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

/* Every event as one line, in the order they came. */
static void record(const struct dispatch_event *ev, void *ctx)
{
	struct strv *log = ctx;
	struct buf b = BUF_INIT;

	assert_true(ev->kind != DISPATCH_JOURNAL_FAILED);
	if (ev->kind == DISPATCH_PROGRESS)
		return; /* timing, not content */
	buf_addf(&b, "%d %s %zu", (int)ev->kind, ev->sub ? ev->sub->id : "-",
		 ev->papers);
	strv_push(log, buf_str(&b));
	buf_release(&b);
}

/* Runs the sample day with `threads` compose threads (shard k/n, n = 0:
 * all); the events go into log. */
static void run_day(const struct fixture *f, int dry_run, long threads,
		    unsigned long k, unsigned long n, struct strv *log,
		    struct dispatch_result *res)
{
	struct errbuf eb = ERRBUF_INIT;
	struct render_templates t = { NULL, NULL };
	struct dispatch_opts o;
	struct dispatch *dp = NULL;
	enum dispatch_open_step step;
	struct day_opts dop;
	struct day d;

	memset(&dop, 0, sizeof(dop));
	dop.config = f->cfg;
	dop.date = SAMPLE_DATE;
	dop.listing = SAMPLE;
	dop.dry_run = dry_run;
	if (day_open(&d, &dop, &eb) < 0)
		fail_msg("day_open: %s", eb.msg);
	assert_int_equal(render_load(&d.conf, &t, &eb), 0);
	memset(&o, 0, sizeof(o));
	o.d = &d;
	o.t = &t;
	o.dry_run = dry_run;
	o.threads = threads;
	o.shard_k = k;
	o.shard_n = n;
	o.on_event = record;
	o.ctx = log;
	if (dispatch_open(&o, &dp, &step, &eb) < 0)
		fail_msg("dispatch_open: %s", eb.msg);
	assert_int_equal(dispatch_run(dp, res, &eb), 0);
	assert_int_equal(res->threads, threads);
	dispatch_free(dp);
	render_release(&t);
	day_close(&d);
}

static size_t outbox_count(const struct fixture *f)
{
	char *dir = util_path_join(f->dir, "outbox/new");
	size_t n = count_files(dir);

	free(dir);
	return n;
}

/* FNV-1a 64-bit of the id, modulo n, plus one (documented in
 * dispatch.h): the published test vectors of FNV-1a. */
static void test_shard_hash(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	unsigned long k = 0, n = 0;

	(void)state;
	assert_int_equal(dispatch_shard_of("a", 1000003),
			 0xaf63dc4c8601ec8cull % 1000003 + 1);
	assert_int_equal(dispatch_shard_of("foobar", 1000003),
			 0x85944171f73967e8ull % 1000003 + 1);
	assert_int_equal(dispatch_shard_of("", 7),
			 0xcbf29ce484222325ull % 7 + 1);
	assert_int_equal(dispatch_shard_of("anything", 1), 1);

	assert_int_equal(dispatch_parse_shard("2/3", &k, &n, &eb), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 3);
	assert_int_equal(dispatch_parse_shard("1000/1000", &k, &n, &eb), 0);
	assert_int_equal(dispatch_parse_shard("0/3", &k, &n, &eb), -1);
	assert_int_equal(eb.kind, ERRBUF_USAGE);
	assert_int_equal(dispatch_parse_shard("4/3", &k, &n, &eb), -1);
	assert_int_equal(dispatch_parse_shard("1/1001", &k, &n, &eb), -1);
	assert_int_equal(dispatch_parse_shard("1/", &k, &n, &eb), -1);
	assert_int_equal(dispatch_parse_shard("/3", &k, &n, &eb), -1);
	assert_int_equal(dispatch_parse_shard("1/3 ", &k, &n, &eb), -1);
	assert_int_equal(dispatch_parse_shard("+1/3", &k, &n, &eb), -1);
}

/* The report does not depend on the number of threads: the same events,
 * in subscriber order. */
static void test_dry_run_order(void **state)
{
	struct fixture *f = *state;
	struct strv one = STRV_INIT, four = STRV_INIT;
	struct dispatch_result r1, r4;
	size_t i;

	run_day(f, 1, 1, 0, 0, &one, &r1);
	run_day(f, 1, 4, 0, 0, &four, &r4);
	assert_int_equal(one.n, four.n);
	for (i = 0; i < one.n; i++)
		assert_string_equal(one.v[i], four.v[i]);
	/* dana is unsubscribed: every fifth profile. */
	assert_int_equal(r4.n.unsubscribed, (NSUBS + 1) / 5);
	assert_int_equal(r4.n.sent + r4.n.empty + r4.n.unsubscribed, NSUBS);
	assert_true(r4.n.sent > 0);
	assert_int_equal(outbox_count(f), 0);
	strv_release(&one);
	strv_release(&four);
}

/* A real run on three threads: one message per active subscriber with
 * papers, journaled; a rerun sends nothing. */
static void test_outbox_run(void **state)
{
	struct fixture *f = *state;
	struct strv log = STRV_INIT, again = STRV_INIT;
	struct dispatch_result r, r2;

	run_day(f, 0, 3, 0, 0, &log, &r);
	assert_true(r.n.sent > 0);
	assert_int_equal(r.n.deferred + r.n.failed + r.n.compose_failed, 0);
	assert_int_equal(outbox_count(f), r.n.sent);
	run_day(f, 0, 3, 0, 0, &again, &r2);
	assert_int_equal(r2.n.sent, 0);
	assert_int_equal(r2.n.already_sent, r.n.sent);
	assert_int_equal(outbox_count(f), r.n.sent);
	strv_release(&log);
	strv_release(&again);
}

/* Three shards send the day once between them; each its own journal. */
static void test_shards(void **state)
{
	struct fixture *f = *state;
	struct dispatch_result all, r;
	struct strv log = STRV_INIT;
	size_t sent = 0, seen = 0;
	unsigned long k;
	struct stat st;
	char *p;

	run_day(f, 1, 2, 0, 0, &log, &all);
	for (k = 1; k <= 3; k++) {
		run_day(f, 0, 2, k, 3, &log, &r);
		sent += r.n.sent;
		seen += r.n.sent + r.n.empty + r.n.unsubscribed;
	}
	assert_int_equal(sent, all.n.sent);
	assert_int_equal(seen, NSUBS);
	assert_int_equal(outbox_count(f), all.n.sent);
	p = util_path_join(f->dir, "state/journal/" SAMPLE_DATE
			   ".shard-3-of-3");
	assert_int_equal(stat(p, &st), 0);
	free(p);
	p = util_path_join(f->dir, "state/journal/" SAMPLE_DATE);
	assert_int_equal(stat(p, &st), -1);
	free(p);
	strv_release(&log);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shard_hash),
	    T(test_dry_run_order),
	    T(test_outbox_run),
	    T(test_shards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
