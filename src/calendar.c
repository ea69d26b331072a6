/*
 * calendar: arXiv's announcement days (see calendar.h).
 *
 * Dates are handled as day numbers (days since 1970-01-01 UTC), so weekday
 * and holiday questions are plain arithmetic; only the two questions that
 * involve wall-clock time in New York (when is 20:00 there, which date is
 * it there now) go through the TZ database, inside ny_enter()/ny_leave().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* The zone whose wall clock arXiv's schedule is written in. */
#define NY_ZONE "America/New_York"
/* arXiv announces at 20:00 Eastern. */
#define ANNOUNCE_HOUR 20
/* The feeds refresh at midnight Eastern. */
#define FEED_HOUR 0
#define SECONDS_PER_DAY 86400
/* About 11,000 years either side of 1970: no arXiv date is further away,
 * and day * SECONDS_PER_DAY stays far from overflowing a 64-bit time_t. */
#define MAX_ABS_DAY 4000000LL
/* Bytes of a bad holiday entry quoted in an error message. */
#define MAX_QUOTED 40

/*
 * arXiv's published holiday schedule: the dates on whose evening there is
 * no announcement ("On Deferred Mailings", info.arxiv.org/help/
 * availability.html, source in github.com/arXiv/arxiv-docs,
 * source/help/availability.md).
 * - 2023: arxiv-docs commit 01871500a9cf, "2023 Holidays".
 * - 2025: arxiv-docs commit 782dfdf015f6, "2025 Holidays", which ends with
 *   "December Holidays are not yet scheduled": none are listed here for
 *   December 2025.
 * - 2026: the availability page's "2026 Holidays" (also issue 4).
 * No 2024 schedule was found; none is listed.
 */
static const char *const default_holidays[] = {
	"2023-01-16", "2023-06-14", "2023-06-19", "2023-07-04",
	"2023-09-04", "2023-11-23", "2023-12-25", "2023-12-27",

	"2025-01-01", "2025-01-20", "2025-06-19", "2025-07-06",
	"2025-09-01", "2025-11-27",

	"2026-01-01", "2026-01-19", "2026-06-19", "2026-07-03",
	"2026-09-07", "2026-11-26", "2026-12-25", "2026-12-29",
	"2026-12-31",
};

/* Floor division: the day number of any instant, negative ones included. */
static long long day_number(time_t t)
{
	long long d = (long long)(t / SECONDS_PER_DAY);

	if (t % SECONDS_PER_DAY < 0)
		d--;
	return d;
}

static int check_day(long long day, struct errbuf *eb)
{
	if (day < -MAX_ABS_DAY || day > MAX_ABS_DAY)
		return errbuf_set(eb, "date out of range (day %lld)", day);
	return 0;
}

/* 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday. */
static int weekday(long long day)
{
	return (int)(((day % 7) + 7 + 4) % 7);
}

/* The day number of the civil date in tm's year, month and day fields. */
static long long civil_day(const struct tm *src)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = src->tm_year;
	tm.tm_mon = src->tm_mon;
	tm.tm_mday = src->tm_mday;
	return day_number(timegm(&tm));
}

/* TZ as it was before ny_enter(), to be put back by ny_leave(). */
struct ny_zone {
	char *old_tz; /* NULL: TZ was not set */
};

static void ny_leave(struct ny_zone *z)
{
	if (z->old_tz)
		setenv("TZ", z->old_tz, 1);
	else
		unsetenv("TZ");
	free(z->old_tz);
	z->old_tz = NULL;
	tzset();
}

/* The UTC offset in seconds that the current zone gives a UTC date. */
static long offset_on(int year, int mon, int mday)
{
	struct tm tm, local;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = 12;
	t = timegm(&tm);
	if (!localtime_r(&t, &local))
		return 0;
	return local.tm_gmtoff;
}

/*
 * Switches the C library's local time to America/New_York. A zone that
 * does not load leaves glibc on UTC without a word, so the result is
 * checked against two instants whose New York offsets are known: EST
 * (-5 h) in January and EDT (-4 h) in July.
 */
static int ny_enter(struct ny_zone *z, struct errbuf *eb)
{
	const char *old = getenv("TZ");

	z->old_tz = old ? xstrdup(old) : NULL;
	if (setenv("TZ", NY_ZONE, 1)) {
		int err = errno;

		ny_leave(z);
		return errbuf_set(eb, "setting TZ=%s: %s", NY_ZONE,
				  strerror(err));
	}
	tzset();
	if (offset_on(2026, 1, 15) != -5 * 3600 ||
	    offset_on(2026, 7, 15) != -4 * 3600) {
		ny_leave(z);
		return errbuf_set(eb, "time zone %s cannot be loaded "
				  "(is the tzdata package installed?)",
				  NY_ZONE);
	}
	return 0;
}

/* Inside ny_enter(): the instant of hour:00 New York time on `day`. */
static int ny_instant(long long day, int hour, time_t *out,
		      struct errbuf *eb)
{
	time_t midnight = (time_t)(day * SECONDS_PER_DAY);
	struct tm tm;
	time_t t;

	if (!gmtime_r(&midnight, &tm))
		return errbuf_set(eb, "date out of range (day %lld)", day);
	tm.tm_hour = hour;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1; /* let the zone say whether DST is in force */
	t = mktime(&tm);
	/* New York changes clocks at 02:00, so 20:00 and 00:00 always exist
	 * exactly once; anything else is a broken zone. */
	if (t == (time_t)-1 || tm.tm_hour != hour)
		return errbuf_set(eb, "no %02d:00 in %s on day %lld", hour,
				  NY_ZONE, day);
	*out = t;
	return 0;
}

