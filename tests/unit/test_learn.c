/*
 * Unit tests for learn.c: a model trained from votes (with the voted
 * day's cached listing as background) ranks unseen papers like the votes,
 * is saved with its version and feedback hash and retrained only when
 * the feedback changes, explains itself in words, and, given to the
 * scorer, lifts papers no keyword finds while `never` still drops.
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

#include "feedback.h"
#include "learn.h"
#include "score.h"
#include "util.h"
#include "xalloc.h"

static char state[] = "/tmp/paperboy-learn-XXXXXX";

static const char *const wanted[] = {
    "Sparse mixture of experts with expert routing",
    "Routing tokens to experts in a sparse mixture of experts",
    "Load balancing for mixture of experts routing",
    "Expert routing under a token budget",
    "Scaling sparse mixture of experts layers",
};
static const char *const other[] = {
    "Crop yield prediction from satellite images",
    "Farming robots for crop monitoring",
    "Soil moisture and crop yield forecasting",
    "Weather and crop yield in dry regions",
    "Irrigation scheduling with crop sensors",
    "A survey of agricultural sensing",
    "Livestock monitoring with cameras",
    "Crop disease detection in fields",
};

static void add(struct listing *l, const char *id, const char *title)
{
	struct paper p;

	memset(&p, 0, sizeof(p));
	p.id = xstrdup(id);
	p.title = xstrdup(title);
	p.abstract = xstrdup(title);
	strv_push(&p.authors, "Ann Author");
	strv_push(&p.categories, "cs.LG");
	assert_int_equal(listing_add(l, &p), 0);
}

/* The training day: the wanted papers and the others. */
static void training_day(struct listing *l)
{
	size_t i;
	char id[16];

	listing_init(l);
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "2601.%05zu", i + 1);
		add(l, id, wanted[i]);
	}
	for (i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "2601.%05zu", i + 101);
		add(l, id, other[i]);
	}
}

/* Writes l's day into STATE/cache/DATE as a fetch would, in RSS. */
static void cache(const char *date, const struct listing *l)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf xml = BUF_INIT;
	char dir[256], path[300];
	size_t i;

	buf_addstr(&xml, "<?xml version=\"1.0\"?><rss version=\"2.0\" "
			 "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
			 "xmlns:arxiv=\"http://arxiv.org/schemas/atom\">"
			 "<channel><title>cs.LG</title>");
	for (i = 0; i < l->n; i++)
		buf_addf(&xml,
			 "<item><title>%s</title><link>https://arxiv.org/"
			 "abs/%s</link><description>arXiv:%sv1 Announce "
			 "Type: new Abstract: %s</description><category>"
			 "cs.LG</category><arxiv:announce_type>new</arxiv:"
			 "announce_type><dc:creator>Ann Author"
			 "</dc:creator></item>",
			 l->papers[i].title, l->papers[i].id, l->papers[i].id,
			 l->papers[i].abstract);
	buf_addstr(&xml, "</channel></rss>\n");
	snprintf(dir, sizeof(dir), "%s/cache/%s", state, date);
	assert_int_equal(util_mkdir_p(dir, 0755, &eb), 0);
	snprintf(path, sizeof(path), "%s/arxiv.xml", dir);
	assert_int_equal(util_write_atomic(path, xml.data, xml.len, 0644, &eb),
			 0);
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	assert_int_equal(
	    util_write_atomic(path, "arxiv arxiv.xml\n", 16, 0644, &eb), 0);
	buf_release(&xml);
}

static void vote_up(const struct listing *l, size_t n)
{
	struct errbuf eb = ERRBUF_INIT;
	const char *ids[5];
	size_t i;

	for (i = 0; i < n; i++)
		ids[i] = l->papers[i].id;
	if (feedback_vote_ids(state, "ann", l, "2026-01-05", ids, n, 1, "cli",
			      &eb) < 0)
		fail_msg("%s", eb.msg);
}

static void test_too_few_votes_no_model(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct learn_model *m = (void *)1;
	struct listing l;
	int trained = 1;

	(void)state_;
	training_day(&l);
	cache("2026-01-05", &l);
	vote_up(&l, LEARN_MIN_UP - 1);
	assert_int_equal(
	    learn_update(state, "ann", NULL, 1, &m, &trained, &eb), 0);
	assert_null(m);
	assert_false(trained);
	listing_release(&l);
}

