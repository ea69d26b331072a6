/*
 * archive: the static web archive. With archive.enabled, each run writes
 *   DIR/YYYY-MM/YYYY-MM-DD.html    the whole day's listing by category,
 *                                  with Previous day / Monthly overview /
 *                                  Next day links (as the seed digest has)
 *   DIR/YYYY-MM/index.html         the month: every archived day
 *   DIR/index.html                 every archived month
 *   DIR/readers/KEY/YYYY-MM-DD.html the digest of a reader whose profile
 *                                  says archive = true (no budget, no
 *                                  unsubscribe link, no address,
 *                                  noindex); KEY is an HMAC of the
 *                                  reader's id and address with the
 *                                  list's secret (TOKEN_ARCHIVE), so
 *                                  nobody finds a reader's pages by
 *                                  guessing ids
 * from templates/archive-*.html. Links between pages are relative, so the
 * folder can be served from anywhere (archive.url says where, for the
 * "more papers" link of the mail).
 *
 * Design decision: the folder is its own index. The archived days are the
 * day pages on disk, so Previous/Next day come from a scan and no state
 * file can disagree with it. A day page's navigation is kept between two
 * marker comments, so that archiving a new day rewrites only that part of
 * its neighbours (whose listings may be long gone). Every page is written
 * atomically (util_write_atomic) and holds no timestamp, so regenerating a
 * day gives the same bytes.
 */
#ifndef PAPERBOY_ARCHIVE_H
#define PAPERBOY_ARCHIVE_H

#include "conf.h"
#include "digest.h"
#include "errbuf.h"
#include "listing.h"
#include "render.h"
#include "subs.h"
#include "tmpl.h"
#include "token.h"

/* Day pages read when scanning the folder (a century of weekdays). */
#define ARCHIVE_MAX_DAYS 30000
/* A page larger than this is refused (a 2,000-paper day is ~4 MiB). */
#define ARCHIVE_MAX_PAGE ((size_t)32 << 20)
/* The marker comments around a day page's navigation. */
#define ARCHIVE_NAV_BEGIN "<!-- paperboy:nav -->"
#define ARCHIVE_NAV_END "<!-- /paperboy:nav -->"

struct archive_templates {
	struct tmpl *day;   /* archive-day.html */
	struct tmpl *nav;   /* archive-nav.html */
	struct tmpl *month; /* archive-month.html */
	struct tmpl *index; /* archive-index.html */
};

/* Loads the four templates from paths.templates. Returns 0 or -1
 * ("FILE:LINE: what"). */
int archive_load(const struct conf *c, struct archive_templates *t,
		 struct errbuf *eb);
void archive_release(struct archive_templates *t);

/*
 * Writes the day page of date (YYYY-MM-DD) for listing l, updates the
 * navigation of the archived days before and after it, and rewrites the
 * month page and the index. Returns 0 or -1 with eb filled.
 */
int archive_write_day(const struct conf *c,
		      const struct archive_templates *t, const char *date,
		      const struct listing *l, struct errbuf *eb);

/* Renders d without budget, unsubscribe link or the reader's address,
 * marked noindex, and writes it as the reader's page of the day (key:
 * the list's secret). Returns 0 or -1 with eb filled. */
int archive_write_reader(const struct conf *c, const struct token_key *key,
			 const struct render_templates *rt,
			 const struct digest *d, struct errbuf *eb);

/*
 * The URL of the page where all of s's papers of date are: s's own page
 * when s opted in, else the day page. "" when the archive is disabled or
 * has no URL (archive.url, or list.base_url + "/archive"). Caller frees.
 */
char *archive_reader_url(const struct conf *c, const struct token_key *key,
			 const char *date, const struct subscriber *s);

#endif
