/*
 * score_naive.h: the straightforward relevance scan, the reference the
 * one-pass engine (src/score.c) is checked against, in the scoring bench
 * and in tests/unit/test_score_engine.c.
 *
 * Design decision: it shares nothing with the engine but score_normalize
 * and score_author_matches (the definitions of "the same text" and "the
 * same person"): for each subscriber, for each paper, for each term, it
 * searches " term " in " normalized text " with strstr, and applies the
 * formula of score.h as written there.
 */
#ifndef PAPERBOY_SCORE_NAIVE_H
#define PAPERBOY_SCORE_NAIVE_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "score.h"
#include "subs.h"
#include "xalloc.h"

/* One paper's normalized title and abstract, each " w1 w2 ... ". */
struct naive_paper {
	char *title;
	char *abstract;
};

static char *naive_pad(const char *text)
{
	struct buf b = BUF_INIT;
	char *n = score_normalize(text);

	buf_addf(&b, " %s ", n);
	free(n);
	return buf_detach(&b, NULL);
}

static inline void naive_paper_init(struct naive_paper *np,
				    const struct paper *p)
{
	np->title = naive_pad(p->title);
	np->abstract = naive_pad(p->abstract ? p->abstract : "");
}

static inline void naive_paper_release(struct naive_paper *np)
{
	free(np->title);
	free(np->abstract);
}

/* A normalized term " w1 w2 ", or NULL when it can never match. */
static char *naive_term(const char *term)
{
	char *n = score_normalize(term), *p;
	size_t words = 1;

	for (p = n; *p; p++)
		words += *p == ' ';
	if (!n[0] || words > SCORE_MAX_PHRASE_WORDS) {
		free(n);
		return NULL;
	}
	free(n);
	return naive_pad(term);
}

static int naive_in(const char *text, const char *term)
{
	return term && strstr(text, term) != NULL;
}

/* Every term of a profile, normalized once per subscriber. */
struct naive_profile {
	const struct subscriber *s;
	char **exclude;
	char ***keywords, ***require, ***texclude; /* per topic */
};

static char **naive_terms(const struct strv *sv)
{
	char **v = xcalloc(sv->n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < sv->n; i++)
		v[i] = naive_term(sv->v[i]);
	return v;
}

static void naive_free_terms(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static inline void naive_profile_init(struct naive_profile *np,
				      const struct subscriber *s)
{
	size_t t, n = s->ntopics ? s->ntopics : 1;

	np->s = s;
	np->exclude = naive_terms(&s->exclude);
	np->keywords = xcalloc(n, sizeof(*np->keywords));
	np->require = xcalloc(n, sizeof(*np->require));
	np->texclude = xcalloc(n, sizeof(*np->texclude));
	for (t = 0; t < s->ntopics; t++) {
		np->keywords[t] = naive_terms(&s->topics[t].keywords);
		np->require[t] = naive_terms(&s->topics[t].require);
		np->texclude[t] = naive_terms(&s->topics[t].exclude);
	}
}

static inline void naive_profile_release(struct naive_profile *np)
{
	const struct subscriber *s = np->s;
	size_t t;

	naive_free_terms(np->exclude, s->exclude.n);
	for (t = 0; t < s->ntopics; t++) {
		naive_free_terms(np->keywords[t], s->topics[t].keywords.n);
		naive_free_terms(np->require[t], s->topics[t].require.n);
		naive_free_terms(np->texclude[t], s->topics[t].exclude.n);
	}
	free(np->keywords);
	free(np->require);
	free(np->texclude);
}

/* Relevance 0-10 of paper p for profile np; list_wanted: whether the
 * paper's announce type is one the list sends. */
static inline int naive_relevance(const struct naive_profile *np,
				  const struct paper *p,
				  const struct naive_paper *text,
				  int list_wanted)
{
	const struct subscriber *s = np->s;
	double points = 0;
	int matched = 0;
	long r;
	size_t i, j, t;

	if (s->announce_types.n) {
		if (p->announce != LISTING_ANNOUNCE_UNKNOWN &&
		    !strv_contains(&s->announce_types,
				   listing_announce_name(p->announce)))
			return 0;
	} else if (!list_wanted) {
		return 0;
	}
	if (s->categories.n) {
		int in = 0;
		for (i = 0; i < p->categories.n && !in; i++) {
			in = strv_contains(&s->categories, p->categories.v[i]);
			if (s->primary_only)
				break;
		}
		if (!in)
			return 0;
	}
	if (s->min_upvotes > 0 && (!(p->sources & LISTING_SOURCE_HF) ||
				   p->upvotes < s->min_upvotes))
		return 0;
	for (i = 0; i < s->exclude.n; i++)
		if (naive_in(text->title, np->exclude[i]) ||
		    naive_in(text->abstract, np->exclude[i]))
			return 0;
	for (i = 0; i < s->authors.n; i++)
		for (j = 0; j < p->authors.n; j++)
			if (score_author_matches(s->authors.v[i],
						 p->authors.v[j]))
				return SCORE_MAX_RELEVANCE;
	for (t = 0; t < s->ntopics; t++) {
		const struct subs_topic *tp = &s->topics[t];
		int title = 0, abstract = 0, ok = 1;

		for (i = 0; i < tp->keywords.n; i++) {
			if (naive_in(text->title, np->keywords[t][i]))
				title++;
			else if (naive_in(text->abstract, np->keywords[t][i]))
				abstract++;
		}
		for (i = 0; i < tp->require.n; i++)
			if (!naive_in(text->title, np->require[t][i]) &&
			    !naive_in(text->abstract, np->require[t][i]))
				ok = 0;
		for (i = 0; i < tp->exclude.n; i++)
			if (naive_in(text->title, np->texclude[t][i]) ||
			    naive_in(text->abstract, np->texclude[t][i]))
				ok = 0;
		if (!ok || !(title + abstract))
			continue;
		points += tp->weight * (3.0 * title + abstract);
		matched++;
	}
	if (!matched)
		return 0;
	points += 2.0 * (matched - 1);
	r = 4 + lround(points);
	return r > SCORE_MAX_RELEVANCE ? SCORE_MAX_RELEVANCE : (int)r;
}

#endif
