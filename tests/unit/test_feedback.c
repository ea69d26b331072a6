/*
 * Unit tests for feedback.c: votes are stored with the paper's text, an
 * unknown ID records nothing, the last vote wins (a judge never overrides
 * the reader), judge verdicts become labels, and concurrent writers lose
 * no vote.
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
#include <sys/wait.h>
#include <unistd.h>

#include "feedback.h"
#include "util.h"
#include "xalloc.h"

/* Processes writing at once, and votes each, in the concurrency test. */
#define WRITERS	   8
#define VOTES_EACH 50

static char state[] = "/tmp/paperboy-feedback-XXXXXX";

static void add_paper(struct listing *l, const char *id, const char *title,
		      const char *abstract)
{
	struct paper p;

	memset(&p, 0, sizeof(p));
	p.id = xstrdup(id);
	p.title = xstrdup(title);
	p.abstract = xstrdup(abstract);
	strv_push(&p.authors, "Ann Author");
	strv_push(&p.authors, "Bob Writer");
	strv_push(&p.categories, "cs.LG");
	assert_int_equal(listing_add(l, &p), 0);
}

static void day(struct listing *l)
{
	listing_init(l);
	add_paper(l, "2601.00001", "Sparse experts",
		  "Tabs\there, lines\n"
		  "there and a back\\slash.");
	add_paper(l, "2601.00002", "Quantized attention", "Low bits.");
	add_paper(l, "2601.00003", "Crop yields", "Farming.");
}

static void test_votes_keep_the_text(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct feedback f;
	const char *ids[] = {"2601.00001", "arXiv:2601.00002v2"};
	const char *down[] = {"2601.00003"};

	(void)state_;
	day(&l);
	assert_int_equal(feedback_vote_ids(state, "ann", &l, "2026-01-05", ids,
					   2, 1, "cli", &eb),
			 0);
	assert_int_equal(feedback_vote_ids(state, "ann", &l, "2026-01-05", down,
					   1, 0, "http", &eb),
			 0);
	assert_int_equal(feedback_load(state, "ann", &f, &eb), 0);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.up, 2);
	assert_int_equal(f.down, 1);
	assert_string_equal(f.v[0].id, "2601.00001");
	assert_string_equal(f.v[0].title, "Sparse experts");
	assert_string_equal(f.v[0].abstract,
			    "Tabs\there, lines\nthere and a back\\slash.");
	assert_string_equal(f.v[0].authors, "Ann Author; Bob Writer");
	assert_string_equal(f.v[0].categories, "cs.LG");
	assert_string_equal(f.v[0].date, "2026-01-05");
	assert_string_equal(f.v[0].via, "cli");
	assert_string_equal(f.v[1].id, "2601.00002");
	assert_false(f.v[2].up);
	assert_string_equal(f.v[2].via, "http");
	feedback_release(&f);
	listing_release(&l);
}

/* A day is ranked with the votes of earlier days only (learn.h). */
static void test_keep_before(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct feedback f, all;
	const char *one[] = {"2601.00001"}, *two[] = {"2601.00002"};

	(void)state_;
	day(&l);
	assert_int_equal(feedback_vote_ids(state, "kit", &l, "2026-01-05", one,
					   1, 1, "cli", &eb),
			 0);
	assert_int_equal(feedback_vote_ids(state, "kit", &l, "2026-01-06", two,
					   1, 0, "cli", &eb),
			 0);
	assert_int_equal(feedback_load(state, "kit", &all, &eb), 0);
	assert_int_equal(feedback_load(state, "kit", &f, &eb), 0);
	feedback_keep_before(&f, "2026-01-06");
	assert_int_equal(f.n, 1);
	assert_int_equal(f.up, 1);
	assert_int_equal(f.down, 0);
	assert_string_equal(f.v[0].id, "2601.00001");
	assert_true(f.hash != all.hash);
	feedback_release(&f);
	assert_int_equal(feedback_load(state, "kit", &f, &eb), 0);
	feedback_keep_before(&f, "2026-01-07");
	assert_int_equal(f.n, 2);
	assert_true(f.hash == all.hash);
	feedback_release(&f);
	assert_int_equal(feedback_load(state, "kit", &f, &eb), 0);
	feedback_keep_before(&f, "2026-01-05");
	assert_int_equal(f.n, 0);
	assert_int_equal(f.up + f.down, 0);
	feedback_release(&f);
	feedback_release(&all);
	listing_release(&l);
}

static void test_unknown_id_records_nothing(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct feedback f;
	const char *ids[] = {"2601.00001", "2601.09999"};

	(void)state_;
	day(&l);
	assert_int_equal(feedback_vote_ids(state, "bob", &l, "2026-01-05", ids,
					   2, 1, "cli", &eb),
			 -1);
	assert_string_equal(eb.msg, "no paper 2601.09999 in the listing of "
				    "2026-01-05");
	assert_int_equal(feedback_load(state, "bob", &f, &eb), 0);
	assert_int_equal(f.n, 0);
	feedback_release(&f);
	listing_release(&l);
}

