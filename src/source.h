/*
 * source: a day's listing, from a file, the day's cache or the network
 * (see source.c for the cache's design).
 */
#ifndef PAPERBOY_SOURCE_H
#define PAPERBOY_SOURCE_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "errbuf.h"
#include "listing.h"

/* Where progress lines go ("  arxiv feed HTTP 200, ..."); the command
 * prints them. line may be NULL for silence. fetching (may be NULL) is
 * called once just before the first request for date goes to host, so
 * that the command can say why it is about to wait. */
struct source_log {
	void (*line)(void *ctx, const char *line);
	void *ctx;
	void (*fetching)(void *ctx, const char *date, const char *host);
};

/* Now, or $PAPERBOY_TEST_NOW (epoch seconds; only tests set it). */
time_t source_now(void);

/*
 * The latest announced listing day (America/New_York, arXiv's schedule and
 * holidays) as YYYY-MM-DD into out. Returns 0, or -1 with eb filled
 * (ERRBUF_CONFIG: the holidays or the time zone database).
 */
int source_latest_date(const struct conf *c, char *out, size_t size,
		       struct errbuf *eb);

/* source_load's flags. */
#define SOURCE_STORE      1u /* keep what was read or fetched in the cache */
#define SOURCE_FORCE_DATE 2u /* take listing_path as `date` unchecked */
#define SOURCE_OFFLINE    4u /* never the network: no cached day is
				ERRBUF_NOINPUT */

/*
 * Loads the listing for `date` into l (initialized here): from
 * listing_path when given; else from the day's cache (STATE/cache/DATE/);
 * else from the network. With SOURCE_STORE, what was read or fetched is
 * kept in the cache, so later commands for that day work offline. A
 * listing_path whose own date is another day, or a date arXiv announces
 * nothing on, is refused (ERRBUF_USAGE) unless SOURCE_FORCE_DATE. *items
 * receives the number of arXiv items (0: no announcement that day).
 * Returns 0, or -1 with eb filled and l empty; the kind says why:
 * ERRBUF_NOINPUT (listing_path unreadable), ERRBUF_DATA (a broken listing
 * or cache), ERRBUF_TEMP (the network or a day not announced yet: try
 * later) or ERRBUF_IO (the cache cannot be written).
 */
int source_load(const struct conf *c, const char *date,
		const char *listing_path, unsigned flags,
		const struct source_log *log, struct listing *l, int *items,
		struct errbuf *eb);

#endif
