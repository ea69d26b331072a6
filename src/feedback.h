/*
 * feedback: a subscriber's votes on papers, kept for learning.
 *
 * STATE/feedback/ID is a text file: the line "paperboy-feedback 1" (the
 * format version), then one vote per line, tab-separated: when (UTC,
 * ISO 8601), "up" or "down", via ("cli", "http", "judge", ...), the
 * announcement date, the arXiv ID, the title, the abstract, the authors
 * ("; "-separated) and the categories (space-separated, primary first) (tabs,
 * newlines and backslashes escaped as \t, \n, \\). Each vote carries the
 * paper's text so that training never needs the network.
 *
 * Design decision: the file is only ever appended to, under an exclusive
 * flock, in one write per call, then fsynced: concurrent voters (a CLI
 * and several HTTP requests) never lose a vote and a reader never sees
 * half a line. Reading resolves it: the last vote for a paper wins, except
 * that a judge's label never overrides the reader's own vote.
 */
#ifndef PAPERBOY_FEEDBACK_H
#define PAPERBOY_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "listing.h"

/* The first line of a feedback file, and its version. */
#define FEEDBACK_MAGIC	 "paperboy-feedback"
#define FEEDBACK_VERSION 1
/* A feedback file larger than this is refused (about 30,000 votes). */
#define FEEDBACK_MAX_BYTES (64u << 20)
/* LLM judge relevance at or above this is an up-vote, at or below
 * FEEDBACK_JUDGE_DOWN a down-vote (the selector keeps >= 8). */
#define FEEDBACK_JUDGE_UP   8
#define FEEDBACK_JUDGE_DOWN 3
/* The `via` of labels taken from the LLM judge. */
#define FEEDBACK_VIA_JUDGE "judge"

struct feedback_vote {
	char *when; /* "2026-01-12T08:00:00Z" */
	int up;	    /* 1: up, 0: down */
	char *via;
	char *date; /* the paper's announcement day, YYYY-MM-DD */
	char *id;   /* versionless arXiv ID */
	char *title;
	char *abstract;
	char *authors;	  /* "; "-separated */
	char *categories; /* space-separated, primary first */
};

struct feedback {
	struct feedback_vote *v; /* one per paper, in order of first vote */
	size_t n, alloc;
	size_t up, down;
	uint64_t hash; /* of the resolved votes (learn.h) */
};

/*
 * Appends one vote (up or down, via) for each of the nids arXiv IDs, whose
 * title and abstract come from listing l of announcement day `date`. An
 * ID not in l: -1 with "no paper ID in the listing of DATE" in eb and
 * nothing recorded (not even the other IDs). Returns 0 or -1.
 */
int feedback_vote_ids(const char *state_dir, const char *sub_id,
		      const struct listing *l, const char *date,
		      const char *const *ids, size_t nids, int up,
		      const char *via, struct errbuf *eb);

/* One paper the LLM judge gave a verdict on: its index in the listing and
 * the relevance it gave (1-10). */
struct feedback_judged {
	size_t paper;
	long relevance;
};

/*
 * Records the LLM judge's verdicts j[0..n) on papers of listing l as
 * labels: relevance >= FEEDBACK_JUDGE_UP up, <= FEEDBACK_JUDGE_DOWN down,
 * the rest nothing; via FEEDBACK_VIA_JUDGE. *recorded (may be NULL) gets
 * how many. Returns 0 or -1.
 */
int feedback_record_judged(const char *state_dir, const char *sub_id,
			   const struct listing *l, const char *date,
			   const struct feedback_judged *j, size_t n,
			   size_t *recorded, struct errbuf *eb);

/*
 * Appends votes as given (their `when` may be NULL: now). Returns 0 or -1
 * with eb filled; on error nothing is appended.
 */
int feedback_append(const char *state_dir, const char *sub_id,
		    const struct feedback_vote *votes, size_t n,
		    struct errbuf *eb);

/*
 * Keeps only f's votes on papers of days before date ("YYYY-MM-DD"), and
 * counts and hashes those.
 */
void feedback_keep_before(struct feedback *f, const char *date);

/*
 * Reads STATE/feedback/ID, resolved to one vote per paper (see above).
 * A missing file is no votes. A bad line: -1 with "PATH:LINE: what".
 */
int feedback_load(const char *state_dir, const char *sub_id,
		  struct feedback *out, struct errbuf *eb);
void feedback_release(struct feedback *f);

/* STATE/feedback/ID (caller frees). */
char *feedback_path(const char *state_dir, const char *sub_id);

#endif
