/*
 * Unit tests for the one-pass engine of score.c: matching at word
 * boundaries and across spellings, profile features (require, per-topic
 * exclude, primary-only categories, announce types, author forms), and the
 * engine against the naive per-subscriber scan (bench/score_naive.h) on
 * random listings and profiles.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"
#include "tex.h"
#include "xalloc.h"
#include "../../bench/score_naive.h"

static void add_paper(struct listing *l, const char *title,
		      const char *abstract, const char *authors_semicolon,
		      const char *cats, const char *announce)
{
	struct paper p;
	char id[32], *copy, *s, *sep;

	memset(&p, 0, sizeof(p));
	snprintf(id, sizeof(id), "2512.%05zu", l->n + 1);
	p.id = xstrdup(id);
	p.title = xstrdup(title);
	p.abstract = xstrdup(abstract);
	p.announce = listing_announce_parse(announce);
	copy = xstrdup(authors_semicolon);
	for (s = copy; *s; s = sep + 1) {
		sep = strchr(s, ';');
		if (sep)
			*sep = '\0';
		strv_push(&p.authors, s);
		if (!sep)
			break;
	}
	free(copy);
	copy = xstrdup(cats);
	for (s = copy; *s; s = sep + 1) {
		sep = strchr(s, ' ');
		if (sep)
			*sep = '\0';
		strv_push(&p.categories, s);
		if (!sep)
			break;
	}
	free(copy);
	assert_int_equal(listing_add(l, &p), 0);
}

static struct subscriber *new_sub(struct subs_list *sl, const char *id)
{
	struct subscriber *s;

	ALLOC_GROW(sl->v, sl->n + 1, sl->alloc);
	s = &sl->v[sl->n++];
	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	s->path = xstrdup(id);
	s->name = xstrdup("");
	s->email = xstrdup("x@example.org");
	s->criteria = xstrdup("");
	s->min_relevance = 5;
	s->max_papers = 30;
	return s;
}

static struct subs_topic *add_topic(struct subscriber *s, const char *name,
				    const char *const *keywords)
{
	struct subs_topic *t;

	s->topics = xreallocarray(s->topics, s->ntopics + 1,
				  sizeof(*s->topics));
	t = &s->topics[s->ntopics++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->weight = 1.0;
	for (; *keywords; keywords++)
		strv_push(&t->keywords, *keywords);
	return t;
}

/* Relevance of paper i for subscriber s, through the engine built with
 * the list s is in. */
static int rel(struct listing *l, struct subs_list *sl, size_t s, size_t i)
{
	struct score_index *idx = score_index_build(l, NULL, sl);
	struct score_result r;
	int v;

	score_subscriber(idx, &sl->v[s], &r);
	v = r.entries[i].relevance;
	score_result_release(&r);
	score_index_free(idx);
	return v;
}

static const char *const moe[] = { "MoE", NULL };

