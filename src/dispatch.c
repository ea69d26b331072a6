/*
 * dispatch: the run of one day (see dispatch.h).
 *
 * Design decision: three stages joined by bounded queues. Workers claim
 * subscribers in order (next), compose into ring[seq % nring], and wait
 * while they are nring ahead of the consumer; the consumer (the caller's
 * thread) takes the ring in order, so every per-subscriber line comes out
 * in subscriber order whatever the number of threads; full batches go out
 * on the consumer's own thread (one connection, as a one-thread run did)
 * or through a one-batch hand-off to the connection threads. Delivery
 * keeps the journal's promise per message: "attempt" (journal_attempt
 * _begin) when the server took the recipient, durable (journal_attempt
 * _wait) before the message's final "."; the journal groups the fsyncs of
 * concurrent sessions.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounces.h"
#include "dispatch.h"
#include "issue.h"
#include "stem.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

enum slot_kind {
	SLOT_UNSUBSCRIBED,
	SLOT_HANDLED,   /* the journal says done today (jstate) */
	SLOT_FAILED,    /* compose failed (error) */
	SLOT_EMPTY,
	SLOT_READY,     /* issue holds the message */
	SLOT_BROKEN,    /* the profile could not be loaded (error) */
	SLOT_GONE,      /* the profile was removed (error: its id) */
};

enum group_state {
	GROUP_FREE,
	GROUP_LOADING,
	GROUP_READY,
};

/*
 * A group of the run's subscribers (run sequence numbers k * gsize ...),
 * loaded by the first worker that needs it and released by whoever
 * settles its last subscriber (reported, or delivered and released):
 * until then the events and the batches point into its profiles.
 */
struct dgroup {
	size_t k;
	enum group_state state;
	struct day_group g;
	size_t unsettled;
};

/* One subscriber between the workers and the consumer. */
struct slot {
	int ready;
	enum slot_kind kind;
	const struct subscriber *sub;   /* NULL: SLOT_BROKEN */
	struct dgroup *group;           /* by group: sub's group */
	struct issue issue;
	enum journal_state jstate;
	char *jmid, *jreply;  /* copies of the journal's record */
	char *error;          /* SLOT_FAILED, SLOT_BROKEN */
	char *archive_error;  /* the archive page failed (a warning) */
};

/* One composed message in a batch. */
struct pending {
	struct issue issue;
	struct deliver_item item;
	struct dgroup *group;
};

struct batch {
	struct pending *v;
	size_t n;
};

/* One SMTP transport; with several connections, one thread each. */
struct conn {
	struct dispatch *dp;
	struct deliver_smtp *smtp;
	pthread_t thread;
	int started;
	double seconds;
};

struct dispatch {
	const struct dispatch_opts *o;
	const struct day *d;
	struct journal *journal;
	int smtp;              /* delivery by SMTP (else the outbox) */
	struct conn *conns;
	size_t nconns;
	size_t conn_threads;   /* started; 0: batches go out on the caller's */
	/* The run's subscribers in order: indices into d->subs, or with
	 * by_group into d->names, loaded gsize at a time. */
	size_t *seq;
	size_t nseq, todo, done;
	int by_group;
	size_t gsize;

	/* The groups alive (by_group): loaded in order, one at a time,
	 * each into groups[k % DISPATCH_GROUPS] once its last occupant
	 * has settled. */
	pthread_mutex_t gmu;
	pthread_cond_t gcond;
	struct dgroup groups[DISPATCH_GROUPS];
	size_t next_load;
	int loading, gstop;
	struct subs_seen *seen;

	/* Events and counts: one thread at a time. */
	pthread_mutex_t ev_mu;
	struct dispatch_counts n;

	/* Stopping: a session failure a retry will not fix (atomic). */
	int fatal;
	struct errbuf fatal_eb;

	/* The ring between the workers and the consumer. */
	pthread_mutex_t mu;
	pthread_cond_t ready, space;
	struct slot *ring;
	size_t nring, next, consumed;
	int stop;
	pthread_t *workers;
	size_t nworkers;
	pthread_mutex_t score_mu;  /* issue_prepare: one thread at a time */

	/* The hand-off to the connection threads (one batch waiting). */
	pthread_mutex_t bq_mu;
	pthread_cond_t bq_cond;
	struct batch bq;
	int bq_full, bq_closed;
};

/* dispatch_shard_of of the id made of the len bytes at id. */
static unsigned long shard_of(const char *id, size_t len, unsigned long n)
{
	uint64_t h = util_fnv1a(UTIL_FNV_BASIS, id, len);

	return n ? (unsigned long)(h % n) + 1 : 1;
}

unsigned long dispatch_shard_of(const char *id, unsigned long n)
{
	return shard_of(id, strlen(id), n);
}

int dispatch_parse_shard(const char *s, unsigned long *k, unsigned long *n,
			 struct errbuf *eb)
{
	char *end;
	unsigned long a, b;

	if (*s < '1' || *s > '9')
		goto bad;
	a = strtoul(s, &end, 10);
	if (*end != '/' || end[1] < '1' || end[1] > '9')
		goto bad;
	b = strtoul(end + 1, &end, 10);
	if (*end || a > b || b > JOURNAL_MAX_SHARDS)
		goto bad;
	*k = a;
	*n = b;
	return 0;
bad:
	return errbuf_setk(eb, ERRBUF_USAGE,
			   "--shard: \"%s\" is not K/N with 1 <= K <= N <= %d",
			   s, JOURNAL_MAX_SHARDS);
}

