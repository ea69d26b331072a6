/*
 * source: a day's listing, from a file the operator names, from the day's
 * cache, or from the network (arXiv's feed for the latest announcement,
 * the arXiv API for a past day, Hugging Face's daily papers when enabled).
 *
 * Design decision: a day is fetched once. Every raw response is kept in
 * STATE/cache/DATE/ and the file MANIFEST, written last, says the day is
 * complete; from then on every command for that day works offline, and a
 * crash halfway through a fetch leaves no MANIFEST, so the next command
 * fetches again rather than trusting half a day.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arxiv.h"
#include "calendar.h"
#include "source.h"
#include "version.h"
#include "fetch.h"
#include "hfpapers.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* API pages per day at most: 20 x 2,000 is beyond any day of any archive. */
#define FETCH_API_MAX_PAGES 20
/* A response larger than this is refused (a full day of every category
 * as RSS is ~30 MB). */
#define FETCH_MAX_RESPONSE ((size_t)32 << 20)
/* Seconds to connect (TCP and TLS) to a source. */
#define FETCH_CONNECT_TIMEOUT 20
/* Tries per request on timeouts, 429 and 5xx. */
#define FETCH_TRIES 5

static char *day_dir(const struct conf *c, const char *date)
{
	struct buf b = BUF_INIT;
	char *dir;

	buf_addf(&b, "cache/%s", date);
	dir = util_path_join(c->state_dir, buf_str(&b));
	buf_release(&b);
	return dir;
}

/* Makes the day's cache folder; STATE stays private (it also holds
 * who reads what). */
static int cache_dir(const struct conf *c, const char *dir,
		     struct errbuf *eb)
{
	if (util_private_dir(c->state_dir, eb) < 0)
		return -1;
	return util_mkdir_p(dir, 0700, eb);
}

/* Appends s percent-encoded for a URL query (RFC 3986 unreserved kept). */
static void url_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			buf_addch(out, (char)ch);
		else
			buf_addf(out, "%%%02X", ch);
	}
}

struct day_files {
	struct strv kinds; /* "arxiv" or "hf", one per file */
	struct strv names; /* file names inside the day's folder */
};

static void day_files_release(struct day_files *f)
{
	strv_release(&f->kinds);
	strv_release(&f->names);
}

/* Reads DIR/MANIFEST ("KIND FILE" lines). 1 if absent, 0, or -1. */
static int read_manifest(const char *dir, struct day_files *f,
			 struct errbuf *eb)
{
	char *path = util_path_join(dir, "MANIFEST");
	struct buf text = BUF_INIT;
	char *line, *next;
	int ret = -1;

	if (util_read_file(path, &text, eb) < 0) {
		ret = access(path, F_OK) ? 1 : -1;
		goto out;
	}
	for (line = text.data; line && *line; line = next) {
		char *nl = strchr(line, '\n'), *sp;
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		sp = strchr(line, ' ');
		if (!sp || strchr(sp + 1, '/') || (strncmp(line, "arxiv ", 6) &&
						    strncmp(line, "hf ", 3))) {
			errbuf_set(eb, "%s: malformed line \"%s\"", path, line);
			goto out;
		}
		*sp = '\0';
		strv_push(&f->kinds, line);
		strv_push(&f->names, sp + 1);
	}
	ret = 0;
out:
	free(path);
	buf_release(&text);
	return ret;
}

/* Parses the day's files into l; returns the arXiv item count or -1. */
static int parse_files(const char *dir, const struct day_files *f,
		       struct listing *l, struct errbuf *eb)
{
	struct hfpapers_extras extras = HFPAPERS_EXTRAS_INIT;
	size_t i;
	int items = 0, n;

	for (i = 0; i < f->names.n; i++) {
		char *path = util_path_join(dir, f->names.v[i]);

		if (!strcmp(f->kinds.v[i], "arxiv"))
			n = arxiv_parse_file(path, l, eb);
		else
			n = hfpapers_parse_file(path, l, &extras, eb);
		free(path);
		if (n < 0) {
			hfpapers_extras_release(&extras);
			return -1;
		}
		if (!strcmp(f->kinds.v[i], "arxiv"))
			items += n;
	}
	hfpapers_extras_release(&extras);
	return items;
}

/* Saves data as DIR/NAME and records it in f. */
static int keep(const char *dir, struct day_files *f, const char *kind,
		const char *name, const struct buf *data, struct errbuf *eb)
{
	char *path = util_path_join(dir, name);
	int ret = util_write_atomic(path, buf_str(data), data->len, 0600, eb);

	free(path);
	if (ret == 0) {
		strv_push(&f->kinds, kind);
		strv_push(&f->names, name);
	}
	return ret;
}

