/*
 * journal: the per-day delivery journal (see journal.h).
 *
 * Design decision: the file on disk is the truth and memory only mirrors
 * it. Every append is one write() of a whole line; an "attempt" is fsynced
 * before the caller goes on (the message must not leave unrecorded), while
 * an outcome line is made durable by the next attempt's fsync or by
 * journal_close: a crash that loses it leaves exactly that one message "in
 * doubt", never a resend, and it halves the fsyncs of a run. The in-memory
 * state changes only after the write (and fsync) succeeded; a failed append
 * cuts the file back to its last complete line, and a torn line left by a
 * crash is cut off when the journal is next opened, so that every line in
 * the file is always a complete record and the next append starts on a
 * line of its own.
 *
 * The fsync of an attempt is on every message's path, so the file is
 * grown ahead in zero-filled steps (JOURNAL_PREALLOC): a record then
 * overwrites blocks that already exist and fdatasync() flushes data only,
 * instead of committing a new file size each time (measured: about half
 * the cost on ext4). Records never contain a NUL byte, so a tail of
 * nothing but zeros is that growth (after a crash, maybe with a torn
 * record before it), and is cut off on open like a torn line. A NUL with
 * anything but zeros after it is damage, not growth: the records after it
 * may say who was already sent, so the journal is refused with the line
 * of the NUL and nothing is sent, rather than dropping them and mailing
 * those subscribers again.
 * journal_close cuts the zeros off, so a finished journal is plain text.
 * For the same reason journal_attempt_begin hands the fsync to a thread,
 * so that it runs while the message's data is on its way; the data's end
 * waits for it (journal_attempt_wait).
 *
 * The mirror keeps, per subscriber, its id (in an arena), its state and
 * where its latest line starts in the file; the Message-ID and reply of
 * a line read at open are kept too (a rerun reports them), while those
 * of a line this journal appended are read back from the file when
 * someone asks (a run never does: it looks a subscriber up before its
 * first append), so a run of 100,000 keeps about 40 bytes a subscriber
 * instead of a copy of every Message-ID and reply it wrote.
 *
 * Several delivery threads may share one journal (delivery.smtp
 * .connections): every append and lookup holds `mu`, so records stay
 * whole lines and the mirror stays consistent; the fsync thread commits
 * in groups: one fdatasync covers every record appended before it began,
 * and journal_attempt_wait waits only for what was appended before it
 * was called, so a steady stream of attempts from other threads never
 * starves it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "arena.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Subscriber ids become file names elsewhere: a file name's length. */
#define MAX_ID 255
/* A Message-ID is one header line: RFC 5322's 998-octet line limit. */
#define MAX_MESSAGE_ID 998
/* "YYYY-MM-DDTHH:MM:SSZ" */
#define TIME_LEN 20
/* The longest record: time, event, id, Message-ID, reply, separators. */
#define MAX_LINE                                                               \
	(TIME_LEN + 16 + MAX_ID + MAX_MESSAGE_ID + JOURNAL_MAX_REPLY + 8)
/* Seconds in a UTC day (journal days are UTC midnights). */
#define DAY_SECONDS 86400
/* The file is grown ahead by this many zero bytes (a few hundred records)
 * so that appending rarely changes its size (see the top of the file). */
#define JOURNAL_PREALLOC ((off_t)64 << 10)

/*
 * A subscriber's latest record. Its Message-ID and reply are "MESSAGE-ID
 * \0REPLY\0" in the arena ("" for a field none was recorded for, "-" on
 * disk) when `kept` is set; else they are only in the file, in the line
 * that starts at `at`, and load_texts reads them back.
 */
struct entry {
	const char *id; /* in the arena */
	union {
		const char *texts;
		off_t at;
	} u;
	unsigned char state; /* enum journal_state */
	unsigned char kept;  /* u.texts is set (else u.at) */
};

/* What an entry whose line cannot be read back reports. */
static const char no_texts[2] = "";

static const char *entry_message_id(const struct entry *e)
{
	return e->u.texts;
}

static const char *entry_reply(const struct entry *e)
{
	return e->u.texts + strlen(e->u.texts) + 1;
}