/* ---- events ---- */

static void count_locked(struct dispatch *dp, const struct dispatch_event *ev)
{
	struct dispatch_counts *n = &dp->n;

	switch (ev->kind) {
	case DISPATCH_UNSUBSCRIBED:
	case DISPATCH_DEPARTED:
	case DISPATCH_GONE:
		n->unsubscribed++;
		break;
	case DISPATCH_BOUNCING:
		n->bouncing++;
		break;
	case DISPATCH_ALREADY_SENT:
		n->already_sent++;
		break;
	case DISPATCH_FAILED_EARLIER:
		n->failed_earlier++;
		break;
	case DISPATCH_IN_DOUBT_EARLIER:
		n->in_doubt++;
		break;
	case DISPATCH_COMPOSE_FAILED:
		n->compose_failed++;
		break;
	case DISPATCH_EMPTY:
		n->empty++;
		break;
	case DISPATCH_BROKEN:
		n->broken++;
		break;
	case DISPATCH_WOULD_SEND:
	case DISPATCH_OUTBOX_SENT:
		n->sent++;
		break;
	case DISPATCH_RECHECK_FAILED:
	case DISPATCH_OUTBOX_FAILED:
		n->deferred++;
		break;
	case DISPATCH_DELIVERED:
		switch (ev->item->outcome) {
		case DELIVER_SENT:
			n->sent++;
			break;
		case DELIVER_FAILED:
			n->failed++;
			break;
		case DELIVER_IN_DOUBT:
			n->in_doubt++;
			break;
		default:
			n->deferred++;
			break;
		}
		break;
	default:
		break;
	}
}

/* 1 if ev settles a subscriber without a message (by group, todo counts
 * every profile of the run, and these come off as they are known). */
static int skipped(const struct dispatch_event *ev)
{
	switch (ev->kind) {
	case DISPATCH_UNSUBSCRIBED:
	case DISPATCH_BOUNCING:
	case DISPATCH_ALREADY_SENT:
	case DISPATCH_FAILED_EARLIER:
	case DISPATCH_IN_DOUBT_EARLIER:
	case DISPATCH_COMPOSE_FAILED:
	case DISPATCH_EMPTY:
	case DISPATCH_BROKEN:
	case DISPATCH_GONE:
		return 1;
	default:
		return 0;
	}
}

static void emit(struct dispatch *dp, struct dispatch_event *ev)
{
	pthread_mutex_lock(&dp->ev_mu);
	if (ev->kind == DISPATCH_RECHECK_FAILED ||
	    ev->kind == DISPATCH_DEPARTED || (dp->by_group && skipped(ev)))
		dp->todo--;
	count_locked(dp, ev);
	dp->o->on_event(ev, dp->o->ctx);
	pthread_mutex_unlock(&dp->ev_mu);
}

static void emit_sub(struct dispatch *dp, enum dispatch_event_kind kind,
		     const struct subscriber *s, const char *msg)
{
	struct dispatch_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.sub = s;
	ev.msg = msg;
	emit(dp, &ev);
}

/* One subscriber of group g is settled: the last one releases the group
 * and makes room for the next. g NULL: not by group. */
static void settle(struct dispatch *dp, struct dgroup *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&dp->gmu);
	if (!--g->unsettled) {
		day_group_release(&g->g);
		g->state = GROUP_FREE;
		pthread_cond_broadcast(&dp->gcond);
	}
	pthread_mutex_unlock(&dp->gmu);
}

static void pending_release(struct dispatch *dp, struct pending *p)
{
	issue_release(&p->issue);
	settle(dp, p->group);
	p->group = NULL;
}

/* Wakes the workers waiting for a group: the run is stopping. */
static void stop_groups(struct dispatch *dp)
{
	pthread_mutex_lock(&dp->gmu);
	dp->gstop = 1;
	pthread_cond_broadcast(&dp->gcond);
	pthread_mutex_unlock(&dp->gmu);
}

/* A message that cannot be journaled must not go out: the callback ends
 * the process (dispatch.h); should it return, nothing more goes out. */
static void journal_failed(struct dispatch *dp, const struct errbuf *eb)
{
	emit_sub(dp, DISPATCH_JOURNAL_FAILED, NULL, eb->msg);
	abort();
}

/* ---- delivery hooks (any connection thread) ---- */

static enum journal_state journal_of(enum deliver_outcome o)
{
	switch (o) {
	case DELIVER_SENT:
		return JOURNAL_SENT;
	case DELIVER_FAILED:
		return JOURNAL_FAILED;
	default:
		return JOURNAL_DEFERRED;
	}
}

static void on_attempt(struct deliver_item *it, void *ctx)
{
	struct dispatch *dp = ctx;
	struct errbuf eb = ERRBUF_INIT;

	/* The fsync runs while the data goes out; on_data_end waits. */
	if (journal_attempt_begin(dp->journal, it->tag, it->message_id, &eb) <
	    0)
		journal_failed(dp, &eb);
}

static void on_data_end(struct deliver_item *it, void *ctx)
{
	struct dispatch *dp = ctx;
	struct errbuf eb = ERRBUF_INIT;

	if (journal_attempt_wait(dp->journal, &eb) < 0)
		journal_failed(dp, &eb);
}

/* Counts a 5xx to RCPT as a hard bounce of the subscriber; reaching
 * delivery.bounce_limit makes the profile "bouncing". Returns 0 or -1. */
