/*
 * history: which papers each subscriber has already been sent.
 *
 * One small text file per subscriber, STATE/history/ID, one line per paper
 * mailed ("YYYY-MM-DD ARXIVID"). Its only use is to keep a revised version
 * (announce type replace / replace-cross) of a paper the reader already got
 * out of later digests. Design decision: the history is advisory, so it is
 * appended without fsync and a missing or unreadable file only means a
 * revision might be shown again; and it is bounded: past
 * HISTORY_MAX_LINES the oldest half is dropped (lines are counted once
 * the file is larger than that many of the shortest lines an append
 * writes).
 */
#ifndef PAPERBOY_HISTORY_H
#define PAPERBOY_HISTORY_H

#include "errbuf.h"
#include "listing.h"
#include "strv.h"

/* Lines kept per subscriber: a year of full 30-paper digests. */
#define HISTORY_MAX_LINES 11000

struct history {
	struct listing seen; /* only the IDs are used; hashed lookups */
};

/* Loads STATE/history/ID (absent: empty). Returns 0 or -1 (eb). */
int history_load(const char *state_dir, const char *id, struct history *h,
		 struct errbuf *eb);
void history_release(struct history *h);
/* 1 if the paper with this versionless ID was sent before. */
int history_contains(const struct history *h, const char *paper_id);
/* Appends the papers sent today. Returns 0 or -1 (eb). */
int history_append(const char *state_dir, const char *id, const char *date,
		   const struct strv *paper_ids, struct errbuf *eb);

#endif
