/*
 * Unit tests for the announcement-day calendar: which listing exists for a
 * date and why not, which is the latest at an instant (tables of real 2026
 * instants around weekends, holidays and both DST changes), and that the
 * TZ dance leaves the caller's TZ alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "strv.h"
#include "util.h"

static time_t date(const char *s)
{
	time_t t;

	if (util_parse_date(s, &t)) {
		fail_msg("bad date in test table: %s", s);
		return 0;
	}
	return t;
}

/* "YYYY-MM-DDTHH:MM:SSZ" to an instant. */
static time_t utc(const char *s)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
		   &n) != 6 || s[n] || !n) {
		fail_msg("bad instant in test table: %s", s);
		return 0;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static char *fmt_date(time_t t, char *out)
{
	util_format_date(t, out, 16);
	return out;
}

static char *fmt_instant(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static int setup(void **state)
{
	static struct calendar cal;
	struct errbuf eb = ERRBUF_INIT;

	if (calendar_init(&cal, NULL, &eb)) {
		fprintf(stderr, "calendar_init: %s\n", eb.msg);
		return -1;
	}
	*state = &cal;
	return 0;
}

static int teardown(void **state)
{
	calendar_release(*state);
	return 0;
}

/* A listing date, and whether it exists (why = NULL) or why not. */
static const struct {
	const char *date;
	const char *why;
} listing_rows[] = {
	/* An ordinary week: Monday to Friday have listings. */
	{ "2026-02-09", NULL }, /* Monday, announced Sunday evening */
	{ "2026-02-13", NULL }, /* Friday, announced Thursday evening */
	{ "2026-02-14", "Saturday" },
	{ "2026-02-15", "Sunday" },
	/* Holidays on Sunday..Thursday: the next day has no listing. */
	{ "2026-01-02", "arXiv holiday" }, /* Thu 01-01 New Year */
	{ "2026-01-20", "arXiv holiday" }, /* Mon 01-19 MLK day */
	{ "2026-09-08", "arXiv holiday" }, /* Mon 09-07 Labor Day */
	{ "2026-11-27", "arXiv holiday" }, /* Thu 11-26 Thanksgiving */
	{ "2026-12-30", "arXiv holiday" }, /* Tue 12-29 */
	{ "2027-01-01", "arXiv holiday" }, /* Thu 12-31 */
	/* Holidays on a Friday: nothing to skip, the weekend follows. */
	{ "2026-06-20", "Saturday" }, /* Fri 06-19 Juneteenth */
	{ "2026-07-04", "Saturday" }, /* Fri 07-03 */
	{ "2026-12-26", "Saturday" }, /* Fri 12-25 */
	/* A holiday's own date: its listing was announced the evening
	 * before, which was a normal evening. */
	{ "2026-01-01", NULL }, /* Thursday */
	{ "2026-01-19", NULL }, /* Monday */
	{ "2026-06-19", NULL }, /* Friday */
	{ "2026-07-03", NULL }, /* Friday */
	{ "2026-09-07", NULL }, /* Monday */
	{ "2026-11-26", NULL }, /* Thursday */
	{ "2026-12-25", NULL }, /* Friday */
	{ "2026-12-29", NULL }, /* Tuesday */
	{ "2026-12-31", NULL }, /* Thursday */
	/* The day after the skipped one is back to normal. */
	{ "2026-01-21", NULL }, /* Wednesday, announced Tue 01-20 */
	{ "2026-11-30", NULL }, /* Monday, announced Sun 11-29 */
	/* 2025: a Sunday holiday removes Monday's listing. */
	{ "2025-07-07", "arXiv holiday" }, /* Sun 07-06 */
	{ "2025-11-28", "arXiv holiday" }, /* Thu 11-27 Thanksgiving */
	{ "2025-12-30", NULL }, /* the reference digest's day */
};

static void test_listing_days(void **state)
{
	const struct calendar *cal = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(listing_rows); i++) {
		const char *why = "unset";
		int want = listing_rows[i].why == NULL;
		int got = calendar_is_announcement_day(
			cal, date(listing_rows[i].date), &why);

		if (got != want)
			fail_msg("%s: got %d, want %d (why %s)",
				 listing_rows[i].date, got, want,
				 why ? why : "NULL");
		if (want)
			assert_null(why);
		else
			assert_string_equal(why, listing_rows[i].why);
	}
	/* why may be NULL. */
	assert_int_equal(calendar_is_announcement_day(cal,
		date("2026-11-27"), NULL), 0);
	/* Any instant within the UTC day counts as that day. */
	assert_int_equal(calendar_is_announcement_day(cal,
		utc("2026-11-27T23:59:59Z"), NULL), 0);
	assert_int_equal(calendar_is_announcement_day(cal,
		utc("2026-11-26T23:59:59Z"), NULL), 1);
}

static void test_every_2026_holiday(void **state)
{
	static const char *const holidays[] = {
		"2026-01-01", "2026-01-19", "2026-06-19", "2026-07-03",
		"2026-09-07", "2026-11-26", "2026-12-25", "2026-12-29",
		"2026-12-31",
	};
	const struct calendar *cal = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(holidays); i++) {
		time_t h = date(holidays[i]);
		const char *why = NULL;

		assert_true(calendar_is_holiday(cal, h));
		/* No announcement that evening: the listing of the next
		 * day is missing, named as a holiday unless it falls on a
		 * weekend anyway. */
		assert_int_equal(calendar_is_announcement_day(cal,
			h + 86400, &why), 0);
		if (strcmp(util_weekday(h), "Friday"))
			assert_string_equal(why, "arXiv holiday");
		else
			assert_string_equal(why, "Saturday");
	}
	assert_false(calendar_is_holiday(cal, date("2026-11-27")));
	assert_false(calendar_is_holiday(cal, date("2026-01-02")));
}