struct journal {
	char *path;
	int fd;
	off_t size;	       /* bytes of complete records in the file */
	off_t allocated;       /* file length: records, then zeros */
	int broken;	       /* a failed append could not be cut back */
	struct entry *entries; /* first-seen order */
	size_t n, alloc;
	struct arena text;     /* the entries' ids and texts */
	size_t *slots; /* open addressing: index + 1 into entries, 0 empty */
	size_t nslots;
	/* The fsync thread: it syncs while synced < requested. */
	int syncer_started;
	pthread_t syncer;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long requested, synced;
	int sync_errno;        /* the first fsync failure, 0 if none */
	int stopping;
	/* Held by every append and lookup (several delivery threads). */
	pthread_mutex_t mu;
};

static const char *const event_names[] = {
    [JOURNAL_SENT] = "sent",
    [JOURNAL_FAILED] = "failed",
    [JOURNAL_DEFERRED] = "deferred",
    [JOURNAL_IN_DOUBT] = "attempt",
};

static const char *const state_names[] = {
    [JOURNAL_NONE] = "none",	     [JOURNAL_SENT] = "sent",
    [JOURNAL_FAILED] = "failed",     [JOURNAL_DEFERRED] = "deferred",
    [JOURNAL_IN_DOUBT] = "in-doubt",
};

const char *journal_state_name(enum journal_state s)
{
	if ((size_t)s >= ARRAY_SIZE(state_names))
		return "none";
	return state_names[s];
}

