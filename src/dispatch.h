/*
 * dispatch: the run of one day (`paperboy run`): every subscriber's issue
 * composed on worker threads and delivered through the day's journal, in
 * batches, over one or several SMTP sessions or into the outbox.
 *
 * Design decision: the run is a pipeline with bounded stages, so memory
 * does not grow with the number of subscribers: worker threads (one per
 * core) compose ahead into a ring of DISPATCH_AHEAD slots; the calling
 * thread takes the slots in subscriber order, reports each one and fills
 * batches of delivery.smtp.batch messages; a batch is sent on the calling
 * thread (one connection: the order of the report is that of a run on
 * one thread) or handed to one of delivery.smtp.connections threads, each
 * with its own SMTP session (at most one batch waiting). Every event the
 * user sees (a skip, a warning, a delivery) reaches the caller through one
 * callback, called by one thread at a time: this module prints nothing.
 *
 * Threads: scoring uses the day's index scratch and the LLM judge, so it
 * runs under one lock (issue_prepare: cheap next to rendering, and it
 * keeps the judge's calls one at a time); rendering and assembling
 * (issue_assemble) run in parallel; the journal locks its own appends.
 */
#ifndef PAPERBOY_DISPATCH_H
#define PAPERBOY_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "day.h"
#include "deliver.h"
#include "errbuf.h"
#include "journal.h"
#include "render.h"
#include "strv.h"
#include "subs.h"

/* Compose threads at most: beyond the cores of any machine we run on,
 * and each one holds a digest being composed. */
#define DISPATCH_MAX_THREADS 64
/* Composed messages waiting for delivery at most (beyond one batch): the
 * ring between the workers and delivery; with ~100 KB digests, ~100 MB. */
#define DISPATCH_MAX_AHEAD 1024
/* Groups of profiles alive at once in a run by group (day_group_load):
 * the one being composed, the one before whose last batches may still be
 * out, and the next; each is ~4 MB per 1,000 profiles. */
#define DISPATCH_GROUPS 3
/* The environment variable that sets the number of compose threads (the
 * tests use it; default: the number of online cores). */
#define DISPATCH_THREADS_ENV "PAPERBOY_THREADS"

struct dispatch_counts {
	size_t sent;           /* delivered (dry run: would be) */
	size_t deferred;       /* to be retried by the next run */
	size_t failed;         /* refused for good today */
	size_t in_doubt;       /* sent or not, only the server knows */
	size_t unsubscribed;   /* not active, or left during the run */
	size_t bouncing;       /* "bouncing": too many hard bounces */
	size_t empty;          /* no paper reached their min_relevance */
	size_t already_sent;   /* the journal says sent today */
	size_t failed_earlier; /* the journal says refused today */
	size_t compose_failed; /* their digest could not be composed */
	size_t broken;         /* by group: profiles that failed to load */
};

enum dispatch_event_kind {
	DISPATCH_UNSUBSCRIBED,    /* sub is not active: skipped */
	DISPATCH_BOUNCING,        /* sub is "bouncing": skipped */
	DISPATCH_ALREADY_SENT,    /* message_id: sent earlier today */
	DISPATCH_FAILED_EARLIER,  /* reply: refused earlier today */
	DISPATCH_IN_DOUBT_EARLIER, /* message_id: in doubt since a crash */
	DISPATCH_WARNINGS,        /* warnings: the LLM judge's fallbacks;
				   * sub NULL: a group's models (named) */
	DISPATCH_BROKEN,          /* msg: by group, a profile that could
				   * not be loaded (sub NULL) */
	DISPATCH_GONE,            /* msg: the id of a profile removed since
				   * the run listed it (sub NULL) */
	DISPATCH_COMPOSE_FAILED,  /* msg: the digest could not be composed */
	DISPATCH_EMPTY,           /* no paper reached sub->min_relevance */
	DISPATCH_WOULD_SEND,      /* dry run: papers, bytes */
	DISPATCH_ARCHIVE_FAILED,  /* msg: the reader's archive page */
	DISPATCH_RECHECK_FAILED,  /* msg: status unknown, not sent (deferred) */
	DISPATCH_DEPARTED,        /* unsubscribed during the run: not sent */
	DISPATCH_OUTBOX_FAILED,   /* msg: could not be written (deferred) */
	DISPATCH_OUTBOX_SENT,     /* papers, path: written into the outbox */
	DISPATCH_DELIVERED,       /* item: an SMTP outcome (any) */
	DISPATCH_HISTORY_FAILED,  /* msg: the subscriber's history */
	DISPATCH_PROGRESS,        /* done of todo messages settled */
	DISPATCH_SESSION_FAILED,  /* msg: SMTP session attempt of attempts */
	DISPATCH_STOPPED,         /* msg: a failure a retry will not fix */
	DISPATCH_PRUNE_FAILED,    /* msg: old journals not pruned */
	/* msg: the journal cannot record a delivery. The callback must end
	 * the process (a message may be on its way); it does not return. */
	DISPATCH_JOURNAL_FAILED,
};

