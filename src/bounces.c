/*
 * bounces: the bounce record and the "bouncing" status (see bounces.h).
 *
 * Design decision: the record is a small append-only text file per
 * subscriber, changed under an flock of the file itself (it is never
 * replaced while in use, except by the size cap's rewrite, which holds
 * the same lock and renames over it), so two `inbound` processes at once
 * neither lose a record nor count one report twice. Each record is one
 * write() and fsynced before anything acts on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounces.h"
#include "buf.h"
#include "journal.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Seconds in a day (windows and journal days are UTC days). */
#define DAY_SECONDS 86400
/* "YYYY-MM-DDTHH:MM:SSZ" */
#define TIME_LEN 20
/* Bytes kept of one field: a Message-ID's longest (one header line). */
#define MAX_FIELD 998
/* A record: six fields and their tabs. */
#define MAX_RECORD (TIME_LEN + 16 + 16 + 3 * MAX_FIELD + 8)
/* Subscriber ids are file names here (subs.h: SUBS_MAX_ID). */
#define ID_CHARS                                                               \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
/* The folder under STATE. */
#define BOUNCES_DIR "bounces"
/* Journal days looked at around the day a Message-ID was made: the
 * journal is named by the announcement day, and a day's digests go out
 * that day (UTC), or the next morning for a run that went on late. */
#define JOURNAL_DAYS_BEFORE 3
#define JOURNAL_DAYS_AFTER  1
/* Message-IDs of one report looked up: a report returns one message;
 * each lookup reads a few journal files, which a stranger's mail must
 * not be able to multiply. */
#define MAX_LOOKUPS 2

static int valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n && n <= SUBS_MAX_ID && id[0] != '.' &&
	       !id[strspn(id, ID_CHARS)];
}

/* Appends s as one field: controls and tabs as '?', "-" for nothing. */
static void add_field(struct buf *b, const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n) {
		buf_addch(b, '-');
		return;
	}
	if (n > MAX_FIELD)
		n = MAX_FIELD;
	for (i = 0; i < n; i++)
		buf_addch(b, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?'
									: s[i]);
}

static void format_time(time_t t, char out[TIME_LEN + 1])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int parse_time(const char *s, time_t *t)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != TIME_LEN)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = timegm(&tm);
	return 0;
}

static char *record_path(const char *state_dir, const char *id)
{
	struct buf b = BUF_INIT;
	char *dir = util_path_join(state_dir, BOUNCES_DIR), *p;

	buf_addf(&b, "%s/%s", dir, id);
	p = buf_detach(&b, NULL);
	free(dir);
	return p;
}

/*
 * Opens (creating it 0600, and its folder 0700) and locks the record of
 * id. Returns the fd or -1 with eb filled.
 */
static int open_record(const char *state_dir, const char *id, int create,
		       struct errbuf *eb)
{
	char *dir = util_path_join(state_dir, BOUNCES_DIR);
	char *path = record_path(state_dir, id);
	struct stat st;
	int fd = -1, flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW;

	if (!valid_id(id)) {
		errbuf_set(eb, "bounces: \"%s\" is not a subscriber id", id);
		goto out;
	}
	if (create && util_mkdir_p(dir, 0700, eb) < 0)
		goto out;
	fd = open(path, flags | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		if (errno != ENOENT || create)
			errbuf_set(eb, "%s: %s", path, strerror(errno));
		else
			errbuf_clear(eb);
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errbuf_set(eb, "%s: not a regular file", path);
		close(fd);
		fd = -1;
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		errbuf_set(eb, "%s: flock: %s", path, strerror(errno));
		close(fd);
		fd = -1;
		break;
	}
out:
	free(dir);
	free(path);
	return fd;
}

/* Reads the whole record behind fd into out (bounded). */
static int read_record(int fd, const char *id, struct buf *out,
		       struct errbuf *eb)
{
	char chunk[4096];
	off_t at = 0;
	ssize_t n;