static void test_word_boundaries_and_spellings(void **state)
{
	struct listing l;
	struct subs_list sl = { NULL, 0, 0 };
	static const char *const kw[] = { "mixture of experts", "low-rank",
					  "transformer", "Gödel", NULL };
	static const char gdel[] = "G{\\\"o}del machines";
	char *decoded;

	(void)state;
	listing_init(&l);
	add_paper(&l, "On the Moeller method", "Moellers and MoEs-free text",
		  "A B", "cs.LG", "new");
	add_paper(&l, "Routing", "A Mixture-of-Experts layer", "A B", "cs.LG",
		  "new");
	add_paper(&l, "Low rank adapters", "x", "A B", "cs.LG", "new");
	add_paper(&l, "Transformers everywhere", "x", "A B", "cs.LG", "new");
	decoded = tex_decode(gdel, strlen(gdel));
	add_paper(&l, decoded, "x", "A B", "cs.LG", "new");
	free(decoded);
	add_paper(&l, "A MoE", "x", "A B", "cs.LG", "new");
	add_paper(&l, "mixtures of experts", "x", "A B", "cs.LG", "new");

	add_topic(new_sub(&sl, "a"), "MoE", moe);
	add_topic(new_sub(&sl, "b"), "Mixed", kw);
	/* "MoE" is not in "Moeller" or "Moellers"; "MoEs" is a plural; a
	 * title hit weighs more than an abstract hit. */
	assert_true(rel(&l, &sl, 0, 0) > 0);
	assert_true(rel(&l, &sl, 0, 5) > rel(&l, &sl, 0, 0));
	assert_int_equal(rel(&l, &sl, 0, 1), 0);
	/* Hyphens are spaces, words are stemmed, TeX accents fold. */
	assert_true(rel(&l, &sl, 1, 1) > 0);
	assert_true(rel(&l, &sl, 1, 2) > rel(&l, &sl, 1, 1));
	assert_true(rel(&l, &sl, 1, 3) > rel(&l, &sl, 1, 1));
	assert_true(rel(&l, &sl, 1, 4) > rel(&l, &sl, 1, 1));
	assert_true(rel(&l, &sl, 1, 6) > rel(&l, &sl, 1, 1));
	assert_int_equal(rel(&l, &sl, 1, 0), 0);
	subs_list_release(&sl);
	listing_release(&l);
}

static void test_authors_and_exclusions(void **state)
{
	struct listing l;
	struct subs_list sl = { NULL, 0, 0 };
	struct score_index *idx;
	struct score_result r;
	struct subscriber *s;

	(void)state;
	listing_init(&l);
	add_paper(&l, "Gardening", "x", "Ann Other;Y. Bengio", "cs.LG", "new");
	add_paper(&l, "MoE for gardening", "x", "Samy Bengio", "cs.LG",
		  "new");
	add_paper(&l, "Reinforcement learning", "x", "Yoshua Bengio", "cs.LG",
		  "new");
	s = new_sub(&sl, "a");
	strv_push(&s->authors, "Bengio, Yoshua");
	strv_push(&s->exclude, "reinforcement learning");
	s = new_sub(&sl, "b");
	strv_push(&s->authors, "Bengio");
	add_topic(s, "MoE", moe);
	s = new_sub(&sl, "c");
	strv_push(&s->authors, "Bengio, Yoshua");
	strv_push(&s->never, "reinforcement learning");

	idx = score_index_build(&l, NULL, &sl);
	score_subscriber(idx, &sl.v[0], &r);
	assert_int_equal(r.entries[0].relevance, 10);
	assert_string_equal(r.entries[0].comment, "Author match: Y. Bengio");
	assert_int_equal(r.entries[1].relevance, 0); /* Samy is not Yoshua */
	/* The author match beats the exclusion, even in the title. */
	assert_int_equal(r.entries[2].relevance, 10);
	assert_true(r.entries[2].author_match);
	score_result_release(&r);
	/* A never term beats the author match. */
	score_subscriber(idx, &sl.v[2], &r);
	assert_int_equal(r.entries[0].relevance, 10);
	assert_int_equal(r.entries[2].relevance, 0);
	assert_false(r.entries[2].author_match);
	assert_string_equal(r.entries[2].dropped,
			    "never: mentions \"reinforcement learning\"");
	score_result_release(&r);
	/* A bare surname follows nobody. */
	score_subscriber(idx, &sl.v[1], &r);
	assert_int_equal(r.entries[0].relevance, 0);
	assert_true(r.entries[1].relevance > 0);
	assert_false(r.entries[1].author_match);
	score_result_release(&r);
	score_index_free(idx);
	subs_list_release(&sl);
	listing_release(&l);
}

