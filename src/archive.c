/*
 * archive: the static web archive (see archive.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "buf.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

static const char *const archive_files[] = {
	"archive-day.html", "archive-nav.html", "archive-month.html",
	"archive-index.html",
};

int archive_load(const struct conf *c, struct archive_templates *t,
		 struct errbuf *eb)
{
	struct tmpl **slots[4];
	size_t i;

	memset(t, 0, sizeof(*t));
	slots[0] = &t->day;
	slots[1] = &t->nav;
	slots[2] = &t->month;
	slots[3] = &t->index;
	for (i = 0; i < 4; i++) {
		char *path = util_path_join(c->templates_dir,
					    archive_files[i]);
		int r = tmpl_load(path, slots[i], eb);

		free(path);
		if (r < 0) {
			archive_release(t);
			return -1;
		}
	}
	return 0;
}

void archive_release(struct archive_templates *t)
{
	tmpl_free(t->day);
	tmpl_free(t->nav);
	tmpl_free(t->month);
	tmpl_free(t->index);
	memset(t, 0, sizeof(*t));
}

/* "readers/KEY": the reader's folder, relative to the archive. */
static void add_reader_dir(struct buf *b, const struct token_key *key,
			   const struct subscriber *s)
{
	char *t = token_make(key, TOKEN_ARCHIVE, s->id, s->email);

	buf_addf(b, "readers/%s", t);
	free(t);
}

char *archive_reader_url(const struct conf *c, const struct token_key *key,
			 const char *date, const struct subscriber *s)
{
	struct buf u = BUF_INIT;

	if (!c->archive_enabled || !c->archive_url[0])
		return xstrdup("");
	buf_addstr(&u, c->archive_url);
	if (!util_ends_with(c->archive_url, "/"))
		buf_addch(&u, '/');
	if (s && s->archive) {
		add_reader_dir(&u, key, s);
		buf_addf(&u, "/%s.html", date);
	} else
		buf_addf(&u, "%.7s/%s.html", date, date);
	return buf_detach(&u, NULL);
}

/* ---- the folder as the index of days ---- */

static int is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "YYYY-MM" */
static int is_month(const char *s)
{
	return strlen(s) == 7 && is_digits(s, 4) && s[4] == '-' &&
	       is_digits(s + 5, 2);
}

