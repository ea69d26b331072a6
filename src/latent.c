/*
 * latent: the day's latent semantic space (see latent.h).
 *
 * Build: every paper's words are counted into a vocabulary (an
 * open-addressing hash of stems), words under LATENT_MIN_DF are dropped,
 * and the TF-IDF rows are kept as a sparse matrix X (papers x words). A
 * randomized range finder (X times a fixed pseudo-random block, then
 * LATENT_POWER_ITERS rounds of X X^T, each re-orthonormalized on the
 * papers' side) gives an orthonormal basis Q of X's leading column space;
 * the small matrix B = Q^T X is decomposed through the eigenvectors W
 * of B B^T (cyclic Jacobi), so U = Q W, S = sqrt(eigenvalues) and
 * V = B^T W / S. Only the papers' unit rows of U S and the words' rows
 * of V are kept.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "latent.h"
#include "stem.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Extra directions sampled beyond LATENT_DIMS: a wide sample converges
 * in few rounds (the gap between the 20th and the 51st singular value is
 * what each round multiplies). */
#define LATENT_OVERSAMPLE 30
/* Rounds of X X^T applied to the sample. With 6, the ranking on the
 * evaluation days is the same whatever the seed (top-30 precision 0.460
 * with three seeds), and a day of 2,000 papers takes 0.3 s CPU, most of
 * it reading the words. */
#define LATENT_POWER_ITERS 6
/* Gram-Schmidt passes per orthonormalization: one, as each power round
 * starts from an orthonormal basis; a second changes nothing measurable. */
#define LATENT_GS_PASSES 1
/* Jacobi sweeps at most (it converges in well under ten). */
#define LATENT_JACOBI_SWEEPS 60
/* The fixed seed of the sample block: the same listing, the same space. */
#define LATENT_SEED 0x5eed1a7e4175ULL
/* Slots of the vocabulary hash are kept at most half full. */
#define LATENT_HASH_LOAD 2

struct latent_day {
	size_t n; /* papers */
	size_t k; /* directions kept, <= LATENT_DIMS */
	/* the vocabulary: stems of the words kept, and their idf */
	char **words;
	size_t nwords;
	uint32_t *slots; /* 0: empty, else word index + 1 */
	size_t nslots;
	double *idf;
	double *v;		  /* nwords x k: each word's row of V */
	double *z;		  /* n x k: each paper's unit row of U S */
	double mean[LATENT_DIMS]; /* of the rows of z */
	double second[LATENT_DIMS * LATENT_DIMS]; /* mean of z_i^T z_i */
};

/* ---- the vocabulary ---- */

struct vocab {
	char **words;
	size_t *df;
	uint32_t *last; /* per word: the last paper + 1 it was seen in */
	size_t n, alloc;
	uint32_t *slots;
	size_t nslots; /* a power of two */
};

