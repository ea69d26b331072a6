/*
 * Unit tests for score.c: normalization, author names, the relevance
 * formula and its explanations, and the latent exclusions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "score.h"
#include "xalloc.h"

static void assert_normalized(const char *in, const char *want)
{
	char *got = score_normalize(in);
	assert_string_equal(got, want);
	free(got);
}

static void test_normalize(void **state)
{
	(void)state;
	/* Snowball stems: one form for a word's inflections. */
	assert_normalized("Mixture-of-Experts", "mixtur of expert");
	assert_normalized("mixtures of experts", "mixtur of expert");
	assert_normalized("MoEs and Transformers", "moe and transform");
	assert_normalized("Sparsities, sparse; SPARSITY",
			  "sparsiti spars sparsiti");
	assert_normalized("Efficient efficiency efficiently",
			  "effici effici effici");
	assert_normalized("Gödel’s Naïve Ångström", "godel s naiv angstrom");
	assert_normalized("bound $x<y$ holds", "bound hold");
	assert_normalized("analysis of classes", "analysi of class");
	assert_normalized("", "");
}

static void test_authors(void **state)
{
	(void)state;
	assert_true(score_author_matches("Yoshua Bengio", "Yoshua Bengio"));
	assert_true(score_author_matches("Yoshua Bengio", "Bengio, Yoshua"));
	assert_true(score_author_matches("Yoshua Bengio", "Y. Bengio"));
	assert_true(score_author_matches("Y. Bengio", "Yoshua Bengio"));
	assert_true(score_author_matches("yoshua bengio", "YOSHUA BENGIO"));
	assert_true(score_author_matches("Marcel Rod", "Marcel Rød"));
	assert_true(score_author_matches("José M. F. Moura", "José Moura"));
	assert_true(score_author_matches("Jose Moura", "José M. F. Moura"));
	assert_false(score_author_matches("Yoshua Bengio", "Samy Bengio"));
	assert_false(score_author_matches("Bengio", "Yoshua Bengio"));
	assert_false(score_author_matches("Yoshua Bengio", "Bengio"));
	assert_false(score_author_matches("Yoshua Bengio", "Yoshua Bengios"));
}

static void add_paper(struct listing *l, const char *id, const char *title,
		      const char *abstract, const char *authors_csv,
		      const char *category)
{
	struct paper p;
	char *copy = xstrdup(authors_csv), *s = copy, *comma;

	memset(&p, 0, sizeof(p));
	p.id = xstrdup(id);
	p.title = xstrdup(title);
	p.abstract = xstrdup(abstract);
	p.announce = LISTING_ANNOUNCE_NEW;
	while ((comma = strchr(s, ',')) != NULL) {
		*comma = '\0';
		strv_push(&p.authors, s);
		s = comma + 2;
	}
	strv_push(&p.authors, s);
	strv_push(&p.categories, category);
	free(copy);
	assert_int_equal(listing_add(l, &p), 0);
}

struct fixture {
	struct listing l;
	struct subscriber s;
	struct subs_topic topics[2];
	struct score_index *idx;
	struct score_result r;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	listing_init(&f->l);
	add_paper(&f->l, "2512.00001", "Routing in Mixture-of-Experts",
		  "We study expert routing.", "Ann Author", "cs.LG");
	add_paper(&f->l, "2512.00002", "A study of attention",
		  "We apply quantization to a model.", "Bob Writer", "cs.LG");
	add_paper(&f->l, "2512.00003", "Sparse MoE for control",
		  "Reinforcement learning with sparse experts.", "Cy Person",
		  "cs.LG");
	add_paper(&f->l, "2512.00004", "Nothing relevant here",
		  "Gardening.", "Yoshua Bengio, Dee Other", "cs.LG");
	add_paper(&f->l, "2512.00005", "MoE quantization", "On pruning.",
		  "Eve Else", "cs.CV");
	add_paper(&f->l, "2512.00006", "Quantized MoE with pruning",
		  "Low-rank pruning.", "Fay Four", "cs.LG");