/* "YYYY-MM-DD.html" in month dir `month`: the date, else 0. */
static int is_day_page(const char *name, const char *month)
{
	time_t day;
	char date[11];

	if (strlen(name) != 15 || strcmp(name + 10, ".html") ||
	    strncmp(name, month, 7))
		return 0;
	memcpy(date, name, 10);
	date[10] = '\0';
	return util_parse_date(date, &day) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every archived day (YYYY-MM-DD), sorted. A missing folder is empty. */
static int scan_days(const char *dir, struct strv *days, struct errbuf *eb)
{
	DIR *top = opendir(dir), *sub;
	struct dirent *e, *f;
	int ret = -1;

	if (!top)
		return 0;
	while ((e = readdir(top))) {
		char *path;

		if (!is_month(e->d_name))
			continue;
		path = util_path_join(dir, e->d_name);
		sub = opendir(path);
		free(path);
		if (!sub)
			continue;
		while ((f = readdir(sub))) {
			if (!is_day_page(f->d_name, e->d_name))
				continue;
			if (days->n >= ARCHIVE_MAX_DAYS) {
				closedir(sub);
				errbuf_set(eb, "%s: more than %d archived "
					   "days", dir, ARCHIVE_MAX_DAYS);
				goto out;
			}
			strv_push_owned(days, xstrndup(f->d_name, 10));
		}
		closedir(sub);
	}
	if (days->n)
		qsort(days->v, days->n, sizeof(*days->v), cmp_str);
	ret = 0;
out:
	closedir(top);
	return ret;
}

/* strftime of the UTC midnight of date (YYYY-MM-DD) into out. */
__attribute__((format(strftime, 2, 0)))
static void format_day(const char *date, const char *fmt, char *out,
		       size_t size)
{
	time_t day;
	struct tm tm;

	out[0] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	/* fmt is one of this file's literals (checked by the attribute). */
	if (util_parse_date(date, &day) == 0 && gmtime_r(&day, &tm))
		strftime(out, size, fmt, &tm);
#pragma GCC diagnostic pop
	if (!out[0])
		snprintf(out, size, "%s", date);
}

static char *day_path(const struct conf *c, const char *date)
{
	struct buf b = BUF_INIT;
	char *path;

	buf_addf(&b, "%.7s/%s.html", date, date);
	path = util_path_join(c->archive_dir, buf_str(&b));
	buf_release(&b);
	return path;
}

static int write_page(const char *path, const struct buf *page,
		      struct errbuf *eb)
{
	char *dir = util_dirname(path);
	int ret = util_mkdir_p(dir, 0755, eb);

	if (!ret)
		ret = util_write_atomic(path, page->data ? page->data : "",
					page->len, 0644, eb);
	free(dir);
	return ret;
}

static int render_page(const struct tmpl *t, const struct tmpl_value *ctx,
		       struct buf *out, struct errbuf *eb)
{
	buf_init(out, ARCHIVE_MAX_PAGE);
	return tmpl_render(t, ctx, TMPL_ESCAPE_HTML, out, eb);
}

/* The navigation of date among days, between its marker comments. */
static int render_nav(const struct archive_templates *t, const char *date,
		      const struct strv *days, struct buf *out,
		      struct errbuf *eb)
{
	struct tmpl_value *ctx = tmpl_object_new();
	const char *prev = NULL, *next = NULL;
	char label[64];
	size_t i;
	int ret;

	for (i = 0; i < days->n; i++) {
		int cmp = strcmp(days->v[i], date);
		if (cmp < 0)
			prev = days->v[i];
		else if (cmp > 0 && !next)
			next = days->v[i];
	}
	tmpl_set_bool(ctx, "has_prev", prev != NULL);
	tmpl_set_str(ctx, "prev_date", prev ? prev : "");
	tmpl_set_strf(ctx, "prev_url", "../%.7s/%s.html", prev ? prev : "",
		      prev ? prev : "");
	tmpl_set_bool(ctx, "has_next", next != NULL);
	tmpl_set_str(ctx, "next_date", next ? next : "");
	tmpl_set_strf(ctx, "next_url", "../%.7s/%s.html", next ? next : "",
		      next ? next : "");
	tmpl_set_strf(ctx, "month", "%.7s", date);
	format_day(date, "%B %Y", label, sizeof(label));
	tmpl_set_str(ctx, "month_long", label);
	tmpl_set_str(ctx, "month_url", "index.html");
	tmpl_set_str(ctx, "index_url", "../index.html");
	buf_init(out, ARCHIVE_MAX_PAGE);
	buf_addstr(out, ARCHIVE_NAV_BEGIN);
	ret = tmpl_render(t->nav, ctx, TMPL_ESCAPE_HTML, out, eb);
	buf_addstr(out, ARCHIVE_NAV_END);
	tmpl_value_free(ctx);
	return ret;
}

/* ---- the day page ---- */

/* Category groups in the config's order, then the others by name. */
static int group_rank(const struct conf *c, const char *cat)
{
	size_t i;

	for (i = 0; i < c->categories.n; i++)
		if (!strcmp(c->categories.v[i], cat))
			return (int)i;
	return (int)c->categories.n;
}

static const char *primary(const struct paper *p)
{
	return p->categories.n ? p->categories.v[0] : "other";
}

static const struct conf *sort_conf;

static int by_group(const void *a, const void *b)
{
	const struct paper *x = *(const struct paper *const *)a;
	const struct paper *y = *(const struct paper *const *)b;
	int rx = group_rank(sort_conf, primary(x));
	int ry = group_rank(sort_conf, primary(y));
	int r;

	if (rx != ry)
		return rx - ry;
	if ((r = strcmp(primary(x), primary(y))))
		return r;
	return (x > y) - (x < y); /* the listing's order within a group */
}

static void add_day_paper(struct tmpl_value *list, const struct paper *p)
{
	struct tmpl_value *o = tmpl_list_add_object(list);
	char *s;

	tmpl_set_str(o, "id", p->id);
	tmpl_set_str(o, "title", p->title);
	tmpl_set_strf(o, "abs_url", "https://arxiv.org/abs/%s", p->id);
	tmpl_set_strf(o, "pdf_url", "https://arxiv.org/pdf/%s", p->id);
	s = strv_join(&p->authors, ", ");
	tmpl_set_str(o, "authors", s);
	free(s);
	s = strv_join(&p->categories, ", ");
	tmpl_set_str(o, "categories", s);
	free(s);
	tmpl_set_str(o, "abstract", p->abstract ? p->abstract : "");
	tmpl_set_bool(o, "is_cross",
		      p->announce == LISTING_ANNOUNCE_CROSS ||
			      p->announce == LISTING_ANNOUNCE_REPLACE_CROSS);
	tmpl_set_bool(o, "is_replacement",
		      p->announce == LISTING_ANNOUNCE_REPLACE ||
			      p->announce == LISTING_ANNOUNCE_REPLACE_CROSS);
}

static struct tmpl_value *day_context(const struct conf *c, const char *date,
				      const struct listing *l,
				      const struct buf *nav)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list = tmpl_set_object(ctx, "list");
	struct tmpl_value *groups, *g = NULL, *papers = NULL;
	const struct paper **v = xcalloc(l->n ? l->n : 1, sizeof(*v));
	const char *cur = NULL;
	char label[64];
	size_t i, count = 0;

	tmpl_set_str(list, "name", c->list_name);
	tmpl_set_str(list, "base_url", c->base_url);
	tmpl_set_str(ctx, "date", date);
	format_day(date, "%A, %-d %B %Y", label, sizeof(label));
	tmpl_set_str(ctx, "date_long", label);
	tmpl_set_int(ctx, "total", (long)l->n);
	tmpl_set_str(ctx, "nav", buf_str(nav));
	for (i = 0; i < l->n; i++)
		v[i] = &l->papers[i];
	sort_conf = c;
	qsort(v, l->n, sizeof(*v), by_group);
	groups = tmpl_set_list(ctx, "categories");
	for (i = 0; i < l->n; i++) {
		if (!cur || strcmp(cur, primary(v[i]))) {
			if (g)
				tmpl_set_int(g, "count", (long)count);
			cur = primary(v[i]);
			g = tmpl_list_add_object(groups);
			tmpl_set_str(g, "name", cur);
			tmpl_set_strf(g, "anchor", "cat-%s", cur);
			papers = tmpl_set_list(g, "papers");
			count = 0;
		}
		add_day_paper(papers, v[i]);
		count++;
	}
	if (g)
		tmpl_set_int(g, "count", (long)count);
	tmpl_set_bool(ctx, "has_papers", l->n > 0);
	free(v);
	return ctx;
}