/* At instant `now`, the latest listing is `want`. */
static const struct {
	const char *now;
	const char *want;
	const char *what;
} latest_rows[] = {
	/* Thursday 2026-02-12, EST (UTC-5): 20:00 ET is 01:00Z. */
	{ "2026-02-13T00:59:59Z", "2026-02-12", "Thu 19:59:59 ET" },
	{ "2026-02-13T01:00:00Z", "2026-02-13", "Thu 20:00 ET: Friday" },
	/* Friday: no announcement in the evening. */
	{ "2026-02-13T17:00:00Z", "2026-02-13", "Fri noon" },
	{ "2026-02-14T03:00:00Z", "2026-02-13", "Fri 22:00 ET" },
	{ "2026-02-14T17:00:00Z", "2026-02-13", "Sat noon" },
	{ "2026-02-15T17:00:00Z", "2026-02-13", "Sun noon" },
	{ "2026-02-16T00:59:59Z", "2026-02-13", "Sun 19:59:59 ET" },
	{ "2026-02-16T01:00:00Z", "2026-02-16", "Sun 20:00 ET: Monday" },
	/* Summer (EDT, UTC-4): 20:00 ET is 00:00Z. */
	{ "2026-06-14T23:59:59Z", "2026-06-12", "Sun 19:59:59 EDT" },
	{ "2026-06-15T00:00:00Z", "2026-06-15", "Sun 20:00 EDT" },
	/* DST starts Sunday 2026-03-08 at 02:00: that evening is EDT. */
	{ "2026-03-08T23:59:59Z", "2026-03-06", "DST start, 19:59:59 EDT" },
	{ "2026-03-09T00:00:00Z", "2026-03-09", "DST start, 20:00 EDT" },
	/* DST ends Sunday 2026-11-01 at 02:00: that evening is EST. */
	{ "2026-11-02T00:00:00Z", "2026-10-30", "DST end, 19:00 EST" },
	{ "2026-11-02T00:59:59Z", "2026-10-30", "DST end, 19:59:59 EST" },
	{ "2026-11-02T01:00:00Z", "2026-11-02", "DST end, 20:00 EST" },
	/* Thanksgiving 2026-11-26: no announcement that evening, so Friday
	 * and the weekend still have Thursday's listing. */
	{ "2026-11-27T01:00:00Z", "2026-11-26", "Thanksgiving 20:00 ET" },
	{ "2026-11-28T17:00:00Z", "2026-11-26", "Sat after Thanksgiving" },
	{ "2026-11-30T01:00:00Z", "2026-11-30", "Sun 20:00 after" },
	/* MLK day, Monday 2026-01-19: Monday's listing (announced Sunday)
	 * stays the latest until Tuesday evening. */
	{ "2026-01-19T01:00:00Z", "2026-01-19", "Sun 01-18 20:00 ET" },
	{ "2026-01-20T17:00:00Z", "2026-01-19", "Tue 01-20 noon" },
	{ "2026-01-21T01:00:00Z", "2026-01-21", "Tue 01-20 20:00 ET" },
	/* Year end: Tue 12-29 and Thu 12-31 are holidays. */
	{ "2026-12-30T17:00:00Z", "2026-12-29", "Wed 12-30 noon" },
	{ "2026-12-31T01:00:00Z", "2026-12-31", "Wed 12-30 20:00 ET" },
	{ "2027-01-02T17:00:00Z", "2026-12-31", "Sat 2027-01-02" },
	/* Across a UTC date line: 22:00 ET Sunday is Monday in UTC. */
	{ "2026-02-16T03:00:00Z", "2026-02-16", "Sun 22:00 ET" },
};

