/*
 * learn: features, training through liblinear, the model file, scoring
 * and explanations (see learn.h).
 *
 * A document's features are built as a sorted array of (bucket, tf); IDF
 * is counted in a dense array of LEARN_FEATURES + 1 counters (4 MiB, only
 * while building). A day keeps every paper's normalized vector as one
 * array of (bucket, paper, value) sorted by bucket, so a model (its kept
 * buckets, sorted) is scored by one merge of the two.
 */
#include <ctype.h>
#include <errno.h>
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arxiv.h"
#include "feedback.h"
#include "learn.h"
#include "stem.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* The first line of a model file, and its version. */
#define LEARN_MAGIC   "paperboy-model"
#define LEARN_VERSION 2
/* Weights that keep their phrase for explanations (the strongest). */
#define LEARN_NAMED 200
/* liblinear's regularization: weaker than the library's default (1), as
 * a few hundred votes over tens of thousands of phrases need; measured
 * with make eval in both directions (warm and swapped), not tuned to a
 * day. */
#define LEARN_C 10.0
/* liblinear's stopping tolerance for L2-regularized LR (its default). */
#define LEARN_EPS 0.01
/* learn_weight: the model's weight tends to this with many up-votes... */
#define LEARN_WEIGHT_MAX 4.0
/* ...and is half of it at this many. */
#define LEARN_WEIGHT_HALF 20.0
/* The value of a paper's author-count feature next to its unit-length
 * words: enough to be learned, small next to a phrase that matters. */
#define LEARN_AUTHORS_VALUE 0.3
/* Author counts from 2^LEARN_AUTHORS_BINS up share the last feature. */
#define LEARN_AUTHORS_BINS 4
/* A model file larger than this is refused. */
#define LEARN_MAX_FILE (16u << 20)

struct learn_model {
	uint64_t hash;
	size_t up, down;
	size_t n;	/* kept weights */
	uint32_t *feat; /* bucket of each, ascending */
	double *w;
	char **name; /* its phrase, or NULL */
	double bias;
};

struct posting {
	uint32_t feat;
	uint32_t paper;
	float value;
};

struct learn_day {
	size_t npapers;
	struct posting *post; /* sorted by feat, then paper */
	size_t npost;
	uint32_t *feats; /* the distinct buckets, ascending */
	size_t *first;	 /* per distinct bucket: its first posting */
	size_t nfeats;
};

/* ---- features ---- */

static uint32_t bucket_of(uint64_t h)
{
	return (uint32_t)(h % LEARN_FEATURES) + 1; /* liblinear: from 1 */
}

/* The first phrase seen for each bucket: open addressing on buckets. */
struct names {
	uint32_t *key; /* 0: empty */
	char **phrase;
	size_t n, nslots; /* nslots: a power of two */
};

static size_t names_slot(const struct names *nm, uint32_t f)
{
	size_t i = (size_t)(f * 2654435761u) & (nm->nslots - 1);

	while (nm->key[i] && nm->key[i] != f)
		i = (i + 1) & (nm->nslots - 1);
	return i;
}

static void names_add(struct names *nm, uint32_t f, const char *phrase)
{
	size_t i;

	if ((nm->n + 1) * 2 > nm->nslots) {
		struct names old = *nm;
		size_t k;

		nm->nslots = old.nslots ? old.nslots * 2 : 1024;
		nm->key = xcalloc(nm->nslots, sizeof(*nm->key));
		nm->phrase = xcalloc(nm->nslots, sizeof(*nm->phrase));
		for (k = 0; k < old.nslots; k++) {
			if (!old.key[k])
				continue;
			i = names_slot(nm, old.key[k]);
			nm->key[i] = old.key[k];
			nm->phrase[i] = old.phrase[k];
		}
		free(old.key);
		free(old.phrase);
	}
	i = names_slot(nm, f);
	if (nm->key[i])
		return;
	nm->key[i] = f;
	nm->phrase[i] = xstrdup(phrase);
	nm->n++;
}

/* The phrase first seen for bucket f, or NULL. */
static const char *phrase_of(const struct names *nm, uint32_t f)
{
	size_t i;

	if (!nm->nslots)
		return NULL;
	i = names_slot(nm, f);
	return nm->key[i] ? nm->phrase[i] : NULL;
}

