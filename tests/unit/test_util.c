/*
 * Unit tests for the base modules: buf limits, atomic writes, UTF-8,
 * dates, and render_wrap (the text part's 78-column wrapping).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "render.h"
#include "util.h"

static void test_buf_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "12345678"), 0);
	assert_int_equal(buf_addch(&b, '9'), -1);
	assert_int_equal(buf_addf(&b, "%d", 1), -1);
	assert_string_equal(buf_str(&b), "12345678");
	assert_int_equal(b.len, 8);
	buf_release(&b);

	/* Growth never reserves more than the limit (and its NUL). */
	buf_init(&b, 100);
	assert_int_equal(buf_add(&b, "x", 1), 0);
	while (buf_addch(&b, 'y') == 0)
		;
	assert_int_equal(b.len, 100);
	assert_true(b.alloc <= 101);
	buf_release(&b);
}

/* A refused append is sticky: nothing later slips in after the gap,
 * until the writer rewinds on purpose. */
static void test_buf_sticky_failure(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "1234"), 0);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_addstr(&b, "too long"), -1);
	assert_true(buf_failed(&b));
	assert_int_equal(buf_addch(&b, 'x'), -1);
	assert_int_equal(buf_addf(&b, "%d", 5), -1);
	assert_string_equal(buf_str(&b), "1234");
	buf_truncate(&b, 4);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_addch(&b, 'x'), 0);
	assert_string_equal(buf_str(&b), "1234x");
	assert_int_equal(buf_addstr(&b, "long one"), -1);
	buf_reset(&b);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_addstr(&b, "again"), 0);
	buf_release(&b);
}

/* buf_reserve makes room at once, never past the limit and never a
 * failure; buf_fit gives back what is past the contents. */
static void test_buf_reserve_fit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	buf_addstr(&b, "ab");
	buf_reserve(&b, 80);
	assert_int_equal(b.alloc, 83);
	assert_string_equal(buf_str(&b), "ab");
	buf_reserve(&b, 1000); /* clamped to the limit */
	assert_int_equal(b.alloc, 101);
	assert_false(buf_failed(&b));
	buf_fit(&b);
	assert_int_equal(b.alloc, 3);
	assert_string_equal(buf_str(&b), "ab");
	assert_int_equal(buf_addstr(&b, "cd"), 0);
	assert_string_equal(buf_str(&b), "abcd");
	buf_release(&b);
	buf_init(&b, 4);
	buf_fit(&b); /* nothing allocated: nothing to do */
	assert_null(b.data);
	buf_release(&b);
}

/* render_wrap appends without checking each step: a wrapped text that
 * does not fit leaves the buffer failed, never silently shortened. */