static int record_refusal(struct dispatch *dp, const struct issue *issue,
			  const struct deliver_item *it, struct errbuf *eb)
{
	const struct conf *c = &dp->d->conf;
	const struct subscriber *s = issue->digest.sub;
	time_t now = time(NULL);
	int dup = 0, changed = 0;

	if (bounces_record(c->state_dir, s->id, BOUNCE_HARD, "smtp",
			   it->message_id, it->reply, NULL, now, &dup,
			   eb) < 0 ||
	    bounces_apply_limit(c->state_dir, s, c->bounce_limit,
				c->bounce_window_days, now, &changed, eb) < 0)
		return errbuf_prefix(eb, "%s: bounce record", s->id);
	return 0;
}

static void on_result(struct deliver_item *it, void *ctx)
{
	struct dispatch *dp = ctx;
	struct errbuf eb = ERRBUF_INIT;
	struct issue *issue = it->user;

	if (journal_result(dp->journal, it->tag, journal_of(it->outcome),
			   it->message_id, it->reply, &eb) < 0)
		journal_failed(dp, &eb);
	if (it->outcome == DELIVER_SENT && issue &&
	    issue_record_history(&dp->d->conf, issue, &eb) < 0)
		emit_sub(dp, DISPATCH_HISTORY_FAILED, issue->digest.sub,
			 eb.msg);
	/* Refused at RCPT in our own session: a hard bounce we saw. */
	if (it->outcome == DELIVER_FAILED && !it->attempted && issue &&
	    record_refusal(dp, issue, it, &eb) < 0)
		emit_sub(dp, DISPATCH_HISTORY_FAILED, issue->digest.sub,
			 eb.msg);
	if (it->outcome == DELIVER_SENT || it->outcome == DELIVER_FAILED) {
		struct dispatch_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = DISPATCH_PROGRESS;
		pthread_mutex_lock(&dp->ev_mu);
		ev.done = ++dp->done;
		ev.todo = dp->todo;
		dp->o->on_event(&ev, dp->o->ctx);
		pthread_mutex_unlock(&dp->ev_mu);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static int is_fatal(struct dispatch *dp)
{
	return __atomic_load_n(&dp->fatal, __ATOMIC_ACQUIRE);
}

static void set_fatal(struct dispatch *dp, const struct errbuf *eb)
{
	pthread_mutex_lock(&dp->ev_mu);
	if (!is_fatal(dp)) {
		dp->fatal_eb = *eb;
		__atomic_store_n(&dp->fatal, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dp->ev_mu);
	/* The workers and the consumer stop at their next step. */
	pthread_mutex_lock(&dp->mu);
	dp->stop = 1;
	pthread_cond_broadcast(&dp->ready);
	pthread_cond_broadcast(&dp->space);
	pthread_mutex_unlock(&dp->mu);
	pthread_mutex_lock(&dp->bq_mu);
	pthread_cond_broadcast(&dp->bq_cond);
	pthread_mutex_unlock(&dp->bq_mu);
	stop_groups(dp);
}

/* Sends the batch over SMTP on connection c, retrying what the server
 * deferred. */
static void flush_smtp(struct conn *c, struct batch *b)
{
	struct dispatch *dp = c->dp;
	const struct conf *cf = &dp->d->conf;
	struct deliver_hooks hooks = { on_attempt, on_data_end, on_result,
				       dp };
	struct deliver_item *items = xcalloc(b->n, sizeof(*items));
	struct pending **owner = xcalloc(b->n, sizeof(*owner));
	struct errbuf eb = ERRBUF_INIT;
	long delay = cf->smtp_retry_delay_ms;
	struct timespec t0, t1;
	size_t i, k;
	long attempt;
	int ret = 0, fatal = 0;

	for (attempt = 1; attempt <= cf->smtp_retries; attempt++) {
		/* This round: what is still pending or deferred. */
		for (i = 0, k = 0; i < b->n; i++) {
			enum deliver_outcome o = b->v[i].item.outcome;
			if (o == DELIVER_PENDING || o == DELIVER_DEFERRED) {
				items[k] = b->v[i].item;
				owner[k++] = &b->v[i];
			}
		}
		if (!k)
			break;
		if (attempt > 1) {
			sleep_ms(delay);
			delay *= 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = deliver_smtp_send(c->smtp, items, k, &hooks, &eb);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		c->seconds += (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		for (i = 0; i < k; i++)
			owner[i]->item = items[i];
		if (ret == -2) {
			struct dispatch_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.kind = DISPATCH_STOPPED;
			ev.msg = eb.msg;
			emit(dp, &ev);
			set_fatal(dp, &eb);
			fatal = 1;
			break;
		}
		if (ret < 0) {
			struct dispatch_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.kind = DISPATCH_SESSION_FAILED;
			ev.msg = eb.msg;
			ev.attempt = attempt;
			ev.attempts = cf->smtp_retries;
			emit(dp, &ev);
		}
	}
	for (i = 0; i < b->n; i++) {
		struct deliver_item *it = &b->v[i].item;
		struct dispatch_event ev;

		if (it->outcome == DELIVER_PENDING && !fatal) {
			/* Never reached the server: record it as deferred,
			 * so the next run tries again. */
			if (snprintf(it->reply, sizeof(it->reply),
				     "not attempted: %s", eb.msg) < 0)
				it->reply[0] = '\0';
			it->outcome = DELIVER_DEFERRED;
			on_result(it, dp);
		}
		if (fatal && it->outcome == DELIVER_PENDING)
			continue; /* the summary says why */
		memset(&ev, 0, sizeof(ev));
		ev.kind = DISPATCH_DELIVERED;
		ev.sub = b->v[i].issue.digest.sub;
		ev.item = it;
		emit(dp, &ev);
	}
	free(items);
	free(owner);
}

/* Writes the batch into the outbox Maildir, through the journal. */
static void flush_outbox(struct dispatch *dp, struct batch *b)
{
	const struct conf *c = &dp->d->conf;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct deliver_item *it = &b->v[i].item;
		struct errbuf eb = ERRBUF_INIT;
		struct dispatch_event ev;
		char *path = NULL;

		on_attempt(it, dp);
		on_data_end(it, dp);
		memset(&ev, 0, sizeof(ev));
		ev.sub = b->v[i].issue.digest.sub;
		if (deliver_outbox_put(c->outbox_dir, it->tag, it->data,
				       it->len, &path, &eb) < 0) {
			it->outcome = DELIVER_DEFERRED;
			if (snprintf(it->reply, sizeof(it->reply), "%s",
				     eb.msg) < 0)
				it->reply[0] = '\0';
			ev.kind = DISPATCH_OUTBOX_FAILED;
			ev.msg = eb.msg;
			emit(dp, &ev);
		} else {
			it->outcome = DELIVER_SENT;
			snprintf(it->reply, sizeof(it->reply), "%s", path);
			ev.kind = DISPATCH_OUTBOX_SENT;
			ev.papers = b->v[i].issue.digest.n;
			ev.path = path;
			emit(dp, &ev);
		}
		on_result(it, dp);
		free(path);
	}
}

/*
 * The profiles are loaded when the run starts, and an unsubscribe may come
 * while it runs: just before the batch goes out, each subscriber's status
 * is checked again (one stat() when the file is unchanged), and whoever
 * left is dropped from the batch.
 */
static void drop_departed(struct dispatch *dp, struct batch *b)
{
	size_t i, k = 0;

	for (i = 0; i < b->n; i++) {
		struct pending *p = &b->v[i];
		const struct subscriber *s = p->issue.digest.sub;
		struct errbuf eb = ERRBUF_INIT;
		int active = subs_still_active(s, &eb);

		if (active < 0)
			/* Not journaled: the next run tries again. */
			emit_sub(dp, DISPATCH_RECHECK_FAILED, s, eb.msg);
		else if (!active)
			emit_sub(dp, DISPATCH_DEPARTED, s, NULL);
		if (active <= 0) {
			pending_release(dp, p);
			continue;
		}
		if (k != i) {
			b->v[k] = *p;
			b->v[k].item.user = &b->v[k].issue;
		}
		k++;
	}
	b->n = k;
}

static void batch_release(struct dispatch *dp, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		pending_release(dp, &b->v[i]);
	b->n = 0;
}

/* Sends one batch on connection c (or into the outbox) and empties it. */
static void flush(struct dispatch *dp, struct conn *c, struct batch *b)
{
	if (!is_fatal(dp))
		drop_departed(dp, b);
	if (b->n && !is_fatal(dp)) {
		if (c)
			flush_smtp(c, b);
		else
			flush_outbox(dp, b);
	}
	batch_release(dp, b);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct dispatch *dp = c->dp;
	size_t cap = (size_t)dp->d->conf.smtp_batch;
	struct batch b = { xcalloc(cap, sizeof(struct pending)), 0 };

	for (;;) {
		size_t i;

		pthread_mutex_lock(&dp->bq_mu);
		while (!dp->bq_full && !dp->bq_closed)
			pthread_cond_wait(&dp->bq_cond, &dp->bq_mu);
		if (!dp->bq_full) {
			pthread_mutex_unlock(&dp->bq_mu);
			break;
		}
		/* Take the waiting batch (the items point at their own
		 * issue: re-point them at the copies). */
		b.n = dp->bq.n;
		memcpy(b.v, dp->bq.v, b.n * sizeof(*b.v));
		for (i = 0; i < b.n; i++)
			b.v[i].item.user = &b.v[i].issue;
		dp->bq.n = 0;
		dp->bq_full = 0;
		pthread_cond_broadcast(&dp->bq_cond);
		pthread_mutex_unlock(&dp->bq_mu);
		flush(dp, c, &b);
	}
	free(b.v);
	return NULL;
}

/* Hands a full (or the last) batch to delivery, and empties it. */
static void hand_off(struct dispatch *dp, struct batch *b)
{
	size_t i;

	if (!b->n)
		return;
	if (!dp->conn_threads) {
		flush(dp, dp->smtp ? &dp->conns[0] : NULL, b);
		return;
	}
	pthread_mutex_lock(&dp->bq_mu);
	while (dp->bq_full && !is_fatal(dp))
		pthread_cond_wait(&dp->bq_cond, &dp->bq_mu);
	if (is_fatal(dp)) {
		pthread_mutex_unlock(&dp->bq_mu);
		batch_release(dp, b);
		return;
	}
	dp->bq.n = b->n;
	memcpy(dp->bq.v, b->v, b->n * sizeof(*b->v));
	for (i = 0; i < b->n; i++)
		dp->bq.v[i].item.user = &dp->bq.v[i].issue;
	dp->bq_full = 1;
	pthread_cond_broadcast(&dp->bq_cond);
	pthread_mutex_unlock(&dp->bq_mu);
	b->n = 0; /* moved, not released */
}

/* ---- composing (worker threads) ---- */

/* Fills slot with s's fate: skipped, handled earlier, or its issue. */
static void compose_one(struct dispatch *dp, const struct subscriber *s,
			const struct score_index *idx, struct slot *slot)
{
	const struct dispatch_opts *o = dp->o;
	struct errbuf eb = ERRBUF_INIT;
	int ret;

	slot->sub = s;
	if (s->status != SUBS_ACTIVE) {
		slot->kind = SLOT_UNSUBSCRIBED;
		return;
	}
	if (dp->journal && !(o->resend && !strcmp(o->resend, s->id))) {
		const char *mid = NULL, *reply = NULL;
		enum journal_state st =
			journal_state(dp->journal, s->id, &mid, &reply);

		if (st == JOURNAL_SENT || st == JOURNAL_FAILED ||
		    (st == JOURNAL_IN_DOUBT && !o->resend_in_doubt)) {
			slot->kind = SLOT_HANDLED;
			slot->jstate = st;
			slot->jmid = xstrdup_or_null(mid);
			slot->jreply = xstrdup_or_null(reply);
			return;
		}
	}
	pthread_mutex_lock(&dp->score_mu);
	ret = issue_prepare(dp->d, idx, s, NULL, &slot->issue, &eb);
	/* The judge's verdicts teach s's model (a real run only). */
	if (ret == 0 && !o->dry_run &&
	    issue_record_judged(dp->d, s, &slot->issue, NULL, &eb) < 0) {
		struct buf w = BUF_INIT;

		buf_addf(&w, "the judge's labels were not kept: %s", eb.msg);
		strv_push(&slot->issue.warnings, buf_str(&w));
		buf_release(&w);
		errbuf_clear(&eb);
	}
	pthread_mutex_unlock(&dp->score_mu);
	if (ret == 0)
		ret = issue_assemble(dp->d, o->t, s, NULL, &slot->issue, &eb);
	if (ret < 0) {
		slot->kind = SLOT_FAILED;
		slot->error = xstrdup(eb.msg);
		return;
	}
	if (!slot->issue.digest.n) {
		slot->kind = SLOT_EMPTY;
		return;
	}
	slot->kind = SLOT_READY;
	/* Only the message goes on: the parts' memory is not held while
	 * it waits for its batch. */
	buf_release(&slot->issue.html);
	buf_release(&slot->issue.text);
	if (!o->dry_run && o->at && s->archive &&
	    archive_write_reader(&dp->d->conf, &dp->d->key, o->t,
				 &slot->issue.digest, &eb) < 0)
		slot->archive_error = xstrdup(eb.msg);
}

static void slot_release(struct slot *slot)
{
	issue_release(&slot->issue);
	free(slot->jmid);
	free(slot->jreply);
	free(slot->error);
	free(slot->archive_error);
	memset(slot, 0, sizeof(*slot));
}

/*
 * Group k, loaded: by the calling worker when it is the next to load and
 * its place is free, else once another worker has. Returns NULL when the
 * run stops first.
 */
static struct dgroup *group_get(struct dispatch *dp, size_t k)
{
	struct dgroup *g = &dp->groups[k % DISPATCH_GROUPS];

	pthread_mutex_lock(&dp->gmu);
	for (;;) {
		if (g->state == GROUP_READY && g->k == k)
			break;
		if (dp->gstop) {
			g = NULL;
			break;
		}
		if (g->state == GROUP_FREE && dp->next_load == k &&
		    !dp->loading) {
			size_t first = k * dp->gsize, n = dp->nseq - first;

			if (n > dp->gsize)
				n = dp->gsize;
			dp->loading = 1;
			g->state = GROUP_LOADING;
			g->k = k;
			pthread_mutex_unlock(&dp->gmu);
			day_group_load(dp->d, dp->seq + first, n, dp->seen,
				       dp->o->dry_run ? DAY_GROUP_DRY_RUN : 0,
				       &g->g);
			pthread_mutex_lock(&dp->gmu);
			g->unsettled = n;
			g->state = GROUP_READY;
			dp->loading = 0;
			dp->next_load++;
			pthread_cond_broadcast(&dp->gcond);
			break;
		}
		pthread_cond_wait(&dp->gcond, &dp->gmu);
	}
	pthread_mutex_unlock(&dp->gmu);
	return g;
}

/* Composes the subscriber of run sequence number seq into slot. */
static void compose_seq(struct dispatch *dp, size_t seq, struct slot *slot)
{
	struct dgroup *g;
	size_t j;
	long i;

	if (!dp->by_group) {
		compose_one(dp, &dp->d->subs.v[dp->seq[seq]], NULL, slot);
		return;
	}
	g = group_get(dp, seq / dp->gsize);
	if (!g) {
		slot->kind = SLOT_FAILED;
		slot->error = xstrdup("the run stopped");
		return;
	}
	slot->group = g;
	j = seq % dp->gsize;
	i = g->g.index[j];
	if (i == SUBS_NAME_GONE) {
		const char *name = dp->d->names.v[dp->seq[seq]];

		slot->kind = SLOT_GONE;
		slot->error = xstrndup(name, strlen(name) - strlen(".cfg"));
		return;
	}
	if (i < 0) {
		slot->kind = SLOT_BROKEN;
		slot->error = xstrdup(g->g.error[j] ? g->g.error[j]
						    : "cannot be loaded");
		return;
	}
	compose_one(dp, &g->g.subs.v[i], g->g.idx, slot);
}

static void *worker_main(void *arg)
{
	struct dispatch *dp = arg;

	for (;;) {
		size_t seq;
		struct slot *slot;

		pthread_mutex_lock(&dp->mu);
		while (!dp->stop && dp->next < dp->nseq &&
		       dp->next - dp->consumed >= dp->nring)
			pthread_cond_wait(&dp->space, &dp->mu);
		if (dp->stop || dp->next >= dp->nseq) {
			pthread_mutex_unlock(&dp->mu);
			break;
		}
		seq = dp->next++;
		slot = &dp->ring[seq % dp->nring];
		pthread_mutex_unlock(&dp->mu);

		compose_seq(dp, seq, slot);

		pthread_mutex_lock(&dp->mu);
		slot->ready = 1;
		pthread_cond_broadcast(&dp->ready);
		pthread_mutex_unlock(&dp->mu);
	}
	/* Loading a group stems its profiles' words on this thread: its
	 * cache goes with it (stem.h). */
	stem_cleanup();
	return NULL;
}

/* ---- the consumer (the caller's thread) ---- */

/* Reports the slot's fate; a message to send moves into b (with the
 * slot's group: see take). */
static void take_slot(struct dispatch *dp, size_t seq, struct slot *slot,
		      struct batch *b)
{
	const struct subscriber *s = slot->sub;
	struct dispatch_event ev;
	struct pending *p;

	memset(&ev, 0, sizeof(ev));
	if (slot->group && seq % dp->gsize == 0 &&
	    slot->group->g.warnings.n) {
		/* The group's models that could not be had (named). */
		ev.kind = DISPATCH_WARNINGS;
		ev.warnings = &slot->group->g.warnings;
		emit(dp, &ev);
	}
	ev.sub = s;
	switch (slot->kind) {
	case SLOT_BROKEN:
		ev.kind = DISPATCH_BROKEN;
		ev.msg = slot->error;
		emit(dp, &ev);
		return;
	case SLOT_GONE:
		ev.kind = DISPATCH_GONE;
		ev.msg = slot->error;
		emit(dp, &ev);
		return;
	case SLOT_UNSUBSCRIBED:
		ev.kind = s->status == SUBS_BOUNCING ? DISPATCH_BOUNCING
						     : DISPATCH_UNSUBSCRIBED;
		emit(dp, &ev);
		return;
	case SLOT_HANDLED:
		ev.kind = slot->jstate == JOURNAL_SENT ? DISPATCH_ALREADY_SENT
			  : slot->jstate == JOURNAL_FAILED
				  ? DISPATCH_FAILED_EARLIER
				  : DISPATCH_IN_DOUBT_EARLIER;
		ev.message_id = slot->jmid;
		ev.reply = slot->jreply;
		emit(dp, &ev);
		return;
	default:
		break;
	}
	if (slot->issue.warnings.n) {
		ev.kind = DISPATCH_WARNINGS;
		ev.warnings = &slot->issue.warnings;
		emit(dp, &ev);
	}
	switch (slot->kind) {
	case SLOT_FAILED:
		ev.kind = DISPATCH_COMPOSE_FAILED;
		ev.msg = slot->error;
		emit(dp, &ev);
		return;
	case SLOT_EMPTY:
		ev.kind = DISPATCH_EMPTY;
		emit(dp, &ev);
		return;
	default:
		break;
	}
	if (dp->o->dry_run) {
		ev.kind = DISPATCH_WOULD_SEND;
		ev.papers = slot->issue.digest.n;
		ev.bytes = slot->issue.message.len;
		emit(dp, &ev);
		return;
	}
	if (slot->archive_error) {
		ev.kind = DISPATCH_ARCHIVE_FAILED;
		ev.msg = slot->archive_error;
		emit(dp, &ev);
	}
	p = &b->v[b->n++];
	memset(p, 0, sizeof(*p));
	p->issue = slot->issue;
	memset(&slot->issue, 0, sizeof(slot->issue));
	p->item.tag = s->id;
	p->item.rcpt = s->email;
	p->item.data = buf_str(&p->issue.message);
	p->item.len = p->issue.message.len;
	p->item.message_id = p->issue.message_id;
	p->item.envelope_from = p->issue.envelope_from;
	p->item.user = &p->issue;
	p->group = slot->group;
	slot->group = NULL; /* settled with the message */
}

/* take_slot, then releases the slot: its subscriber is settled now,
 * unless its message went into the batch. */
static void take(struct dispatch *dp, size_t seq, struct slot *slot,
		 struct batch *b)
{
	struct dgroup *g;

	take_slot(dp, seq, slot, b);
	g = slot->group;
	slot_release(slot);
	settle(dp, g);
}

static size_t online_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

/*
 * A shard is mailed as if the whole folder were: an address belongs to
 * its first profile in name order, whichever shard that profile is in.
 * So every profile's address is read first, a group at a time (the
 * profiles are not kept), into dp->seen.
 */
static void seen_all(struct dispatch *dp)
{
	const struct day *d = dp->d;
	size_t i, n;

	for (i = 0; i < d->names.n; i += n) {
		struct subs_list tmp = { NULL, 0, 0 };

		n = d->names.n - i < dp->gsize ? d->names.n - i : dp->gsize;
		subs_load_names(d->conf.subscribers_dir, d->names.v + i, n,
				dp->seen, &tmp, NULL, NULL);
		subs_list_release(&tmp);
	}
}

/* The shard of the profile file name "ID.cfg" (that of its id; every
 * listed name ends in ".cfg"). */
static unsigned long name_shard(const char *name, unsigned long n)
{
	return shard_of(name, strlen(name) - strlen(".cfg"), n);
}

int dispatch_open(const struct dispatch_opts *o, struct dispatch **out,
		  enum dispatch_open_step *step, struct errbuf *eb)
{
	const struct day *d = o->d;
	struct dispatch *dp = xcalloc(1, sizeof(*dp));
	char *dir = NULL;
	size_t i, nconns;
	int ret = -1;

	*out = dp;
	*step = DISPATCH_OPEN_OK;
	dp->o = o;
	dp->d = d;
	pthread_mutex_init(&dp->ev_mu, NULL);
	pthread_mutex_init(&dp->mu, NULL);
	pthread_mutex_init(&dp->score_mu, NULL);
	pthread_mutex_init(&dp->bq_mu, NULL);
	pthread_cond_init(&dp->ready, NULL);
	pthread_cond_init(&dp->space, NULL);
	pthread_cond_init(&dp->bq_cond, NULL);
	pthread_mutex_init(&dp->gmu, NULL);
	pthread_cond_init(&dp->gcond, NULL);
	if (d->by_group) {
		dp->by_group = 1;
		dp->gsize = day_group_size();
		dp->seen = subs_seen_new();
		dp->seq = xcalloc(d->names.n ? d->names.n : 1,
				  sizeof(*dp->seq));
		for (i = 0; i < d->names.n; i++)
			if (!o->shard_n ||
			    name_shard(d->names.v[i], o->shard_n) ==
				    o->shard_k)
				dp->seq[dp->nseq++] = i;
		dp->todo = dp->nseq;
		if (o->shard_n)
			seen_all(dp);
	} else {
		dp->seq = xcalloc(d->subs.n ? d->subs.n : 1,
				  sizeof(*dp->seq));
	}
	for (i = 0; !d->by_group && i < d->subs.n; i++) {
		const struct subscriber *s = &d->subs.v[i];

		if (o->shard_n &&
		    dispatch_shard_of(s->id, o->shard_n) != o->shard_k)
			continue;
		dp->seq[dp->nseq++] = i;
		dp->todo += s->status == SUBS_ACTIVE;
	}
	if (o->dry_run)
		return 0;

	dir = util_path_join(d->conf.state_dir, "journal");
	if (o->shard_n) {
		struct buf suffix = BUF_INIT;
		int r;

		buf_addf(&suffix, ".shard-%lu-of-%lu", o->shard_k,
			 o->shard_n);
		r = journal_open_shard(dir, d->date, buf_str(&suffix),
				       &dp->journal, eb);
		buf_release(&suffix);
		if (r < 0) {
			*step = DISPATCH_OPEN_JOURNAL;
			goto out;
		}
	} else if (journal_open(dir, d->date, &dp->journal, eb) < 0) {
		*step = DISPATCH_OPEN_JOURNAL;
		goto out;
	}
	{
		struct errbuf peb = ERRBUF_INIT;
		size_t removed = 0;
		time_t today;

		util_parse_date(d->date, &today);
		if (journal_prune(dir, today, (int)d->conf.journal_keep_days,
				  &removed, &peb) < 0)
			emit_sub(dp, DISPATCH_PRUNE_FAILED, NULL, peb.msg);
	}
	if (!strcmp(d->conf.delivery_method, "smtp")) {
		dp->smtp = 1;
		nconns = (size_t)d->conf.smtp_connections;
		if (nconns < 1)
			nconns = 1;
		dp->conns = xcalloc(nconns, sizeof(*dp->conns));
		for (i = 0; i < nconns; i++) {
			dp->conns[i].dp = dp;
			if (deliver_smtp_open(&d->conf, &dp->conns[i].smtp,
					      eb) < 0) {
				*step = DISPATCH_OPEN_SMTP;
				goto out;
			}
			dp->nconns++;
		}
	} else if (deliver_outbox_open(d->conf.outbox_dir, eb) < 0) {
		*step = DISPATCH_OPEN_OUTBOX;
		goto out;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

size_t dispatch_todo(const struct dispatch *dp)
{
	return dp->todo;
}

const char *dispatch_journal_path(const struct dispatch *dp)
{
	return dp->journal ? journal_path(dp->journal) : NULL;
}

/*
 * Compose threads by default: one per core, less the cores the SMTP
 * sessions keep busy (their own threads, and the relay's on the same
 * host): composing (~0.5 ms a digest) outruns a connection, and more
 * threads than cores only take the CPU delivery waits for (measured on 2
 * cores, 2 connections: 10.4 s for 10,000 with one thread, 12.7 with two).
 */
static size_t default_threads(const struct dispatch *dp)
{
	size_t cores = online_cores();

	if (!dp->smtp || dp->o->dry_run)
		return cores;
	return cores > dp->nconns ? cores - dp->nconns : 1;
}

static void start_workers(struct dispatch *dp)
{
	const struct conf *c = &dp->d->conf;
	size_t want = dp->o->threads > 0 ? (size_t)dp->o->threads
					  : default_threads(dp);

	if (want > DISPATCH_MAX_THREADS)
		want = DISPATCH_MAX_THREADS;
	/* One batch can be composed while the one before goes out, plus
	 * room for every worker to be busy. */
	dp->nring = (size_t)c->smtp_batch + 2 * want;
	if (dp->nring > DISPATCH_MAX_AHEAD)
		dp->nring = DISPATCH_MAX_AHEAD;
	dp->ring = xcalloc(dp->nring, sizeof(*dp->ring));
	dp->workers = xcalloc(want, sizeof(*dp->workers));
	for (dp->nworkers = 0; dp->nworkers < want; dp->nworkers++)
		if (pthread_create(&dp->workers[dp->nworkers], NULL,
				   worker_main, dp))
			break;
}

static void stop_workers(struct dispatch *dp)
{
	size_t i;

	pthread_mutex_lock(&dp->mu);
	dp->stop = 1;
	pthread_cond_broadcast(&dp->space);
	pthread_mutex_unlock(&dp->mu);
	stop_groups(dp);
	for (i = 0; i < dp->nworkers; i++)
		pthread_join(dp->workers[i], NULL);
	dp->nworkers = 0;
	for (i = 0; i < dp->nring; i++)
		slot_release(&dp->ring[i]);
}

static void start_conns(struct dispatch *dp)
{
	size_t i, cap = (size_t)dp->d->conf.smtp_batch;

	if (!dp->smtp || dp->nconns < 2)
		return;
	dp->bq.v = xcalloc(cap, sizeof(*dp->bq.v));
	for (i = 0; i < dp->nconns; i++) {
		dp->conns[i].started = !pthread_create(
			&dp->conns[i].thread, NULL, conn_main, &dp->conns[i]);
		dp->conn_threads += (size_t)dp->conns[i].started;
	}
}

static void stop_conns(struct dispatch *dp)
{
	size_t i;

	if (!dp->bq.v)
		return;
	pthread_mutex_lock(&dp->bq_mu);
	dp->bq_closed = 1;
	pthread_cond_broadcast(&dp->bq_cond);
	pthread_mutex_unlock(&dp->bq_mu);
	for (i = 0; i < dp->nconns; i++)
		if (dp->conns[i].started)
			pthread_join(dp->conns[i].thread, NULL);
	/* A batch nobody took (every thread failed to start, or a stop). */
	batch_release(dp, &dp->bq);
	free(dp->bq.v);
	dp->bq.v = NULL;
}

int dispatch_run(struct dispatch *dp, struct dispatch_result *res,
		 struct errbuf *eb)
{
	size_t cap = (size_t)dp->d->conf.smtp_batch, seq, i;
	struct batch b = { xcalloc(cap, sizeof(struct pending)), 0 };

	memset(res, 0, sizeof(*res));
	start_workers(dp);
	res->threads = dp->nworkers ? dp->nworkers : 1;
	res->smtp = dp->smtp;
	start_conns(dp);
	for (seq = 0; seq < dp->nseq; seq++) {
		struct slot *slot = &dp->ring[seq % dp->nring];
		int ready;

		if (!dp->nworkers) {
			/* No worker could start: compose here. */
			compose_seq(dp, seq, slot);
			slot->ready = 1;
		}
		pthread_mutex_lock(&dp->mu);
		while (!slot->ready && !dp->stop)
			pthread_cond_wait(&dp->ready, &dp->mu);
		ready = slot->ready;
		pthread_mutex_unlock(&dp->mu);
		if (is_fatal(dp) || !ready)
			break;
		take(dp, seq, slot, &b);
		pthread_mutex_lock(&dp->mu);
		dp->consumed++;
		pthread_cond_broadcast(&dp->space);
		pthread_mutex_unlock(&dp->mu);
		/* A batch never waits for the next group: the group's
		 * place may wait for its delivery. */
		if (b.n == cap ||
		    (dp->by_group && (seq + 1) % dp->gsize == 0))
			hand_off(dp, &b);
	}
	if (!is_fatal(dp))
		hand_off(dp, &b);
	batch_release(dp, &b);
	free(b.v);
	stop_conns(dp);
	stop_workers(dp);
	for (i = 0; i < DISPATCH_GROUPS; i++)
		if (dp->groups[i].state == GROUP_READY)
			/* Left by a stop. */
			day_group_release(&dp->groups[i].g);

	res->n = dp->n;
	for (i = 0; i < dp->nconns; i++) {
		res->smtp_seconds += dp->conns[i].seconds;
		res->connections +=
			deliver_smtp_connections(dp->conns[i].smtp);
	}
	if (is_fatal(dp)) {
		res->stopped = 1;
		*eb = dp->fatal_eb;
		return -1;
	}
	return 0;
}

void dispatch_free(struct dispatch *dp)
{
	size_t i;

	if (!dp)
		return;
	for (i = 0; i < dp->nconns; i++)
		deliver_smtp_free(dp->conns[i].smtp);
	free(dp->conns);
	journal_close(dp->journal);
	free(dp->ring);
	free(dp->workers);
	free(dp->seq);
	pthread_mutex_destroy(&dp->ev_mu);
	pthread_mutex_destroy(&dp->mu);
	pthread_mutex_destroy(&dp->score_mu);
	pthread_mutex_destroy(&dp->bq_mu);
	pthread_cond_destroy(&dp->ready);
	pthread_cond_destroy(&dp->space);
	pthread_cond_destroy(&dp->bq_cond);
	pthread_mutex_destroy(&dp->gmu);
	pthread_cond_destroy(&dp->gcond);
	subs_seen_free(dp->seen);
	free(dp);
}