static void test_train_save_retrain_only_on_change(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct learn_model *m = NULL, *again = NULL;
	struct learn_day *d;
	struct listing l, next;
	struct buf text = BUF_INIT;
	double *v;
	char *sum, path[300];
	int trained = 0;

	(void)state_;
	training_day(&l);
	vote_up(&l, 5); /* after the 2 of the test before: the same ids */
	assert_int_equal(
	    learn_update(state, "ann", NULL, 1, &m, &trained, &eb), 0);
	if (!m)
		fail_msg("no model: %s", eb.msg);
	assert_true(trained);
	assert_int_equal(learn_model_up(m), 5);
	snprintf(path, sizeof(path), "%s/models/ann", state);
	assert_int_equal(util_read_file(path, &text, &eb), 0);
	assert_int_equal(strncmp(buf_str(&text), "paperboy-model 2\nhash ", 22),
			 0);
	buf_release(&text);

	/* The same feedback: loaded, not retrained. */
	assert_int_equal(
	    learn_update(state, "ann", NULL, 1, &again, &trained, &eb), 0);
	assert_non_null(again);
	assert_false(trained);
	assert_true(learn_model_hash(again) == learn_model_hash(m));
	learn_model_free(again);

	/* Unseen papers: the one like the votes ranks first. */
	listing_init(&next);
	add(&next, "2602.00001", "Irrigation with crop sensors in fields");
	add(&next, "2602.00002", "Expert routing for sparse mixture models");
	add(&next, "2602.00003", "Livestock and crop yield");
	d = learn_day_build(&next);
	v = xcalloc(next.n, sizeof(*v));
	learn_day_score(d, m, v);
	assert_true(v[1] > v[0] && v[1] > v[2]);
	sum = learn_summary(m);
	if (strncmp(sum, "learned from your 5 up-votes: ", 30) ||
	    (!strstr(sum, "expert") && !strstr(sum, "routing") &&
	     !strstr(sum, "mixture")))
		fail_msg("summary: %s", sum);
	free(sum);
	{
		struct buf why = BUF_INIT;
		learn_explain_paper(d, m, 1, &why);
		if (!strchr(buf_str(&why), '+'))
			fail_msg("explanation: %s", buf_str(&why));
		buf_release(&why);
	}
	free(v);
	learn_day_free(d);
	learn_model_free(m);

	/* A new vote changes the hash: retrained. */
	{
		const char *id = l.papers[5].id;
		assert_int_equal(feedback_vote_ids(state, "ann", &l,
						   "2026-01-05", &id, 1, 0,
						   "cli", &eb),
				 0);
	}
	assert_int_equal(
	    learn_update(state, "ann", NULL, 1, &m, &trained, &eb), 0);
	assert_non_null(m);
	assert_true(trained);
	assert_int_equal(learn_model_down(m), 1);
	learn_model_free(m);
	listing_release(&next);
	listing_release(&l);
}

static void test_bad_model_file(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct learn_model *m = NULL;
	char path[300];

	(void)state_;
	snprintf(path, sizeof(path), "%s/models/bob", state);
	assert_int_equal(
	    util_write_atomic(path, "paperboy-model 9\n", 17, 0644, &eb), 0);
	assert_int_equal(learn_load(state, "bob", &m, &eb), -1);
	assert_null(m);
	assert_non_null(strstr(eb.msg, "not a paperboy model (version 2)"));
}

/* A model file of the format before (other features) is not an error for
 * learn_update: it trains a new model over it. */
