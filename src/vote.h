/*
 * vote: the "More like this" / "Fewer like this" links of the digest and
 * the /vote page of `paperboy serve` that answers them.
 *
 * A link is BASE/vote?s=ID&p=ARXIVID&d=DATE&v=up|down&t=TOKEN, where the
 * token (token.h, purpose TOKEN_VOTE_UP or TOKEN_VOTE_DOWN) signs the
 * subscriber id and "DATE/ARXIVID" in the address's place: changing the
 * direction, the paper, the day or the subscriber breaks it. A test
 * issue's links are signed TOKEN_TEST and are refused like a forgery.
 *
 * Design decision: the unsubscribe rule. A GET (a link scanner, a
 * preview, the reader's click) only shows the paper and a button; the
 * button POSTs, and only a POST records, in the feedback store (feedback.h,
 * via "http"), with the paper's text from the day's cached listing, read
 * without the network (the day is in the link, so any day's vote works as
 * long as that day is cached, which every run makes sure of).
 */
#ifndef PAPERBOY_VOTE_H
#define PAPERBOY_VOTE_H

#include "buf.h"
#include "conf.h"
#include "errbuf.h"
#include "http.h"
#include "listing.h"
#include "tmpl.h"
#include "token.h"

/* The page of /vote, in the templates folder. */
#define VOTE_PAGE "vote.html"

/*
 * The URL of subscriber sub_id's vote (up or down) on paper_id of day
 * `date`, signed with purpose TOKEN_VOTE_UP/DOWN, or TOKEN_TEST when test
 * (a test issue: inert). "" when c has no list.base_url. Caller frees.
 */
char *vote_url(const struct conf *c, const struct token_key *key, int test,
	       const char *sub_id, const char *date, const char *paper_id,
	       int up);

/* 1 when token is the one vote_url signed for these values, else 0. */
int vote_token_ok(const struct token_key *key, int up, const char *sub_id,
		  const char *date, const char *paper_id, const char *token);

/* The /vote page, and the last day's listing it read. */
struct vote_site {
	const struct conf *conf;
	const struct token_key *key;
	struct tmpl *page;
	char date[16]; /* the day in `listing`, "" for none */
	struct listing listing;
};

/* Loads VOTE_PAGE from c's templates folder. c and key must outlive the
 * site. Returns 0, or -1 with eb filled (ERRBUF_CONFIG). */
int vote_site_open(struct vote_site *vs, const struct conf *c,
		   const struct token_key *key, struct errbuf *eb);
void vote_site_release(struct vote_site *vs);

/* What vote_handle did, for the server's log. */
enum vote_outcome {
	VOTE_SHOWN,    /* a GET: the page, nothing recorded */
	VOTE_RECORDED, /* a POST: the vote is in the store */
	VOTE_REFUSED,  /* 403: forged, flipped, a test link, no such id */
	VOTE_FAILED,   /* 500: the store or the day's cache failed */
};

/*
 * Answers one /vote request into reply (200, 403 or 500). On
 * VOTE_RECORDED, log gets "ID up-voted ARXIVID of DATE"; on VOTE_FAILED,
 * what failed. Not thread-safe (http.h calls it from one thread).
 */
enum vote_outcome vote_handle(struct vote_site *vs,
			      const struct http_request *req,
			      struct http_reply *reply, struct buf *log);

#endif