struct dispatch_event {
	enum dispatch_event_kind kind;
	const struct subscriber *sub;     /* NULL for run-wide events */
	const char *msg;
	const char *message_id;
	const char *reply;
	const char *path;
	const struct strv *warnings;
	const struct deliver_item *item;
	size_t papers, bytes;
	size_t done, todo;
	long attempt, attempts;
};

/* Called for every event, by one thread at a time (any thread). */
typedef void dispatch_event_fn(const struct dispatch_event *ev, void *ctx);

struct dispatch_opts {
	const struct day *d;
	const struct render_templates *t;
	const struct archive_templates *at; /* NULL: no archive pages */
	const char *resend;      /* send to this id even if sent today */
	int resend_in_doubt;     /* send the messages a crash left in doubt */
	int dry_run;             /* compose and report; write nothing */
	long threads;            /* compose threads; <= 0: one per core,
				  * less the SMTP connections (at least 1) */
	/* Shard K of N (1 <= K <= N): only the subscribers whose
	 * dispatch_shard_of is K, and their own journal. N = 0: all. */
	unsigned long shard_k, shard_n;
	dispatch_event_fn *on_event;
	void *ctx;
};

/* What a run did (dispatch_run fills it). */
struct dispatch_result {
	struct dispatch_counts n;
	double smtp_seconds;        /* wall time inside SMTP sessions (sum) */
	unsigned long connections;  /* SMTP connections opened */
	size_t threads;             /* compose threads used */
	int smtp;                   /* delivered by SMTP (else the outbox) */
	int stopped;                /* a failure stopped the run (eb says) */
};

struct dispatch;

/* Which step of dispatch_open failed (the command's exit code). */
enum dispatch_open_step {
	DISPATCH_OPEN_OK,
	DISPATCH_OPEN_JOURNAL,   /* the journal could not be opened */
	DISPATCH_OPEN_SMTP,      /* delivery.smtp settings (eb's kind) */
	DISPATCH_OPEN_OUTBOX,    /* the outbox folder */
};

/*
 * Prepares the run described by o (which must outlive it): opens the
 * day's journal (or the shard's) and prunes old ones, and opens the
 * transport: delivery.smtp.connections SMTP transports, or the outbox. A
 * dry run opens nothing. Returns 0 and *out, or -1 with eb filled and
 * *step saying which step failed. Free with dispatch_free (also *out
 * after -1, which may be NULL).
 */
int dispatch_open(const struct dispatch_opts *o, struct dispatch **out,
		  enum dispatch_open_step *step, struct errbuf *eb);

/*
 * Composes and delivers every subscriber of the day (of the shard), in
 * subscriber order, reporting through o->on_event, and fills *res.
 * Returns 0 when the run went through (each subscriber's own failures
 * are events and counts), or -1 when a failure that a retry will not fix
 * (SMTP authentication, TLS) stopped it, with eb filled with the SMTP
 * session's error (deliver_smtp_send returned -2).
 */
int dispatch_run(struct dispatch *dp, struct dispatch_result *res,
		 struct errbuf *eb);

/* Messages the run will try to deliver (active subscribers of the day or
 * shard); known after dispatch_open. */
size_t dispatch_todo(const struct dispatch *dp);

/* The journal's path, or NULL (dry run). */
const char *dispatch_journal_path(const struct dispatch *dp);

/* Closes the transports and the journal and frees dp. NULL is fine. */
void dispatch_free(struct dispatch *dp);

/*
 * The shard (1..n) of subscriber id among n: FNV-1a (64-bit) of the id's
 * bytes, modulo n, plus one. Stable across hosts, versions and the order
 * of the subscriber folder, so every host of `run --shard K/N` agrees.
 */
unsigned long dispatch_shard_of(const char *id, unsigned long n);

/* Parses "K/N" (1 <= K <= N <= JOURNAL_MAX_SHARDS). Returns 0, or -1
 * with eb filled (ERRBUF_USAGE). */
int dispatch_parse_shard(const char *s, unsigned long *k, unsigned long *n,
			 struct errbuf *eb);

#endif