static int valid_id(const char *s, size_t len)
{
	size_t i;

	if (!len || len > MAX_ID)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* FNV-1a: ids come from the operator's own files, not an adversary. */
static size_t hash_id(const char *id)
{
	return (size_t)util_fnv1a(UTIL_FNV_BASIS, id, strlen(id));
}

/* The slot holding id, or the empty slot where it would go. */
static size_t *find_slot(const struct journal *j, const char *id)
{
	size_t mask = j->nslots - 1, i = hash_id(id) & mask;

	while (j->slots[i] && strcmp(j->entries[j->slots[i] - 1].id, id))
		i = (i + 1) & mask;
	return &j->slots[i];
}

static void rehash(struct journal *j)
{
	size_t i;

	free(j->slots);
	j->nslots = j->nslots ? j->nslots * 2 : 64;
	j->slots = xcalloc(j->nslots, sizeof(*j->slots));
	for (i = 0; i < j->n; i++)
		*find_slot(j, j->entries[i].id) = i + 1;
}

static struct entry *find_entry(const struct journal *j, const char *id)
{
	size_t slot;

	if (!j->nslots)
		return NULL;
	slot = *find_slot(j, id);
	return slot ? &j->entries[slot - 1] : NULL;
}

/* Makes state, in the line that starts at `at`, the subscriber's
 * latest, as the replay of a line does; its texts stay in the file. */
static void record(struct journal *j, const char *id, enum journal_state state,
		   off_t at)
{
	struct entry *e = find_entry(j, id);

	if (!e) {
		if (2 * (j->n + 1) > j->nslots)
			rehash(j);
		ALLOC_GROW(j->entries, j->n + 1, j->alloc);
		e = &j->entries[j->n];
		e->id = arena_strdup(&j->text, id);
		*find_slot(j, id) = ++j->n;
	}
	e->u.at = at;
	e->kept = 0;
	e->state = (unsigned char)state;
}

/*
 * Keeps the Message-ID and reply of e's line in the arena. line holds the
 * line's len bytes (without its '\n'), fields separated by tabs or, once
 * replay_line split it, by NULs; it is modified. A line that is not e's
 * record (it cannot be, short of damage by another hand) gives "" and "".
 */
static void keep_texts(struct journal *j, struct entry *e, char *line,
		       size_t len)
{
	const char *field[5];
	size_t nf = 0, i, lm, lr;
	char *t;

	field[nf++] = line;
	for (i = 0; i < len && nf < 5; i++) {
		if (line[i] == '\t' || line[i] == '\0') {
			line[i] = '\0';
			field[nf++] = line + i + 1;
		}
	}
	if (nf < 5 || memchr(field[4], '\t', len - (size_t)(field[4] - line)) ||
	    strcmp(field[2], e->id)) {
		e->u.texts = no_texts;
		e->kept = 1;
		return;
	}
	line[len] = '\0';
	if (!strcmp(field[3], "-"))
		field[3] = "";
	if (!strcmp(field[4], "-"))
		field[4] = "";
	lm = strlen(field[3]) + 1;
	lr = strlen(field[4]) + 1;
	t = arena_alloc(&j->text, lm + lr);
	memcpy(t, field[3], lm);
	memcpy(t + lm, field[4], lr);
	e->u.texts = t;
	e->kept = 1;
}

/*
 * Reads e's line back from the file for its texts (see the top of the
 * file), which then stay in the arena (until journal_close: a next record
 * leaves them unused there, so asking again after every append costs the
 * texts' length each time). Called with mu held.
 */
static void load_texts(struct journal *j, struct entry *e)
{
	char line[MAX_LINE + 1];
	size_t len = 0;
	char *nl;

	if (e->kept)
		return;
	while (len < MAX_LINE) {
		ssize_t r = pread(j->fd, line + len, MAX_LINE - len,
				  e->u.at + (off_t)len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	nl = memchr(line, '\n', len);
	if (!nl) {
		/* Unreadable (an I/O error): nothing better to say. */
		e->u.texts = no_texts;
		e->kept = 1;
		return;
	}
	keep_texts(j, e, line, (size_t)(nl - line));
}

/* "YYYY-MM-DDTHH:MM:SSZ" by shape; the value itself is never used. */
static int valid_time(const char *s, size_t len)
{
	static const char shape[] = "0000-00-00T00:00:00Z";
	size_t i;

	if (len != TIME_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		if (shape[i] == '0' ? (s[i] < '0' || s[i] > '9')
				    : s[i] != shape[i])
			return 0;
	}
	return 1;
}

/*
 * Replays one complete line (without its '\n'; modified in place).
 * Returns 0, or -1 if it is not a record this module could have written.
 */
static int replay_line(struct journal *j, char *line, size_t len, off_t at)
{
	static const size_t max[5] = {TIME_LEN, 16, MAX_ID, MAX_MESSAGE_ID,
				      JOURNAL_MAX_REPLY};
	char *field[5];
	size_t flen[5], nf = 0, i, start = 0;
	enum journal_state state = JOURNAL_NONE;

	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)line[i] : '\t';

		if (c == '\t') {
			if (nf == 5 || i == start || i - start > max[nf])
				return -1;
			field[nf] = line + start;
			flen[nf++] = i - start;
			line[i] = '\0';
			start = i + 1;
		} else if (c < 0x20 || c == 0x7f) {
			/* Written sanitized; such a byte is damage. */
			return -1;
		}
	}
	if (nf != 5 || !valid_time(field[0], flen[0]) ||
	    !valid_id(field[2], flen[2]))
		return -1;
	for (i = 0; i < ARRAY_SIZE(event_names); i++)
		if (event_names[i] && !strcmp(field[1], event_names[i]))
			state = (enum journal_state)i;
	if (state == JOURNAL_NONE)
		return -1;
	record(j, field[2], state, at);
	return 0;
}

/* Replays data; *complete receives the length of its complete lines. */
static int replay(struct journal *j, struct buf *data, size_t *complete,
		  struct errbuf *eb)
{
	char *p = data->data, *end, *nl;
	unsigned long lineno = 0;
	size_t i;

	*complete = 0;
	if (!p)
		return 0;
	end = p + data->len;
	/* Zeros grown ahead: from the first NUL to the end, nothing else. */
	nl = memchr(p, '\0', data->len);
	if (nl) {
		const char *q;

		for (q = nl; q < p + data->len && !*q; q++)
			;
		if (q < p + data->len) {
			for (q = p; q < nl; q++)
				lineno += *q == '\n';
			return errbuf_setk(eb, ERRBUF_DATA,
					   "%s:%lu: a NUL byte, and records "
					  "after it: the journal is damaged; "
					  "nothing was sent (repair or move "
					  "the file, then rerun)",
					  j->path, lineno + 1);
		}
		end = nl;
	}
	/* A last line without its '\n' is a write torn by a crash. */
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		lineno++;
		if (replay_line(j, p, (size_t)(nl - p),
				(off_t)(p - data->data)) < 0)
			return errbuf_setk(eb, ERRBUF_DATA,
					   "%s:%lu: malformed journal record",
					  j->path, lineno);
		p = nl + 1;
	}
	*complete = (size_t)(p - data->data);
	/* The texts of the lines read are kept: a rerun reports them. */
	for (i = 0; i < j->n; i++) {
		struct entry *e = &j->entries[i];
		char *line = data->data + e->u.at, *last = line;
		int f;

		/* replay_line made its five fields strings. */
		for (f = 0; f < 5; f++)
			last += strlen(last) + 1;
		keep_texts(j, e, line, (size_t)(last - 1 - line));
	}
	return 0;
}

