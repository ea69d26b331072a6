/*
 * optin: double opt-in. A subscription request (from `paperboy subscribe`
 * or the form of `serve`) is kept in STATE/pending/ and mailed a
 * confirmation link, BASE_URL/confirm?s=REQUEST&t=TOKEN; confirming it
 * creates subscribers/ID.cfg from the starter profile.
 *
 * Design decision: the request's name REQUEST is "EXPIRES-HASH" (the Unix
 * time it expires, and a hash of the address that names the pending
 * file), and the token (TOKEN_CONFIRM) signs that name: a link is judged
 * forged or expired from the link alone, before any file is read, and a
 * new request for the same address replaces the old one, so an address
 * has at most one pending request and a flood of requests cannot fill
 * the disk with copies.
 */
#ifndef PAPERBOY_OPTIN_H
#define PAPERBOY_OPTIN_H

#include <time.h>

#include "conf.h"
#include "errbuf.h"
#include "token.h"

/* A confirmation link works this long (seconds): a week covers a reader
 * who is away for a few days. */
#define OPTIN_LIFETIME (7 * 24 * 3600)
/* A new confirmation mail to the same address waits this long (seconds)
 * after the last one: the form cannot be used to flood someone's inbox. */
#define OPTIN_RESEND_AFTER (10 * 60)
/* Pending requests kept at most; beyond, new ones are refused until old
 * ones expire (bounded disk use whatever the form receives). */
#define OPTIN_MAX_PENDING 10000

enum optin_outcome {
	OPTIN_SENT,      /* a confirmation mail went out */
	OPTIN_THROTTLED, /* one went out less than OPTIN_RESEND_AFTER ago */
};

/* Where a confirmation mail went. */
struct optin_sent {
	enum optin_outcome outcome;
	char *where;     /* the outbox file, or the SMTP server's reply */
	char *url;       /* the confirmation link */
};

/*
 * Records a request for email (display name name, may be "") and mails
 * it the confirmation link through c's delivery (outbox or SMTP). Expired
 * requests are removed on the way. Whether email is already subscribed
 * makes no difference here. Returns 0 and *out (release with
 * optin_sent_release), or -1 with eb filled: ERRBUF_USAGE for an address
 * or name that is not acceptable, ERRBUF_CONFIG without list.base_url,
 * ERRBUF_TEMP for too many pending requests or a delivery to retry.
 */
int optin_request(const struct conf *c, const struct token_key *key,
		  const char *email, const char *name, time_t now,
		  struct optin_sent *out, struct errbuf *eb);
void optin_sent_release(struct optin_sent *s);

/* A confirmation recorded and composed, not yet sent (optin_prepare). */
struct optin_mail;

/*
 * optin_request in two halves, for a caller that sends on another thread
 * (sendq.h). optin_prepare checks, records the request and composes its
 * mail: returns 0 with out->url and *mail (the caller owns it), or with
 * out->outcome OPTIN_THROTTLED and *mail NULL; or -1 as optin_request.
 */
int optin_prepare(const struct conf *c, const struct token_key *key,
		  const char *email, const char *name, time_t now,
		  struct optin_mail **mail, struct optin_sent *out,
		  struct errbuf *eb);
/*
 * Sends m through c's delivery: 0 and *where (the outbox file or the
 * server's reply; caller frees), or -1 with eb filled and the request
 * removed again (unless a newer one for the address replaced it), so
 * that the reader may ask again at once. Thread-safe for distinct mails.
 */
int optin_send(const struct conf *c, const struct optin_mail *m,
	       char **where, struct errbuf *eb);
/* The address m goes to (owned by m). */
const char *optin_mail_rcpt(const struct optin_mail *m);
/* Frees m (NULL is fine); with drop, also removes its request first (a
 * mail that will never be sent), unless a newer one replaced it. */
void optin_mail_free(struct optin_mail *m, int drop);

/* How a /confirm link stands. */
enum optin_check {
	OPTIN_VALID,     /* signed by us, not expired, request pending */
	OPTIN_FORGED,    /* not a link of ours (403) */
	OPTIN_EXPIRED,   /* expired, or already used (410) */
};

/*
 * Judges the link (request, token) at now; with OPTIN_VALID, *email and
 * *name (caller frees) are the request's. Returns the verdict, or -1 with
 * eb filled when the pending file cannot be read.
 */
int optin_check(const struct conf *c, const struct token_key *key,
		const char *request, const char *token, time_t now,
		char **email, char **name, struct errbuf *eb);

/* What confirming did. */
struct optin_confirmed {
	char *id;        /* the subscriber id */
	char *email;
	int created;     /* a new profile; 0: the address had one already */
	int resubscribed; /* it had one, unsubscribed, and is active again */
};

/*
 * Confirms the request (which must check OPTIN_VALID): creates
 * subscribers/ID.cfg (ID from the address, made unique) from the starter
 * profile with name, email and status "active", or, when a profile
 * already has that address, creates nothing (and makes it active again
 * when it was unsubscribed). The request is removed and the change
 * logged in STATE/unsubscribe.log. Returns the verdict of optin_check
 * (only OPTIN_VALID changed anything), or -1 with eb filled (a starter
 * profile that does not make a valid profile: ERRBUF_CONFIG).
 */
int optin_confirm(const struct conf *c, const struct token_key *key,
		  const char *request, const char *token, time_t now,
		  const char *via, struct optin_confirmed *out,
		  struct errbuf *eb);
void optin_confirmed_release(struct optin_confirmed *r);

#endif
