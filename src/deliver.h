/*
 * deliver: handing finished messages to their destination.
 *
 * Two transports behind one per-message outcome model:
 *  - the outbox, a Maildir (outbox/tmp, new, cur) that any mail reader can
 *    read: a message is written and fsynced in tmp/, then renamed into
 *    new/, so a reader never sees half a message; its files have LF line
 *    ends, as Maildir readers expect (CRLF is for the wire);
 *  - SMTP through libesmtp: one connection carries a batch of messages,
 *    one recipient each, and every message's outcome is read from the
 *    recipient and transfer status (smtp_start_session() returning 1 says
 *    only that the protocol ran, not that anything was delivered).
 *
 * Design decision: the caller learns each message's fate the moment the
 * server gives it, through hooks: on_attempt just before the message data
 * goes out (after this point a crash leaves it "in doubt"), on_result as
 * soon as the server answered. That is what lets the journal record every
 * step durably while a session is still running.
 */
#ifndef PAPERBOY_DELIVER_H
#define PAPERBOY_DELIVER_H

#include <stddef.h>
#include <stdio.h>

#include "errbuf.h"

/* The server's reply kept per message (SMTP replies are short). */
#define DELIVER_MAX_REPLY 512
/* Default seconds to wait for any server reply (libesmtp's minimums from
 * RFC 5321 are minutes; a local relay answers in milliseconds). */
#define DELIVER_DEFAULT_TIMEOUT 60

/* Creates dir/tmp, dir/new and dir/cur (mode 0700) if missing. */
int deliver_outbox_open(const char *dir, struct errbuf *eb);

/*
 * Writes one message (CRLF line ends, as composed for SMTP) into dir/new
 * under a unique Maildir name that contains `tag` (a subscriber id;
 * letters, digits, '-', '_', '.'), with each CRLF written as LF.
 * Returns 0 and the new file's path in *path (caller frees), or -1 with eb
 * filled and nothing left in new/ or tmp/.
 */
int deliver_outbox_put(const char *dir, const char *tag, const char *msg,
		       size_t len, char **path, struct errbuf *eb);

/*
 * A message's fate, from the server's replies alone. The caller can tell
 * apart what needs nothing more (SENT), what a later run should retry
 * (DEFERRED, PENDING), what no retry fixes today (FAILED) and what only
 * a person can settle (IN_DOUBT).
 */
enum deliver_outcome {
	DELIVER_PENDING,  /* not tried yet, or the session ended before it
			     reached the server: nothing was sent */
	DELIVER_SENT,     /* 2xx after the data */
	DELIVER_DEFERRED, /* 4xx for MAIL, the recipient or the data, or the
			     connection ended before the data began: the
			     server has nothing */
	DELIVER_FAILED,   /* 5xx for the recipient or the data */
	DELIVER_IN_DOUBT, /* the data began and no final reply came (the
			     connection was lost, or the reply timed out):
			     the server may have stored it */
};

struct deliver_item {
	const char *tag;        /* subscriber id, for hooks and messages */
	const char *rcpt;       /* envelope recipient */
	/* Envelope sender of this message (a VERP address, token.h), or
	 * NULL for the configuration's envelope_from. */
	const char *envelope_from;
	const char *data;       /* the message, CRLF line ends */
	size_t len;
	const char *message_id;
	void *user;             /* the caller's */
	/* Filled by deliver_smtp_send: */
	enum deliver_outcome outcome;
	/* The reply that decided the outcome ("250 2.0.0 Ok: queued as
	 * ...", "550 5.1.1 ..."), never a later one such as QUIT's; for
	 * DEFERRED without a reply and for IN_DOUBT, why ("no reply to the
	 * end of the data: no reply within 60 s (timeout)"). */
	char reply[DELIVER_MAX_REPLY];
	int attempted;          /* on_attempt was called */
};