static int write_manifest(const char *dir, const struct day_files *f,
			  struct errbuf *eb)
{
	struct buf text = BUF_INIT;
	char *path = util_path_join(dir, "MANIFEST");
	size_t i;
	int ret;

	for (i = 0; i < f->names.n; i++)
		buf_addf(&text, "%s %s\n", f->kinds.v[i], f->names.v[i]);
	ret = util_write_atomic(path, buf_str(&text), text.len, 0600, eb);
	free(path);
	buf_release(&text);
	return ret;
}

struct acquire {
	const struct conf *c;
	const char *date;
	time_t day;
	const char *dir;
	int store;               /* keep what is fetched */
	struct fetcher *fetcher;
	struct day_files files;
	int temporary;           /* the failure may pass */
	const struct source_log *log;
};

/* One progress line through the caller's hook, if any. */
__attribute__((format(printf, 2, 3))) static void
say(const struct source_log *log, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	if (!log || !log->line)
		return;
	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	log->line(log->ctx, buf_str(&line));
	buf_release(&line);
}

static int get(struct acquire *a, const char *what, const char *url,
	       const char *kind, const char *name, struct listing *l,
	       int *items, struct errbuf *eb)
{
	struct fetch_response res;
	struct hfpapers_extras extras = HFPAPERS_EXTRAS_INIT;
	int n, ret = -1;

	memset(&res, 0, sizeof(res));
	if (fetch_get(a->fetcher, url, NULL, &res, eb) < 0) {
		a->temporary = res.temporary;
		goto out;
	}
	if (!strcmp(kind, "arxiv"))
		n = arxiv_parse(buf_str(&res.body), res.body.len, url, l, eb);
	else
		n = hfpapers_parse(buf_str(&res.body), res.body.len, url, l,
				   &extras, eb);
	if (n < 0)
		goto out;
	say(a->log, "  %-12s HTTP %ld, %d item%s, %zu bytes, %d request%s: %s",
	    what, res.status, n, n == 1 ? "" : "s", res.body.len,
	    res.requests, res.requests == 1 ? "" : "s", url);
	if (items)
		*items = n;
	if (a->store && keep(a->dir, &a->files, kind, name, &res.body, eb) < 0)
		goto out;
	ret = 0;
out:
	hfpapers_extras_release(&extras);
	fetch_response_release(&res);
	return ret;
}

static int fetch_rss(struct acquire *a, struct listing *l, int *items,
		     struct errbuf *eb)
{
	struct buf url = BUF_INIT;
	char *cats = strv_join(&a->c->categories, "+");
	int ret;

	buf_addf(&url, "%s%s", a->c->arxiv_rss_url, cats);
	ret = get(a, "arxiv feed", buf_str(&url), "arxiv", "arxiv.xml", l,
		  items, eb);
	free(cats);
	buf_release(&url);
	return ret;
}

/* A past day from the API: papers submitted in the day before the
 * listing date (UTC), which approximates that day's announcement. */
static int fetch_api(struct acquire *a, struct listing *l, int *items,
		     struct errbuf *eb)
{
	char from[16], to[16];
	struct buf query = BUF_INIT, url = BUF_INIT, name = BUF_INIT;
	time_t prev = a->day - 86400;
	struct tm tm;
	size_t i;
	int page, n = 0, ret = -1;

	gmtime_r(&prev, &tm);
	strftime(from, sizeof(from), "%Y%m%d0000", &tm);
	strftime(to, sizeof(to), "%Y%m%d2359", &tm);
	buf_addch(&query, '(');
	for (i = 0; i < a->c->categories.n; i++)
		buf_addf(&query, "%scat:%s", i ? " OR " : "",
			 a->c->categories.v[i]);
	buf_addf(&query, ") AND submittedDate:[%s TO %s]", from, to);
	say(a->log, "  note: the arXiv API selects by submission date (%.8s), "
		    "not by announcement date", from);
	*items = 0;
	for (page = 0; page < FETCH_API_MAX_PAGES; page++) {
		buf_reset(&url);
		buf_addf(&url, "%s?search_query=", a->c->arxiv_api_url);
		url_escape(&url, buf_str(&query));
		buf_addf(&url, "&start=%d&max_results=%d&sortBy=submittedDate"
			       "&sortOrder=ascending",
			 page * (int)a->c->arxiv_api_page,
			 (int)a->c->arxiv_api_page);
		buf_reset(&name);
		buf_addf(&name, "arxiv-api-%d.xml", page + 1);
		if (get(a, "arxiv api", buf_str(&url), "arxiv", buf_str(&name),
			l, &n, eb) < 0)
			goto out;
		*items += n;
		if (n < a->c->arxiv_api_page)
			break;
	}
	ret = 0;
out:
	buf_release(&query);
	buf_release(&url);
	buf_release(&name);
	return ret;
}