static void test_last_vote_wins_judge_never_overrides(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct feedback f;
	struct feedback_judged r[3] = { { 0, 9 }, { 1, 2 }, { 2, 5 } };
	const char *one[] = {"2601.00001"}, *two[] = {"2601.00002"};
	uint64_t h1;
	size_t n;

	(void)state_;
	day(&l);
	assert_int_equal(feedback_vote_ids(state, "cy", &l, "2026-01-05", one,
					   1, 1, "cli", &eb),
			 0);
	assert_int_equal(feedback_load(state, "cy", &f, &eb), 0);
	h1 = f.hash;
	feedback_release(&f);
	assert_int_equal(feedback_vote_ids(state, "cy", &l, "2026-01-05", one,
					   1, 0, "http", &eb),
			 0);
	/* The judge: 9 for paper 1 (the reader said down: stays down), 2
	 * for paper 2 (a down label), 5 for paper 3 (no label). */
	assert_int_equal(feedback_record_judged(state, "cy", &l, "2026-01-05",
					       r, 3, &n, &eb),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(feedback_load(state, "cy", &f, &eb), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].id, "2601.00001");
	assert_false(f.v[0].up);
	assert_string_equal(f.v[0].via, "http");
	assert_string_equal(f.v[1].id, "2601.00002");
	assert_false(f.v[1].up);
	assert_string_equal(f.v[1].via, FEEDBACK_VIA_JUDGE);
	assert_true(f.hash != h1);
	feedback_release(&f);
	/* The reader changes their mind: up again, the last vote wins. */
	assert_int_equal(feedback_vote_ids(state, "cy", &l, "2026-01-05", one,
					   1, 1, "cli", &eb),
			 0);
	assert_int_equal(feedback_load(state, "cy", &f, &eb), 0);
	assert_true(f.v[0].up);
	feedback_release(&f);
	(void)two;
	listing_release(&l);
}

static void test_bad_files(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct feedback f;
	char *path;

	(void)state_;
	path = feedback_path(state, "dee");
	assert_int_equal(
	    util_write_atomic(path, "paperboy-feedback 2\n", 20, 0644, &eb), 0);
	assert_int_equal(feedback_load(state, "dee", &f, &eb), -1);
	assert_non_null(strstr(eb.msg, ":1: feedback format 2"));
	assert_int_equal(util_write_atomic(path, "paperboy-feedback 1\nx\ty\n",
					   24, 0644, &eb),
			 0);
	assert_int_equal(feedback_load(state, "dee", &f, &eb), -1);
	assert_non_null(strstr(eb.msg, ":2: malformed vote"));
	unlink(path);
	free(path);
}

/* WRITERS processes append VOTES_EACH votes each at once: all are kept,
 * the version line once, every line whole. */
static void test_concurrent_writers_lose_nothing(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct feedback f;
	pid_t pids[WRITERS];
	size_t w, k;
	char *path;
	struct buf text = BUF_INIT;
	int status, headers = 0;
	const char *p;

	(void)state_;
	listing_init(&l);
	for (k = 0; k < WRITERS * VOTES_EACH; k++) {
		char id[16];
		snprintf(id, sizeof(id), "2601.%05zu", k + 10);
		add_paper(&l, id, "A title long enough to take some time",
			  "An abstract that is not short either, so that "
			  "writes of many votes would interleave.");
	}
	for (w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			for (k = 0; k < VOTES_EACH; k++) {
				const char *id =
				    l.papers[w * VOTES_EACH + k].id;
				if (feedback_vote_ids(
					state, "eve", &l, "2026-01-06", &id, 1,
					(int)(k % 2), "http", &eb) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (w = 0; w < WRITERS; w++) {
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(feedback_load(state, "eve", &f, &eb), 0);
	assert_int_equal(f.n, WRITERS * VOTES_EACH);
	assert_int_equal(f.up + f.down, WRITERS * VOTES_EACH);
	feedback_release(&f);
	path = feedback_path(state, "eve");
	assert_int_equal(util_read_file(path, &text, &eb), 0);
	for (p = buf_str(&text); (p = strstr(p, FEEDBACK_MAGIC)); p++)
		headers++;
	assert_int_equal(headers, 1);
	buf_release(&text);
	free(path);
	listing_release(&l);
}

static int setup(void **state_)
{
	(void)state_;
	return mkdtemp(state) ? 0 : -1;
}

static int teardown(void **state_)
{
	char cmd[64];

	(void)state_;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_votes_keep_the_text),
	    cmocka_unit_test(test_keep_before),
		cmocka_unit_test(test_unknown_id_records_nothing),
	    cmocka_unit_test(test_last_vote_wins_judge_never_overrides),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_concurrent_writers_lose_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