	for (;;) {
		n = pread(fd, chunk, sizeof(chunk), at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errbuf_set(eb, "bounces/%s: %s", id,
					  strerror(errno));
		if (n == 0)
			return 0;
		if (buf_add(out, chunk, (size_t)n) < 0)
			return errbuf_set(eb,
					  "bounces/%s: larger than %zu "
					  "bytes",
					  id, BOUNCES_MAX_FILE * 2);
		at += n;
	}
}

struct record {
	time_t when;
	char *kind, *via, *message_id, *status, *bounce_id;
};

/* Splits one line (modified in place); 0, or -1 if it is not a record. */
static int parse_record(char *line, struct record *r)
{
	char *f[6];
	size_t nf = 0;
	char *p = line;

	f[nf++] = p;
	while (nf < 6 && (p = strchr(p, '\t')) != NULL) {
		*p++ = '\0';
		f[nf++] = p;
	}
	if (nf != 6 || parse_time(f[0], &r->when) < 0)
		return -1;
	r->kind = f[1];
	r->via = f[2];
	r->message_id = f[3];
	r->status = f[4];
	r->bounce_id = f[5];
	return 0;
}

/* Calls fn for every well-formed record in text (a copy is split). */
static void each_record(const struct buf *text,
			void (*fn)(const struct record *r, const char *line,
				   size_t len, void *ctx),
			void *ctx)
{
	const char *p = buf_str(text), *end = p + text->len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		char *line = xstrndup(p, (size_t)(nl - p));
		struct record r;

		if (parse_record(line, &r) == 0)
			fn(&r, p, (size_t)(nl - p + 1), ctx);
		free(line);
		p = nl + 1;
	}
}

struct tally {
	time_t since, now;
	const char *bounce_id;
	int seen;
	long hard, soft;
	struct buf *keep; /* for the size cap: records of the window */
};

static void tally_one(const struct record *r, const char *line, size_t len,
		      void *ctx)
{
	struct tally *t = ctx;

	if (t->bounce_id && !strcmp(r->bounce_id, t->bounce_id))
		t->seen = 1;
	if (r->when < t->since)
		return;
	if (!strcmp(r->kind, "hard"))
		t->hard++;
	else if (!strcmp(r->kind, "soft"))
		t->soft++;
	if (t->keep)
		buf_add(t->keep, line, len);
}

int bounces_count(const char *state_dir, const char *id, time_t now,
		  long window_days, long *hard, long *soft, struct errbuf *eb)
{
	struct tally t = {0};
	struct buf text;
	int fd, ret = -1;

	*hard = *soft = 0;
	if (!valid_id(id))
		return errbuf_set(eb, "bounces: \"%s\" is not a subscriber id",
				  id);
	errbuf_clear(eb);
	fd = open_record(state_dir, id, 0, eb);
	if (fd < 0)
		return eb->msg[0] ? -1 : 0;
	buf_init(&text, BOUNCES_MAX_FILE * 2);
	if (read_record(fd, id, &text, eb) < 0)
		goto out;
	t.since = now - (time_t)window_days * DAY_SECONDS;
	each_record(&text, tally_one, &t);
	*hard = t.hard;
	*soft = t.soft;
	ret = 0;
out:
	buf_release(&text);
	close(fd);
	return ret;
}

/* The size cap: the record rewritten with the window's records only. */
static int shrink(const char *state_dir, const char *id, const struct buf *text,
		  time_t now, long window_days, struct errbuf *eb)
{
	struct tally t = {0};
	struct buf keep;
	char *path = record_path(state_dir, id);
	int ret;

	buf_init(&keep, BOUNCES_MAX_FILE * 2);
	t.since = now - (time_t)window_days * DAY_SECONDS;
	t.keep = &keep;
	each_record(text, tally_one, &t);
	ret = util_write_atomic(path, buf_str(&keep), keep.len, 0600, eb);
	buf_release(&keep);
	free(path);
	return ret;
}

static const char *kind_word(enum bounce_kind kind)
{
	return kind == BOUNCE_HARD ? "hard" : "soft";
}