static void test_latest(void **state)
{
	const struct calendar *cal = *state;
	char got_s[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(latest_rows); i++) {
		struct errbuf eb = ERRBUF_INIT;
		time_t got = 0;

		if (calendar_latest(cal, utc(latest_rows[i].now), &got, &eb))
			fail_msg("%s: %s", latest_rows[i].now, eb.msg);
		fmt_date(got, got_s);
		if (strcmp(got_s, latest_rows[i].want))
			fail_msg("%s (%s): latest %s, want %s",
				 latest_rows[i].now, latest_rows[i].what,
				 got_s, latest_rows[i].want);
		/* The answer is a listing that exists and was out by now. */
		assert_int_equal(calendar_is_announcement_day(cal, got, NULL),
				 1);
		assert_int_equal(got % 86400, 0);
	}
}

/* The announcement instant of a listing, and when the feed has it. */
static const struct {
	const char *listing;
	const char *announced;
	const char *feed;
} instant_rows[] = {
	{ "2026-02-16", "2026-02-16T01:00:00Z", "2026-02-16T05:00:00Z" },
	{ "2026-03-06", "2026-03-06T01:00:00Z", "2026-03-06T05:00:00Z" },
	/* Announced on the DST start day (EDT), feed the next midnight. */
	{ "2026-03-09", "2026-03-09T00:00:00Z", "2026-03-09T04:00:00Z" },
	/* No listing is dated Sunday 03-08, but the conversion is still
	 * defined: 20:00 EST on Saturday 03-07, and that Sunday's midnight
	 * came before the 02:00 change. */
	{ "2026-03-08", "2026-03-08T01:00:00Z", "2026-03-08T05:00:00Z" },
	{ "2026-07-15", "2026-07-15T00:00:00Z", "2026-07-15T04:00:00Z" },
	/* Announced on the DST end day (EST again). */
	{ "2026-11-02", "2026-11-02T01:00:00Z", "2026-11-02T05:00:00Z" },
	/* Sunday 11-01's own midnight was still EDT. */
	{ "2026-11-01", "2026-11-01T00:00:00Z", "2026-11-01T04:00:00Z" },
};

static void test_instants(void **state)
{
	char got_s[32];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(instant_rows); i++) {
		struct errbuf eb = ERRBUF_INIT;
		time_t day = date(instant_rows[i].listing), t = 0;

		assert_int_equal(calendar_announced_at(day, &t, &eb), 0);
		assert_string_equal(fmt_instant(t, got_s),
				    instant_rows[i].announced);
		assert_int_equal(calendar_feed_at(day, &t, &eb), 0);
		assert_string_equal(fmt_instant(t, got_s),
				    instant_rows[i].feed);
	}
}