static int fetch_hf(struct acquire *a, struct listing *l, struct errbuf *eb)
{
	struct buf url = BUF_INIT;
	int ret;

	buf_addf(&url, "%s?date=%s", a->c->hf_url, a->date);
	ret = get(a, "huggingface", buf_str(&url), "hf", "hf.json", l, NULL,
		  eb);
	buf_release(&url);
	return ret;
}

static char *user_agent(const struct conf *c)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "paperboy/%s (+mailto:%s)", PAPERBOY_VERSION, c->contact);
	return buf_detach(&b, NULL);
}

/* Tells the log that the network is next: the host of url. */
static void announce_fetch(const struct acquire *a, const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;
	char host[256];

	if (!a->log || !a->log->fetching)
		return;
	h = h ? h + 3 : url;
	n = strcspn(h, "/:?#");
	snprintf(host, sizeof(host), "%.*s", (int)n, h);
	a->log->fetching(a->log->ctx, a->date, host);
}

/* Fetches the day from the network into l (and the cache). */
static int acquire(struct acquire *a, time_t now, struct listing *l,
		   int *items, struct errbuf *eb)
{
	struct calendar cal = CALENDAR_INIT;
	struct fetch_config fc;
	char *ua = user_agent(a->c);
	time_t latest, feed_at;
	const char *why = NULL;
	int ret = -1;

	if (calendar_init(&cal, a->c->holidays_set ? &a->c->holidays : NULL,
			  eb) < 0 ||
	    calendar_latest(&cal, now, &latest, eb) < 0 ||
	    calendar_feed_at(a->day, &feed_at, eb) < 0)
		goto out;
	if (!calendar_is_announcement_day(&cal, a->day, &why)) {
		say(a->log, "paperboy: no arXiv announcement for %s (%s%s%s)",
		    a->date, util_weekday(a->day),
		    strcmp(why, util_weekday(a->day)) ? ", " : "",
		    strcmp(why, util_weekday(a->day)) ? why : "");
		*items = 0;
		ret = 0;
		goto out;
	}
	if (a->day > latest) {
		errbuf_set(eb, "the listing of %s is not announced yet", a->date);
		a->temporary = 1;
		goto out;
	}
	fetch_config_init(&fc);
	fc.user_agent = ua;
	fc.connect_timeout_s = FETCH_CONNECT_TIMEOUT;
	fc.total_timeout_s = a->c->fetch_timeout;
	fc.stall_timeout_s = a->c->fetch_stall;
	fc.max_bytes = FETCH_MAX_RESPONSE;
	fc.max_tries = FETCH_TRIES;
	fc.min_interval_ms = FETCH_ARXIV_INTERVAL_MS;
	/* Only the tests set this, to keep retry tests short (the
	 * politeness interval has its own test knob, in fetch.c). */
	if (getenv("PAPERBOY_TEST_BACKOFF_MS"))
		fc.backoff_ms = strtol(getenv("PAPERBOY_TEST_BACKOFF_MS"), NULL,
				       10);
	if (fetch_new(&fc, &a->fetcher, eb) < 0)
		goto out;
	if (a->store && cache_dir(a->c, a->dir, eb) < 0)
		goto out;
	if (a->day == latest && now >= feed_at) {
		announce_fetch(a, a->c->arxiv_rss_url);
		ret = fetch_rss(a, l, items, eb);
	}
	else if (a->day == latest) {
		ret = errbuf_set(eb, "the feed with the listing of %s appears "
				     "at midnight US Eastern; try again then",
				 a->date);
		a->temporary = 1;
	} else {
		announce_fetch(a, a->c->arxiv_api_url);
		ret = fetch_api(a, l, items, eb);
	}
	if (ret == 0 && *items > 0 && a->c->hf_enabled)
		ret = fetch_hf(a, l, eb);
	if (ret == 0 && a->store && write_manifest(a->dir, &a->files, eb) < 0)
		ret = -1;
out:
	fetch_free(a->fetcher);
	a->fetcher = NULL;
	calendar_release(&cal);
	free(ua);
	return ret;
}

time_t source_now(void)
{
	/* Only the tests set this: the day logic depends on the hour. */
	const char *s = getenv("PAPERBOY_TEST_NOW");

	return s ? (time_t)strtoll(s, NULL, 10) : time(NULL);
}

int source_latest_date(const struct conf *c, char *out, size_t size,
		       struct errbuf *eb)
{
	struct calendar cal = CALENDAR_INIT;
	time_t day;
	int ret = -1;

	if (calendar_init(&cal, c->holidays_set ? &c->holidays : NULL, eb) <
		    0 ||
	    calendar_latest(&cal, source_now(), &day, eb) < 0) {
		errbuf_kind(eb, ERRBUF_CONFIG);
		goto out;
	}
	util_format_date(day, out, size);
	ret = 0;
out:
	calendar_release(&cal);
	return ret;
}

