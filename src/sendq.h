/*
 * sendq: the confirmation mails of `paperboy serve`, sent by a thread of
 * their own.
 *
 * Design decision: the web server answers every request from one thread
 * (http.h), and a relay that is slow or down keeps a sender waiting up to
 * delivery.smtp.timeout for each reply: sending from a request would hold
 * every page (unsubscribe links among them) up for as long. So the form
 * records the request and queues its mail, and one mailer thread sends
 * the queue in order. The queue is bounded: when it
 * is full the form says to try again later rather than the queue grow;
 * stopping finishes the mail being sent and drops the others' requests,
 * so that those readers can simply ask again.
 */
#ifndef PAPERBOY_SENDQ_H
#define PAPERBOY_SENDQ_H

#include <stddef.h>

#include "conf.h"
#include "errbuf.h"
#include "optin.h"

/* Mails waiting for the relay in serve's queue: a day's subscriptions of
 * a large list arrive far slower than one relay takes them. */
#define SENDQ_MAX 64

/*
 * What became of one mail, called on the mailer thread: ok 1 with what
 * the outbox file or the server's reply, ok 0 with what the error; note
 * is the push's.
 */
typedef void sendq_done_fn(void *ctx, const char *rcpt, const char *note,
			   int ok, const char *what);

struct sendq;

/*
 * Starts the mailer thread (with every signal blocked) for c's delivery,
 * holding at most max mails; done (may be NULL) is told of each. c must
 * outlive the queue. Returns 0 and *out, or -1 with eb filled.
 */
int sendq_start(const struct conf *c, size_t max, sendq_done_fn *done,
		void *ctx, struct sendq **out, struct errbuf *eb);
/*
 * Queues m (note, copied, is given back to done). Returns 0 (the queue
 * owns m), or -1 with eb filled (ERRBUF_TEMP) when the queue is full or
 * stopping; m stays the caller's.
 */
int sendq_push(struct sendq *q, struct optin_mail *m, const char *note,
	       struct errbuf *eb);
/*
 * Lets the mail being sent finish (up to delivery.smtp.timeout for each
 * reply it waits for), drops the queued ones (their requests removed,
 * done told), joins the thread and frees q (NULL is fine).
 */
void sendq_stop(struct sendq *q);

#endif