static void test_old_version_retrained(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct learn_model *m = NULL;
	struct buf text = BUF_INIT;
	char path[300];
	int trained = 0;

	(void)state_;
	snprintf(path, sizeof(path), "%s/models/ann", state);
	assert_int_equal(util_write_atomic(path,
					   "paperboy-model 1\nhash 0\nup 5\n"
					   "down 1\nbias 0\nweights 0\n",
					   53, 0644, &eb),
			 0);
	assert_int_equal(learn_load(state, "ann", &m, &eb), -1);
	assert_null(m);
	if (learn_update(state, "ann", NULL, 1, &m, &trained, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_non_null(m);
	assert_true(trained);
	assert_int_equal(util_read_file(path, &text, &eb), 0);
	assert_int_equal(strncmp(buf_str(&text), "paperboy-model 2\n", 17), 0);
	buf_release(&text);
	learn_model_free(m);
}

/* Through the scorer: a paper no keyword finds is lifted by the model,
 * and `never` still drops a paper the model likes. */
static void test_model_in_the_scorer(void **state_)
{
	struct errbuf eb = ERRBUF_INIT;
	struct learn_model *m = NULL;
	struct subs_list sl = {NULL, 0, 0};
	struct subscriber *s;
	struct subs_topic *t;
	struct score_index *idx;
	struct score_result before, after;
	struct listing next;
	struct buf why = BUF_INIT;
	int trained;

	(void)state_;
	assert_int_equal(
	    learn_update(state, "ann", NULL, 1, &m, &trained, &eb), 0);
	assert_non_null(m);
	listing_init(&next);
	add(&next, "2602.00001", "Attention with linear cost");
	add(&next, "2602.00002", "Expert routing for sparse mixture models");
	add(&next, "2602.00003", "Crop yield from images");
	add(&next, "2602.00004", "Token routing to experts, never this one");
	sl.v = xcalloc(1, sizeof(*sl.v));
	sl.n = sl.alloc = 1;
	s = &sl.v[0];
	s->id = xstrdup("ann");
	s->name = xstrdup("");
	s->email = xstrdup("ann@example.org");
	s->criteria = xstrdup("");
	s->min_relevance = 1;
	s->max_papers = 10;
	s->topics = xcalloc(1, sizeof(*s->topics));
	s->ntopics = 1;
	t = &s->topics[0];
	t->name = xstrdup("Attention");
	t->weight = 1;
	strv_push(&t->keywords, "attention");
	strv_push(&s->never, "never this one");

	idx = score_index_build(&next, NULL, &sl);
	score_subscriber(idx, s, &before);
	assert_int_equal(before.entries[1].relevance, 0);
	assert_int_equal(score_index_set_model(idx, s, m), 0);
	score_subscriber(idx, s, &after);
	assert_true(after.entries[1].relevance > 0);
	assert_true(after.entries[1].score > after.entries[2].score);
	assert_non_null(
	    strstr(after.entries[1].comment, "like the papers you voted up"));
	assert_int_equal(after.entries[3].relevance, 0);
	assert_string_equal(after.entries[3].dropped,
			    "never: mentions \"never this one\"");
	score_explain(idx, s, 1, &why);
	if (!strstr(buf_str(&why), "Model (learned from your 5 up-votes") ||
	    !strstr(buf_str(&why), " + "))
		fail_msg("explanation:\n%s", buf_str(&why));
	buf_release(&why);
	score_result_release(&before);

	/* Two indexes of one day (a run's groups) share the listing's
	 * side and score as an index of its own does. */
	{
		struct score_day *sd = score_day_new(&next);
		struct score_index *g1 = score_index_build_day(sd, NULL, &sl);
		struct score_index *g2 = score_index_build_day(sd, NULL, &sl);
		struct score_result r1, r2;
		size_t i;

		assert_int_equal(score_index_set_model(g1, s, m), 0);
		assert_int_equal(score_index_set_model(g2, s, m), 0);
		score_subscriber(g1, s, &r1);
		score_index_free(g1); /* the day's side stays for g2 */
		score_subscriber(g2, s, &r2);
		for (i = 0; i < next.n; i++) {
			assert_int_equal(r1.entries[i].relevance,
					 after.entries[i].relevance);
			assert_int_equal(r2.entries[i].relevance,
					 after.entries[i].relevance);
		}
		score_result_release(&r1);
		score_result_release(&r2);
		score_index_free(g2);
		score_day_free(sd);
	}
	score_result_release(&after);
	score_index_free(idx);
	subs_list_release(&sl);
	listing_release(&next);
	learn_model_free(m);
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
	    cmocka_unit_test(test_too_few_votes_no_model),
	    cmocka_unit_test(test_train_save_retrain_only_on_change),
	    cmocka_unit_test(test_bad_model_file),
	    cmocka_unit_test(test_old_version_retrained),
	    cmocka_unit_test(test_model_in_the_scorer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