static void names_release(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->nslots; i++)
		free(nm->phrase[i]);
	free(nm->key);
	free(nm->phrase);
	memset(nm, 0, sizeof(*nm));
}

/* One document's words on the way to its features. */
struct tok {
	uint32_t *feat; /* buckets, one per occurrence */
	size_t n, alloc;
	uint64_t prev; /* hash of the previous content stem, 0: none */
	char prev_raw[64];
	struct names *names; /* the phrase of each bucket, when wanted */
};

static void name_feat(struct tok *t, uint32_t f, const char *phrase)
{
	if (t->names)
		names_add(t->names, f, phrase);
}

static void push_feat(struct tok *t, uint32_t f)
{
	ALLOC_GROW(t->feat, t->n + 1, t->alloc);
	t->feat[t->n++] = f;
}

static void tok_word(void *ctx, const char *w, size_t len, const char *raw,
		     size_t rlen)
{
	struct tok *t = ctx;
	uint64_t h;
	uint32_t f;
	char word[64];

	if (len < 2 || stem_is_stopword(w, len) ||
	    strspn(w, "0123456789") >= len || rlen >= sizeof(word)) {
		t->prev = 0; /* no bigram across a function word */
		return;
	}
	memcpy(word, raw, rlen);
	word[rlen] = '\0';
	h = util_fnv1a(UTIL_FNV_BASIS, w, len);
	f = bucket_of(h);
	push_feat(t, f);
	name_feat(t, f, word);
	if (t->prev) {
		char phrase[130];

		f = bucket_of(util_fnv1a(util_fnv1a(t->prev, " ", 1), w, len));
		push_feat(t, f);
		if (t->names) {
			snprintf(phrase, sizeof(phrase), "%s %s", t->prev_raw,
				 word);
			name_feat(t, f, phrase);
		}
	}
	t->prev = h;
	memcpy(t->prev_raw, word, rlen + 1);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* A document: distinct buckets ascending with their counts. */
struct doc {
	uint32_t *feat;
	float *tf;
	size_t n;
};

static void doc_build(const char *title, const char *abstract, struct doc *d,
		      struct names *names)
{
	struct tok t;
	size_t i, n = 0;

	memset(&t, 0, sizeof(t));
	t.names = names;
	stem_each_pair(title ? title : "", tok_word, &t);
	t.prev = 0;
	stem_each_pair(abstract ? abstract : "", tok_word, &t);
	qsort(t.feat, t.n, sizeof(*t.feat), cmp_u32);
	d->feat = xcalloc(t.n + 1, sizeof(*d->feat));
	d->tf = xcalloc(t.n + 1, sizeof(*d->tf));
	for (i = 0; i < t.n; i++) {
		if (n && d->feat[n - 1] == t.feat[i]) {
			d->tf[n - 1]++;
			continue;
		}
		d->feat[n] = t.feat[i];
		d->tf[n++] = 1;
	}
	d->n = n;
	free(t.feat);
}

/*
 * The author-count feature: one bucket per power of two of the number of
 * authors (1, 2-3, 4-7, 8-15, 16 and more), named "(4-7 authors)". The
 * votes tell how much it counts: readers (and selectors that look at who
 * wrote a paper) do not want single-author notes and hundred-author
 * reports alike. 0 when the authors are not known.
 */
static uint32_t authors_feat(size_t nauthors, char *name, size_t size)
{
	size_t bin = 0, lo, hi;
	char key[32];

	if (!nauthors)
		return 0;
	while (bin < LEARN_AUTHORS_BINS && nauthors >> (bin + 1))
		bin++;
	lo = (size_t)1 << bin;
	hi = ((size_t)2 << bin) - 1;
	if (bin == LEARN_AUTHORS_BINS)
		snprintf(name, size, "(%zu or more authors)", lo);
	else if (lo == hi)
		snprintf(name, size, "(1 author)");
	else
		snprintf(name, size, "(%zu-%zu authors)", lo, hi);
	/* A key no stemmed word can be: it starts with a control byte. */
	snprintf(key, sizeof(key), "\001authors %zu", bin);
	return bucket_of(util_fnv1a(UTIL_FNV_BASIS, key, strlen(key)));
}

/* The first i in [lo, hi) with v[i] >= f (hi if none); v ascending. */
static size_t lower_bound(const uint32_t *v, size_t lo, size_t hi,
			  uint32_t f)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < f)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds (f, value) to d's features, which stay sorted by bucket (a bucket
 * already there gets value added). */
