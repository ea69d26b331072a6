/*
 * score_naive.h: the straightforward relevance scan, the reference the
 * one-pass engine (src/score.c) is checked against, in the scoring bench
 * and in tests/unit/test_score_engine.c.
 *
 * Design decision: it shares nothing with the engine but score_normalize
 * and score_author_matches (the definitions of "the same text" and "the
 * same person"), stem_is_stopword and the latent space (latent.h, a
 * module of its own, tested on its own): for each subscriber, for each
 * paper, for each term, it searches " term " in " normalized text " with
 * strstr (document frequencies too, by searching every paper), and
 * applies the formula of score.h as written there.
 */
#ifndef PAPERBOY_SCORE_NAIVE_H
#define PAPERBOY_SCORE_NAIVE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "latent.h"
#include "score.h"
#include "stem.h"
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
	char **never;
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
	np->never = naive_terms(&s->never);
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
	naive_free_terms(np->never, s->never.n);
	for (t = 0; t < s->ntopics; t++) {
		naive_free_terms(np->keywords[t], s->topics[t].keywords.n);
		naive_free_terms(np->require[t], s->topics[t].require.n);
		naive_free_terms(np->texclude[t], s->topics[t].exclude.n);
	}
	free(np->keywords);
	free(np->require);
	free(np->texclude);
}

/* Occurrences of term (" w1 w2 ") in text, overlapping ones too (as
 * n-grams are counted: "a a a" holds "a a" twice). */
static int naive_count(const char *text, const char *term)
{
	const char *p = text;
	int n = 0;

	if (!term)
		return 0;
	while ((p = strstr(p, term)) != NULL) {
		n++;
		p++;
	}
	return n;
}

static int naive_words(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text != ' ' && (text[1] == ' ' || !text[1]);
	return n;
}

/* The criteria's distinct content words and pairs of adjacent ones, in
 * the engine's order (each pair before its second word), padded. */
