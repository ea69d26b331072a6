/*
 * bounce: recognizes a bounce (a delivery failure report) in a raw mail
 * message and reads what it says: hard or soft, which recipient failed,
 * the Message-ID of the message that was returned, and where the bounce
 * itself was addressed (a VERP envelope sender).
 *
 * Design decision: this only reads; it never decides that a bounce counts.
 * Anyone can mail a well-formed DSN to the list, so a report is just a
 * claim here: bounces.c ties it to a message we sent (a signed VERP
 * address, or a Message-ID the journal recorded) before anything happens.
 * RFC 3464 reports (multipart/report; report-type=delivery-status) are
 * read from their machine-readable part; the common non-standard ones
 * (Exim, qmail, old Exchange, text-only Postfix) from their text, by the
 * markers those programs write. When in doubt the report is soft: only a
 * 5.x.x status or a 5xx reply, or a format that says the failure is
 * permanent, makes a hard bounce.
 */
#ifndef PAPERBOY_BOUNCE_H
#define PAPERBOY_BOUNCE_H

#include <stddef.h>

#include "strv.h"

/* Bytes of a message read: the report and the returned headers come
 * first; a bounce that returns a whole digest is about 150 KB. */
#define BOUNCE_MAX_INPUT ((size_t)1 << 20)
/* MIME nesting followed: report inside mixed inside a forward is 3. */
#define BOUNCE_MAX_DEPTH 4
/* Parts looked at in all: a report has three or four. */
#define BOUNCE_MAX_PARTS 32
/* Message-IDs kept from the returned message(s). */
#define BOUNCE_MAX_IDS 8
/* A Message-ID or address longer than this is not one (RFC 5322 line). */
#define BOUNCE_MAX_FIELD 998

enum bounce_kind {
	BOUNCE_NONE, /* not a bounce (or a success / relay notice) */
	BOUNCE_SOFT, /* temporary: 4.x.x, a delay warning, or unclear */
	BOUNCE_HARD, /* permanent: 5.x.x or 5xx */
};

struct bounce_report {
	enum bounce_kind kind;
	/* "rfc3464", "exim", "qmail", "exchange", "postfix", "gmail" or
	 * "text" (static strings); NULL when kind is BOUNCE_NONE. */
	const char *format;
	char *recipient;	 /* the failed address (addr-spec) or NULL */
	char *status;		 /* "5.1.1" or NULL */
	char *diagnostic;	 /* the server's reply, one line, or NULL */
	struct strv message_ids; /* the returned message's, "<...>" */
	/* Where the bounce was addressed, best first: Delivered-To,
	 * X-Original-To, Envelope-To, To (addr-specs, no brackets). */
	struct strv envelope_to;
	char *bounce_id; /* the bounce's own Message-ID or NULL */
	/* Why it is or is not a bounce, for a log line (static). */
	const char *reason;
};

/*
 * Reads msg[0..len) (cut at BOUNCE_MAX_INPUT and at a NUL byte) into
 * *out, which the caller releases with bounce_report_release() whatever
 * the result. Returns 1 when it is a bounce (out->kind is SOFT or HARD),
 * 0 when it is not (out->reason says why). Never fails: a message it
 * cannot read is not a bounce.
 */
int bounce_parse(const char *msg, size_t len, struct bounce_report *out);
void bounce_report_release(struct bounce_report *r);

/* "hard", "soft" or "none". */
const char *bounce_kind_name(enum bounce_kind k);

#endif