static void doc_add(struct doc *d, uint32_t f, float value)
{
	size_t lo = lower_bound(d->feat, 0, d->n, f);

	if (lo < d->n && d->feat[lo] == f) {
		d->tf[lo] += value;
		return;
	}
	d->feat = xreallocarray(d->feat, d->n + 2, sizeof(*d->feat));
	d->tf = xreallocarray(d->tf, d->n + 2, sizeof(*d->tf));
	memmove(&d->feat[lo + 1], &d->feat[lo], (d->n - lo) * sizeof(*d->feat));
	memmove(&d->tf[lo + 1], &d->tf[lo], (d->n - lo) * sizeof(*d->tf));
	d->feat[lo] = f;
	d->tf[lo] = value;
	d->n++;
}

/* Adds the author-count feature of a paper with nauthors authors to d
 * (after tfidf: it is not a word), naming it in names when given. */
static void doc_add_authors(struct doc *d, size_t nauthors, struct names *names)
{
	char name[48];
	uint32_t f = authors_feat(nauthors, name, sizeof(name));

	if (!f)
		return;
	doc_add(d, f, (float)LEARN_AUTHORS_VALUE);
	if (names)
		names_add(names, f, name);
}

/* The number of authors in "A. One; B. Two" (0 for ""). */
static size_t count_authors(const char *authors)
{
	size_t n = 0;
	const char *p;

	if (!authors || !*authors)
		return 0;
	for (p = authors; p; p = strstr(p, "; "), p = p ? p + 2 : NULL)
		n++;
	return n;
}

static void doc_release(struct doc *d)
{
	free(d->feat);
	free(d->tf);
}

/* Turns the counts of docs into L2-normalized TF-IDF with the IDF of
 * these n documents (smoothed: ln((n + 1) / (df + 1)) + 1). */
static void tfidf(struct doc *docs, size_t n)
{
	uint32_t *df = xcalloc(LEARN_FEATURES + 1, sizeof(*df));
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < docs[i].n; k++)
			df[docs[i].feat[k]]++;
	for (i = 0; i < n; i++) {
		double norm = 0;

		for (k = 0; k < docs[i].n; k++) {
			double v =
			    (1 + log(docs[i].tf[k])) *
			    (log((n + 1.0) / (df[docs[i].feat[k]] + 1.0)) + 1);
			docs[i].tf[k] = (float)v;
			norm += v * v;
		}
		norm = norm > 0 ? sqrt(norm) : 1;
		for (k = 0; k < docs[i].n; k++)
			docs[i].tf[k] = (float)(docs[i].tf[k] / norm);
	}
	free(df);
}

/* ---- a day ---- */

static int cmp_posting(const void *a, const void *b)
{
	const struct posting *x = a, *y = b;

	if (x->feat != y->feat)
		return x->feat < y->feat ? -1 : 1;
	return (x->paper > y->paper) - (x->paper < y->paper);
}

struct learn_day *learn_day_build(const struct listing *l)
{
	struct learn_day *d = xcalloc(1, sizeof(*d));
	struct doc *docs = xcalloc(l->n ? l->n : 1, sizeof(*docs));
	size_t i, k, total = 0;