static void test_require_and_topic_exclude(void **state)
{
	struct listing l;
	struct subs_list sl = { NULL, 0, 0 };
	static const char *const comp[] = { "pruning", NULL };
	struct score_index *idx;
	struct score_result r;
	struct subscriber *s;
	struct subs_topic *t;

	(void)state;
	listing_init(&l);
	add_paper(&l, "MoE routing", "pruning for vision", "A B", "cs.LG",
		  "new");
	add_paper(&l, "MoE", "pruning", "A B", "cs.LG", "new");
	add_paper(&l, "MoE for vision", "x", "A B", "cs.LG", "new");
	s = new_sub(&sl, "a");
	t = add_topic(s, "Experts", moe);
	strv_push(&t->require, "routing");
	t = add_topic(s, "Compression", comp);
	strv_push(&t->exclude, "vision");

	idx = score_index_build(&l, NULL, &sl);
	score_subscriber(idx, &sl.v[0], &r);
	/* Paper 0: Experts counts (routing present), Compression is
	 * dropped by its own exclude. */
	assert_true(r.entries[0].relevance > 0);
	assert_string_equal(r.entries[0].comment, "Matches Experts: MoE");
	/* Paper 1: no routing, Experts does not count; Compression does. */
	assert_true(r.entries[1].relevance > 0);
	assert_string_equal(r.entries[1].comment,
			    "Matches Compression: pruning");
	/* Paper 2: only Experts hit, without its require. */
	assert_int_equal(r.entries[2].relevance, 0);
	assert_string_equal(r.entries[2].dropped,
			    "Experts: requires \"routing\" (no topic counted)");
	score_result_release(&r);
	score_index_free(idx);
	subs_list_release(&sl);
	listing_release(&l);
}

static void test_categories_and_announce_types(void **state)
{
	struct listing l;
	struct subs_list sl = { NULL, 0, 0 };
	struct strv list_types = STRV_INIT;
	struct score_index *idx;
	struct score_result r;
	struct subscriber *s;

	(void)state;
	listing_init(&l);
	add_paper(&l, "MoE", "x", "A B", "cs.LG cs.CL", "new");
	add_paper(&l, "MoE", "x", "A B", "cs.CL cs.LG", "cross");
	add_paper(&l, "MoE", "x", "A B", "cs.LG", "replace");
	s = new_sub(&sl, "primary");
	add_topic(s, "MoE", moe);
	strv_push(&s->categories, "cs.LG");
	s->primary_only = 1;
	s = new_sub(&sl, "any");
	add_topic(s, "MoE", moe);
	strv_push(&s->categories, "cs.LG");
	s = new_sub(&sl, "replacements");
	add_topic(s, "MoE", moe);
	strv_push(&s->announce_types, "replace");
	strv_push(&list_types, "new");
	strv_push(&list_types, "cross");

	idx = score_index_build(&l, &list_types, &sl);
	score_subscriber(idx, &sl.v[0], &r);
	assert_true(r.entries[0].relevance > 0);
	assert_int_equal(r.entries[1].relevance, 0);
	assert_false(r.entries[1].considered);
	assert_string_equal(r.entries[1].dropped,
			    "not in your primary categories (cs.CL)");
	assert_int_equal(r.entries[2].relevance, 0); /* the list's types */
	score_result_release(&r);
	score_subscriber(idx, &sl.v[1], &r);
	assert_true(r.entries[1].relevance > 0); /* cross-listed: fine */
	score_result_release(&r);
	/* Own announce types replace the list's. */
	score_subscriber(idx, &sl.v[2], &r);
	assert_int_equal(r.entries[0].relevance, 0);
	assert_string_equal(r.entries[0].dropped,
			    "announce type new is not sent to you");
	assert_true(r.entries[2].relevance > 0);
	score_result_release(&r);
	score_index_free(idx);
	strv_release(&list_types);
	subs_list_release(&sl);
	listing_release(&l);
}