struct deliver_hooks {
	/* The server accepted the recipient and the data of `it` is about
	 * to be sent: from here a lost connection leaves it in doubt. The
	 * session cannot be stopped from here; a caller that cannot record
	 * the attempt must end the process rather than return. */
	void (*on_attempt)(struct deliver_item *it, void *ctx);
	/* All of the data of `it` but its end has gone out; the end (which
	 * commits the server to it) follows the return. The caller's record
	 * of the attempt must be durable by then (and, as for on_attempt, a
	 * caller that cannot make it so must end the process). May be NULL. */
	void (*on_data_end)(struct deliver_item *it, void *ctx);
	/* As soon as it->outcome is SENT, DEFERRED or FAILED (also after
	 * on_attempt, when the connection ended before the data began:
	 * then DEFERRED). Never for IN_DOUBT: the attempt stays open. */
	void (*on_result)(struct deliver_item *it, void *ctx);
	void *ctx;
};

struct deliver_smtp_config {
	const char *host;
	long port;
	const char *tls;          /* "starttls", "implicit" or "none" */
	int tls_verify;           /* verify the certificate and host name */
	const char *ca_file;      /* extra trusted CA (PEM); NULL or "" */
	const char *user;         /* "" for no AUTH */
	const char *password;
	const char *envelope_from;
	const char *helo;         /* our name in EHLO; NULL or "": the host
				     name */
	long timeout_seconds;
	FILE *trace;              /* protocol trace (AUTH redacted) or NULL */
};

struct deliver_smtp;

/*
 * Checks the settings (tls = "none" is refused unless host is a loopback
 * address: a password or a digest must not cross a network in the clear)
 * and prepares the transport. Returns 0 and *out, or -1 with eb filled.
 */
int deliver_smtp_new(const struct deliver_smtp_config *cfg,
		     struct deliver_smtp **out, struct errbuf *eb);
void deliver_smtp_free(struct deliver_smtp *s);

/*
 * Sends items[0..n) over one new connection, calling the hooks as each
 * message progresses, and sets every item's outcome. Returns 0 when the
 * session reached every item, or a negative value with eb saying which
 * step failed ("connect", "TLS", "AUTH", "MAIL", "RCPT", "DATA") and the
 * reply that refused it (never the server's answer to our QUIT): -1 for a
 * failure worth retrying (network, timeout, a dropped connection, 421 and
 * other 4xx), -2 for one that a retry will not fix (a 5xx greeting,
 * authentication refused, TLS required but not offered, certificate
 * rejected, sender refused with 5xx). Items the session never reached
 * stay DELIVER_PENDING; the others are settled even when it fails. A
 * server that closes the connection never ends the process: the caller
 * must ignore SIGPIPE (main does).
 */
int deliver_smtp_send(struct deliver_smtp *s, struct deliver_item *items,
		      size_t n, const struct deliver_hooks *hooks,
		      struct errbuf *eb);

struct conf;
/*
 * deliver_smtp_new with the settings of c's delivery.smtp section; the
 * password comes from $PAPERBOY_SMTP_PASSWORD or delivery.smtp
 * .password_file (refused unless mode 0600 and ours), and
 * $PAPERBOY_SMTP_TRACE turns on the protocol trace on stderr. Returns 0
 * and *out, or -1 with eb filled (ERRBUF_CONFIG).
 */
int deliver_smtp_open(const struct conf *c, struct deliver_smtp **out,
		      struct errbuf *eb);

/*
 * Sends one message (it: tag, rcpt, data, len, message_id) by c's
 * delivery method: written into the outbox (*where: its file) or over one
 * SMTP session of its own (*where: "HOST:PORT: REPLY"). Returns 0 with
 * *where set (caller frees), or -1 with eb filled, *where NULL and the
 * kind set: ERRBUF_TEMP (deferred, not reached, or in doubt), ERRBUF_PROTOCOL
 * (refused), ERRBUF_AUTH, ERRBUF_CONFIG or ERRBUF_IO (the outbox).
 */
int deliver_one(const struct conf *c, struct deliver_item *it, char **where,
		struct errbuf *eb);

/* Connections opened so far (for the run summary and tests). */
unsigned long deliver_smtp_connections(const struct deliver_smtp *s);

/* "sent", "deferred", "failed", "in-doubt" or "pending". */
const char *deliver_outcome_name(enum deliver_outcome o);

#endif