/* A decimal number without a leading zero at *p, at most max; advances
 * *p. Returns it, or 0 when there is none. */
static unsigned long shard_number(const char **p, unsigned long max)
{
	unsigned long v = 0;

	if (**p < '1' || **p > '9')
		return 0;
	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (unsigned long)(**p - '0');
		if (v > max)
			return 0;
		(*p)++;
	}
	return v;
}

/* ".shard-K-of-N" with 1 <= K <= N: the only suffix a journal takes. */
static int valid_suffix(const char *s)
{
	static const char pre[] = ".shard-", mid[] = "-of-";
	unsigned long k, n;

	if (strncmp(s, pre, sizeof(pre) - 1))
		return 0;
	s += sizeof(pre) - 1;
	k = shard_number(&s, JOURNAL_MAX_SHARDS);
	if (strncmp(s, mid, sizeof(mid) - 1))
		return 0;
	s += sizeof(mid) - 1;
	n = shard_number(&s, JOURNAL_MAX_SHARDS);
	return k && n && k <= n && !*s;
}

int journal_open(const char *dir, const char *date, struct journal **out,
		 struct errbuf *eb)
{
	return journal_open_shard(dir, date, NULL, out, eb);
}

int journal_open_shard(const char *dir, const char *date, const char *suffix,
		       struct journal **out, struct errbuf *eb)
{
	struct journal *j;
	struct buf data;
	struct stat st;
	size_t complete;
	time_t day;
	int ret = -1;

	*out = NULL;
	/* The date becomes a file name: nothing but a real date. */
	if (util_parse_date(date, &day) < 0)
		return errbuf_set(eb, "%s: not a date (YYYY-MM-DD)", date);
	if (suffix && !valid_suffix(suffix))
		return errbuf_set(eb, "%s: not a journal suffix "
				      "(.shard-K-of-N)", suffix);
	if (!dir[0])
		return errbuf_set(eb, "journal: empty folder name");
	if (util_mkdir_p(dir, 0700, eb) < 0)
		return -1;
	buf_init(&data, JOURNAL_MAX_FILE);
	j = xcalloc(1, sizeof(*j));
	pthread_mutex_init(&j->mu, NULL);
	if (suffix) {
		struct buf name = BUF_INIT;

		buf_addf(&name, "%s%s", date, suffix);
		j->path = util_path_join(dir, buf_str(&name));
		buf_release(&name);
	} else {
		j->path = util_path_join(dir, date);
	}
	j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		errbuf_set(eb, "%s: %s", j->path, strerror(errno));
		goto out;
	}
	if (fstat(j->fd, &st) < 0) {
		errbuf_set(eb, "%s: %s", j->path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errbuf_setk(eb, ERRBUF_DATA, "%s: not a regular file",
			    j->path);
		goto out;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			errbuf_setk(eb, ERRBUF_TEMP,
				    "another paperboy run is using the journal "
				    "%s",
				    j->path);
		else
			errbuf_set(eb, "%s: flock: %s", j->path,
				   strerror(errno));
		goto out;
	}
	/* Cheaper than finding out whether this open created the file. */
	if (util_fsync_dir(dir, eb) < 0)
		goto out;
	if (util_read_file(j->path, &data, eb) < 0)
		goto out;
	if (replay(j, &data, &complete, eb) < 0)
		goto out;
	if (complete < data.len &&
	    (ftruncate(j->fd, (off_t)complete) < 0 || fsync(j->fd) < 0)) {
		errbuf_set(eb, "%s: cutting off a torn record: %s", j->path,
			   strerror(errno));
		goto out;
	}
	j->size = (off_t)complete;
	j->allocated = (off_t)complete;
	*out = j;
	ret = 0;
out:
	buf_release(&data);
	if (ret < 0)
		journal_close(j);
	return ret;
}