static void naive_criteria(const char *criteria, struct strv *out)
{
	char *n = score_normalize(criteria ? criteria : ""), *w, *save;
	char prev[64] = "";
	struct buf b = BUF_INIT;

	for (w = strtok_r(n, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(w);

		if (len < 2 || len >= sizeof(prev) ||
		    stem_is_stopword(w, len) ||
		    strspn(w, "0123456789") >= len) {
			prev[0] = '\0';
			continue;
		}
		if (prev[0]) {
			buf_reset(&b);
			buf_addf(&b, " %s %s ", prev, w);
			if (!strv_contains(out, buf_str(&b)))
				strv_push(out, buf_str(&b));
		}
		snprintf(prev, sizeof(prev), "%s", w);
		buf_reset(&b);
		buf_addf(&b, " %s ", w);
		if (!strv_contains(out, buf_str(&b)))
			strv_push(out, buf_str(&b));
	}
	buf_release(&b);
	free(n);
}

static int naive_has(const struct naive_paper *t, const char *term)
{
	return naive_in(t->title, term) || naive_in(t->abstract, term);
}

static double naive_idf(const struct naive_paper *texts, size_t n,
			const char *term)
{
	size_t i, df = 0;

	for (i = 0; i < n; i++)
		df += naive_has(&texts[i], term);
	return log(1.0 + ((double)n - (double)df + 0.5) / ((double)df + 0.5));
}

/* The latent cosines of a profile with criteria (latent.h), their mean
 * and standard deviation summed paper by paper, and the scale. */
struct naive_latent {
	int want, away;
	double *cos[2]; /* per paper: to the criteria, to the exclusions */
	double mean[2], sd[2], scale;
};

static void naive_latent(const struct subscriber *s, const struct paper *papers,
			 size_t n, struct naive_latent *lat)
{
	struct listing l;
	struct latent_day *ld;
	double q[2][LATENT_DIMS], w2 = SCORE_W_KEYWORDS * SCORE_W_KEYWORDS +
				       SCORE_W_CRITERIA * SCORE_W_CRITERIA;
	double extra = 0;
	char *away;
	size_t i, k;

	memset(lat, 0, sizeof(*lat));
	lat->scale = 1;
	if (!s->criteria || !s->criteria[0])
		return;
	memset(&l, 0, sizeof(l));
	l.papers = (struct paper *)papers;
	l.n = n;
	ld = latent_day_build(&l);
	if (!ld)
		return;
	away = strv_join(&s->exclude, ". ");
	lat->want = !latent_fold(ld, s->criteria, q[0]);
	lat->away = s->exclude.n && !latent_fold(ld, away, q[1]);
	free(away);
	for (k = 0; k < 2; k++) {
		double m1 = 0, m2 = 0, var;

		lat->cos[k] = xcalloc(n + 1, sizeof(double));
		if (!(k ? lat->away : lat->want))
			continue;
		for (i = 0; i < n; i++) {
			lat->cos[k][i] = latent_cosine(ld, i, q[k]);
			m1 += lat->cos[k][i];
			m2 += lat->cos[k][i] * lat->cos[k][i];
		}
		lat->mean[k] = n ? m1 / (double)n : 0;
		var = n ? m2 / (double)n - lat->mean[k] * lat->mean[k] : 0;
		lat->sd[k] = var > 1e-12 ? sqrt(var) : 0;
	}
	if (lat->want)
		extra += SCORE_W_LATENT * SCORE_W_LATENT;
	if (lat->away)
		extra += SCORE_W_LATENT_AWAY * SCORE_W_LATENT_AWAY;
	lat->scale = sqrt(w2 / (w2 + extra));
	latent_day_free(ld);
}

/*
 * Relevance 0-10 of every paper of a day (n papers, their normalized
 * texts, wanted[i]: whether the list sends paper i's announce type) for
 * profile np, by the formula of score.h as written there, into rel[];
 * exact[i] (may be NULL) gets the unrounded calibration value.
 */
static inline void naive_relevance_day(const struct naive_profile *np,
				       const struct paper *papers,
				       const struct naive_paper *texts,
				       size_t n, const int *wanted, int *rel,
				       double *exact)
{
	const struct subscriber *s = np->s;
	struct strv crit = STRV_INIT;
	double **kidf = xcalloc(s->ntopics + 1, sizeof(*kidf)), *cidf;
	double *kw = xcalloc(n + 1, sizeof(*kw));
	double *cr = xcalloc(n + 1, sizeof(*cr));
	int *matched = xcalloc(n + 1, sizeof(*matched));
	double avgdl = 0, k1 = 0, k2 = 0, c1 = 0, c2 = 0, mk, sk, mc, sc, var;
	struct naive_latent lat;
	size_t i, j, t;

	naive_criteria(s->criteria, &crit);
	/* Each term's idf once (a scan of the day per term). */
	for (t = 0; t < s->ntopics; t++) {
		kidf[t] = xcalloc(s->topics[t].keywords.n + 1,
				  sizeof(**kidf));
		for (j = 0; j < s->topics[t].keywords.n; j++)
			kidf[t][j] = naive_idf(texts, n, np->keywords[t][j]);
	}
	cidf = xcalloc(crit.n + 1, sizeof(*cidf));
	for (j = 0; j < crit.n; j++)
		cidf[j] = naive_idf(texts, n, crit.v[j]);
	for (i = 0; i < n; i++)
		avgdl += naive_words(texts[i].title) +
			 naive_words(texts[i].abstract);
	avgdl = n && avgdl > 0 ? avgdl / (double)n : 1;
	for (i = 0; i < n; i++) {
		const struct naive_paper *tx = &texts[i];
		double dl = naive_words(tx->title) + naive_words(tx->abstract);

		for (t = 0; t < s->ntopics; t++) {
			const struct subs_topic *tp = &s->topics[t];
			double idf = 0;
			int hits = 0, ok = 1;

			for (j = 0; j < tp->keywords.n; j++) {
				const char *term = np->keywords[t][j];
				if (naive_in(tx->title, term)) {
					idf += SCORE_TITLE_FACTOR * kidf[t][j];
					hits++;
				} else if (naive_in(tx->abstract, term)) {
					idf += kidf[t][j];
					hits++;
				}
			}
			for (j = 0; j < tp->require.n; j++)
				if (!naive_has(tx, np->require[t][j]))
					ok = 0;
			for (j = 0; j < tp->exclude.n; j++)
				if (naive_has(tx, np->texclude[t][j]))
					ok = 0;
			if (!ok || !hits)
				continue;
			kw[i] += tp->weight * idf;
			matched[i]++;
		}
		for (j = 0; j < crit.n; j++) {
			double tf = naive_count(tx->title, crit.v[j]) +
				    naive_count(tx->abstract, crit.v[j]);
			if (!tf)
				continue;
			if (tf > 255)
				tf = 255;
			cr[i] += cidf[j] * tf *
				 (SCORE_BM25_K1 + 1) /
				 (tf + SCORE_BM25_K1 *
					       (1 - SCORE_BM25_B +
						SCORE_BM25_B * dl / avgdl));
		}
		k1 += kw[i];
		k2 += kw[i] * kw[i];
		c1 += cr[i];
		c2 += cr[i] * cr[i];
	}
	naive_latent(s, papers, n, &lat);
	mk = n ? k1 / (double)n : 0;
	var = n ? k2 / (double)n - mk * mk : 0;
	sk = var > 1e-12 ? sqrt(var) : 0;
	mc = n ? c1 / (double)n : 0;
	var = n ? c2 / (double)n - mc * mc : 0;
	sc = var > 1e-12 ? sqrt(var) : 0;
	for (i = 0; i < n; i++) {
		const struct paper *p = &papers[i];
		const struct naive_paper *tx = &texts[i];
		int author = 0, central = 0, npen = 0, never = 0;
		double z;
		long r;

		rel[i] = 0;
		if (exact)
			exact[i] = 0;
		if (s->announce_types.n) {
			if (p->announce != LISTING_ANNOUNCE_UNKNOWN &&
			    !strv_contains(&s->announce_types,
					   listing_announce_name(p->announce)))
				continue;
		} else if (!wanted[i]) {
			continue;
		}
		if (s->categories.n) {
			int in = 0;
			for (j = 0; j < p->categories.n && !in; j++) {
				in = strv_contains(&s->categories,
						   p->categories.v[j]);
				if (s->primary_only)
					break;
			}
			if (!in)
				continue;
		}
		if (s->min_upvotes > 0 && (!(p->sources & LISTING_SOURCE_HF) ||
					   p->upvotes < s->min_upvotes))
			continue;
		for (j = 0; j < s->never.n; j++)
			never |= naive_has(tx, np->never[j]);
		if (never)
			continue;
		for (j = 0; j < s->authors.n && !author; j++) {
			size_t k;
			for (k = 0; k < p->authors.n && !author; k++)
				author = score_author_matches(s->authors.v[j],
							      p->authors.v[k]);
		}
		if (author) {
			rel[i] = SCORE_MAX_RELEVANCE;
			continue;
		}
		for (j = 0; j < s->exclude.n; j++) {
			int c = naive_count(tx->title, np->exclude[j]) +
				naive_count(tx->abstract, np->exclude[j]);
			if (naive_in(tx->title, np->exclude[j]) ||
			    c >= SCORE_EXCLUDE_CENTRAL)
				central = 1;
			else if (c)
				npen++;
		}
		if (central || (!matched[i] && !(cr[i] > 0)))
			continue;
		z = SCORE_W_KEYWORDS * (sk > 0 ? (kw[i] - mk) / sk : 0) +
		    SCORE_W_CRITERIA * (sc > 0 ? (cr[i] - mc) / sc : 0);
		if (lat.want)
			z += SCORE_W_LATENT *
			     (lat.sd[0] > 0
				  ? (lat.cos[0][i] - lat.mean[0]) / lat.sd[0]
				  : 0);
		if (lat.away)
			z -= SCORE_W_LATENT_AWAY *
			     (lat.sd[1] > 0
				  ? (lat.cos[1][i] - lat.mean[1]) / lat.sd[1]
				  : 0);
		z = z * lat.scale - SCORE_EXCLUDE_PENALTY * npen;
		if (exact)
			exact[i] = SCORE_REL_AT_MEAN + SCORE_REL_PER_SD * z;
		r = lround(SCORE_REL_AT_MEAN + SCORE_REL_PER_SD * z);
		rel[i] = r < 1 ? 1 : r > SCORE_MAX_RELEVANCE
					     ? SCORE_MAX_RELEVANCE
					     : (int)r;
	}
	strv_release(&crit);
	for (t = 0; t < s->ntopics; t++)
		free(kidf[t]);
	free(kidf);
	free(cidf);
	free(kw);
	free(cr);
	free(matched);
	free(lat.cos[0]);
	free(lat.cos[1]);
}

/* 1 if the unrounded calibration value x is so near a rounding boundary
 * that summing in another order may round it the other way. */
static inline int naive_near_half(double x)
{
	double f = x - floor(x);

	return fabs(f - 0.5) < 1e-9;
}

#endif
