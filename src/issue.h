/*
 * issue: one subscriber's issue of the day: scores (with revisions of
 * papers already sent left out), the LLM judge's second opinion, the
 * rendered digest, and the complete message with its unsubscribe links.
 *
 * Design decision: composing is a pure function of the day and the
 * subscriber: it writes nothing, so `render`, `send-test`, a dry run and
 * the real run all compose the same bytes; only delivery records history.
 */
#ifndef PAPERBOY_ISSUE_H
#define PAPERBOY_ISSUE_H

#include "buf.h"
#include "day.h"
#include "digest.h"
#include "errbuf.h"
#include "render.h"
#include "score.h"
#include "strv.h"
#include "subs.h"
#include "token.h"

/* One subscriber's digest, rendered and assembled. */
struct issue {
	struct score_result scores;
	struct digest digest;
	struct buf html;        /* decoded; empty from the day's fragments */
	struct buf text;        /* unless issue_opts.keep_parts */
	char *subject;
	char *message_id;
	struct buf message;    /* the complete RFC 5322 message */
	struct strv warnings;  /* the LLM judge's fallbacks, for the command */
	char *envelope_from;   /* the signed VERP sender (delivery.verp), or
				* NULL for the configured one */
};

/* How a test issue differs from the real one; NULL for the real one. */
struct issue_opts {
	const char *to;             /* address instead of the subscriber's */
	const char *subject_prefix; /* "[TEST] " */
	int lexical_only;           /* no LLM judge (a template check) */
	int keep_parts;             /* fill html and text also when the day
				     * composes from fragments (render) */
};

/*
 * Scores, selects, renders and assembles s's digest for the day d, with
 * its unsubscribe links (List-Unsubscribe, List-Unsubscribe-Post and the
 * footer), profile link (the footer) and each paper's vote links
 * (issue_vote_urls); a test issue's links carry a TOKEN_TEST token, inert
 * for the real subscriber; the RFC 2369 headers List-Help, List-Owner and
 * (with the archive on) List-Archive, and Reply-To: list.owner. Returns 0,
 * or -1 with eb filled. Release with issue_release
 * (also after -1).
 */
int issue_compose(const struct day *d, const struct render_templates *t,
		  const struct subscriber *s, const struct issue_opts *opts,
		  struct issue *out, struct errbuf *eb);

/*
 * issue_compose in two halves, for composing on several threads:
 * issue_prepare scores s (issue_score) with idx, the index s's profile
 * was built into (a day_group's; NULL: the day's own), and asks the
 * judge (issue_judge, unless opts->lexical_only) into out (cleared
 * first); it uses the day's scoring scratch and the judge, so only one
 * thread at a time may call it for a day. issue_assemble then selects,
 * renders and assembles the message from out's scores; it reads the day
 * and the templates only, so several threads may run it at once. Both return 0, or -1 with eb
 * filled; release out with issue_release either way.
 */
int issue_prepare(const struct day *d, const struct score_index *idx,
		  const struct subscriber *s, const struct issue_opts *opts,
		  struct issue *out, struct errbuf *eb);
int issue_assemble(const struct day *d, const struct render_templates *t,
		   const struct subscriber *s, const struct issue_opts *opts,
		   struct issue *out, struct errbuf *eb);
void issue_release(struct issue *issue);

/* Scores s's papers (score_subscriber) and leaves out revisions of
 * papers s was sent on an earlier day. Returns 0 or -1 with eb filled;
 * release *out with score_result_release. */
int issue_score(const struct conf *c, const struct score_index *idx,
		const struct listing *l, const struct subscriber *s,
		struct score_result *out, struct errbuf *eb);

/* The LLM judge's second opinion on s's scores r, when the day has a judge
 * (cache only unless the day was opened for a real run); its fallbacks are
 * pushed onto warnings. Fills *cost (zero when no judge). Returns 0 or -1
 * with eb filled. */
int issue_judge(const struct day *d, const struct subscriber *s,
		struct score_result *r, struct digest_cost *cost,
		struct strv *warnings, struct errbuf *eb);

/* The https unsubscribe URL for s (purpose TOKEN_UNSUBSCRIBE or
 * TOKEN_TEST), or "" when list.base_url is not set; caller frees. */
char *issue_unsubscribe_url(const struct conf *c, const struct token_key *key,
			    enum token_purpose purpose,
			    const struct subscriber *s);

/* The https "change your topics" URL for s (BASE_URL/profile?s=ID&t=...,
 * purpose TOKEN_PROFILE, or TOKEN_TEST for a test issue), or "" when
 * list.base_url is not set; caller frees. */
char *issue_profile_url(const struct conf *c, const struct token_key *key,
			enum token_purpose purpose,
			const struct subscriber *s);

/* The "More like this" (up) or "Fewer like this" URL of every paper of
 * dg, in its order (vote.h; test: a test issue's inert links), or NULL
 * when list.base_url is not set. Caller frees each and the array. */
char **issue_vote_urls(const struct conf *c, const struct token_key *key,
		       int test, const struct digest *dg, int up);

/*
 * Records the LLM judge's verdicts on s's papers of the day (issue
 * scores with judged entries) as s's labels for learning
 * (feedback_record_judged: high relevance up, low down, via "judge"). For
 * a real run only: not a dry run, render, score or send-test. Nothing
 * when the day has no judge. *recorded (may be NULL) gets how many.
 * Returns 0 or -1 with eb filled.
 */
int issue_record_judged(const struct day *d, const struct subscriber *s,
			const struct issue *issue, size_t *recorded,
			struct errbuf *eb);

/* Records the papers of a delivered issue in the subscriber's history
 * (see history.h). Returns 0 or -1 with eb filled. */
int issue_record_history(const struct conf *c, const struct issue *issue,
			 struct errbuf *eb);

#endif