	f->topics[0].name = "Mixture of Experts";
	strv_push(&f->topics[0].keywords, "mixture of experts");
	strv_push(&f->topics[0].keywords, "MoE");
	strv_push(&f->topics[0].keywords, "expert routing");
	f->topics[0].weight = 1.0;
	f->topics[1].name = "Compression";
	strv_push(&f->topics[1].keywords, "quantization");
	strv_push(&f->topics[1].keywords, "pruning");
	strv_push(&f->topics[1].keywords, "low rank");
	f->topics[1].weight = 1.0;
	f->s.topics = f->topics;
	f->s.ntopics = 2;
	strv_push(&f->s.authors, "Y. Bengio");
	strv_push(&f->s.exclude, "reinforcement learning");
	strv_push(&f->s.categories, "cs.LG");
	f->s.min_relevance = 5;
	f->s.max_papers = 30;
	f->idx = score_index_build(&f->l, NULL, NULL);
	score_subscriber(f->idx, &f->s, &f->r);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	score_result_release(&f->r);
	score_index_free(f->idx);
	listing_release(&f->l);
	for (i = 0; i < 2; i++)
		strv_release(&f->topics[i].keywords);
	strv_release(&f->s.authors);
	strv_release(&f->s.exclude);
	strv_release(&f->s.categories);
	free(f);
	return 0;
}

static void test_title_hits_weigh_more(void **state)
{
	struct fixture *f = *state;

	/* Title "Mixture-of-Experts" (3 x idf) + abstract "expert routing"
	 * (idf) ranks above one abstract hit. */
	assert_true(f->r.entries[0].relevance > f->r.entries[1].relevance);
	assert_true(f->r.entries[0].score > f->r.entries[1].score);
	assert_string_equal(f->r.entries[0].comment,
			    "Matches Mixture of Experts: mixture of experts, "
			    "expert routing");
	/* One abstract hit only. */
	assert_true(f->r.entries[1].relevance > 0);
	assert_string_equal(f->r.entries[1].comment,
			    "Matches Compression: quantization");
}

static void test_exclusion_in_passing_penalizes(void **state)
{
	struct fixture *f = *state;

	/* "Reinforcement learning" once in the abstract: in passing. */
	assert_true(f->r.entries[2].relevance > 0);
	assert_null(f->r.entries[2].dropped);
	assert_string_equal(f->r.entries[2].comment,
			    "Matches Mixture of Experts: MoE (mentions "
			    "\"reinforcement learning\": penalized)");
	assert_true(f->r.entries[2].considered);
}

static void test_exclusion_in_title_drops(void **state)
{
	struct fixture *f = *state;
	struct score_index *idx;
	struct score_result r;

	/* The same paper with the term in its title: what it is about. */
	free(f->l.papers[2].title);
	f->l.papers[2].title = xstrdup("Sparse MoE by reinforcement learning");
	idx = score_index_build(&f->l, NULL, NULL);
	score_subscriber(idx, &f->s, &r);
	assert_int_equal(r.entries[2].relevance, 0);
	assert_null(r.entries[2].comment);
	assert_string_equal(r.entries[2].dropped,
			    "excluded: mentions \"reinforcement learning\"");
	score_result_release(&r);
	score_index_free(idx);
}

static void test_author_match(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->r.entries[3].relevance, 10);
	assert_true(f->r.entries[3].author_match);
	assert_string_equal(f->r.entries[3].comment,
			    "Author match: Yoshua Bengio");
}

static void test_category_filter(void **state)
{
	struct fixture *f = *state;

	assert_false(f->r.entries[4].considered);
	assert_int_equal(f->r.entries[4].relevance, 0);
	assert_string_equal(f->r.entries[4].dropped,
			    "not in your categories (cs.CV)");
}

static void test_several_topics_raise_relevance(void **state)
{
	struct fixture *f = *state;

	/* MoE in title; "Quantized" stems as "quantization" does; pruning
	 * in title and low-rank in abstract: the day's best paper. */
	assert_true(f->r.entries[5].relevance >= f->r.entries[0].relevance);
	assert_true(f->r.entries[5].score > f->r.entries[0].score);
	assert_true(f->r.entries[5].score > f->r.entries[1].score);
	assert_string_equal(f->r.entries[5].comment,
			    "Matches Mixture of Experts: MoE; Compression: "
			    "quantization, pruning, low rank");
}