/* Replaces the navigation between the markers of the page at path. */
static int update_nav(const char *path, const struct buf *nav,
		      struct errbuf *eb)
{
	struct buf old, out;
	const char *p, *b, *e;
	int ret = -1;

	buf_init(&old, ARCHIVE_MAX_PAGE);
	buf_init(&out, ARCHIVE_MAX_PAGE);
	if (util_read_file(path, &old, eb) < 0)
		goto out;
	p = buf_str(&old);
	while ((b = strstr(p, ARCHIVE_NAV_BEGIN)) &&
	       (e = strstr(b, ARCHIVE_NAV_END))) {
		buf_add(&out, p, (size_t)(b - p));
		buf_add(&out, nav->data, nav->len);
		p = e + strlen(ARCHIVE_NAV_END);
	}
	buf_addstr(&out, p);
	ret = 0;
	if (out.len != old.len || memcmp(buf_str(&out), buf_str(&old),
					 out.len))
		ret = write_page(path, &out, eb);
out:
	buf_release(&old);
	buf_release(&out);
	return ret;
}

/* The "N papers" a day page declares (its paperboy:papers meta), or -1. */
static long day_count(const char *path)
{
	struct errbuf eb = ERRBUF_INIT;
	static const char key[] = "name=\"paperboy:papers\" content=\"";
	struct buf b;
	const char *p;
	long n = -1;

	buf_init(&b, ARCHIVE_MAX_PAGE);
	if (util_read_file(path, &b, &eb) == 0 &&
	    (p = strstr(buf_str(&b), key)))
		n = strtol(p + strlen(key), NULL, 10);
	buf_release(&b);
	return n;
}

