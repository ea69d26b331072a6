/*
 * score: lexical relevance of each paper for each subscriber, with reasons.
 *
 * Text is normalized one way for papers and terms (stem.h): folded to
 * ASCII lower case, math removed, split into words at punctuation and
 * hyphens, each word reduced to its Snowball stem, so "Efficient" matches
 * "efficiency" and "Mixture-of-Experts" matches "mixtures of experts";
 * terms match whole words only.
 *
 * Design decision: one pass for everyone. score_index_build compiles every
 * subscriber's keywords, require, exclude and never terms and criteria
 * words into one trie of word ids (a hash of (node, word) edges) and their
 * followed authors into one hash of (surname, initial) keys, then
 * tokenizes each paper once and looks up each word position once,
 * recording each (term, paper) hit once with how often it occurs. A
 * subscriber is scored from the hits of the terms it holds, so the cost
 * grows with the listing plus the matches, never with subscribers x
 * papers x keywords, and nothing of size subscribers x papers is stored.
 *
 * Relevance, 1-10 (0 = no match), in this order:
 *   1. a paper whose announce type the subscriber does not get (profile
 *      announce_types, else the config's), or outside its categories
 *      (primary_only: the primary category), or under min_upvotes is out;
 *   2. a profile `never` term anywhere in title or abstract drops the
 *      paper, even an author match: the subscriber said never;
 *   3. an author the subscriber follows: 10, comment "Author match: NAME";
 *   4. a profile `exclude` term in the title, or SCORE_EXCLUDE_CENTRAL
 *      times or more in the abstract, drops the paper (it is about that);
 *      once in the abstract (in passing) it costs SCORE_EXCLUDE_PENALTY;
 *   5. signals, each standardized over the day's listing (z = (x - mean)
 *      / sd over every paper; keyword points and BM25 are 0 for a paper
 *      no term hit), so a generic day or a long profile does not inflate
 *      them:
 *      - keywords: a topic counts when one of its keywords appears, all
 *        its `require` terms appear and none of its own `exclude` terms;
 *        points = sum over counted topics of weight x (3 x idf per
 *        keyword in the title + idf per keyword only in the abstract),
 *        idf = ln(1 + (N - df + 0.5) / (df + 0.5)) over the day's N
 *        papers, so a word every paper has ("memory") counts little;
 *      - criteria: Okapi BM25 (k1 1.2, b 0.75, the same idf) of title and
 *        abstract against the distinct content words of `criteria`;
 *      - latent, for a profile with criteria: in the day's latent
 *        semantic space (latent.h, built once per index when any profile
 *        has criteria), the cosine of the paper to the criteria, and,
 *        subtracted, to the profile's exclude terms taken as one text:
 *        a paper can be near what the reader asked for, or near a field
 *        the reader excluded, without using the words (a medical
 *        application that never says "medical imaging");
 *      - the learned model (learn.h), when score_index_set_model gave
 *        one, with weight learn_weight (grows with the up-votes);
 *      profile z = (z_keywords + z_criteria + z_latent - z_latent_excl)
 *      x sqrt(2 / 4) (sqrt(2 / 3) without exclusions, 1 without
 *      criteria), combined z = profile z - penalties, or with a model
 *      (profile z + w x z_model) x sqrt(2 / (2 + w^2)) - penalties: each
 *      sum scaled back to the spread of two signals (as if they were
 *      independent) so that the calibration below holds;
 *   6. relevance = clamp(1, 10, round(SCORE_REL_AT_MEAN +
 *      SCORE_REL_PER_SD x z)): fixed thresholds in standard deviations
 *      above the day's mean, not ranks, so a poor day shows low relevance
 *      and a rich day many high ones. Measured on ten real days (`make
 *      eval`, calibration table), a paper shown at 9-10 is the reader's
 *      pick far more often than one at 5.
 * A paper no term hits and with no model is 0 ("no topic or author
 * matched"): the latent signals order the papers a keyword or criteria
 * word reached, they never bring in one on their own.
 */
#ifndef PAPERBOY_SCORE_H
#define PAPERBOY_SCORE_H

#include <stddef.h>

#include "buf.h"
#include "listing.h"
#include "subs.h"

/* A keyword or name longer than this many words never matches (a phrase
 * that long is a sentence, not a term). */
#define SCORE_MAX_PHRASE_WORDS 16
/* Relevance given to an author match and the top of the scale. */
#define SCORE_MAX_RELEVANCE 10
/* A keyword in the title counts this many times one in the abstract. */
#define SCORE_TITLE_FACTOR 3.0
/* Okapi BM25's usual constants (Robertson and Zaragoza 2009). */
#define SCORE_BM25_K1 1.2
#define SCORE_BM25_B 0.75
/* An exclude term this often in title + abstract is what the paper is
 * about (dropped); fewer times only in the abstract is in passing. */