static void stop_syncer(struct journal *j)
{
	if (!j->syncer_started)
		return;
	pthread_mutex_lock(&j->lock);
	j->stopping = 1;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->syncer, NULL);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	j->syncer_started = 0;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	stop_syncer(j);
	if (j->fd >= 0) {
		/* The zeros grown ahead go; the last outcome lines stay. */
		if (j->allocated > j->size && !j->broken &&
		    ftruncate(j->fd, j->size) == 0)
			j->allocated = j->size;
		fsync(j->fd);
		close(j->fd);
	}
	arena_release(&j->text);
	free(j->entries);
	free(j->slots);
	free(j->path);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

enum journal_state journal_state(const struct journal *j,
				 const char *subscriber,
				 const char **message_id, const char **reply)
{
	struct journal *mj = (struct journal *)j; /* the lock, the texts */
	struct entry *e;
	enum journal_state st;

	pthread_mutex_lock(&mj->mu);
	e = subscriber ? find_entry(j, subscriber) : NULL;
	if (e && (message_id || reply))
		load_texts(mj, e);
	if (message_id)
		*message_id = e ? entry_message_id(e) : NULL;
	if (reply)
		*reply = e ? entry_reply(e) : NULL;
	st = e ? (enum journal_state)e->state : JOURNAL_NONE;
	pthread_mutex_unlock(&mj->mu);
	return st;
}