	d->npapers = l->n;
	for (i = 0; i < l->n; i++) {
		doc_build(l->papers[i].title, l->papers[i].abstract, &docs[i],
			  NULL);
		total += docs[i].n;
	}
	tfidf(docs, l->n);
	for (i = 0; i < l->n; i++) {
		doc_add_authors(&docs[i], l->papers[i].authors.n, NULL);
		total++;
	}
	d->post = xcalloc(total ? total : 1, sizeof(*d->post));
	for (i = 0; i < l->n; i++) {
		for (k = 0; k < docs[i].n; k++) {
			struct posting *p = &d->post[d->npost++];
			p->feat = docs[i].feat[k];
			p->paper = (uint32_t)i;
			p->value = docs[i].tf[k];
		}
		doc_release(&docs[i]);
	}
	free(docs);
	qsort(d->post, d->npost, sizeof(*d->post), cmp_posting);
	d->feats = xcalloc(d->npost + 1, sizeof(*d->feats));
	d->first = xcalloc(d->npost + 2, sizeof(*d->first));
	for (i = 0; i < d->npost; i++) {
		if (d->nfeats && d->feats[d->nfeats - 1] == d->post[i].feat)
			continue;
		d->feats[d->nfeats] = d->post[i].feat;
		d->first[d->nfeats++] = i;
	}
	d->first[d->nfeats] = d->npost;
	return d;
}

void learn_day_free(struct learn_day *d)
{
	if (!d)
		return;
	free(d->post);
	free(d->feats);
	free(d->first);
	free(d);
}

void learn_day_score(const struct learn_day *d, const struct learn_model *m,
		     double *out)
{
	size_t i, j, lo = 0;

	for (i = 0; i < d->npapers; i++)
		out[i] = m->bias;
	/* Both sorted: each model bucket is found by binary search in the
	 * rest of the day's buckets, so the cost is the model's size times
	 * a logarithm, plus the postings that match. */
	for (i = 0; i < m->n && lo < d->nfeats; i++) {
		uint32_t f = m->feat[i];

		lo = lower_bound(d->feats, lo, d->nfeats, f);
		if (lo >= d->nfeats || d->feats[lo] != f)
			continue;
		for (j = d->first[lo]; j < d->first[lo + 1]; j++)
			out[d->post[j].paper] += m->w[i] * d->post[j].value;
	}
}

/* The kept weight of bucket f, or -1. */
static long weight_of(const struct learn_model *m, uint32_t f)
{
	size_t lo = lower_bound(m->feat, 0, m->n, f);

	return lo < m->n && m->feat[lo] == f ? (long)lo : -1;
}

struct contrib {
	const char *name;
	double c;
};

static int by_abs_contrib(const void *a, const void *b)
{
	double x = fabs(((const struct contrib *)a)->c);
	double y = fabs(((const struct contrib *)b)->c);

	return (x < y) - (x > y);
}

void learn_explain_paper(const struct learn_day *d, const struct learn_model *m,
			 size_t paper, struct buf *out)
{
	struct contrib *c = NULL;
	size_t i, n = 0, alloc = 0, shown = 0;

	for (i = 0; i < d->npost; i++) {
		long k;

		if (d->post[i].paper != paper)
			continue;
		k = weight_of(m, d->post[i].feat);
		if (k < 0 || !m->name[k])
			continue;
		ALLOC_GROW(c, n + 1, alloc);
		c[n].name = m->name[k];
		c[n++].c = m->w[k] * d->post[i].value;
	}
	qsort(c, n, sizeof(*c), by_abs_contrib);
	for (i = 0; i < n && shown < LEARN_EXPLAIN_TOP; i++, shown++)
		buf_addf(out, "%s%s %+.2f", shown ? ", " : "", c[i].name,
			 c[i].c);
	if (!shown)
		buf_addstr(out, "none of its strongest phrases");
	free(c);
}

/* ---- training ---- */

struct ranked {
	uint32_t feat;
	double w;
};

static int by_abs_weight(const void *a, const void *b)
{
	double x = fabs(((const struct ranked *)a)->w);
	double y = fabs(((const struct ranked *)b)->w);

	if (x != y)
		return (x < y) - (x > y);
	return cmp_u32(&((const struct ranked *)a)->feat,
		       &((const struct ranked *)b)->feat);
}

static int by_feat(const void *a, const void *b)
{
	return cmp_u32(&((const struct ranked *)a)->feat,
		       &((const struct ranked *)b)->feat);
}

static void quiet(const char *s)
{
	(void)s;
}

