/*
 * bounces: the per-subscriber bounce record, and what it leads to.
 *
 * STATE/bounces/ID (folder 0700, files 0600) holds one line per bounce
 * that counted: "TIME<TAB>KIND<TAB>VIA<TAB>MESSAGE-ID<TAB>STATUS<TAB>
 * BOUNCE-ID", TIME UTC "YYYY-MM-DDTHH:MM:SSZ", "-" for a field not known.
 * After `limit` hard bounces within `window_days` the profile's status
 * becomes "bouncing" (subs_set_status, the same locked, validated,
 * atomic edit as unsubscribing), and `run` mails it no more. Soft bounces
 * are recorded and never suppress anyone.
 *
 * Design decision: a bounce counts only when it is tied to a message we
 * sent, because anyone can mail a well-formed DSN to the list address:
 * either it came to a VERP address whose signature verifies (token.h),
 * which names the subscriber, or it names the failed recipient and quotes
 * a Message-ID of ours, made in the last window_days, that the journal
 * of its day recorded as sent to that subscriber, and the recipient is
 * that subscriber's address. A
 * report delivered twice (the same bounce Message-ID) counts once.
 */
#ifndef PAPERBOY_BOUNCES_H
#define PAPERBOY_BOUNCES_H

#include <time.h>

#include "bounce.h"
#include "errbuf.h"
#include "subs.h"
#include "token.h"

/* A record file larger than this is rewritten with only the records of
 * the window (about 10,000 lines: a subscriber who bounces daily for
 * decades). */
#define BOUNCES_MAX_FILE ((size_t)1 << 20)
/* Defaults of delivery.bounce_limit and delivery.bounce_window_days. */
#define BOUNCES_DEFAULT_LIMIT	    3
#define BOUNCES_DEFAULT_WINDOW_DAYS 30

struct bounces_config {
	const char *state_dir;	     /* STATE: bounces/, journal/ in it */
	const char *verp_form;	     /* delivery.verp; NULL or "": none */
	const struct token_key *key; /* the list's secret (VERP) */
	long limit;		     /* hard bounces that suppress, >= 1 */
	long window_days;	     /* counted within this many days, >= 1 */
};

enum bounces_result {
	BOUNCES_NOT_OURS,  /* not a bounce, or tied to nothing we sent */
	BOUNCES_COUNTED,   /* recorded for out->subscriber */
	BOUNCES_DUPLICATE, /* this very report was recorded before */
};

struct bounces_outcome {
	enum bounces_result result;
	char *subscriber; /* the id (COUNTED, DUPLICATE), else NULL */
	const char *via;  /* "verp", "message-id" (static) or NULL */
	long hard, soft;  /* in the window, this one included */
	int suppressed;	  /* the profile became "bouncing" just now */
	char why[256];	  /* NOT_OURS: why, for a log line */
};

/*
 * Ties report r (bounce_parse) to a subscriber of subs, records it, and
 * when it is the limit-th hard bounce in the window of an active profile
 * sets the profile to "bouncing" and appends "bouncing ... via bounce" to
 * STATE/unsubscribe.log. now is the bounce's arrival. Returns 0 with *out
 * filled, or -1 with eb filled (a file could not be read or written;
 * nothing changed that the record does not show); release *out with
 * bounces_outcome_release either way.
 */
int bounces_handle(const struct bounces_config *cfg,
		   const struct subs_list *subs, const struct bounce_report *r,
		   time_t now, struct bounces_outcome *out, struct errbuf *eb);
void bounces_outcome_release(struct bounces_outcome *o);

/*
 * Appends one record for subscriber id (also for a 5xx at RCPT in our own
 * session: via "smtp", bounce_id NULL). message_id, status and bounce_id
 * may be NULL. With a bounce_id already on record nothing is appended and
 * *duplicate is 1. Returns 0 or -1 with eb filled.
 */
int bounces_record(const char *state_dir, const char *id, enum bounce_kind kind,
		   const char *via, const char *message_id, const char *status,
		   const char *bounce_id, time_t when, int *duplicate,
		   struct errbuf *eb);

/* Hard and soft bounces of id in the window_days before now (a record
 * from the future counts too: a clock set back). Returns 0 or -1. */
int bounces_count(const char *state_dir, const char *id, time_t now,
		  long window_days, long *hard, long *soft, struct errbuf *eb);

/*
 * If subscriber s is active and has at least limit hard bounces in the
 * window, sets its profile to "bouncing" and logs it; *changed says
 * whether it did. Returns 0 or -1 with eb filled.
 */
int bounces_apply_limit(const char *state_dir, const struct subscriber *s,
			long limit, long window_days, time_t now, int *changed,
			struct errbuf *eb);

#endif