static int is_control(int32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/*
 * Appends s as one field: control characters become spaces, bytes that
 * are not UTF-8 become '?', trailing spaces go (a reply's CRLF), and the
 * result is cut to max bytes at a character boundary. Nothing left: "".
 */
static void add_field(struct buf *out, const char *s, size_t max)
{
	const char *p = s ? s : "", *end = p + strlen(p);
	size_t start = out->len;

	while (p < end) {
		const char *q = p;
		int32_t cp = util_utf8_next(&q, end);
		size_t n = cp < 0 || is_control(cp) ? 1 : (size_t)(q - p);

		if (out->len - start + n > max)
			break;
		if (cp < 0)
			buf_addch(out, '?');
		else if (is_control(cp))
			buf_addch(out, ' ');
		else
			buf_add(out, p, n);
		p = q;
	}
	while (out->len > start && out->data[out->len - 1] == ' ')
		buf_truncate(out, out->len - 1);
	/* "-" is how the file says "none": it reads back as "". */
	if (out->len == start + 1 && out->data[start] == '-')
		buf_truncate(out, start);
}

static int pwrite_all(int fd, const char *p, size_t len, off_t at)
{
	while (len) {
		ssize_t w = pwrite(fd, p, len, at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		at += w;
	}
	return 0;
}

/* Makes room for need more bytes after the records: zeros written ahead
 * (not fallocate: its unwritten extents still cost a metadata commit on
 * the first write), made durable by the next fsync. */
static int grow(struct journal *j, off_t need)
{
	static const char zeros[4096];
	off_t target, at;

	if (j->size + need <= j->allocated)
		return 0;
	target = j->size + need + JOURNAL_PREALLOC;
	for (at = j->allocated; at < target; at += (off_t)sizeof(zeros)) {
		size_t n = sizeof(zeros);

		if (target - at < (off_t)n)
			n = (size_t)(target - at);
		if (pwrite_all(j->fd, zeros, n, at) < 0)
			return -1;
		j->allocated = at + (off_t)n;
	}
	return 0;
}

static int append_locked(struct journal *j, enum journal_state state,
			 const char *subscriber, const char *message_id,
			 const char *reply, int sync, struct errbuf *eb)
{
	struct buf line, mid, rep;
	char stamp[TIME_LEN + 1];
	time_t now = time(NULL);
	struct tm tm;
	int ret = -1, err;

	if (!subscriber || !valid_id(subscriber, strlen(subscriber)))
		return errbuf_set(eb,
				  "%s: not a valid subscriber id "
				  "(letters, digits, '.', '_', '-')",
				  j->path);
	if (j->broken)
		return errbuf_set(eb,
				  "%s: an earlier failed write could not be "
				  "undone; rerun to recover",
				  j->path);
	buf_init(&line, MAX_LINE);
	buf_init(&mid, MAX_MESSAGE_ID);
	buf_init(&rep, JOURNAL_MAX_REPLY);
	add_field(&mid, message_id, MAX_MESSAGE_ID);
	add_field(&rep, reply, JOURNAL_MAX_REPLY);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (buf_addf(&line, "%s\t%s\t%s\t%s\t%s\n", stamp, event_names[state],
		     subscriber, mid.len ? buf_str(&mid) : "-",
		     rep.len ? buf_str(&rep) : "-") < 0) {
		errbuf_set(eb, "%s: record too long", j->path);
		goto out;
	}
	if (grow(j, (off_t)line.len) < 0 ||
	    pwrite_all(j->fd, line.data, line.len, j->size) < 0 ||
	    (sync && fdatasync(j->fd) < 0)) {
		err = errno;
		/* Whatever part reached the file must not start a line that
		 * the next record would be glued to. */
		if (ftruncate(j->fd, j->size) < 0)
			j->broken = 1;
		else
			j->allocated = j->size;
		errbuf_set(eb, "%s: write failed: %s", j->path, strerror(err));
		goto out;
	}
	record(j, subscriber, state, j->size);
	j->size += (off_t)line.len;
	ret = 0;
out:
	buf_release(&line);
	buf_release(&mid);
	buf_release(&rep);
	return ret;
}

static int append(struct journal *j, enum journal_state state,
		  const char *subscriber, const char *message_id,
		  const char *reply, int sync, struct errbuf *eb)
{
	int ret;

	pthread_mutex_lock(&j->mu);
	ret = append_locked(j, state, subscriber, message_id, reply, sync, eb);
	pthread_mutex_unlock(&j->mu);
	return ret;
}

int journal_attempt(struct journal *j, const char *subscriber,
		    const char *message_id, struct errbuf *eb)
{
	return append(j, JOURNAL_IN_DOUBT, subscriber, message_id, NULL, 1, eb);
}

static void *syncer_main(void *arg)
{
	struct journal *j = arg;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		unsigned long target;
		int err;

		while (j->synced == j->requested && !j->stopping)
			pthread_cond_wait(&j->cond, &j->lock);
		if (j->synced == j->requested)
			break; /* stopping, nothing left to sync */
		target = j->requested;
		pthread_mutex_unlock(&j->lock);
		err = fdatasync(j->fd) < 0 ? errno : 0;
		pthread_mutex_lock(&j->lock);
		if (err && !j->sync_errno)
			j->sync_errno = err;
		j->synced = target;
		pthread_cond_broadcast(&j->cond);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

int journal_attempt_begin(struct journal *j, const char *subscriber,
			  const char *message_id, struct errbuf *eb)
{
	pthread_mutex_lock(&j->mu);
	if (!j->syncer_started) {
		pthread_mutex_init(&j->lock, NULL);
		pthread_cond_init(&j->cond, NULL);
		if (pthread_create(&j->syncer, NULL, syncer_main, j)) {
			int ret;

			pthread_mutex_destroy(&j->lock);
			pthread_cond_destroy(&j->cond);
			/* No thread: the fsync is made here. */
			ret = append_locked(j, JOURNAL_IN_DOUBT, subscriber,
					    message_id, NULL, 1, eb);
			pthread_mutex_unlock(&j->mu);
			return ret;
		}
		j->syncer_started = 1;
	}
	if (append_locked(j, JOURNAL_IN_DOUBT, subscriber, message_id, NULL, 0,
			  eb) < 0) {
		pthread_mutex_unlock(&j->mu);
		return -1;
	}
	pthread_mutex_unlock(&j->mu);
	pthread_mutex_lock(&j->lock);
	j->requested++;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return 0;
}

int journal_attempt_wait(struct journal *j, struct errbuf *eb)
{
	unsigned long target;
	int err, started;

	pthread_mutex_lock(&j->mu);
	started = j->syncer_started;
	pthread_mutex_unlock(&j->mu);
	if (!started)
		return 0; /* journal_attempt_begin synced already */
	pthread_mutex_lock(&j->lock);
	/* What was appended before this call; later appends are other
	 * messages' business (synced only grows: one syncer thread). */
	target = j->requested;
	while (j->synced < target)
		pthread_cond_wait(&j->cond, &j->lock);
	err = j->sync_errno;
	pthread_mutex_unlock(&j->lock);
	if (err)
		return errbuf_set(eb, "%s: fsync failed: %s", j->path,
				  strerror(err));
	return 0;
}

int journal_result(struct journal *j, const char *subscriber,
		   enum journal_state outcome, const char *message_id,
		   const char *reply, struct errbuf *eb)
{
	if (outcome != JOURNAL_SENT && outcome != JOURNAL_FAILED &&
	    outcome != JOURNAL_DEFERRED)
		return errbuf_set(eb, "%s: \"%s\" is not an outcome", j->path,
				  journal_state_name(outcome));
	return append(j, outcome, subscriber, message_id, reply, 0, eb);
}

void journal_foreach(const struct journal *j,
		     void (*fn)(const char *subscriber,
				enum journal_state state,
				const char *message_id, const char *reply,
				void *ctx),
		     void *ctx)
{
	struct journal *mj = (struct journal *)j; /* the lock, the texts */
	size_t i;

	for (i = 0;; i++) {
		const char *id, *mid, *reply;
		enum journal_state st;
		struct entry *e;

		/* The strings are the arena's: they stay where they are
		 * while fn runs, without the lock (fn may look up). */
		pthread_mutex_lock(&mj->mu);
		if (i >= j->n) {
			pthread_mutex_unlock(&mj->mu);
			break;
		}
		e = &mj->entries[i];
		load_texts(mj, e);
		id = e->id;
		st = (enum journal_state)e->state;
		mid = entry_message_id(e);
		reply = entry_reply(e);
		pthread_mutex_unlock(&mj->mu);
		fn(id, st, mid, reply, ctx);
	}
}

int journal_find_message(const char *dir, const char *date,
			 const char *message_id, char **subscriber,
			 struct errbuf *eb)
{
	struct buf data;
	char *path, *p, *end, *nl;
	time_t day;
	int ret = 0;

	*subscriber = NULL;
	if (util_parse_date(date, &day) < 0)
		return errbuf_set(eb, "%s: not a date (YYYY-MM-DD)", date);
	if (!message_id || !message_id[0] ||
	    strlen(message_id) > MAX_MESSAGE_ID)
		return 0;
	path = util_path_join(dir, date);
	buf_init(&data, JOURNAL_MAX_FILE);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		goto out;
	if (util_read_file(path, &data, eb) < 0) {
		ret = -1;
		goto out;
	}
	p = data.data;
	end = p ? p + data.len : p;
	if (p && (nl = memchr(p, '\0', data.len)) != NULL)
		end = nl;
	while (p && p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		char *f[5];
		size_t nf = 0;

		*nl = '\0';
		f[nf++] = p;
		while (nf < 5 && (p = strchr(p, '\t')) != NULL) {
			*p++ = '\0';
			f[nf++] = p;
		}
		if (nf == 5 && !strcmp(f[3], message_id) &&
		    (!strcmp(f[1], event_names[JOURNAL_IN_DOUBT]) ||
		     !strcmp(f[1], event_names[JOURNAL_SENT])) &&
		    valid_id(f[2], strlen(f[2]))) {
			*subscriber = xstrdup(f[2]);
			ret = 1;
			break;
		}
		p = nl + 1;
	}
out:
	buf_release(&data);
	free(path);
	return ret;
}

int journal_name_date(const char *name, time_t *day)
{
	char date[11];

	if (strlen(name) < 10)
		return -1;
	memcpy(date, name, 10);
	date[10] = '\0';
	if (name[10] && !valid_suffix(name + 10))
		return -1;
	return util_parse_date(date, day);
}

int journal_prune(const char *dir, time_t today, int keep_days, size_t *removed,
		  struct errbuf *eb)
{
	time_t cutoff = today - (time_t)keep_days * DAY_SECONDS, day;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = -1;

	*removed = 0;
	if (keep_days < 0)
		return errbuf_set(eb, "journal: keep_days must not be "
				      "negative");
	d = opendir(dir);
	if (!d) {
		/* No journal yet: nothing to prune. */
		if (errno == ENOENT)
			return 0;
		return errbuf_set(eb, "%s: %s", dir, strerror(errno));
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				errbuf_set(eb, "%s: %s", dir, strerror(errno));
				goto out;
			}
			break;
		}
		if (journal_name_date(de->d_name, &day) < 0 || day >= cutoff)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			if (errno == ENOENT)
				continue;
			errbuf_set(eb, "%s/%s: %s", dir, de->d_name,
				   strerror(errno));
			goto out;
		}
		(*removed)++;
	}
	ret = 0;
out:
	closedir(d);
	if (*removed && util_fsync_dir(dir, ret < 0 ? NULL : eb) < 0)
		ret = -1;
	return ret;
}