int bounces_record(const char *state_dir, const char *id, enum bounce_kind kind,
		   const char *via, const char *message_id, const char *status,
		   const char *bounce_id, time_t when, int *duplicate,
		   struct errbuf *eb)
{
	char stamp[TIME_LEN + 1];
	struct buf text, line, bid;
	struct tally t = {0};
	int fd, ret = -1;

	*duplicate = 0;
	if (kind != BOUNCE_HARD && kind != BOUNCE_SOFT)
		return errbuf_set(eb, "bounces: a bounce is hard or soft");
	fd = open_record(state_dir, id, 1, eb);
	if (fd < 0)
		return -1;
	buf_init(&text, BOUNCES_MAX_FILE * 2);
	buf_init(&line, MAX_RECORD);
	buf_init(&bid, MAX_FIELD + 1);
	if (read_record(fd, id, &text, eb) < 0)
		goto out;
	if (bounce_id && *bounce_id) {
		add_field(&bid, bounce_id);
		t.bounce_id = buf_str(&bid);
		t.since = when;
		each_record(&text, tally_one, &t);
		if (t.seen) {
			*duplicate = 1;
			ret = 0;
			goto out;
		}
	}
	format_time(when, stamp);
	buf_addf(&line, "%s\t%s\t", stamp, kind_word(kind));
	add_field(&line, via);
	buf_addch(&line, '\t');
	add_field(&line, message_id);
	buf_addch(&line, '\t');
	add_field(&line, status);
	buf_addch(&line, '\t');
	add_field(&line, bounce_id);
	buf_addch(&line, '\n');
	if (util_write_all(fd, line.data, line.len) < 0 || fsync(fd) < 0) {
		errbuf_set(eb, "bounces/%s: write failed: %s", id,
			   strerror(errno));
		goto out;
	}
	if (text.len + line.len > BOUNCES_MAX_FILE) {
		buf_add(&text, line.data, line.len);
		/* A long window keeps a year's records at the most. */
		if (shrink(state_dir, id, &text, when, 366, eb) < 0)
			goto out;
	}
	ret = 0;
out:
	buf_release(&text);
	buf_release(&line);
	buf_release(&bid);
	close(fd);
	return ret;
}

int bounces_apply_limit(const char *state_dir, const struct subscriber *s,
			long limit, long window_days, time_t now, int *changed,
			struct errbuf *eb)
{
	char stamp[TIME_LEN + 1];
	long hard, soft;

	*changed = 0;
	if (s->status != SUBS_ACTIVE)
		return 0;
	if (bounces_count(state_dir, s->id, now, window_days, &hard, &soft,
			  eb) < 0)
		return -1;
	if (hard < limit)
		return 0;
	format_time(now, stamp);
	if (subs_set_status(s->path, SUBS_BOUNCING, stamp, changed, eb) < 0)
		return -1;
	if (*changed && subs_log_change(state_dir, stamp, "bouncing", s->id,
					s->email, "bounce", eb) < 0)
		return -1;
	return 0;
}

/* The subscriber a signed VERP address among r's recipients names. */
static char *tie_verp(const struct bounces_config *cfg,
		      const struct bounce_report *r)
{
	size_t i;
	char *id = NULL;

	if (!cfg->verp_form || !cfg->verp_form[0] || !cfg->key)
		return NULL;
	for (i = 0; i < r->envelope_to.n && !id; i++)
		token_verp_parse(cfg->key, cfg->verp_form, r->envelope_to.v[i],
				 &id);
	return id;
}

/*
 * When message_id was made: mime_new_message_id() writes
 * "<UNIX-TIME.RANDOM@domain>". Returns 0 and *when, or -1 for a
 * Message-ID of another form (not one of ours).
 */