static int write_month(const struct conf *c,
		       const struct archive_templates *t, const char *month,
		       const struct strv *days, struct errbuf *eb)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list, *v;
	struct buf page, name = BUF_INIT;
	char label[64], date[16];
	char *path;
	size_t i;
	int ret;

	list = tmpl_set_object(ctx, "list");
	tmpl_set_str(list, "name", c->list_name);
	tmpl_set_str(ctx, "month", month);
	snprintf(date, sizeof(date), "%s-01", month);
	format_day(date, "%B %Y", label, sizeof(label));
	tmpl_set_str(ctx, "month_long", label);
	tmpl_set_str(ctx, "index_url", "../index.html");
	v = tmpl_set_list(ctx, "days");
	for (i = 0; i < days->n; i++) {
		struct tmpl_value *o;
		char *dp;
		long n;

		if (strncmp(days->v[i], month, 7))
			continue;
		o = tmpl_list_add_object(v);
		tmpl_set_str(o, "date", days->v[i]);
		format_day(days->v[i], "%A, %-d %B", label, sizeof(label));
		tmpl_set_str(o, "date_long", label);
		tmpl_set_strf(o, "url", "%s.html", days->v[i]);
		dp = day_path(c, days->v[i]);
		n = day_count(dp);
		free(dp);
		tmpl_set_bool(o, "has_count", n >= 0);
		tmpl_set_int(o, "papers", n);
	}
	ret = render_page(t->month, ctx, &page, eb);
	buf_addf(&name, "%s/index.html", month);
	path = util_path_join(c->archive_dir, buf_str(&name));
	if (!ret)
		ret = write_page(path, &page, eb);
	free(path);
	buf_release(&name);
	buf_release(&page);
	tmpl_value_free(ctx);
	return ret;
}

static int write_index(const struct conf *c,
		       const struct archive_templates *t,
		       const struct strv *days, struct errbuf *eb)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list, *months, *m = NULL;
	struct buf page;
	char label[64], date[16];
	char *path;
	size_t i, n = 0;
	int ret;

	list = tmpl_set_object(ctx, "list");
	tmpl_set_str(list, "name", c->list_name);
	months = tmpl_set_list(ctx, "months");
	/* Newest month first. */
	for (i = days->n; i-- > 0;) {
		if (!m || strncmp(days->v[i], days->v[i + 1], 7)) {
			if (m)
				tmpl_set_int(m, "days", (long)n);
			m = tmpl_list_add_object(months);
			tmpl_set_strf(m, "month", "%.7s", days->v[i]);
			snprintf(date, sizeof(date), "%.7s-01", days->v[i]);
			format_day(date, "%B %Y", label, sizeof(label));
			tmpl_set_str(m, "month_long", label);
			tmpl_set_strf(m, "url", "%.7s/index.html",
				      days->v[i]);
			n = 0;
		}
		n++;
	}
	if (m)
		tmpl_set_int(m, "days", (long)n);
	ret = render_page(t->index, ctx, &page, eb);
	path = util_path_join(c->archive_dir, "index.html");
	if (!ret)
		ret = write_page(path, &page, eb);
	free(path);
	buf_release(&page);
	tmpl_value_free(ctx);
	return ret;
}