static void test_explain(void **state)
{
	struct listing l;
	struct subs_list sl = { NULL, 0, 0 };
	static const char *const comp[] = { "pruning", "quantization", NULL };
	struct score_index *idx;
	struct buf out = BUF_INIT;
	struct subscriber *s;

	(void)state;
	listing_init(&l);
	add_paper(&l, "Sparse MoE layers",
		  "We study pruning of experts in large models at scale.",
		  "A B", "cs.LG", "new");
	s = new_sub(&sl, "a");
	add_topic(s, "Experts", moe);
	add_topic(s, "Compression", comp);
	strv_push(&s->exclude, "vision");
	idx = score_index_build(&l, NULL, &sl);
	score_explain(idx, s, 0, &out);
	if (!strstr(buf_str(&out), "keyword \"MoE\": title: \"spars [moe] "
				    "layer\" (title hit, 3 x, idf 0.29)") ||
	    !strstr(buf_str(&out), "keyword \"pruning\": abstract: \"we "
				    "studi [prune] of expert in larg "
				    "model ...\" (abstract hit, 1 x, idf "
				    "0.29)") ||
	    !strstr(buf_str(&out), "1 other keyword not found") ||
	    !strstr(buf_str(&out), "= 1 x 0.86 (idf of 1 title x 3 + 0 "
				    "abstract) = 0.86 points, counted") ||
	    !strstr(buf_str(&out), "Exclusions (1): none found") ||
	    !strstr(buf_str(&out), "Day (1 papers): keywords mean 1.15 sd "
				    "0.00") ||
	    !strstr(buf_str(&out), "Formula: z = 1 x keywords (1.15 - "
				    "1.15) / 0.00") ||
	    !strstr(buf_str(&out), "Calibration: round(3 + 1.5 x 0.00 = "
				    "3.00) = 3, within 1-10: 3") ||
	    !strstr(buf_str(&out), "Relevance: 3 (Matches Experts: MoE; "
				    "Compression: pruning)"))
		fail_msg("unexpected explanation:\n%s", buf_str(&out));
	buf_release(&out);
	score_index_free(idx);
	subs_list_release(&sl);
	listing_release(&l);
}

/* ---- the engine against the naive scan ---- */

static unsigned long long seed = 42;

static size_t rnd(size_t n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (size_t)((seed >> 33) % n);
}

static const char *const words[] = {
	"moe", "MoE", "Moeller", "experts", "expert", "mixture", "of",
	"mixture-of-experts", "sparse", "sparsity", "low-rank", "low", "rank",
	"Gödel", "godel", "the", "attention", "transformers", "transformer",
	"$x$", "routing", "vision", "pruning", "learning", "reinforcement",
};
static const char *const terms[] = {
	"MoE", "mixture of experts", "expert", "sparse", "low rank",
	"Godel", "attention", "transformer", "routing", "vision", "pruning",
	"reinforcement learning", "of experts", "the", "$y$", "sparse MoE",
};
static const char *const names[] = { "Ann Lee", "A. Lee", "Lee, Ann",
				     "Bo Lee", "Lee", "Cy Rød" };
static const char *const cats[] = { "cs.LG", "cs.CL", "stat.ML" };
static const char *const types[] = { "new", "cross", "replace" };

#define NN(a) (sizeof(a) / sizeof((a)[0]))

static char *random_text(size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i ? (rnd(8) ? " " : ", ") : "",
			 words[rnd(NN(words))]);
	return buf_detach(&b, NULL);
}

