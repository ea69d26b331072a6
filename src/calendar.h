/*
 * calendar: which arXiv listing exists for a date, and which is the latest
 * one at a given instant.
 *
 * arXiv announces at 20:00 America/New_York, Sunday to Thursday; the
 * announcement of an evening is "the listing of" the next day, so listings
 * are dated Monday to Friday. A holiday is a date on whose evening arXiv
 * makes no announcement, as on arXiv's availability page: the 2026
 * Thanksgiving holiday 2026-11-26 (a Thursday) means there is no listing
 * dated Friday 2026-11-27, and the Sunday 2025-07-06 holiday means no
 * listing dated Monday 2025-07-07. A holiday on a Friday or Saturday
 * changes nothing.
 *
 * Dates are passed as time_t at midnight UTC of the day (what
 * util_parse_date() returns); any instant within that UTC day is taken as
 * that day.
 *
 * The one design decision: Eastern time comes from the TZ database
 * (America/New_York, package tzdata), not a fixed offset, so DST change
 * days are right. The C library only reads a zone through the TZ
 * environment variable, so each conversion sets TZ, calls tzset(), converts,
 * and puts TZ back as it was. That is process-global state: these functions
 * are not thread-safe (paperboy is single-threaded). If the zone cannot be
 * loaded (the C library then silently uses UTC), they fail instead of
 * guessing.
 */
#ifndef PAPERBOY_CALENDAR_H
#define PAPERBOY_CALENDAR_H

#include <stddef.h>
#include <time.h>

#include "errbuf.h"
#include "strv.h"

/* Decades of arXiv holiday schedules fit; more is a broken config list. */
#define CALENDAR_MAX_HOLIDAYS 1000
/* arXiv's longest pause is a few days at the year's end; a list that
 * silences a whole month is a mistake, not a schedule. */
#define CALENDAR_MAX_GAP_DAYS 31

struct calendar {
	time_t *holidays; /* sorted, midnight UTC of each date, no duplicates */
	size_t nr, alloc;
};

#define CALENDAR_INIT { NULL, 0, 0 }

/*
 * Sets up cal with `holidays` ("YYYY-MM-DD" strings; duplicates are fine),
 * or with arXiv's published schedule when holidays is NULL (an empty list
 * means no holidays at all). Also checks that the America/New_York zone
 * loads. Returns 0, or -1 with eb filled, naming the bad entry ("holiday
 * 3 \"2026-13-01\": not a YYYY-MM-DD date") or the missing zone; cal is
 * then left empty and needs no release.
 */
int calendar_init(struct calendar *cal, const struct strv *holidays,
		  struct errbuf *eb);

/* Frees the holiday list. Calling it twice is fine. */
void calendar_release(struct calendar *cal);

/* 1 if `day` is on the holiday list. */
int calendar_is_holiday(const struct calendar *cal, time_t day);

/*
 * 1 if arXiv publishes a listing dated listing_day, 0 if not. When 0 and
 * why is not NULL, *why is a static string saying why: "Saturday",
 * "Sunday", or "arXiv holiday" (the evening before was a holiday). When 1,
 * *why is set to NULL. The caller's one line can then be
 * "no arXiv announcement for 2026-11-27 (Friday): arXiv holiday".
 */
int calendar_is_announcement_day(const struct calendar *cal,
				 time_t listing_day, const char **why);

/*
 * The instant (UTC) at which the listing dated listing_day is announced:
 * 20:00 America/New_York on the day before. This is a time conversion
 * only: whether that listing exists is calendar_is_announcement_day()'s
 * question. Returns 0, or -1 with eb filled.
 */
int calendar_announced_at(time_t listing_day, time_t *instant,
			  struct errbuf *eb);

/*
 * The instant (UTC) at which arXiv's RSS/Atom feeds carry the listing
 * dated listing_day: the feeds refresh at midnight America/New_York, that
 * is 00:00 on listing_day itself, four hours after the announcement.
 * A feed fetched between the two still holds the previous listing.
 * Returns 0, or -1 with eb filled.
 */
int calendar_feed_at(time_t listing_day, time_t *instant, struct errbuf *eb);

/*
 * The America/New_York calendar date that contains the instant now, as
 * midnight UTC of that date ("today" from arXiv's point of view).
 * Returns 0, or -1 with eb filled.
 */
int calendar_local_date(time_t now, time_t *day, struct errbuf *eb);

/*
 * The date of the most recent listing announced by the instant now: the
 * latest listing day D (one calendar_is_announcement_day() accepts) with
 * calendar_announced_at(D) <= now. So from Thursday 20:00 ET until Sunday
 * 19:59:59 ET it is that Friday, and from Sunday 20:00 ET it is Monday.
 * Returns 0 and *listing_day, or -1 with eb filled (the zone cannot be
 * loaded, now is out of range, or the holiday list leaves no announcement
 * in the CALENDAR_MAX_GAP_DAYS days before now).
 */
int calendar_latest(const struct calendar *cal, time_t now,
		    time_t *listing_day, struct errbuf *eb);

#endif
