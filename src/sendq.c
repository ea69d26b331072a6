/*
 * sendq: confirmation mails sent off the web server's thread (see
 * sendq.h).
 *
 * A ring of max slots under one mutex; the mailer sleeps on a condition
 * variable while the ring is empty, takes the oldest mail, and sends it
 * with the lock released.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sendq.h"
#include "xalloc.h"
#include "banned.h"

struct sendq_item {
	struct optin_mail *mail;
	char *note;
};

struct sendq {
	const struct conf *conf;
	sendq_done_fn *done;
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t mailer;
	struct sendq_item *ring;
	size_t max, head, n;
	int stopping;
};

static void tell(struct sendq *q, const struct sendq_item *it, int ok,
		 const char *what)
{
	if (q->done)
		q->done(q->ctx, optin_mail_rcpt(it->mail), it->note, ok, what);
}

static void *mailer_main(void *arg)
{
	struct sendq *q = arg;

	for (;;) {
		struct sendq_item it;
		struct errbuf eb = ERRBUF_INIT;
		char *where = NULL;

		pthread_mutex_lock(&q->mu);
		while (!q->n && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stopping) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		it = q->ring[q->head];
		q->head = (q->head + 1) % q->max;
		q->n--;
		pthread_mutex_unlock(&q->mu);
		if (optin_send(q->conf, it.mail, &where, &eb) < 0)
			tell(q, &it, 0, eb.msg);
		else
			tell(q, &it, 1, where);
		free(where);
		optin_mail_free(it.mail, 0);
		free(it.note);
	}
}

int sendq_start(const struct conf *c, size_t max, sendq_done_fn *done,
		void *ctx, struct sendq **out, struct errbuf *eb)
{
	struct sendq *q = xcalloc(1, sizeof(*q));
	sigset_t all, old;
	int err;

	*out = NULL;
	q->conf = c;
	q->done = done;
	q->ctx = ctx;
	q->max = max ? max : 1;
	q->ring = xcalloc(q->max, sizeof(*q->ring));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	/* Signals are for the command's thread, never an SMTP read here. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&q->mailer, NULL, mailer_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q->ring);
		free(q);
		return errbuf_setk(eb, ERRBUF_IO, "cannot start the mailer "
				   "thread: %s", strerror(err));
	}
	*out = q;
	return 0;
}

int sendq_push(struct sendq *q, struct optin_mail *m, const char *note,
	       struct errbuf *eb)
{
	int ret = -1;

	pthread_mutex_lock(&q->mu);
	if (q->stopping || q->n == q->max) {
		errbuf_setk(eb, ERRBUF_TEMP, "%zu confirmation mails wait for "
			    "the relay already; try again later", q->n);
		goto out;
	}
	q->ring[(q->head + q->n) % q->max].mail = m;
	q->ring[(q->head + q->n) % q->max].note = xstrdup(note ? note : "");
	q->n++;
	pthread_cond_signal(&q->cv);
	ret = 0;
out:
	pthread_mutex_unlock(&q->mu);
	return ret;
}

void sendq_stop(struct sendq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->mailer, NULL);
	for (; q->n; q->n--, q->head = (q->head + 1) % q->max) {
		struct sendq_item *it = &q->ring[q->head];

		tell(q, it, 0, "not sent: the server stopped first");
		optin_mail_free(it->mail, 1);
		free(it->note);
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->ring);
	free(q);
}