static void test_engine_equals_naive(void **state)
{
	struct listing l;
	struct subs_list sl = { NULL, 0, 0 };
	struct strv list_types = STRV_INIT;
	struct naive_paper *text;
	struct score_index *idx;
	size_t i, j, k, t, round;

	(void)state;
	for (round = 0; round < 20; round++) {
		listing_init(&l);
		for (i = 0; i < 40; i++) {
			char *title = random_text(1 + rnd(6));
			char *abstract = random_text(rnd(30));
			struct buf a = BUF_INIT;
			for (k = 1 + rnd(3); k > 0; k--)
				buf_addf(&a, "%s%s", a.len ? ";" : "",
					 names[rnd(NN(names))]);
			add_paper(&l, title, abstract, buf_str(&a),
				  rnd(2) ? "cs.LG cs.CL" : cats[rnd(3)],
				  types[rnd(3)]);
			buf_release(&a);
			free(title);
			free(abstract);
		}
		for (j = 0; j < 30; j++) {
			char id[16];
			struct subscriber *s;

			snprintf(id, sizeof(id), "s%zu", j);
			s = new_sub(&sl, id);
			for (t = 1 + rnd(3); t > 0; t--) {
				static const char *const none[] = { NULL };
				struct subs_topic *tp =
					add_topic(s, "T", none);
				for (k = 1 + rnd(4); k > 0; k--)
					strv_push(&tp->keywords,
						  terms[rnd(NN(terms))]);
				if (!rnd(4))
					strv_push(&tp->require,
						  terms[rnd(NN(terms))]);
				if (!rnd(4))
					strv_push(&tp->exclude,
						  terms[rnd(NN(terms))]);
				tp->weight = rnd(2) ? 1.0 : 0.5 * rnd(5);
				if (tp->weight == 0)
					tp->weight = 0.1;
			}
			if (!rnd(3))
				strv_push(&s->authors, names[rnd(NN(names))]);
			if (!rnd(3))
				strv_push(&s->exclude, terms[rnd(NN(terms))]);
			if (!rnd(3)) {
				strv_push(&s->categories, cats[rnd(3)]);
				s->primary_only = (int)rnd(2);
			}
			if (!rnd(4))
				strv_push(&s->announce_types, types[rnd(3)]);
			if (!rnd(4))
				strv_push(&s->never, terms[rnd(NN(terms))]);
			if (!rnd(2)) {
				free(s->criteria);
				s->criteria = random_text(1 + rnd(12));
			}
		}
		strv_push(&list_types, "new");
		strv_push(&list_types, "cross");
		idx = score_index_build(&l, &list_types, &sl);
		text = xcalloc(l.n, sizeof(*text));
		for (i = 0; i < l.n; i++)
			naive_paper_init(&text[i], &l.papers[i]);
		for (j = 0; j < sl.n; j++) {
			struct naive_profile np;
			struct score_result r;
			const struct score_rel *fast;
			int *fastrel = xcalloc(l.n, sizeof(*fastrel));
			int *wanted = xcalloc(l.n, sizeof(*wanted));
			int *want = xcalloc(l.n, sizeof(*want));
			double *exact = xcalloc(l.n, sizeof(*exact));
			size_t n;

			for (i = 0; i < l.n; i++)
				wanted[i] = l.papers[i].announce !=
					    LISTING_ANNOUNCE_REPLACE;
			naive_profile_init(&np, &sl.v[j]);
			naive_relevance_day(&np, l.papers, text, l.n, wanted,
					    want, exact);
			score_subscriber(idx, &sl.v[j], &r);
			fast = score_relevance(idx, &sl.v[j], &n);
			for (k = 0; k < n; k++)
				fastrel[fast[k].paper] = fast[k].relevance;
			for (i = 0; i < l.n; i++) {
				const struct paper *p = &l.papers[i];

				if (naive_near_half(exact[i]))
					continue;
				if (r.entries[i].relevance != want[i] ||
				    fastrel[i] != want[i])
					fail_msg("round %zu, subscriber %zu, "
						 "paper %zu (%s / %s): engine "
						 "%d, fast %d, naive %d",
						 round, j, i, p->title,
						 p->abstract,
						 r.entries[i].relevance,
						 fastrel[i], want[i]);
			}
			free(fastrel);
			free(wanted);
			free(want);
			free(exact);
			score_result_release(&r);
			naive_profile_release(&np);
		}
		for (i = 0; i < l.n; i++)
			naive_paper_release(&text[i]);
		free(text);
		score_index_free(idx);
		strv_release(&list_types);
		subs_list_release(&sl);
		listing_release(&l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_boundaries_and_spellings),
		cmocka_unit_test(test_authors_and_exclusions),
		cmocka_unit_test(test_require_and_topic_exclude),
		cmocka_unit_test(test_categories_and_announce_types),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_engine_equals_naive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
