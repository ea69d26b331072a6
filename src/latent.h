/*
 * latent: a day's latent semantic space, so that a paper can be close to a
 * profile's words without using them.
 *
 * Each paper of the listing is a TF-IDF vector of the stemmed words of its
 * title and abstract (stem.h; function words and one-letter words left
 * out, and words in fewer than LATENT_MIN_DF papers: they relate nothing);
 * tf counts 1 + ln tf, idf is ln((1 + n) / (1 + df)) + 1, and each vector
 * has unit length. The papers x words matrix X is reduced to its
 * LATENT_DIMS largest singular directions, X ~ U S V^T (latent semantic
 * analysis, Deerwester et al. 1990): a paper is its row of U S, a text
 * (a profile's criteria) is folded in as q V, and closeness is the cosine
 * of the two.
 *
 * Design decision: the space is learned from the day's listing alone, with
 * no labels and nothing shipped: words that appear in the same papers that
 * day fall on the same directions, so a paper on "MRI scans" is near a
 * text saying "medical imaging", and one on "gradient flow" near "training
 * dynamics". The SVD is randomized (Halko, Martinsson and Tropp 2011) from
 * a fixed seed, so a listing always gets the same space.
 */
#ifndef PAPERBOY_LATENT_H
#define PAPERBOY_LATENT_H

#include <stddef.h>

#include "listing.h"

/* Directions kept: a day of 150-2,000 abstracts holds a few dozen themes;
 * ten to forty directions rank alike on the evaluation days. */
#define LATENT_DIMS 20
/* A word in fewer papers than this says nothing about other papers. */
#define LATENT_MIN_DF 2

struct latent_day;

/*
 * The latent space of listing l, or NULL when l is too small to have one
 * (fewer than two papers or words kept). l need not outlive it. Free with
 * latent_day_free.
 */
struct latent_day *latent_day_build(const struct listing *l);
void latent_day_free(struct latent_day *ld);

/*
 * Folds text (UTF-8, any length) into ld's space: q gets LATENT_DIMS
 * numbers, of unit length. Returns 0, or -1 (q all zero) when none of
 * text's words is in the day's vocabulary.
 */
int latent_fold(const struct latent_day *ld, const char *text, double *q);

/* The cosine of paper number `paper` of the listing and q (latent_fold):
 * -1 to 1, 0 for a paper with no word kept. */
double latent_cosine(const struct latent_day *ld, size_t paper,
		     const double *q);

/* The mean and standard deviation of latent_cosine(ld, i, q) over every
 * paper i of the listing (computed from the space, not paper by paper). */
void latent_stats(const struct latent_day *ld, const double *q, double *mean,
		  double *sd);

#endif