/*
 * A listing named on the command line must be of the day it is sent as:
 * its own date (the RSS channel's pubDate, when it has one) must be that
 * day, and the day must be one arXiv announces on. Returns 0 or -1.
 */
static int check_day(const struct conf *c, const char *date, time_t day,
		     const char *path, const struct listing *l,
		     struct errbuf *eb)
{
	struct calendar cal = CALENDAR_INIT;
	const char *why = NULL;
	char when[16];
	time_t latest;
	int ret = -1;

	if (l->date[0] && strcmp(l->date, date)) {
		errbuf_setk(eb, ERRBUF_USAGE,
			    "%s: this listing is of %s, not of %s (--date); "
			    "nothing was sent (--force-date sends it as %s "
			    "anyway)",
			    path, l->date, date, date);
		goto out;
	}
	if (calendar_init(&cal, c->holidays_set ? &c->holidays : NULL, eb) <
	    0) {
		errbuf_kind(eb, ERRBUF_CONFIG);
		goto out;
	}
	if (calendar_latest(&cal, source_now(), &latest, eb) < 0) {
		errbuf_kind(eb, ERRBUF_CONFIG);
		goto out;
	}
	if (day > latest) {
		util_format_date(latest, when, sizeof(when));
		errbuf_setk(eb, ERRBUF_USAGE,
			    "%s: %s is not announced yet (the latest listing "
			    "is of %s); nothing was sent (--force-date runs "
			    "the day anyway)",
			    path, date, when);
		goto out;
	}
	if (!calendar_is_announcement_day(&cal, day, &why)) {
		errbuf_setk(eb, ERRBUF_USAGE,
			    "%s: arXiv announces nothing on %s (%s); nothing "
			    "was sent (--force-date runs the day anyway)",
			    path, date, why);
		goto out;
	}
	ret = 0;
out:
	calendar_release(&cal);
	return ret;
}

int source_load(const struct conf *c, const char *date,
		const char *listing_path, unsigned flags,
		const struct source_log *log, struct listing *l, int *items,
		struct errbuf *eb)
{
	struct acquire a;
	char *dir = day_dir(c, date);
	struct buf data;
	int ret = -1, n, r;

	memset(&a, 0, sizeof(a));
	a.c = c;
	a.date = date;
	a.dir = dir;
	a.store = !!(flags & SOURCE_STORE);
	a.log = log;
	util_parse_date(date, &a.day);
	buf_init(&data, ARXIV_MAX_DOCUMENT);
	listing_init(l);
	if (listing_path) {
		if (util_read_file(listing_path, &data, eb) < 0) {
			errbuf_prefix(eb, "cannot read the listing");
			errbuf_kind(eb, ERRBUF_NOINPUT);
			goto out;
		}
		n = arxiv_parse(buf_str(&data), data.len, listing_path, l, eb);
		if (n < 0) {
			errbuf_kind(eb, ERRBUF_DATA);
			goto out;
		}
		if (!(flags & SOURCE_FORCE_DATE) &&
		    check_day(c, date, a.day, listing_path, l, eb) < 0)
			goto out;
		*items = n;
		if (a.store && (cache_dir(c, dir, eb) < 0 ||
				keep(dir, &a.files, "arxiv", "arxiv.xml", &data,
				     eb) < 0 ||
				write_manifest(dir, &a.files, eb) < 0)) {
			errbuf_prefix(eb, "cannot keep a copy of the listing");
			errbuf_kind(eb, ERRBUF_IO);
			goto out;
		}
		ret = 0;
		goto out;
	}
	r = read_manifest(dir, &a.files, eb);
	if (r < 0) {
		errbuf_kind(eb, ERRBUF_DATA);
		goto out;
	}
	if (r == 0) {
		n = parse_files(dir, &a.files, l, eb);
		if (n < 0) {
			errbuf_kind(eb, ERRBUF_DATA);
			goto out;
		}
		*items = n;
		ret = 0;
		goto out;
	}
	day_files_release(&a.files);
	if (flags & SOURCE_OFFLINE) {
		errbuf_setk(eb, ERRBUF_NOINPUT, "no cached listing of %s in %s",
			    date, dir);
		goto out;
	}
	if (acquire(&a, source_now(), l, items, eb) < 0) {
		errbuf_prefix(eb, "fetching the listing of %s", date);
		errbuf_kind(eb, a.temporary ? ERRBUF_TEMP : ERRBUF_DATA);
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		listing_release(l);
	else if (!l->source)
		l->source = xstrdup(listing_path ? listing_path : dir);
	day_files_release(&a.files);
	buf_release(&data);
	free(dir);
	return ret;
}