struct learn_model *learn_train(const struct learn_example *ex, size_t n,
				const struct listing *const *background,
				size_t nbg, uint64_t hash, struct errbuf *eb)
{
	struct strv seen = STRV_INIT, named = STRV_INIT;
	struct names names = {NULL, NULL, 0, 0};
	struct doc *docs = NULL;
	double *y = NULL;
	size_t *nauthors = NULL;
	struct feature_node **x = NULL, *nodes = NULL;
	struct ranked *r = NULL;
	struct learn_model *m = NULL;
	struct model *lm = NULL;
	struct problem prob;
	struct parameter param;
	size_t ndocs = 0, adocs = 0, up = 0, down = 0, i, k, nodes_n = 0;
	size_t keep, nr = 0, nuniq = 0;
	uint32_t *uniq = NULL;
	const char *err;
	double sign;

	for (i = 0; i < n; i++) {
		up += ex[i].up != 0;
		down += ex[i].up == 0;
	}
	if (up < LEARN_MIN_UP) {
		errbuf_set(eb, "%zu up-votes: a model needs %d", up,
			   LEARN_MIN_UP);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		ALLOC_GROW(docs, ndocs + 1, adocs);
		y = xreallocarray(y, adocs, sizeof(*y));
		nauthors = xreallocarray(nauthors, adocs, sizeof(*nauthors));
		doc_build(ex[i].title, ex[i].abstract, &docs[ndocs], &names);
		nauthors[ndocs] = count_authors(ex[i].authors);
		y[ndocs++] = ex[i].up ? 1 : -1;
		strv_push(&seen, ex[i].id);
	}
	for (k = 0; k < nbg; k++) {
		const struct listing *l = background[k];

		for (i = 0; i < l->n; i++) {
			const struct paper *p = &l->papers[i];

			if (strv_contains(&seen, p->id))
				continue;
			strv_push(&seen, p->id);
			ALLOC_GROW(docs, ndocs + 1, adocs);
			y = xreallocarray(y, adocs, sizeof(*y));
			nauthors =
			    xreallocarray(nauthors, adocs, sizeof(*nauthors));
			doc_build(p->title, p->abstract, &docs[ndocs], NULL);
			nauthors[ndocs] = p->authors.n;
			y[ndocs++] = -1;
		}
	}
	if (ndocs == up) {
		errbuf_set(eb, "no down-votes and no cached listing of the "
			       "voted days: nothing to tell the up-votes from");
		goto out;
	}
	tfidf(docs, ndocs);
	for (i = 0; i < ndocs; i++) {
		doc_add_authors(&docs[i], nauthors[i], &names);
		nodes_n += docs[i].n + 2;
	}
	/* liblinear's cost grows with the feature space: the buckets in use
	 * are numbered 1..nuniq for it (and mapped back after). */
	uniq = xcalloc(nodes_n + 1, sizeof(*uniq));
	for (i = 0; i < ndocs; i++)
		for (k = 0; k < docs[i].n; k++)
			uniq[nuniq++] = docs[i].feat[k];
	qsort(uniq, nuniq, sizeof(*uniq), cmp_u32);
	for (i = k = 0; i < nuniq; i++)
		if (!k || uniq[k - 1] != uniq[i])
			uniq[k++] = uniq[i];
	nuniq = k;
	nodes = xcalloc(nodes_n, sizeof(*nodes));
	x = xcalloc(ndocs, sizeof(*x));
	nodes_n = 0;
	for (i = 0; i < ndocs; i++) {
		x[i] = &nodes[nodes_n];
		for (k = 0; k < docs[i].n; k++) {
			uint32_t *at = bsearch(&docs[i].feat[k], uniq, nuniq,
					       sizeof(*uniq), cmp_u32);
			nodes[nodes_n].index = (int)(at - uniq) + 1;
			nodes[nodes_n++].value = docs[i].tf[k];
		}
		nodes[nodes_n].index = (int)nuniq + 1; /* the bias */
		nodes[nodes_n++].value = 1;
		nodes[nodes_n++].index = -1;
	}
	memset(&prob, 0, sizeof(prob));
	prob.l = (int)ndocs;
	prob.n = (int)nuniq + 1;
	prob.y = y;
	prob.x = x;
	prob.bias = -1; /* the bias is the explicit feature above */
	memset(&param, 0, sizeof(param));
	param.solver_type = L2R_LR;
	param.C = LEARN_C;
	param.eps = LEARN_EPS;
	err = check_parameter(&prob, &param);
	if (err) {
		errbuf_set(eb, "liblinear: %s", err);
		goto out;
	}
	set_print_string_function(quiet);
	lm = train(&prob, &param);
	/* Decision values are for the model's first label. */
	sign = lm->label[0] == 1 ? 1 : -1;
	r = xcalloc(nuniq + 1, sizeof(*r));
	for (k = 0; k < nuniq; k++) {
		double w = sign * lm->w[k];
		if (w != 0) {
			r[nr].feat = uniq[k];
			r[nr++].w = w;
		}
	}
	qsort(r, nr, sizeof(*r), by_abs_weight);
	keep = nr < LEARN_MAX_WEIGHTS ? nr : LEARN_MAX_WEIGHTS;
	m = xcalloc(1, sizeof(*m));
	m->hash = hash;
	m->up = up;
	m->down = down;
	m->bias = sign * lm->w[nuniq];
	m->n = keep;
	m->feat = xcalloc(keep + 1, sizeof(*m->feat));
	m->w = xcalloc(keep + 1, sizeof(*m->w));
	m->name = xcalloc(keep + 1, sizeof(*m->name));
	/* The phrases of the strongest, attached once sorted by bucket. */
	for (k = 0; k < keep && k < LEARN_NAMED; k++) {
		const char *ph = phrase_of(&names, r[k].feat);
		struct buf b = BUF_INIT;

		if (!ph)
			continue;
		buf_addf(&b, "%u\t%s", r[k].feat, ph);
		strv_push_owned(&named, buf_detach(&b, NULL));
	}
	qsort(r, keep, sizeof(*r), by_feat);
	for (k = 0; k < keep; k++) {
		m->feat[k] = r[k].feat;
		m->w[k] = r[k].w;
	}
	for (k = 0; k < named.n; k++) {
		long at = weight_of(m, (uint32_t)strtoul(named.v[k], NULL, 10));
		if (at >= 0 && !m->name[at])
			m->name[at] = xstrdup(strchr(named.v[k], '\t') + 1);
	}
out:
	if (lm)
		free_and_destroy_model(&lm);
	for (i = 0; i < ndocs; i++)
		doc_release(&docs[i]);
	free(docs);
	free(y);
	free(nauthors);
	free(x);
	free(nodes);
	free(uniq);
	free(r);
	strv_release(&seen);
	names_release(&names);
	strv_release(&named);
	return m;
}

