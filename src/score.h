/*
 * score: lexical relevance of each paper for each subscriber, with reasons.
 *
 * Text is normalized one way for papers and terms: folded to ASCII lower
 * case where Latin accents allow, math ($...$) removed, split into words at
 * punctuation and hyphens, simple plurals reduced ("transformers" ->
 * "transformer"), so "Mixture-of-Experts", "mixture of experts" and
 * "mixtures of experts" are one phrase; terms match whole words only.
 *
 * Design decision: one pass for everyone. score_index_build compiles every
 * subscriber's keywords, require and exclude terms into one trie of word
 * ids (a hash of (node, word) edges) and their followed authors into one
 * hash of (surname, initial) keys, then tokenizes each paper once and
 * looks up each word position once, recording each (term, paper) hit
 * once. A subscriber is scored from the hits of the terms it holds, so the
 * cost grows with the listing plus the matches, never with subscribers x
 * papers x keywords, and nothing of size subscribers x papers is stored.
 *
 * Relevance, 1-10 (0 = no match), in this order:
 *   1. a paper whose announce type the subscriber does not get (profile
 *      announce_types, else the config's), or outside its categories
 *      (primary_only: the primary category), or under min_upvotes is out;
 *   2. a profile `exclude` term anywhere in title or abstract drops the
 *      paper, even an author match: the subscriber said never;
 *   3. an author the subscriber follows: 10, comment "Author match: NAME";
 *   4. otherwise a topic counts when one of its keywords appears, all its
 *      `require` terms appear and none of its own `exclude` terms does;
 *      points = sum over counted topics of weight x (3 per keyword in the
 *      title + 1 per keyword only in the abstract), plus 2 for every
 *      counted topic after the first; relevance = min(10, 4 +
 *      round(points)). One abstract hit is 5, one title hit 7.
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

struct score_entry {
	size_t paper;     /* index into the listing */
	int considered;   /* passed the category filter ("scanned") */
	int relevance;    /* 0 when nothing matched or excluded */
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
void score_index_free(struct score_index *idx);

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