/* Copies s for an error message: bounded, printable ASCII only. */
static void quote(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i < MAX_QUOTED && i + 4 < size; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] && i + 4 <= size) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static int cmp_time(const void *a, const void *b)
{
	time_t x = *(const time_t *)a, y = *(const time_t *)b;

	return (x > y) - (x < y);
}

void calendar_release(struct calendar *cal)
{
	free(cal->holidays);
	cal->holidays = NULL;
	cal->nr = 0;
	cal->alloc = 0;
}

int calendar_init(struct calendar *cal, const struct strv *holidays,
		  struct errbuf *eb)
{
	const char *const *list = default_holidays;
	size_t n = ARRAY_SIZE(default_holidays), i, kept;
	struct ny_zone z;
	char quoted[MAX_QUOTED + 8];
	time_t day;

	memset(cal, 0, sizeof(*cal));
	if (ny_enter(&z, eb))
		return -1;
	ny_leave(&z);

	if (holidays) {
		list = (const char *const *)holidays->v;
		n = holidays->n;
	}
	if (n > CALENDAR_MAX_HOLIDAYS)
		return errbuf_set(eb, "%zu holidays: more than the limit of %d",
				  n, CALENDAR_MAX_HOLIDAYS);
	for (i = 0; i < n; i++) {
		if (util_parse_date(list[i], &day)) {
			quote(list[i], quoted, sizeof(quoted));
			calendar_release(cal);
			return errbuf_set(eb, "holiday %zu \"%s\": not a "
					  "YYYY-MM-DD date", i + 1, quoted);
		}
		ALLOC_GROW(cal->holidays, cal->nr + 1, cal->alloc);
		cal->holidays[cal->nr++] = day;
	}
	if (!cal->nr)
		return 0;
	qsort(cal->holidays, cal->nr, sizeof(*cal->holidays), cmp_time);
	for (i = 1, kept = 1; i < cal->nr; i++)
		if (cal->holidays[i] != cal->holidays[kept - 1])
			cal->holidays[kept++] = cal->holidays[i];
	cal->nr = kept;
	return 0;
}

static int holiday(const struct calendar *cal, long long day)
{
	size_t lo = 0, hi = cal->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		long long d = day_number(cal->holidays[mid]);

		if (d == day)
			return 1;
		if (d < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int calendar_is_holiday(const struct calendar *cal, time_t day)
{
	return holiday(cal, day_number(day));
}

/* 1 if arXiv announces at 20:00 New York time on `day`. */
static int announces(const struct calendar *cal, long long day)
{
	return weekday(day) <= 4 && !holiday(cal, day);
}

int calendar_is_announcement_day(const struct calendar *cal,
				 time_t listing_day, const char **why)
{
	long long day = day_number(listing_day);
	const char *reason = NULL;

	if (weekday(day) == 6)
		reason = "Saturday";
	else if (weekday(day) == 0)
		reason = "Sunday";
	else if (holiday(cal, day - 1))
		reason = "arXiv holiday";
	if (why)
		*why = reason;
	return !reason;
}

/* hour:00 New York time on the day `offset` days from listing_day's. */
static int ny_time_of(time_t listing_day, int offset, int hour,
		      time_t *instant, struct errbuf *eb)
{
	long long day = day_number(listing_day) + offset;
	struct ny_zone z;
	int ret;

	if (check_day(day, eb) || ny_enter(&z, eb))
		return -1;
	ret = ny_instant(day, hour, instant, eb);
	ny_leave(&z);
	return ret;
}

int calendar_announced_at(time_t listing_day, time_t *instant,
			  struct errbuf *eb)
{
	return ny_time_of(listing_day, -1, ANNOUNCE_HOUR, instant, eb);
}

int calendar_feed_at(time_t listing_day, time_t *instant, struct errbuf *eb)
{
	return ny_time_of(listing_day, 0, FEED_HOUR, instant, eb);
}

/* Inside ny_enter(): the New York date of now, as a day number. */
static int ny_today(time_t now, long long *day, struct errbuf *eb)
{
	struct tm tm;

	if (check_day(day_number(now), eb))
		return -1;
	if (!localtime_r(&now, &tm))
		return errbuf_set(eb, "time %lld out of range",
				  (long long)now);
	*day = civil_day(&tm);
	return 0;
}

int calendar_local_date(time_t now, time_t *day, struct errbuf *eb)
{
	struct ny_zone z;
	long long d;
	int ret;

	if (ny_enter(&z, eb))
		return -1;
	ret = ny_today(now, &d, eb);
	ny_leave(&z);
	if (!ret)
		*day = (time_t)(d * SECONDS_PER_DAY);
	return ret;
}

int calendar_latest(const struct calendar *cal, time_t now,
		    time_t *listing_day, struct errbuf *eb)
{
	struct ny_zone z;
	long long today, evening;
	time_t tonight;
	char date[16];
	int i;

	if (ny_enter(&z, eb))
		return -1;
	if (ny_today(now, &today, eb) ||
	    ny_instant(today, ANNOUNCE_HOUR, &tonight, eb)) {
		ny_leave(&z);
		return -1;
	}
	ny_leave(&z);

	evening = now < tonight ? today - 1 : today;
	for (i = 0; i < CALENDAR_MAX_GAP_DAYS; i++, evening--) {
		if (announces(cal, evening)) {
			evening++; /* the listing is dated the next day */
			*listing_day = (time_t)(evening * SECONDS_PER_DAY);
			return 0;
		}
	}
	util_format_date((time_t)(today * SECONDS_PER_DAY), date,
			 sizeof(date));
	return errbuf_set(eb, "no arXiv announcement in the %d days up to %s: "
			  "check the holiday list", CALENDAR_MAX_GAP_DAYS,
			  date);
}