/* ---- the model file ---- */

static char *model_path(const char *state_dir, const char *id)
{
	struct buf b = BUF_INIT;
	char *path;

	buf_addf(&b, "models/%s", id);
	path = util_path_join(state_dir, buf_str(&b));
	buf_release(&b);
	return path;
}

int learn_save(const char *state_dir, const char *id,
	       const struct learn_model *m, struct errbuf *eb)
{
	char *path = model_path(state_dir, id), *dir = util_dirname(path);
	struct buf b = BUF_INIT;
	size_t k;
	int ret = -1;

	buf_addf(&b,
		 "%s %d\nhash %016llx\nup %zu\ndown %zu\nbias %.9g\n"
		 "weights %zu\n",
		 LEARN_MAGIC, LEARN_VERSION, (unsigned long long)m->hash, m->up,
		 m->down, m->bias, m->n);
	for (k = 0; k < m->n; k++) {
		buf_addf(&b, "%u %.9g", m->feat[k], m->w[k]);
		if (m->name[k])
			buf_addf(&b, " %s", m->name[k]);
		buf_addch(&b, '\n');
	}
	if (util_mkdir_p(dir, 0755, eb) < 0 ||
	    util_write_atomic(path, b.data, b.len, 0644, eb) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&b);
	free(path);
	free(dir);
	return ret;
}

/*
 * learn_load; with `old` non-NULL, a model of an earlier LEARN_VERSION
 * (other features: its weights mean nothing now) sets *old and returns 0
 * with *out NULL, so that learn_update trains a new one.
 */