static void test_local_date(void **state)
{
	static const struct {
		const char *now;
		const char *want;
	} rows[] = {
		{ "2026-03-09T03:59:59Z", "2026-03-08" }, /* 23:59:59 EDT */
		{ "2026-03-09T04:00:00Z", "2026-03-09" },
		{ "2026-11-02T04:59:59Z", "2026-11-01" }, /* 23:59:59 EST */
		{ "2026-11-02T05:00:00Z", "2026-11-02" },
		{ "2026-01-01T04:59:59Z", "2025-12-31" },
	};
	char got_s[16];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct errbuf eb = ERRBUF_INIT;
		time_t day = 0;

		assert_int_equal(calendar_local_date(utc(rows[i].now), &day,
						     &eb), 0);
		assert_string_equal(fmt_date(day, got_s), rows[i].want);
		assert_int_equal(day % 86400, 0);
	}
}

static void test_custom_holidays(void **state)
{
	struct strv list = STRV_INIT;
	struct calendar cal;
	struct errbuf eb = ERRBUF_INIT;
	const char *why = NULL;
	time_t got;
	char s[16];

	(void)state;
	/* A list replaces the default: Thanksgiving is a normal day, and
	 * Tuesday 2026-02-10 (and a duplicate of it) is a holiday. */
	strv_push(&list, "2026-02-10");
	strv_push(&list, "2026-02-10");
	assert_int_equal(calendar_init(&cal, &list, &eb), 0);
	assert_int_equal(cal.nr, 1);
	assert_int_equal(calendar_is_announcement_day(&cal,
		date("2026-11-27"), &why), 1);
	assert_null(why);
	assert_int_equal(calendar_is_announcement_day(&cal,
		date("2026-02-11"), &why), 0);
	assert_string_equal(why, "arXiv holiday");
	/* Tuesday 20:00 EST passes with no announcement. */
	assert_int_equal(calendar_latest(&cal, utc("2026-02-11T17:00:00Z"),
					 &got, &eb), 0);
	assert_string_equal(fmt_date(got, s), "2026-02-10");
	assert_int_equal(calendar_latest(&cal, utc("2026-11-27T01:00:00Z"),
					 &got, &eb), 0);
	assert_string_equal(fmt_date(got, s), "2026-11-27");
	calendar_release(&cal);
	calendar_release(&cal); /* twice is fine */
	strv_release(&list);

	/* An empty list: no holidays at all. */
	assert_int_equal(calendar_init(&cal, &list, &eb), 0);
	assert_int_equal(cal.nr, 0);
	assert_int_equal(calendar_is_announcement_day(&cal,
		date("2026-11-27"), NULL), 1);
	calendar_release(&cal);
}

static void test_bad_holidays(void **state)
{
	static const struct {
		const char *entry;
		const char *msg;
	} rows[] = {
		{ "2026-13-01", "holiday 2 \"2026-13-01\": not a YYYY-MM-DD "
				"date" },
		{ "2026-02-30", "holiday 2 \"2026-02-30\"" },
		{ "26-11-26", "holiday 2 \"26-11-26\"" },
		{ "2026-11-26 ", "holiday 2 \"2026-11-26 \"" },
		{ "", "holiday 2 \"\"" },
		{ "2026-1\n-26", "holiday 2 \"2026-1?-26\"" },
		{ "2026-11-26xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  "holiday 2 \"2026-11-26xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"" },
	};
	struct errbuf eb = ERRBUF_INIT;
	struct calendar cal;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct strv list = STRV_INIT;

		strv_push(&list, "2026-01-01");
		strv_push(&list, rows[i].entry);
		errbuf_clear(&eb);
		assert_int_equal(calendar_init(&cal, &list, &eb), -1);
		if (!strstr(eb.msg, rows[i].msg))
			fail_msg("%s: error \"%s\" lacks \"%s\"",
				 rows[i].entry, eb.msg, rows[i].msg);
		/* A failed init leaves nothing to release. */
		assert_null(cal.holidays);
		assert_int_equal(cal.nr, 0);
		strv_release(&list);
	}
}

