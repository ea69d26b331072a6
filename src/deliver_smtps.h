/*
 * deliver_smtps: implicit TLS (SMTPS, port 465) for the SMTP transport,
 * on libcurl. Private to the deliver module: deliver_smtp.c routes
 * delivery.smtp.tls = "implicit" here, and everyone else goes through
 * deliver.h, whose outcome model and hooks this transport follows exactly.
 *
 * Design decision: libesmtp cannot speak TLS from the first byte, so this
 * transport runs one libcurl easy handle per batch and one
 * curl_easy_perform() per message; curl keeps the connection open between
 * performs, so a batch costs one connection as long as every message goes
 * through (a refused recipient makes curl close it, and the next message
 * opens a new one). What the server said at each step is followed through
 * curl's debug callback (always installed, AUTH lines never kept), because
 * curl's error codes do not say which command failed.
 *
 * Differences from the libesmtp transport: on_attempt comes after the
 * server's 354 to DATA rather than after its 250 to RCPT (curl offers no
 * earlier point, and a refused DATA command then leaves no "attempt" in
 * the journal); ca_file is handed to curl as its CA bundle, and with a
 * libcurl built with a CA path (Debian: /etc/ssl/certs) the system's
 * authorities stay trusted too.
 */
#ifndef PAPERBOY_DELIVER_SMTPS_H
#define PAPERBOY_DELIVER_SMTPS_H

#include <stddef.h>

#include "deliver.h"
#include "errbuf.h"

struct deliver_smtps;

/*
 * Checks cfg (host and port make a valid smtps:// URL) and keeps its own
 * copy of what a session needs; cfg->tls is not looked at. Returns 0 and
 * *out, or -1 with eb filled.
 */
int deliver_smtps_new(const struct deliver_smtp_config *cfg,
		      struct deliver_smtps **out, struct errbuf *eb);

/* Frees t (the password is wiped first). NULL is fine. */
void deliver_smtps_free(struct deliver_smtps *t);

/*
 * deliver_smtp_send() for implicit TLS, with the same contract: sets every
 * item's outcome, calls the hooks as each message progresses (on_attempt
 * once the server has answered DATA with 354, just before the first byte
 * of the message), and returns 0, or -1 / -2 with eb naming the step.
 * Stops at the first failure that is not one message's own verdict,
 * leaving the rest DELIVER_PENDING. Adds the connections it opened to
 * *connections.
 */
int deliver_smtps_send(struct deliver_smtps *t, struct deliver_item *items,
		       size_t n, const struct deliver_hooks *hooks,
		       unsigned long *connections, struct errbuf *eb);

#endif