static int load(const char *state_dir, const char *id, struct learn_model **out,
		int *old, struct errbuf *eb)
{
	char *path = model_path(state_dir, id);
	struct buf text;
	struct learn_model *m = NULL;
	unsigned long long hash;
	char *line, *next;
	int version, ret = -1;
	long lineno = 0;
	size_t k = 0;

	*out = NULL;
	buf_init(&text, LEARN_MAX_FILE);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		ret = 0;
		goto out;
	}
	if (util_read_file(path, &text, eb) < 0)
		goto out;
	m = xcalloc(1, sizeof(*m));
	for (line = text.data; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (lineno == 1) {
			if (sscanf(line, LEARN_MAGIC " %d", &version) != 1)
				goto bad;
			if (old && version >= 1 && version < LEARN_VERSION) {
				*old = 1;
				ret = 0;
				goto out;
			}
			if (version != LEARN_VERSION)
				goto bad;
		} else if (lineno == 2) {
			if (sscanf(line, "hash %llx", &hash) != 1)
				goto bad;
			m->hash = hash;
		} else if (lineno == 3) {
			if (sscanf(line, "up %zu", &m->up) != 1)
				goto bad;
		} else if (lineno == 4) {
			if (sscanf(line, "down %zu", &m->down) != 1)
				goto bad;
		} else if (lineno == 5) {
			if (sscanf(line, "bias %lf", &m->bias) != 1)
				goto bad;
		} else if (lineno == 6) {
			if (sscanf(line, "weights %zu", &m->n) != 1 ||
			    m->n > LEARN_MAX_WEIGHTS)
				goto bad;
			m->feat = xcalloc(m->n + 1, sizeof(*m->feat));
			m->w = xcalloc(m->n + 1, sizeof(*m->w));
			m->name = xcalloc(m->n + 1, sizeof(*m->name));
		} else {
			unsigned f;
			int used = 0;

			if (k >= m->n ||
			    sscanf(line, "%u %lf%n", &f, &m->w[k], &used) < 2 ||
			    !f || f > LEARN_FEATURES ||
			    (k && f <= m->feat[k - 1]))
				goto bad;
			m->feat[k] = f;
			if (line[used] == ' ' && line[used + 1])
				m->name[k] = xstrdup(line + used + 1);
			k++;
		}
	}
	if (lineno < 6 || k != m->n)
		goto bad;
	*out = m;
	m = NULL;
	ret = 0;
	goto out;
bad:
	errbuf_set(eb, "%s:%ld: not a paperboy model (version %d)", path,
		   lineno, LEARN_VERSION);
out:
	learn_model_free(m);
	buf_release(&text);
	free(path);
	return ret;
}

int learn_load(const char *state_dir, const char *id, struct learn_model **out,
	       struct errbuf *eb)
{
	return load(state_dir, id, out, NULL, eb);
}

/* The arXiv listing cached for date (STATE/cache/DATE/, complete days
 * only); 1 when there is none. */
static int load_cached(const char *state_dir, const char *date,
		       struct listing *l, struct errbuf *eb)
{
	struct buf dir = BUF_INIT, text = BUF_INIT;
	char *d, *path, *line, *next;
	int ret = 1;

	buf_addf(&dir, "cache/%s", date);
	d = util_path_join(state_dir, buf_str(&dir));
	path = util_path_join(d, "MANIFEST");
	if (access(path, F_OK) < 0 || util_read_file(path, &text, eb) < 0)
		goto out;
	for (line = text.data; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "arxiv ", 6) || strchr(line + 6, '/'))
			continue;
		free(path);
		path = util_path_join(d, line + 6);
		if (arxiv_parse_file(path, l, eb) < 0) {
			ret = -1;
			goto out;
		}
		ret = 0;
	}
out:
	free(d);
	free(path);
	buf_release(&dir);
	buf_release(&text);
	return ret;
}

int learn_update(const char *state_dir, const char *id, const char *before,
		 int save,
		 struct learn_model **out, int *trained, struct errbuf *eb)
{
	struct feedback f;
	struct learn_model *m = NULL;
	struct learn_example *ex = NULL;
	struct listing *bg = NULL;
	const struct listing **bgp = NULL;
	struct strv dates = STRV_INIT;
	size_t i, nbg = 0;
	int ret = -1, old = 0;

