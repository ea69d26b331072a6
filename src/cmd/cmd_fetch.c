/*
 * cmd_fetch: getting a day's listing: from --listing, from the day's
 * cache, or from the network (arXiv's feed for the latest announcement,
 * the arXiv API for a past day, Hugging Face's daily papers when enabled),
 * and `paperboy fetch`, which does only that and says what it got.
 *
 * Design decision: a day is fetched once. Every raw response is kept in
 * STATE/cache/DATE/ and the file MANIFEST, written last, says the day is
 * complete; from then on every command for that day works offline, and a
 * crash halfway through a fetch leaves no MANIFEST, so the next command
 * fetches again rather than trusting half a day.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arxiv.h"
#include "calendar.h"
#include "cmd.h"
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
	int ret = util_write_atomic(path, buf_str(data), data->len, 0644, eb);

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
	ret = util_write_atomic(path, buf_str(&text), text.len, 0644, eb);
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
	int temporary;           /* the failure may pass: EX_TEMPFAIL */
};

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
	printf("  %-12s HTTP %ld, %d item%s, %zu bytes, %d request%s: %s\n",
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
	printf("  note: the arXiv API selects by submission date (%.8s), "
	       "not by announcement date\n", from);
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
		printf("paperboy: no arXiv announcement for %s (%s%s%s)\n",
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
	if (a->store && util_mkdir_p(a->dir, 0755, eb) < 0)
		goto out;
	if (a->day == latest && now >= feed_at)
		ret = fetch_rss(a, l, items, eb);
	else if (a->day == latest) {
		ret = errbuf_set(eb, "the feed with the listing of %s appears "
				     "at midnight US Eastern; try again then",
				 a->date);
		a->temporary = 1;
	} else
		ret = fetch_api(a, l, items, eb);
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

time_t cmd_now(void)
{
	/* Only the tests set this: the day logic depends on the hour. */
	const char *s = getenv("PAPERBOY_TEST_NOW");

	return s ? (time_t)strtoll(s, NULL, 10) : time(NULL);
}

int cmd_latest_date(const struct conf *c, char *out, size_t size)
{
	struct calendar cal = CALENDAR_INIT;
	struct errbuf eb = ERRBUF_INIT;
	time_t day;
	int ret = EX_OK;

	if (calendar_init(&cal, c->holidays_set ? &c->holidays : NULL,
			  &eb) < 0 ||
	    calendar_latest(&cal, cmd_now(), &day, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_CONFIG;
	} else {
		util_format_date(day, out, size);
	}
	calendar_release(&cal);
	return ret;
}

int cmd_load_listing(const struct conf *c, const char *date,
		     const char *listing_path, int dry_run,
		     struct listing *l, int *items)
{
	struct errbuf eb = ERRBUF_INIT;
	struct acquire a;
	char *dir = day_dir(c, date);
	struct buf data;
	int ret = EX_OK, n, r;

	memset(&a, 0, sizeof(a));
	a.c = c;
	a.date = date;
	a.dir = dir;
	a.store = !dry_run;
	util_parse_date(date, &a.day);
	buf_init(&data, ARXIV_MAX_DOCUMENT);
	listing_init(l);
	if (listing_path) {
		if (util_read_file(listing_path, &data, &eb) < 0) {
			cmd_error("cannot read the listing: %s", eb.msg);
			ret = EX_NOINPUT;
			goto out;
		}
		n = arxiv_parse(buf_str(&data), data.len, listing_path, l, &eb);
		if (n < 0)
			goto unusable;
		*items = n;
		if (a.store && (util_mkdir_p(dir, 0755, &eb) < 0 ||
				keep(dir, &a.files, "arxiv", "arxiv.xml", &data,
				     &eb) < 0 ||
				write_manifest(dir, &a.files, &eb) < 0)) {
			cmd_error("cannot keep a copy of the listing: %s",
				  eb.msg);
			ret = EX_IOERR;
		}
		goto out;
	}
	r = read_manifest(dir, &a.files, &eb);
	if (r < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_DATAERR;
		goto out;
	}
	if (r == 0) {
		n = parse_files(dir, &a.files, l, &eb);
		if (n < 0)
			goto unusable;
		*items = n;
		goto out;
	}
	day_files_release(&a.files);
	if (acquire(&a, cmd_now(), l, items, &eb) < 0) {
		listing_release(l);
		cmd_error("fetching the listing of %s: %s", date, eb.msg);
		cmd_error("nothing was sent");
		ret = a.temporary ? EX_TEMPFAIL : EX_DATAERR;
	}
	goto out;
unusable:
	cmd_error("%s", eb.msg);
	cmd_error("the listing is unusable; nothing was sent");
	ret = EX_DATAERR;
out:
	if (ret != EX_OK)
		listing_release(l);
	else if (!l->source)
		l->source = xstrdup(listing_path ? listing_path : dir);
	day_files_release(&a.files);
	buf_release(&data);
	free(dir);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy fetch [-c FILE] [--date YYYY-MM-DD] "
		"[--listing FILE] [--list]\n"
		"\n"
		"Gets the day's listing (default: the latest announcement) "
		"and keeps it in\n"
		"STATE/cache/DATE/: arXiv's feed for the latest day, the "
		"arXiv API for a\n"
		"past one, and Hugging Face's daily papers when enabled. A "
		"day already\n"
		"fetched is read from the cache; nothing is fetched twice.\n"
		"\n"
		"  --date D          the listing day (default: the latest "
		"announced)\n"
		"  --listing FILE    take the day's arXiv listing from FILE "
		"(kept in the cache)\n"
		"  --list            print one line per paper: ID, announce "
		"type,\n"
		"                    categories, title\n");
}

int cmd_fetch(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'L' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_day_opts o = { NULL, NULL, NULL };
	int list = 0;
	struct listing l;
	struct conf c;
	char date[16];
	int opt, ret, items = 0;
	size_t i, counts[5] = { 0 };

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'L':
			list = 1;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			if (cmd_day_option(opt, &o))
				break;
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((ret = cmd_load_conf(o.config, g, &c)) != EX_OK)
		return ret;
	ret = cmd_resolve_date(&c, o.date, date, sizeof(date));
	if (ret != EX_OK)
		goto out;
	printf("paperboy: fetching the listing of %s\n", date);
	ret = cmd_load_listing(&c, date, o.listing, 0, &l, &items);
	if (ret != EX_OK)
		goto out;
	for (i = 0; i < l.n; i++) {
		const struct paper *p = &l.papers[i];
		char *cats = strv_join(&p->categories, ",");
		counts[p->announce]++;
		if (list)
			printf("%s\t%s\t%s\t%s\n", p->id,
			       listing_announce_name(p->announce),
			       cats[0] ? cats : "-", p->title);
		free(cats);
	}
	printf("paperboy: %s: %zu papers (%zu new, %zu cross, %zu replace, "
	       "%zu replace-cross, %zu other) in %s\n", date, l.n,
	       counts[LISTING_ANNOUNCE_NEW], counts[LISTING_ANNOUNCE_CROSS],
	       counts[LISTING_ANNOUNCE_REPLACE],
	       counts[LISTING_ANNOUNCE_REPLACE_CROSS],
	       counts[LISTING_ANNOUNCE_UNKNOWN], l.source);
	listing_release(&l);
out:
	conf_release(&c);
	return ret;
}