int archive_write_day(const struct conf *c,
		      const struct archive_templates *t, const char *date,
		      const struct listing *l, struct errbuf *eb)
{
	struct strv days = STRV_INIT;
	struct tmpl_value *ctx = NULL;
	struct buf nav, page;
	char *path = day_path(c, date);
	size_t i;
	int ret = -1;

	buf_init(&nav, ARCHIVE_MAX_PAGE);
	buf_init(&page, ARCHIVE_MAX_PAGE);
	if (scan_days(c->archive_dir, &days, eb) < 0)
		goto out;
	if (!strv_contains(&days, date)) {
		strv_push(&days, date);
		qsort(days.v, days.n, sizeof(*days.v), cmp_str);
	}
	buf_release(&nav);
	if (render_nav(t, date, &days, &nav, eb) < 0)
		goto out;
	ctx = day_context(c, date, l, &nav);
	buf_release(&page);
	if (render_page(t->day, ctx, &page, eb) < 0 ||
	    write_page(path, &page, eb) < 0)
		goto out;
	/* The neighbours' Previous/Next links now lead here. */
	for (i = 0; i < days.n; i++) {
		char *np;
		int r;

		if (strcmp(days.v[i], date))
			continue;
		if (i > 0) {
			buf_release(&nav);
			np = day_path(c, days.v[i - 1]);
			r = render_nav(t, days.v[i - 1], &days, &nav, eb);
			if (!r)
				r = update_nav(np, &nav, eb);
			free(np);
			if (r < 0)
				goto out;
		}
		if (i + 1 < days.n) {
			buf_release(&nav);
			np = day_path(c, days.v[i + 1]);
			r = render_nav(t, days.v[i + 1], &days, &nav, eb);
			if (!r)
				r = update_nav(np, &nav, eb);
			free(np);
			if (r < 0)
				goto out;
		}
		break;
	}
	{
		char month[8];
		snprintf(month, sizeof(month), "%.7s", date);
		if (write_month(c, t, month, &days, eb) < 0 ||
		    write_index(c, t, &days, eb) < 0)
			goto out;
	}
	ret = 0;
out:
	tmpl_value_free(ctx);
	buf_release(&nav);
	buf_release(&page);
	strv_release(&days);
	free(path);
	return ret;
}

/* What a reader's page says instead of the address: the page is on the
 * web, even if at a path nobody can guess. */
#define ARCHIVE_HIDDEN_ADDRESS "(address not shown)"
/* Put right after <head> of a reader's page: search engines stay away
 * even when a link to it leaks. */
#define ARCHIVE_NOINDEX "\n<meta name=\"robots\" content=\"noindex\">"

/* Inserts ARCHIVE_NOINDEX after the "<head>" of html (or before it all). */
static int add_noindex(struct buf *html)
{
	struct buf out;
	const char *head = strstr(buf_str(html), "<head>");
	size_t at = head ? (size_t)(head - html->data) + 6 : 0;
	int r = 0;

	buf_init(&out, RENDER_MAX_BODY);
	r |= buf_add(&out, html->data, at);
	r |= buf_addstr(&out, ARCHIVE_NOINDEX);
	r |= buf_add(&out, html->data + at, html->len - at);
	if (!r) {
		buf_release(html);
		*html = out;
	} else {
		buf_release(&out);
	}
	return r ? -1 : 0;
}

int archive_write_reader(const struct conf *c, const struct token_key *key,
			 const struct render_templates *rt,
			 const struct digest *d, struct errbuf *eb)
{
	struct render_opts o = { "", "", 0, "", NULL, NULL };
	struct buf html, text, name = BUF_INIT;
	char *subject = NULL, *path = NULL;
	struct subscriber anon = *d->sub;
	struct digest shown = *d;
	int ret = -1;

	anon.email = (char *)ARCHIVE_HIDDEN_ADDRESS;
	shown.sub = &anon;
	buf_init(&html, RENDER_MAX_BODY);
	buf_init(&text, RENDER_MAX_BODY);
	if (render_digest(rt, c, &shown, &o, &html, &text, &subject, eb) < 0)
		goto out;
	if (add_noindex(&html) < 0) {
		errbuf_set(eb, "%s: the reader page is larger than %zu bytes",
			   d->sub->id, (size_t)RENDER_MAX_BODY);
		goto out;
	}
	add_reader_dir(&name, key, d->sub);
	buf_addf(&name, "/%s.html", d->date);
	path = util_path_join(c->archive_dir, buf_str(&name));
	ret = write_page(path, &html, eb);
out:
	free(subject);
	free(path);
	buf_release(&name);
	buf_release(&html);
	buf_release(&text);
	return ret;
}
