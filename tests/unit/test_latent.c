/*
 * Unit tests for latent.c: a text is near papers that share its theme but
 * not its words, the day's statistics are those of its papers, the space
 * is the same for the same listing, and small or foreign input has none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "latent.h"
#include "listing.h"
#include "xalloc.h"

/* Two themes that never share a word, each of more words than the
 * space has directions, so that it has to sum them up. */
static const char *const kv[] = {
    "kv",	 "cache",      "attention",   "heads",	   "memory",
    "footprint", "token",      "eviction",    "long",	   "context",
    "decoding",	 "throughput", "transformer", "layers",	   "prefill",
    "latency",	 "gpu",	       "kernel",      "batching",  "speculative",
    "sequence",	 "window",     "compression", "bandwidth",
};
static const char *const med[] = {
    "medical",	 "imaging",    "patient",   "scans",	    "hospital",
    "records",	 "tumor",      "diagnosis", "clinical",	    "trials",
    "radiology", "reports",    "organ",	    "segmentation", "mri",
    "lesion",	 "cohort",     "surgery",   "pathology",    "biopsy",
    "cardiac",	 "ultrasound", "disease",   "screening",
};
#define NTHEME 24
/* Papers per theme, and words drawn from its theme for each. */
#define PER_THEME	40
#define WORDS_PER_PAPER 12

static void add_paper(struct listing *l, const char *title,
		      const char *abstract)
{
	struct paper p;
	char id[32];

	memset(&p, 0, sizeof(p));
	snprintf(id, sizeof(id), "2601.%05zu", l->n + 1);
	p.id = xstrdup(id);
	p.title = xstrdup(title);
	p.abstract = xstrdup(abstract);
	strv_push(&p.categories, "cs.LG");
	assert_int_equal(listing_add(l, &p), 0);
}

/* PER_THEME papers of each theme, each of WORDS_PER_PAPER words of it
 * drawn from a fixed sequence; then the paper the tests look at. */
static void themed_listing(struct listing *l)
{
	unsigned long long seed = 7;
	size_t i, k;

	listing_init(l);
	for (i = 0; i < 2 * PER_THEME; i++) {
		const char *const *t = i % 2 ? med : kv;
		struct buf a = BUF_INIT;

		for (k = 0; k < WORDS_PER_PAPER; k++) {
			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			buf_addf(&a, "%s ", t[(seed >> 33) % NTHEME]);
		}
		add_paper(l, "Paper", buf_str(&a));
		buf_release(&a);
	}
	/* Paper 2 * PER_THEME: the kv theme without "kv" or "cache". */
	add_paper(l, "Attention heads and token eviction",
		  "Transformer layers with a small memory footprint for "
		  "long context decoding.");
}

static void test_near_without_shared_words(void **state)
{
	struct listing l;
	struct latent_day *ld;
	double q[LATENT_DIMS];
	double target, best_med = -2, norm = 0;
	size_t i;

	(void)state;
	themed_listing(&l);
	ld = latent_day_build(&l);
	assert_non_null(ld);
	assert_int_equal(latent_fold(ld, "KV caches", q), 0);
	for (i = 0; i < LATENT_DIMS; i++)
		norm += q[i] * q[i];
	assert_true(fabs(norm - 1) < 1e-9);
	target = latent_cosine(ld, 2 * PER_THEME, q);
	for (i = 0; i < 2 * PER_THEME; i++) {
		double c = latent_cosine(ld, i, q);

		assert_true(c >= -1 - 1e-9 && c <= 1 + 1e-9);
		if (i % 2 && c > best_med)
			best_med = c;
	}
	/* Closer to "KV caches" than any medical paper, with none of its
	 * words (a word-overlap cosine would be 0 for all of them). */
	assert_true(target > 0.05);
	assert_true(target > best_med + 0.05);
	latent_day_free(ld);
	listing_release(&l);
}

static void test_stats_are_the_papers(void **state)
{
	struct listing l;
	struct latent_day *ld;
	double q[LATENT_DIMS], mean, sd, m1 = 0, m2 = 0;
	size_t i;

	(void)state;
	themed_listing(&l);
	ld = latent_day_build(&l);
	assert_int_equal(
	    latent_fold(ld, "patient scans and tumor diagnosis", q), 0);
	latent_stats(ld, q, &mean, &sd);
	for (i = 0; i < l.n; i++) {
		double c = latent_cosine(ld, i, q);
		m1 += c;
		m2 += c * c;
	}
	m1 /= (double)l.n;
	assert_true(fabs(mean - m1) < 1e-9);
	assert_true(fabs(sd - sqrt(m2 / (double)l.n - m1 * m1)) < 1e-9);
	assert_true(sd > 0.1);
	latent_day_free(ld);
	listing_release(&l);
}

static void test_same_listing_same_space(void **state)
{
	struct listing l;
	struct latent_day *a, *b;
	double qa[LATENT_DIMS], qb[LATENT_DIMS];
	size_t i;

	(void)state;
	themed_listing(&l);
	a = latent_day_build(&l);
	b = latent_day_build(&l);
	assert_int_equal(latent_fold(a, "long context decoding", qa), 0);
	assert_int_equal(latent_fold(b, "long context decoding", qb), 0);
	for (i = 0; i < l.n; i++)
		assert_true(latent_cosine(a, i, qa) == latent_cosine(b, i, qb));
	latent_day_free(a);
	latent_day_free(b);
	listing_release(&l);
}

static void test_nothing_to_learn(void **state)
{
	struct listing l;
	struct latent_day *ld;
	double q[LATENT_DIMS];
	size_t i;

	(void)state;
	/* One paper, or words no two papers share: no space. */
	listing_init(&l);
	add_paper(&l, "Alone", "A single paper about pruning.");
	assert_null(latent_day_build(&l));
	add_paper(&l, "Other", "Gardening tomatoes.");
	assert_null(latent_day_build(&l));
	listing_release(&l);

	/* A text with no word of the day folds to nothing. */
	themed_listing(&l);
	ld = latent_day_build(&l);
	assert_int_equal(latent_fold(ld, "gardening of the tomatoes", q), -1);
	for (i = 0; i < LATENT_DIMS; i++)
		assert_true(q[i] == 0);
	assert_int_equal(latent_fold(ld, "", q), -1);
	assert_true(latent_cosine(ld, 0, q) == 0);
	latent_day_free(ld);
	listing_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_near_without_shared_words),
	    cmocka_unit_test(test_stats_are_the_papers),
	    cmocka_unit_test(test_same_listing_same_space),
	    cmocka_unit_test(test_nothing_to_learn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
