/*
 * journal: the per-day delivery journal that makes runs idempotent and
 * crash-safe.
 *
 * One append-only text file per announcement day, STATE/journal/YYYY-MM-DD,
 * one line per event, each appended with a single write(): "attempt" just
 * before a message is handed to the server (fsynced before the caller goes
 * on), and "sent", "failed" or "deferred" right after its outcome is known
 * (made durable by the next attempt's fsync, or at journal_close). Reading the file back gives every subscriber's state for the day:
 * a rerun skips who was sent, and an "attempt" with no outcome is a message
 * that was in flight at a crash: "in doubt", which is reported and never
 * resent silently. An exclusive lock on the file keeps two runs of the same
 * day from interleaving.
 *
 * Line format (tab-separated, UTF-8, fields never contain tab or newline):
 *   TIME  EVENT  SUBSCRIBER  MESSAGE-ID  REPLY
 * TIME is UTC "YYYY-MM-DDTHH:MM:SSZ"; REPLY is the server's reply or "-".
 * A torn last line (a crash in the middle of a write) is ignored.
 */
#ifndef PAPERBOY_JOURNAL_H
#define PAPERBOY_JOURNAL_H

#include <stddef.h>
#include <time.h>

#include "errbuf.h"

/* A journal file larger than this is refused: a day with 100,000
 * subscribers and two lines each is about 40 MB. */
#define JOURNAL_MAX_FILE ((size_t)256 << 20)
/* Replies are cut to this many bytes in the journal (a server's text). */
#define JOURNAL_MAX_REPLY 512
/* `run --shard K/N`: more hosts than this sharing one day is not a
 * deployment we know of, and N becomes part of a file name. */
#define JOURNAL_MAX_SHARDS 1000

enum journal_state {
	JOURNAL_NONE,     /* nothing recorded for this subscriber today */
	JOURNAL_SENT,     /* the server accepted it (2xx) */
	JOURNAL_FAILED,   /* refused for good today (5xx) */
	JOURNAL_DEFERRED, /* temporary failure (4xx, network); retry later */
	JOURNAL_IN_DOUBT, /* attempt recorded, no outcome: a crash */
};

struct journal;

/*
 * Opens (creating it and dir, mode 0700, if needed) the journal of `date`
 * ("YYYY-MM-DD") in dir, takes an exclusive lock (failing at once with "another
 * paperboy run is using the journal PATH" if another process holds it),
 * and reads the existing records. Returns 0 and *out, or -1 with eb filled.
 */
int journal_open(const char *dir, const char *date, struct journal **out,
		 struct errbuf *eb);
/*
 * The same for one shard of the day (`run --shard K/N`): the file is
 * dir/DATE.shard-K-of-N, suffix being ".shard-K-of-N" (1 <= K <= N <=
 * JOURNAL_MAX_SHARDS, no leading zeros), or dir/DATE when suffix is NULL.
 */
int journal_open_shard(const char *dir, const char *date, const char *suffix,
		       struct journal **out, struct errbuf *eb);
/* fsyncs, releases the lock and frees the journal. NULL is fine. */
void journal_close(struct journal *j);
/* The path of the journal file. */
const char *journal_path(const struct journal *j);

/*
 * The subscriber's state today. When a message is on record, *message_id
 * and *reply (if not NULL) point at the last ones recorded (owned by the
 * journal, valid until the next append for that subscriber or
 * journal_close). Memory keeps those of the records read at open; those
 * of a record appended through j are read back from the file the first
 * time they are asked for (a run asks before it appends), "" and "" if
 * that read fails.
 *
 * Threads: journal_state, journal_attempt*, journal_result may be called
 * from several threads at once (one lock inside); open, close, foreach and
 * prune from one.
 */
enum journal_state journal_state(const struct journal *j,
				 const char *subscriber,
				 const char **message_id, const char **reply);

/* Appends and fsyncs "attempt". Returns 0 or -1 (eb: ENOSPC...). */
int journal_attempt(struct journal *j, const char *subscriber,
		    const char *message_id, struct errbuf *eb);

/*
 * The same in two halves, so that the fsync overlaps the message's
 * transfer: journal_attempt_begin appends "attempt" and starts its fsync
 * on a thread of the journal's own; journal_attempt_wait returns once
 * every record appended before it is durable. The message's end of data
 * must not be sent before journal_attempt_wait returned 0. Both return 0
 * or -1 with eb filled.
 */
int journal_attempt_begin(struct journal *j, const char *subscriber,
			  const char *message_id, struct errbuf *eb);
int journal_attempt_wait(struct journal *j, struct errbuf *eb);
/* Appends the outcome (JOURNAL_SENT, _FAILED or _DEFERRED), durable by
 * the next journal_attempt or journal_close; reply may be NULL. Returns 0
 * or -1. */
int journal_result(struct journal *j, const char *subscriber,
		   enum journal_state outcome, const char *message_id,
		   const char *reply, struct errbuf *eb);

/* Calls fn for every subscriber on record, in first-seen order, with
 * what journal_state gives (reading texts back as it does); the strings
 * it gets are valid until that subscriber's next record. */
void journal_foreach(const struct journal *j,
		     void (*fn)(const char *subscriber,
				enum journal_state state,
				const char *message_id, const char *reply,
				void *ctx),
		     void *ctx);

/*
 * Who was sent message_id on `date`: reads the journal file of that day
 * in dir (without taking its lock: a run may be appending meanwhile; a
 * torn last line is ignored) for an "attempt" or "sent" record with that
 * Message-ID (exactly, brackets included). Returns 1 with *subscriber
 * set (caller frees), 0 when that day has no such record or no journal,
 * -1 with eb filled when the file cannot be read.
 */
int journal_find_message(const char *dir, const char *date,
			 const char *message_id, char **subscriber,
			 struct errbuf *eb);

/* "sent", "failed", "deferred", "in-doubt" or "none". */
const char *journal_state_name(enum journal_state s);

/*
 * Removes journal files in dir for days more than keep_days before
 * `today` (a UTC day as from util_parse_date). Files that are not named
 * YYYY-MM-DD or YYYY-MM-DD.shard-K-of-N are left alone. *removed receives
 * the count. Returns 0 or -1.
 */
/* The day of a journal file's name (YYYY-MM-DD, or with a shard suffix)
 * in *day. Returns 0, or -1 for a name that is not a journal's. */
int journal_name_date(const char *name, time_t *day);

int journal_prune(const char *dir, time_t today, int keep_days,
		  size_t *removed, struct errbuf *eb);

#endif