static void test_too_many_holidays(void **state)
{
	struct strv list = STRV_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct calendar cal;
	time_t day = date("2030-01-01");
	char s[16];
	int i;

	(void)state;
	for (i = 0; i <= CALENDAR_MAX_HOLIDAYS; i++) {
		strv_push(&list, fmt_date(day, s));
		day += 86400;
	}
	assert_int_equal(calendar_init(&cal, &list, &eb), -1);
	assert_non_null(strstr(eb.msg, "more than the limit of 1000"));
	strv_release(&list);
}

static void test_gap_too_long(void **state)
{
	struct strv list = STRV_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct calendar cal;
	time_t day = date("2030-01-01"), got = 0;
	char s[16];
	int i;

	(void)state;
	/* Every day of January 2030 and the end of December 2029 off. */
	day -= 5 * 86400;
	for (i = 0; i < 40; i++) {
		strv_push(&list, fmt_date(day, s));
		day += 86400;
	}
	assert_int_equal(calendar_init(&cal, &list, &eb), 0);
	assert_int_equal(calendar_latest(&cal, utc("2030-02-01T17:00:00Z"),
					 &got, &eb), -1);
	assert_non_null(strstr(eb.msg, "no arXiv announcement in the 31 "
				       "days up to 2030-02-01"));
	/* Five days later, the first evening after the gap is found. */
	assert_int_equal(calendar_latest(&cal, utc("2030-02-10T17:00:00Z"),
					 &got, &eb), 0);
	assert_string_equal(fmt_date(got, s), "2030-02-08");
	calendar_release(&cal);
	strv_release(&list);
}

static void test_out_of_range(void **state)
{
	const struct calendar *cal = *state;
	struct errbuf eb = ERRBUF_INIT;
	time_t got = 0;

	assert_int_equal(calendar_latest(cal, (time_t)INT64_MAX, &got, &eb),
			 -1);
	assert_non_null(strstr(eb.msg, "out of range"));
	assert_int_equal(calendar_announced_at((time_t)INT64_MIN, &got, &eb),
			 -1);
	assert_non_null(strstr(eb.msg, "out of range"));
	/* No crash either way for the pure functions. */
	(void)calendar_is_announcement_day(cal, (time_t)INT64_MIN, NULL);
	(void)calendar_is_announcement_day(cal, (time_t)INT64_MAX, NULL);
}

/* The caller's TZ, set or not, is what it was before. */
static void test_tz_restored(void **state)
{
	const struct calendar *cal = *state;
	struct errbuf eb = ERRBUF_INIT;
	time_t got, t = utc("2026-07-15T12:00:00Z");
	struct tm tm;

	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	assert_int_equal(calendar_latest(cal, t, &got, &eb), 0);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(tm.tm_gmtoff, 9 * 3600);

	unsetenv("TZ");
	tzset();
	assert_int_equal(calendar_announced_at(t, &got, &eb), 0);
	assert_null(getenv("TZ"));
}

/* A zone that cannot be loaded is an error, not UTC. */
static void test_zone_missing(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct calendar cal;
	time_t got;

	(void)state;
	setenv("TZDIR", "/nonexistent-zoneinfo", 1);
	assert_int_equal(calendar_init(&cal, NULL, &eb), -1);
	assert_non_null(strstr(eb.msg, "America/New_York"));
	assert_int_equal(calendar_announced_at(0, &got, &eb), -1);
	assert_int_equal(calendar_local_date(0, &got, &eb), -1);
	unsetenv("TZDIR");
	assert_int_equal(calendar_init(&cal, NULL, &eb), 0);
	calendar_release(&cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listing_days),
		cmocka_unit_test(test_every_2026_holiday),
		cmocka_unit_test(test_latest),
		cmocka_unit_test(test_instants),
		cmocka_unit_test(test_local_date),
		cmocka_unit_test(test_custom_holidays),
		cmocka_unit_test(test_bad_holidays),
		cmocka_unit_test(test_too_many_holidays),
		cmocka_unit_test(test_gap_too_long),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_zone_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