static int message_time(const char *message_id, time_t *when)
{
	const char *p = message_id + 1;
	long long t = 0;
	int digits = 0;

	if (message_id[0] != '<')
		return -1;
	for (; *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
		t = t * 10 + (*p - '0');
	if (*p != '.' || digits < 9)
		return -1;
	*when = (time_t)t;
	return 0;
}

/*
 * Who a journal recorded one of r's Message-IDs for: the journals of the
 * days around the day the Message-ID was made, if that was within the
 * window before now.
 */
static int tie_message_id(const struct bounces_config *cfg,
			  const struct bounce_report *r, time_t now, char **id,
			  const char **mid, struct errbuf *eb)
{
	char *jdir = util_path_join(cfg->state_dir, "journal");
	time_t made, day;
	long d;
	size_t i;
	int ret = 0;

	*id = NULL;
	for (i = 0; i < r->message_ids.n && i < MAX_LOOKUPS && !ret; i++) {
		if (message_time(r->message_ids.v[i], &made) < 0 ||
		    made > now + DAY_SECONDS ||
		    made < now - (time_t)cfg->window_days * DAY_SECONDS)
			continue;
		day = made - made % DAY_SECONDS;
		for (d = -JOURNAL_DAYS_AFTER; d <= JOURNAL_DAYS_BEFORE; d++) {
			char date[16];

			util_format_date(day - (time_t)d * DAY_SECONDS, date,
					 sizeof(date));
			ret = journal_find_message(jdir, date,
						   r->message_ids.v[i], id, eb);
			if (ret) {
				*mid = r->message_ids.v[i];
				break;
			}
		}
	}
	free(jdir);
	return ret;
}

int bounces_handle(const struct bounces_config *cfg,
		   const struct subs_list *subs, const struct bounce_report *r,
		   time_t now, struct bounces_outcome *out, struct errbuf *eb)
{
	const struct subscriber *s;
	const char *mid = NULL;
	char *id;
	int dup, r2;

	memset(out, 0, sizeof(*out));
	out->result = BOUNCES_NOT_OURS;
	if (r->kind == BOUNCE_NONE) {
		snprintf(out->why, sizeof(out->why), "not a bounce: %s",
			 r->reason ? r->reason : "?");
		return 0;
	}
	id = tie_verp(cfg, r);
	if (id) {
		out->via = "verp";
		mid = r->message_ids.n ? r->message_ids.v[0] : NULL;
	} else {
		r2 = tie_message_id(cfg, r, now, &id, &mid, eb);
		if (r2 < 0)
			return -1;
		if (!r2) {
			snprintf(out->why, sizeof(out->why),
				 "tied to no message we sent (no signed VERP "
				 "address, no Message-ID from the journal)");
			return 0;
		}
		out->via = "message-id";
	}
	s = subs_find(subs, id);
	if (!s) {
		snprintf(out->why, sizeof(out->why),
			 "for subscriber \"%s\", who has no profile", id);
		free(id);
		return 0;
	}
	/* Our Message-ID, but another address: not that subscriber's. */
	if (!strcmp(out->via, "message-id") &&
	    (!r->recipient || strcasecmp(r->recipient, s->email))) {
		snprintf(out->why, sizeof(out->why),
			 "quotes the message sent to %s, but names %s as the "
			 "failed recipient",
			 s->id,
			 r->recipient ? "another address" : "no address");
		free(id);
		return 0;
	}
	if (bounces_record(cfg->state_dir, s->id, r->kind, out->via, mid,
			   r->status, r->bounce_id, now, &dup, eb) < 0)
		goto fail;
	out->subscriber = id;
	out->result = dup ? BOUNCES_DUPLICATE : BOUNCES_COUNTED;
	if (bounces_count(cfg->state_dir, s->id, now, cfg->window_days,
			  &out->hard, &out->soft, eb) < 0)
		return -1;
	if (r->kind == BOUNCE_HARD &&
	    bounces_apply_limit(cfg->state_dir, s, cfg->limit, cfg->window_days,
				now, &out->suppressed, eb) < 0)
		return -1;
	return 0;
fail:
	free(id);
	return -1;
}

void bounces_outcome_release(struct bounces_outcome *o)
{
	free(o->subscriber);
	o->subscriber = NULL;
}