#define SCORE_EXCLUDE_CENTRAL 2
/* An exclude term in passing costs this many standard deviations. */
#define SCORE_EXCLUDE_PENALTY 1.0
/* Weights of the standardized keyword and criteria signals: equal, as
 * neither is known to be better for a new profile. */
#define SCORE_W_KEYWORDS 1.0
#define SCORE_W_CRITERIA 1.0
/* Weights of the latent cosine to the criteria and (subtracted) to the
 * exclusions: equal to the others, for the same reason. */
#define SCORE_W_LATENT 1.0
#define SCORE_W_LATENT_AWAY 1.0
/* Calibration: relevance at the day's mean, and per standard deviation
 * above it (see above). */
#define SCORE_REL_AT_MEAN 3.0
#define SCORE_REL_PER_SD 1.5
/* Added to an author match's score so it sorts before any other paper. */
#define SCORE_AUTHOR_BONUS 100.0

struct score_entry {
	size_t paper;     /* index into the listing */
	int considered;   /* passed the category filter ("scanned") */
	int relevance;    /* 0 when nothing matched or excluded */
	double score;     /* combined score behind relevance: orders papers
			   * of equal relevance */
	int author_match; /* 1 if a followed author wrote it */
	char *comment;    /* why it matched (NULL if it did not) */
	char *dropped;    /* why it is out (excluded, category...) or NULL */
	int novelty;      /* 1-10 from the LLM judge; 0 when unknown */
	int judged;       /* 1: relevance and comment are the LLM judge's */
};

struct score_result {
	struct score_entry *entries; /* one per paper, listing order */
	size_t n;
};

/* One paper's relevance for one subscriber (score_relevance). */
struct score_rel {
	unsigned paper; /* index into the listing */
	int relevance;  /* 1-10 */
};

struct score_index;

/*
 * Compiles the terms and authors of every subscriber of subs (NULL: none)
 * and matches every paper of l against them once. Papers whose announce
 * type is not in announce_types ("new", "cross", ...; NULL or empty: all)
 * are not considered for a subscriber without its own announce_types. l
 * and subs must outlive the index, unchanged. The index holds scratch
 * space for scoring: one thread at a time.
 */
struct score_index *score_index_build(const struct listing *l,
				      const struct strv *announce_types,
				      const struct subs_list *subs);

/*
 * The listing's side of scoring, shared by the indexes of one day (a run
 * indexes its subscribers a group at a time): the papers' features for
 * learned models and the day's latent space, each computed once, when
 * first needed. l must outlive it;
 * the indexes built from it must be freed first, and built one at a
 * time (the first need builds it).
 */
struct score_day;
struct score_day *score_day_new(const struct listing *l);
void score_day_free(struct score_day *sd); /* NULL is fine */

/* score_index_build over sd's listing, sharing sd (which must outlive
 * the index). */
struct score_index *score_index_build_day(struct score_day *sd,
					  const struct strv *announce_types,
					  const struct subs_list *subs);
void score_index_free(struct score_index *idx);

struct learn_model;
/*
 * Makes s (an element of the list the index was built with) scored with
 * the learned model m (learn.h) as well as its profile; m NULL removes it.
 * m must outlive the index or the next call. The first model makes the
 * index compute the day's features (learn_day_build). Returns 0, or -1
 * when s is not in the index's list.
 */
int score_index_set_model(struct score_index *idx, const struct subscriber *s,
			  const struct learn_model *m);

/*
 * Scores every paper of the index for subscriber s into *out (which the
 * caller releases with score_result_release). s is normally an element of
 * the list the index was built with; any other subscriber is compiled and
 * matched on the spot (a pass over the listing).
 */
void score_subscriber(const struct score_index *idx,
		      const struct subscriber *s, struct score_result *out);
void score_result_release(struct score_result *r);

/*
 * The fast path of score_subscriber: only the papers with relevance > 0,
 * in no particular order, without comments. Returns the array (*n
 * entries), owned by the index and valid until its next scoring call.
 */
const struct score_rel *score_relevance(const struct score_index *idx,
					const struct subscriber *s,
					size_t *n);

/*
 * Appends to out the full reasoning for paper number `paper` of the
 * listing: announce type and category checks, the normalized title and
 * abstract around every term that hit, each topic's points, requires,
 * exclusions, authors and the formula's arithmetic, one fact per line.
 * The relevance it ends with is score_subscriber's.
 */
void score_explain(const struct score_index *idx, const struct subscriber *s,
		   size_t paper, struct buf *out);

/*
 * Normalizes text the way papers and keywords are matched (lower case,
 * accents folded, math removed, plurals reduced, words joined by one space).
 * Exposed for tests and for `paperboy score --explain`. Caller frees.
 */
char *score_normalize(const char *text);

/* 1 if the author name `paper_author` is the followed name `followed`:
 * "Bengio, Yoshua", "Y. Bengio", "Yoshua Bengio" are all "Yoshua Bengio";
 * a bare surname never matches. */
int score_author_matches(const char *followed, const char *paper_author);

#endif