static size_t find_slot(char *const *words, const uint32_t *slots,
			size_t nslots, const char *w, size_t len)
{
	size_t mask = nslots - 1,
	       i = (size_t)util_fnv1a(UTIL_FNV_BASIS, w, len) & mask;

	while (slots[i]) {
		const char *x = words[slots[i] - 1];
		if (!strncmp(x, w, len) && !x[len])
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void vocab_grow(struct vocab *v)
{
	size_t i;

	free(v->slots);
	v->nslots = v->nslots ? v->nslots * 2 : 1024;
	v->slots = xcalloc(v->nslots, sizeof(*v->slots));
	for (i = 0; i < v->n; i++)
		v->slots[find_slot(v->words, v->slots, v->nslots, v->words[i],
				   strlen(v->words[i]))] = (uint32_t)i + 1;
}

/* The index of w, added when new. */
static size_t vocab_add(struct vocab *v, const char *w, size_t len)
{
	size_t i;

	if ((v->n + 1) * LATENT_HASH_LOAD > v->nslots)
		vocab_grow(v);
	i = find_slot(v->words, v->slots, v->nslots, w, len);
	if (v->slots[i])
		return v->slots[i] - 1;
	if (v->n + 1 > v->alloc) {
		ALLOC_GROW(v->words, v->n + 1, v->alloc);
		v->df = xreallocarray(v->df, v->alloc, sizeof(*v->df));
		v->last = xreallocarray(v->last, v->alloc, sizeof(*v->last));
	}
	v->words[v->n] = xstrndup(w, len);
	v->df[v->n] = 0;
	v->last[v->n] = 0;
	v->slots[i] = (uint32_t)++v->n;
	return v->n - 1;
}

/* 1 if the stem w is a word the space keeps (not a function word, not a
 * single character). */
static int content_word(const char *w, size_t len)
{
	return len >= 2 && !stem_is_stopword(w, len);
}

/* ---- one paper's words ---- */

struct doc_ctx {
	struct vocab *v;
	uint32_t paper; /* paper + 1 */
	size_t *ids;	/* word ids of this paper, in order */
	size_t n, alloc;
};

static void doc_word(void *ctx, const char *w, size_t len)
{
	struct doc_ctx *c = ctx;
	size_t id;

	if (!content_word(w, len))
		return;
	id = vocab_add(c->v, w, len);
	if (c->v->last[id] != c->paper) {
		c->v->last[id] = c->paper;
		c->v->df[id]++;
	}
	ALLOC_GROW(c->ids, c->n + 1, c->alloc);
	c->ids[c->n++] = id;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* The sparse TF-IDF matrix: row i is cols/vals[off[i] .. off[i + 1]). */
struct sparse {
	size_t *off;
	uint32_t *cols;
	double *vals;
	size_t rows, ncols;
};

/* ---- dense helpers (row-major) ---- */

/* Y (rows x l) = X (rows x ncols, sparse) times M (ncols x l). */
static void mul_x(const struct sparse *x, const double *m, size_t l, double *y)
{
	size_t i, j, e;

	memset(y, 0, x->rows * l * sizeof(*y));
	for (i = 0; i < x->rows; i++) {
		double *yi = y + i * l;

		for (e = x->off[i]; e < x->off[i + 1]; e++) {
			const double *mr = m + (size_t)x->cols[e] * l;
			double val = x->vals[e];

			for (j = 0; j < l; j++)
				yi[j] += val * mr[j];
		}
	}
}

/* T (ncols x l) = X^T times Y (rows x l). */
static void mul_xt(const struct sparse *x, const double *y, size_t l, double *t)
{
	size_t i, j, e;

	memset(t, 0, x->ncols * l * sizeof(*t));
	for (i = 0; i < x->rows; i++) {
		const double *yi = y + i * l;

		for (e = x->off[i]; e < x->off[i + 1]; e++) {
			double *tr = t + (size_t)x->cols[e] * l;
			double val = x->vals[e];

			for (j = 0; j < l; j++)
				tr[j] += val * yi[j];
		}
	}
}

/* Makes the l columns of a (rows x l) orthonormal in place (modified
 * Gram-Schmidt, on a transposed copy so that each
 * column is contiguous); a column that depends on the previous ones
 * becomes zero. */
static void orthonormalize(double *a, size_t rows, size_t l)
{
	double *col = xmalloc(rows * l * sizeof(*col));
	size_t i, j, c, pass;

	for (i = 0; i < rows; i++)
		for (j = 0; j < l; j++)
			col[j * rows + i] = a[i * l + j];
	for (j = 0; j < l; j++) {
		double *cj = col + j * rows, norm = 0;

		for (pass = 0; pass < LATENT_GS_PASSES; pass++) {
			for (c = 0; c < j; c++) {
				const double *cc = col + c * rows;
				double dot = 0;

				for (i = 0; i < rows; i++)
					dot += cc[i] * cj[i];
				for (i = 0; i < rows; i++)
					cj[i] -= dot * cc[i];
			}
		}
		for (i = 0; i < rows; i++)
			norm += cj[i] * cj[i];
		norm = sqrt(norm);
		for (i = 0; i < rows; i++)
			cj[i] = norm > 1e-10 ? cj[i] / norm : 0;
	}
	for (i = 0; i < rows; i++)
		for (j = 0; j < l; j++)
			a[i * l + j] = col[j * rows + i];
	free(col);
}

/* Eigen-decomposition of the symmetric l x l matrix g (destroyed): the
 * eigenvalues into lambda, eigenvectors into the columns of w, by cyclic
 * Jacobi rotations. */
static void jacobi(double *g, size_t l, double *lambda, double *w)
{
	size_t p, q, r, sweep;

	for (p = 0; p < l; p++)
		for (q = 0; q < l; q++)
			w[p * l + q] = p == q;
	for (sweep = 0; sweep < LATENT_JACOBI_SWEEPS; sweep++) {
		double off = 0, diag = 0;

		for (p = 0; p < l; p++) {
			diag += g[p * l + p] * g[p * l + p];
			for (q = p + 1; q < l; q++)
				off += g[p * l + q] * g[p * l + q];
		}
		if (off <= 1e-22 * (diag > 0 ? diag : 1))
			break;
		for (p = 0; p < l; p++) {
			for (q = p + 1; q < l; q++) {
				double apq = g[p * l + q], theta, t, c, s;

				if (fabs(apq) < 1e-300)
					continue;
				theta =
				    (g[q * l + q] - g[p * l + p]) / (2 * apq);
				t = (theta >= 0 ? 1 : -1) /
				    (fabs(theta) + sqrt(theta * theta + 1));
				c = 1 / sqrt(t * t + 1);
				s = t * c;
				for (r = 0; r < l; r++) {
					double grp = g[r * l + p];
					double grq = g[r * l + q];

					g[r * l + p] = c * grp - s * grq;
					g[r * l + q] = s * grp + c * grq;
				}
				for (r = 0; r < l; r++) {
					double gpr = g[p * l + r];
					double gqr = g[q * l + r];

					g[p * l + r] = c * gpr - s * gqr;
					g[q * l + r] = s * gpr + c * gqr;
				}
				for (r = 0; r < l; r++) {
					double wrp = w[r * l + p];
					double wrq = w[r * l + q];

					w[r * l + p] = c * wrp - s * wrq;
					w[r * l + q] = s * wrp + c * wrq;
				}
			}
		}
	}
	for (p = 0; p < l; p++)
		lambda[p] = g[p * l + p];
}

/* splitmix64: the sample block's numbers, uniform in [-1, 1). */
static double next_uniform(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / (double)(1ULL << 52) - 1.0;
}

/* ---- building ---- */

/* Counts words and builds the TF-IDF rows; fills ld's vocabulary. */
static void build_matrix(struct latent_day *ld, const struct listing *l,
			 struct sparse *x)
{
	struct vocab v;
	struct doc_ctx dc;
	size_t **ids = xcalloc(l->n + 1, sizeof(*ids));
	size_t *nids = xcalloc(l->n + 1, sizeof(*nids));
	uint32_t *keep;
	size_t i, e, nnz = 0;

	memset(&v, 0, sizeof(v));
	memset(&dc, 0, sizeof(dc));
	dc.v = &v;
	for (i = 0; i < l->n; i++) {
		const struct paper *p = &l->papers[i];

		dc.paper = (uint32_t)i + 1;
		dc.ids = NULL;
		dc.n = dc.alloc = 0;
		stem_each_word(p->title ? p->title : "", doc_word, &dc);
		stem_each_word(p->abstract ? p->abstract : "", doc_word, &dc);
		if (dc.n)
			qsort(dc.ids, dc.n, sizeof(*dc.ids), cmp_size);
		ids[i] = dc.ids;
		nids[i] = dc.n;
	}
	/* The words kept, renumbered 1..nwords (0: dropped). */
	keep = xcalloc(v.n + 1, sizeof(*keep));
	ld->words = xcalloc(v.n + 1, sizeof(*ld->words));
	ld->idf = xcalloc(v.n + 1, sizeof(*ld->idf));
	for (i = 0; i < v.n; i++) {
		if (v.df[i] < LATENT_MIN_DF) {
			free(v.words[i]);
			continue;
		}
		ld->idf[ld->nwords] =
		    log((1.0 + (double)l->n) / (1.0 + (double)v.df[i])) + 1.0;
		ld->words[ld->nwords] = v.words[i];
		keep[i] = (uint32_t)++ld->nwords;
	}
	ld->nslots = 1024;
	while (ld->nslots < (ld->nwords + 1) * LATENT_HASH_LOAD)
		ld->nslots *= 2;
	ld->slots = xcalloc(ld->nslots, sizeof(*ld->slots));
	for (i = 0; i < ld->nwords; i++)
		ld->slots[find_slot(ld->words, ld->slots, ld->nslots,
				    ld->words[i], strlen(ld->words[i]))] =
		    (uint32_t)i + 1;

	/* Rows: (1 + ln tf) x idf, unit length. */
	for (i = 0; i < l->n; i++)
		nnz += nids[i];
	x->rows = l->n;
	x->ncols = ld->nwords;
	x->off = xcalloc(l->n + 1, sizeof(*x->off));
	x->cols = xcalloc(nnz + 1, sizeof(*x->cols));
	x->vals = xcalloc(nnz + 1, sizeof(*x->vals));
	e = 0;
	for (i = 0; i < l->n; i++) {
		size_t a = 0, start = e;
		double norm = 0;

		x->off[i] = e;
		while (a < nids[i]) {
			size_t b = a, id = ids[i][a];

			while (b < nids[i] && ids[i][b] == id)
				b++;
			if (keep[id]) {
				uint32_t col = keep[id] - 1;
				double val =
				    (1.0 + log((double)(b - a))) * ld->idf[col];

				x->cols[e] = col;
				x->vals[e++] = val;
				norm += val * val;
			}
			a = b;
		}
		norm = sqrt(norm);
		for (a = start; norm > 0 && a < e; a++)
			x->vals[a] /= norm;
		free(ids[i]);
	}
	x->off[l->n] = e;
	free(ids);
	free(nids);
	free(keep);
	free(v.words);
	free(v.df);
	free(v.last);
	free(v.slots);
}

struct latent_day *latent_day_build(const struct listing *l)
{
	struct latent_day *ld = xcalloc(1, sizeof(*ld));
	struct sparse x;
	double *omega = NULL, *y = NULL, *t = NULL, *g = NULL, *w = NULL;
	double *lambda = NULL, *u = NULL;
	size_t *order = NULL;
	size_t n = l->n, nw, lsz, i, j, c, it;
	uint64_t seed = LATENT_SEED;

	memset(&x, 0, sizeof(x));
	ld->n = n;
	build_matrix(ld, l, &x);
	nw = ld->nwords;
	if (n < 2 || nw < 2)
		goto fail;
	lsz = LATENT_DIMS + LATENT_OVERSAMPLE;
	if (lsz > n)
		lsz = n;
	if (lsz > nw)
		lsz = nw;

	/* Range finder: Y = X Omega, then power rounds. */
	omega = xcalloc(nw * lsz, sizeof(*omega));
	t = xcalloc(nw * lsz, sizeof(*t));
	y = xcalloc(n * lsz, sizeof(*y));
	for (i = 0; i < nw * lsz; i++)
		omega[i] = next_uniform(&seed);
	mul_x(&x, omega, lsz, y);
	orthonormalize(y, n, lsz);
	for (it = 0; it < LATENT_POWER_ITERS; it++) {
		/* Only the papers' side is re-orthonormalized: one product
		 * X^T Q loses nothing that matters in double precision, and
		 * the words' side is the larger one. */
		mul_xt(&x, y, lsz, t);
		mul_x(&x, t, lsz, y);
		orthonormalize(y, n, lsz);
	}
	/* B^T = X^T Q (nw x lsz); G = B B^T = (B^T)^T B^T. */
	mul_xt(&x, y, lsz, t);
	g = xcalloc(lsz * lsz, sizeof(*g));
	for (i = 0; i < nw; i++)
		for (j = 0; j < lsz; j++)
			for (c = j; c < lsz; c++)
				g[j * lsz + c] +=
				    t[i * lsz + j] * t[i * lsz + c];
	for (j = 0; j < lsz; j++)
		for (c = 0; c < j; c++)
			g[j * lsz + c] = g[c * lsz + j];
	w = xcalloc(lsz * lsz, sizeof(*w));
	lambda = xcalloc(lsz, sizeof(*lambda));
	jacobi(g, lsz, lambda, w);

	/* The largest eigenvalues first; keep those above rounding noise. */
	order = xcalloc(lsz, sizeof(*order));
	for (j = 0; j < lsz; j++)
		order[j] = j;
	for (j = 1; j < lsz; j++)
		for (c = j; c > 0 && lambda[order[c]] > lambda[order[c - 1]];
		     c--) {
			size_t tmp = order[c];
			order[c] = order[c - 1];
			order[c - 1] = tmp;
		}
	for (ld->k = 0; ld->k < LATENT_DIMS && ld->k < lsz &&
			lambda[order[ld->k]] > 1e-10 * lambda[order[0]];
	     ld->k++)
		;
	if (!ld->k)
		goto fail;

	/* V = B^T W / S (nw x k); U S = Q W S (n x k), rows made unit. */
	ld->v = xcalloc(nw * ld->k, sizeof(*ld->v));
	for (j = 0; j < ld->k; j++) {
		double s = sqrt(lambda[order[j]]);

		for (i = 0; i < nw; i++) {
			double sum = 0;

			for (c = 0; c < lsz; c++)
				sum += t[i * lsz + c] * w[c * lsz + order[j]];
			ld->v[i * ld->k + j] = sum / s;
		}
	}
	u = xcalloc(n * ld->k, sizeof(*u));
	for (i = 0; i < n; i++) {
		double norm = 0;

		for (j = 0; j < ld->k; j++) {
			double sum = 0;

			for (c = 0; c < lsz; c++)
				sum += y[i * lsz + c] * w[c * lsz + order[j]];
			u[i * ld->k + j] = sum * sqrt(lambda[order[j]]);
			norm += u[i * ld->k + j] * u[i * ld->k + j];
		}
		norm = sqrt(norm);
		for (j = 0; norm > 0 && j < ld->k; j++)
			u[i * ld->k + j] /= norm;
	}
	ld->z = u;
	u = NULL;
	for (i = 0; i < n; i++) {
		const double *zi = ld->z + i * ld->k;

		for (j = 0; j < ld->k; j++) {
			ld->mean[j] += zi[j] / (double)n;
			for (c = 0; c < ld->k; c++)
				ld->second[j * LATENT_DIMS + c] +=
				    zi[j] * zi[c] / (double)n;
		}
	}
	goto out;
fail:
	latent_day_free(ld);
	ld = NULL;
out:
	free(x.off);
	free(x.cols);
	free(x.vals);
	free(omega);
	free(y);
	free(t);
	free(g);
	free(w);
	free(lambda);
	free(u);
	free(order);
	return ld;
}

void latent_day_free(struct latent_day *ld)
{
	size_t i;

	if (!ld)
		return;
	for (i = 0; i < ld->nwords; i++)
		free(ld->words[i]);
	free(ld->words);
	free(ld->slots);
	free(ld->idf);
	free(ld->v);
	free(ld->z);
	free(ld);
}

/* ---- folding texts in ---- */

struct fold_ctx {
	const struct latent_day *ld;
	size_t *ids;
	size_t n, alloc;
};

static void fold_word(void *ctx, const char *w, size_t len)
{
	struct fold_ctx *c = ctx;
	const struct latent_day *ld = c->ld;
	uint32_t id;

	if (!content_word(w, len) || !ld->nslots)
		return;
	id = ld->slots[find_slot(ld->words, ld->slots, ld->nslots, w, len)];
	if (!id)
		return;
	ALLOC_GROW(c->ids, c->n + 1, c->alloc);
	c->ids[c->n++] = id - 1;
}

int latent_fold(const struct latent_day *ld, const char *text, double *q)
{
	struct fold_ctx fc = {ld, NULL, 0, 0};
	size_t a = 0, j;
	double norm = 0;

	memset(q, 0, LATENT_DIMS * sizeof(*q));
	stem_each_word(text ? text : "", fold_word, &fc);
	if (fc.n)
		qsort(fc.ids, fc.n, sizeof(*fc.ids), cmp_size);
	while (a < fc.n) {
		size_t b = a, id = fc.ids[a];
		double weight;

		while (b < fc.n && fc.ids[b] == id)
			b++;
		weight = (1.0 + log((double)(b - a))) * ld->idf[id];
		for (j = 0; j < ld->k; j++)
			q[j] += weight * ld->v[id * ld->k + j];
		a = b;
	}
	free(fc.ids);
	for (j = 0; j < ld->k; j++)
		norm += q[j] * q[j];
	norm = sqrt(norm);
	if (norm <= 0) {
		memset(q, 0, LATENT_DIMS * sizeof(*q));
		return -1;
	}
	for (j = 0; j < ld->k; j++)
		q[j] /= norm;
	return 0;
}

double latent_cosine(const struct latent_day *ld, size_t paper, const double *q)
{
	const double *zi = ld->z + paper * ld->k;
	double sum = 0;
	size_t j;

	for (j = 0; j < ld->k; j++)
		sum += zi[j] * q[j];
	return sum;
}

void latent_stats(const struct latent_day *ld, const double *q, double *mean,
		  double *sd)
{
	double m = 0, e2 = 0, var;
	size_t j, c;

	for (j = 0; j < ld->k; j++) {
		m += ld->mean[j] * q[j];
		for (c = 0; c < ld->k; c++)
			e2 += q[j] * ld->second[j * LATENT_DIMS + c] * q[c];
	}
	var = e2 - m * m;
	*mean = m;
	*sd = var > 1e-12 ? sqrt(var) : 0;
}