static void test_announce_filter(void **state)
{
	struct fixture *f = *state;
	struct strv only_cross = STRV_INIT;
	struct score_index *idx;
	struct score_result r;

	strv_push(&only_cross, "cross");
	idx = score_index_build(&f->l, &only_cross, NULL);
	score_subscriber(idx, &f->s, &r);
	assert_false(r.entries[0].considered);
	assert_int_equal(r.entries[0].relevance, 0);
	assert_non_null(strstr(r.entries[0].dropped, "announce type new"));
	score_result_release(&r);
	score_index_free(idx);
	strv_release(&only_cross);
}

/* Two themes of a day that share no word (see test_latent.c). */
static const char *const theme[2][12] = {
    {"kv", "cache", "attention", "heads", "memory", "footprint", "token",
     "eviction", "decoding", "throughput", "prefill", "latency"},
    {"medical", "imaging", "patient", "scans", "hospital", "records", "tumor",
     "diagnosis", "radiology", "reports", "lesion", "biopsy"},
};

/* Score of paper `paper` of l for s, scored alone. */
static double score_of(const struct listing *l, struct subscriber *s,
		       size_t paper, int *relevance, char **comment)
{
	struct score_index *idx = score_index_build(l, NULL, NULL);
	struct score_result r;
	double sc;

	score_subscriber(idx, s, &r);
	sc = r.entries[paper].score;
	*relevance = r.entries[paper].relevance;
	*comment =
	    xstrdup(r.entries[paper].comment ? r.entries[paper].comment : "");
	score_result_release(&r);
	score_index_free(idx);
	return sc;
}

static void test_latent_exclusions_lower(void **state)
{
	struct listing l;
	struct subscriber s;
	struct subs_topic topic;
	unsigned long long seed = 3;
	double with[2], without[2];
	char id[32], *comment;
	size_t i, k;
	int rel;

	(void)state;
	listing_init(&l);
	for (i = 0; i < 80; i++) {
		struct buf a = BUF_INIT;

		for (k = 0; k < 8; k++) {
			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			buf_addf(&a, "%s ", theme[i % 2][(seed >> 33) % 12]);
		}
		snprintf(id, sizeof(id), "2601.%05zu", i + 1);
		add_paper(&l, id, "A study", buf_str(&a), "Ann Author",
			  "cs.LG");
		buf_release(&a);
	}
	/* Paper 80 is near the medical theme, 81 near the other one; both
	 * prune networks alike and neither says "medical imaging". */
	add_paper(&l, "2601.00081", "Pruning for tumor diagnosis",
		  "Pruning of networks for patient scans and radiology "
		  "reports.",
		  "Bo Author", "cs.LG");
	add_paper(&l, "2601.00082", "Pruning for token eviction",
		  "Pruning of networks for attention heads and decoding "
		  "throughput.",
		  "Cy Author", "cs.LG");

	memset(&s, 0, sizeof(s));
	memset(&topic, 0, sizeof(topic));
	topic.name = "Compression";
	topic.weight = 1.0;
	strv_push(&topic.keywords, "pruning");
	s.topics = &topic;
	s.ntopics = 1;
	s.criteria = "Pruning of neural networks.";
	for (i = 0; i < 2; i++) {
		without[i] = score_of(&l, &s, 80 + i, &rel, &comment);
		free(comment);
	}
	strv_push(&s.exclude, "medical imaging");
	for (i = 0; i < 2; i++) {
		with[i] = score_of(&l, &s, 80 + i, &rel, &comment);
		/* Ranked, not dropped nor penalized as a mention. */
		assert_true(rel > 0);
		assert_null(strstr(comment, "penalized"));
		free(comment);
	}
	/* The exclusion's field pushes the medical paper down. */
	assert_true(with[1] - with[0] > without[1] - without[0] + 0.25);
	assert_true(with[1] > with[0]);
	strv_release(&s.exclude);
	strv_release(&topic.keywords);
	listing_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_authors),
	    cmocka_unit_test_setup_teardown(test_title_hits_weigh_more, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exclusion_in_title_drops,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exclusion_in_passing_penalizes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_author_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_category_filter, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_several_topics_raise_relevance,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_announce_filter, setup,
					    teardown),
	    cmocka_unit_test(test_latent_exclusions_lower),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