static void test_wrap_overflow_is_seen(void **state)
{
	static const char text[] = "one two three four five six seven";
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	render_wrap(text, sizeof(text) - 1, 10, &b);
	assert_true(buf_failed(&b));
	buf_release(&b);
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/paperboy-util-XXXXXX";
	struct errbuf eb = ERRBUF_INIT;
	struct buf got = BUF_INIT;
	struct stat st;
	char *path;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = util_path_join(dir, "f");
	assert_int_equal(util_write_atomic(path, "one", 3, 0600, &eb), 0);
	assert_int_equal(util_write_atomic(path, "two", 3, 0600, &eb), 0);
	assert_int_equal(util_read_file(path, &got, &eb), 0);
	assert_string_equal(buf_str(&got), "two");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A folder that does not exist: error, and nothing left behind. */
	assert_int_equal(util_write_atomic("/nonexistent/x", "a", 1, 0600,
					   &eb), -1);
	assert_non_null(strstr(eb.msg, "/nonexistent/x"));
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(path);
	buf_release(&got);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(util_utf8_valid("Rød José", strlen("Rød José")));
	assert_false(util_utf8_valid("\xc3", 1));
	assert_false(util_utf8_valid("\xc0\xaf", 2)); /* overlong '/' */
	assert_false(util_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	assert_false(util_utf8_valid("a\0b", 3));
	assert_int_equal(util_utf8_width("Rød", strlen("Rød")), 3);
}

static void test_dates(void **state)
{
	char out[16];
	time_t t;

	(void)state;
	assert_int_equal(util_parse_date("2025-12-30", &t), 0);
	util_format_date(t, out, sizeof(out));
	assert_string_equal(out, "2025-12-30");
	assert_string_equal(util_weekday(t), "Tuesday");
	assert_int_equal(util_parse_date("2025-02-29", &t), -1);
	assert_int_equal(util_parse_date("2024-02-29", &t), 0);
	assert_int_equal(util_parse_date("2025-13-01", &t), -1);
	assert_int_equal(util_parse_date("2025-1-01", &t), -1);
	assert_int_equal(util_parse_date("2025-01-011", &t), -1);
	assert_int_equal(util_parse_date("9999-12-31", &t), 0);
	assert_int_equal(util_parse_date("1990-12-31", &t), -1);
}

/* Each refusal says which: the form, the calendar or the range. */
static void test_date_messages(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	time_t t;

	(void)state;
	assert_int_equal(util_check_date("1900-01-01", &t, &eb), -1);
	assert_string_equal(eb.msg, "'1900-01-01' is out of range: dates "
				    "from 1991-01-01 to 9999-12-31 are "
				    "supported");
	assert_int_equal(util_check_date("2025-02-29", &t, &eb), -1);
	assert_string_equal(eb.msg,
			    "'2025-02-29' is not a day of the calendar "
			    "(YYYY-MM-DD)");
	assert_int_equal(util_check_date("2025-2-3", &t, &eb), -1);
	assert_string_equal(eb.msg,
			    "'2025-2-3' is not a date in the form YYYY-MM-DD");
	assert_int_equal(util_check_date("", &t, &eb), -1);
	assert_int_equal(util_check_date("1991-01-01", &t, &eb), 0);
}

/* A FIFO, a folder: refused before reading (a FIFO would block open()). */
static void test_read_not_regular(void **state)
{
	char dir[] = "/tmp/paperboy-util.XXXXXX", fifo[64];
	struct errbuf eb = ERRBUF_INIT;
	struct buf b = BUF_INIT;
	char want[128];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(util_read_file(fifo, &b, &eb), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", fifo);
	assert_string_equal(eb.msg, want);
	assert_int_equal(util_read_file(dir, &b, &eb), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	assert_string_equal(eb.msg, want);
	assert_int_equal(b.len, 0);
	unlink(fifo);
	rmdir(dir);
	buf_release(&b);
}

static void test_wrap(void **state)
{
	const char *in =
		"short line\n"
		"  Authors: Vedant Shah, Johan Obando-Ceron, Vineet Jain, "
		"Brian Bartoldson, Bhavya Kailkhura, Marcel Rød\n"
		"https://example.org/a/very/long/url/that/must/not/be/broken/"
		"at/all/even/though/it/is/longer/than/the/width\n"
		"trailing   \n";
	struct buf out = BUF_INIT;
	const char *p, *nl;

	(void)state;
	render_wrap(in, strlen(in), 78, &out);
	for (p = buf_str(&out); (nl = strchr(p, '\n')); p = nl + 1) {
		size_t w = util_utf8_width(p, (size_t)(nl - p));
		if (w > 78 && strncmp(p, "https://", 8))
			fail_msg("line over 78 columns: %.*s", (int)(nl - p),
				 p);
	}
	assert_non_null(strstr(buf_str(&out), "short line\n  Authors: "));
	/* Continuation lines hang under the value of "Authors:". */
	assert_non_null(strstr(buf_str(&out), "\n           Brian") ||
			strstr(buf_str(&out), "\n           Bhavya") ||
			strstr(buf_str(&out), "\n           Marcel"));
	assert_non_null(strstr(buf_str(&out), "/longer/than/the/width\n"));
	assert_non_null(strstr(buf_str(&out), "trailing\n"));
	buf_release(&out);
}

/* Decimal without printf: what printf's %lu gives, a prefix room kept. */
static void test_ulong_dec(void **state)
{
	static const unsigned long v[] = {0, 7, 10, 99, 1000, 4294967296UL,
					  (unsigned long)-1};
	char buf[1 + UTIL_ULONG_DEC], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		char *p = util_ulong_dec(v[i], buf + 1);

		snprintf(want, sizeof(want), "%lu", v[i]);
		assert_string_equal(p, want);
		assert_true(p > buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_limit),
		cmocka_unit_test(test_buf_sticky_failure),
		cmocka_unit_test(test_buf_reserve_fit),
		cmocka_unit_test(test_wrap_overflow_is_seen),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_date_messages),
		cmocka_unit_test(test_read_not_regular),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_ulong_dec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
