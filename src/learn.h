/*
 * learn: one linear model per subscriber, learned from its votes.
 *
 * Features are the TF-IDF weights of the stemmed unigrams and bigrams
 * (stem.h; function words left out) of a paper's title and abstract,
 * hashed into LEARN_FEATURES buckets, (1 + log tf) x idf, L2-normalized,
 * with IDF over the papers at hand (the training days when training, the
 * day's listing when scoring), plus one feature for the number of
 * authors (1, 2-3, 4-7, 8-15, 16 or more). The model is liblinear's
 * L2-regularized logistic regression, trained on the subscriber's labelled
 * papers (feedback.h; up = 1, down = 0) with every other paper of those
 * days' cached listings (STATE/cache/DATE/) as background negatives.
 *
 * Design decision: only the LEARN_MAX_WEIGHTS weights of largest magnitude
 * are kept, each with the words it stands for, so a model is small
 * (tens of KiB), a day is scored for a subscriber by walking those
 * features' postings (not subscribers x papers x features), and
 * explanations name words, not bucket numbers. The model file
 * STATE/models/ID starts with a version line and the hash of the feedback
 * it was trained on; learn_update retrains only when that hash changes.
 * This module is the only user of liblinear.
 */
#ifndef PAPERBOY_LEARN_H
#define PAPERBOY_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errbuf.h"
#include "listing.h"

/* Hash buckets of the features: collisions are rare below ~10^5 distinct
 * unigrams and bigrams in the training days. */
#define LEARN_FEATURES (1u << 20)
/* Weights kept per model: the rest are near zero and only cost memory
 * and time when scoring. */
#define LEARN_MAX_WEIGHTS 1000
/* Fewer up-votes than this: no model (a profile alone is better). */
#define LEARN_MIN_UP 3
/* Phrases named in an explanation. */
#define LEARN_EXPLAIN_TOP 5

struct learn_model;
struct learn_day;

/* A labelled paper to learn from (feedback.h gives these). */
struct learn_example {
	const char *date; /* YYYY-MM-DD: whose listing gives negatives */
	const char *id;
	const char *title;
	const char *abstract;
	const char *authors;	/* "A. One; B. Two" (may be "") */
	const char *categories; /* "cs.LG cs.AI", primary first (may be "") */
	int up;			/* 1: wanted, 0: not */
};

/*
 * The features of every paper of l (built once per day, shared by every
 * subscriber's model). l must outlive it.
 */
struct learn_day *learn_day_build(const struct listing *l);
void learn_day_free(struct learn_day *d);

/*
 * Writes the model's decision value (higher: more wanted) for every paper
 * of the day into out[0 .. l->n).
 */
void learn_day_score(const struct learn_day *d, const struct learn_model *m,
		     double *out);

/*
 * Appends what the model weighed in paper number `paper`: its strongest
 * features there, with their contributions, one line, e.g.
 * "mixture of experts +0.41, routing +0.22, reinforcement learning -0.30".
 */
void learn_explain_paper(const struct learn_day *d, const struct learn_model *m,
			 size_t paper, struct buf *out);

/*
 * Trains a model on n examples, with the papers of `background` listings
 * (nbg of them, may be 0) not among the examples as negatives. hash is
 * stored in the model (see learn_update). Returns the model (caller frees
 * with learn_model_free), or NULL with eb filled when there are fewer than
 * LEARN_MIN_UP up-votes or liblinear refuses the problem.
 */
struct learn_model *learn_train(const struct learn_example *ex, size_t n,
				const struct listing *const *background,
				size_t nbg, uint64_t hash, struct errbuf *eb);

/*
 * The model of subscriber id for its current feedback on papers of days
 * before `before` ("YYYY-MM-DD"; NULL: all its feedback): a day is ranked
 * with what the reader taught before it, never with votes on that day's
 * own papers (its judge's verdicts among them), so a rerun of the day
 * ranks as the run did. Loads
 * STATE/models/ID when it was trained on feedback with the same hash,
 * else (also when the file is of an earlier format version) trains it
 * (cached listings of the voted days as background) and,
 * with `save`, saves it atomically (a dry run keeps it in memory). *out
 * is NULL (and 0 returned) when the subscriber has too few up-votes.
 * *trained says whether it was (re)trained. Returns 0 or -1 with eb
 * filled.
 */
int learn_update(const char *state_dir, const char *id, const char *before,
		 int save,
		 struct learn_model **out, int *trained, struct errbuf *eb);

/* Loads STATE/models/ID; 0 with *out NULL when there is none. */
int learn_load(const char *state_dir, const char *id, struct learn_model **out,
	       struct errbuf *eb);
/* Saves m as STATE/models/ID (util_write_atomic). */
int learn_save(const char *state_dir, const char *id,
	       const struct learn_model *m, struct errbuf *eb);

/*
 * "learned from your 14 up-votes: mixture of experts, sparse attention,
 * KV cache" (the LEARN_EXPLAIN_TOP strongest positive phrases). Caller
 * frees.
 */
char *learn_summary(const struct learn_model *m);

/* How much the model counts next to the profile (score.c adds this times
 * the model's standardized score): grows with the up-votes, so a few votes
 * nudge and many votes lead. */
double learn_weight(const struct learn_model *m);

/* Up-votes and down-votes the model was trained on. */
size_t learn_model_up(const struct learn_model *m);
size_t learn_model_down(const struct learn_model *m);
/* Weights the model keeps (at most LEARN_MAX_WEIGHTS). */
size_t learn_model_weights(const struct learn_model *m);
/* The feedback hash stored in the model. */
uint64_t learn_model_hash(const struct learn_model *m);

void learn_model_free(struct learn_model *m);

#endif
