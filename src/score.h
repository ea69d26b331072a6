/*
 * score: lexical relevance of each paper for each subscriber, with reasons.
 *
 * Papers are normalized once per run (score_index_build): folded to ASCII
 * lower case where Latin accents allow, math ($...$) removed, split into
 * words, simple plurals reduced ("transformers" -> "transformer"), so that
 * "Mixture-of-Experts", "mixture of experts" and "mixtures of experts" are
 * the same phrase. Each subscriber's keywords are normalized the same way
 * and matched as whole-word phrases.
 *
 * Relevance, 1-10 (0 = no match):
 *   - an author the subscriber follows: 10, comment "Author match: NAME";
 *   - otherwise points = sum over matched topics of weight x (3 per keyword
 *     found in the title + 1 per keyword found only in the abstract), plus 2
 *     for every matched topic after the first; relevance = min(10, 4 +
 *     round(points)). One abstract hit is 5, one title hit 7.
 * An exclusion term anywhere in title or abstract drops the paper, even an
 * author match: the subscriber said they never want it.
 */
#ifndef PAPERBOY_SCORE_H
#define PAPERBOY_SCORE_H

#include <stddef.h>

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

struct score_index;

/*
 * Normalizes every paper of l once. Papers whose announce type is not in
 * announce_types ("new", "cross", ...; NULL or empty: all) are never
 * considered. l must outlive the index.
 */
struct score_index *score_index_build(const struct listing *l,
				      const struct strv *announce_types);
void score_index_free(struct score_index *idx);

/* Scores every paper of the index for subscriber s into *out (which the
 * caller releases with score_result_release). */
void score_subscriber(const struct score_index *idx,
		      const struct subscriber *s, struct score_result *out);
void score_result_release(struct score_result *r);

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