	*out = NULL;
	*trained = 0;
	if (feedback_load(state_dir, id, &f, eb) < 0)
		return -1;
	if (before)
		feedback_keep_before(&f, before);
	if (f.up < LEARN_MIN_UP) {
		ret = 0;
		goto out;
	}
	if (load(state_dir, id, &m, &old, eb) < 0)
		goto out;
	if (m && m->hash == f.hash) {
		*out = m;
		ret = 0;
		goto out;
	}
	learn_model_free(m);
	ex = xcalloc(f.n, sizeof(*ex));
	for (i = 0; i < f.n; i++) {
		ex[i].date = f.v[i].date;
		ex[i].id = f.v[i].id;
		ex[i].title = f.v[i].title;
		ex[i].abstract = f.v[i].abstract;
		ex[i].authors = f.v[i].authors;
		ex[i].categories = f.v[i].categories;
		ex[i].up = f.v[i].up;
		if (!strv_contains(&dates, f.v[i].date))
			strv_push(&dates, f.v[i].date);
	}
	bg = xcalloc(dates.n + 1, sizeof(*bg));
	bgp = xcalloc(dates.n + 1, sizeof(*bgp));
	for (i = 0; i < dates.n; i++) {
		int r;

		listing_init(&bg[nbg]);
		r = load_cached(state_dir, dates.v[i], &bg[nbg], eb);
		if (r < 0)
			goto out_bg;
		if (r > 0) {
			listing_release(&bg[nbg]);
			continue;
		}
		bgp[nbg] = &bg[nbg];
		nbg++;
	}
	m = learn_train(ex, f.n, bgp, nbg, f.hash, eb);
	if (!m)
		goto out_bg;
	if (save && learn_save(state_dir, id, m, eb) < 0) {
		learn_model_free(m);
		goto out_bg;
	}
	*out = m;
	*trained = 1;
	ret = 0;
out_bg:
	for (i = 0; i < nbg; i++)
		listing_release(&bg[i]);
out:
	free(bg);
	free(bgp);
	free(ex);
	strv_release(&dates);
	feedback_release(&f);
	return ret;
}

/* ---- about a model ---- */

static int by_weight_desc(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->w;
	double y = ((const struct ranked *)b)->w;

	return (x < y) - (x > y);
}

char *learn_summary(const struct learn_model *m)
{
	struct ranked *r = xcalloc(m->n + 1, sizeof(*r));
	struct buf b = BUF_INIT;
	size_t i, nr = 0, shown = 0;
	struct strv named = STRV_INIT;

	for (i = 0; i < m->n; i++) {
		/* "(4-7 authors)" is no topic. */
		if (m->w[i] <= 0 || !m->name[i] || m->name[i][0] == '(')
			continue;
		r[nr].feat = (uint32_t)i;
		r[nr++].w = m->w[i];
	}
	qsort(r, nr, sizeof(*r), by_weight_desc);
	buf_addf(&b, "learned from your %zu up-vote%s", m->up,
		 m->up == 1 ? "" : "s");
	for (i = 0; i < nr && shown < LEARN_EXPLAIN_TOP; i++) {
		const char *name = m->name[r[i].feat];
		size_t k;
		int dup = 0;

		/* "expert" after "mixture of expert" says nothing new. */
		for (k = 0; k < named.n; k++)
			if (strstr(named.v[k], name) ||
			    strstr(name, named.v[k]))
				dup = 1;
		if (dup)
			continue;
		buf_addf(&b, "%s%s", shown++ ? ", " : ": ", name);
		strv_push(&named, name);
	}
	strv_release(&named);
	free(r);
	return buf_detach(&b, NULL);
}

double learn_weight(const struct learn_model *m)
{
	double up = (double)m->up;

	return LEARN_WEIGHT_MAX * up / (up + LEARN_WEIGHT_HALF);
}

size_t learn_model_up(const struct learn_model *m)
{
	return m->up;
}

size_t learn_model_down(const struct learn_model *m)
{
	return m->down;
}

size_t learn_model_weights(const struct learn_model *m)
{
	return m->n;
}

uint64_t learn_model_hash(const struct learn_model *m)
{
	return m->hash;
}

void learn_model_free(struct learn_model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->name[i]);
	free(m->name);
	free(m->feat);
	free(m->w);
	free(m);
}
