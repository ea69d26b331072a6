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

struct digest {
	const struct subscriber *sub;
	char date[11];         /* YYYY-MM-DD */
	size_t total;          /* papers in the day's listing */
	size_t scanned;        /* papers that passed the category filter */
	size_t matched;        /* papers at or above min_relevance */
	size_t author_matches; /* selected papers from followed authors */
	struct digest_item *items; /* selected, best first */
	size_t n;
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
