/*
 * digest: what one subscriber gets today: the selected papers in order and
 * the counts the reader sees in the header.
 *
 * Design decision: the digest refers to papers and scores, it copies
 * nothing; it lives only while the listing and the score result do.
 */
#ifndef PAPERBOY_DIGEST_H
#define PAPERBOY_DIGEST_H

#include <stddef.h>

#include "listing.h"
#include "score.h"
#include "subs.h"

struct digest_item {
	const struct paper *paper;
	const struct score_entry *score;
};

/* What the optional LLM judge cost for this digest (all zero when it did
 * not run), shown in the header as the seed digest does. */
struct digest_cost {
	int judged;              /* 1 if the LLM judge scored any paper */
	int budget_reached;      /* 1 if the daily budget stopped LLM calls */
	const char *model;       /* borrowed; NULL when not judged */
	long prompt_tokens;
	long completion_tokens;
	double usd;              /* from the config's price table */
};

struct digest {
	const struct subscriber *sub;
	char date[11];         /* YYYY-MM-DD */
	size_t total;          /* papers in the day's listing */
	size_t scanned;        /* papers that passed the category filter */
	size_t matched;        /* papers at or above min_relevance */
	size_t author_matches; /* selected papers from followed authors */
	struct digest_item *items; /* selected, best first */
	size_t n;
	struct digest_cost cost;   /* filled by the caller after digest_build */
};

/*
 * Selects the papers with relevance >= the subscriber's min_relevance, best
 * first (ties keep listing order), at most max_papers, from the scores r of
 * listing l. The digest borrows l, r and s. Release with digest_release.
 */
void digest_build(const struct subscriber *s, const struct listing *l,
		  const struct score_result *r, const char *date,
		  struct digest *out);
void digest_release(struct digest *d);

#endif
