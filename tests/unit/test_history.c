/*
 * Unit tests for history: what an append leaves on disk (the lines, the
 * private modes, older folders and files tightened), a history folder
 * removed while the process runs, what history_load reads back, and the
 * bound: past HISTORY_MAX_LINES lines the older half goes, at it nothing
 * does.
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
#include "history.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"
#include "banned.h"

/* A fresh state folder per test (each its own: the folders are made
 * private once per process and state folder). */
struct fixture {
	char base[64];
	char *history; /* base/history */
	char *file;    /* base/history/alice */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->base, sizeof(f->base), "/tmp/test_history.XXXXXX");
	if (!mkdtemp(f->base)) {
		free(f);
		return -1;
	}
	f->history = util_path_join(f->base, "history");
	f->file = util_path_join(f->history, "alice");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_dir(f->history);
	remove_dir(f->base);
	free(f->history);
	free(f->file);
	free(f);
	return 0;
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static void append(const struct fixture *f, const char *date, const char *a,
		   const char *b)
{
	struct strv ids = STRV_INIT;
	struct errbuf eb = ERRBUF_INIT;

	strv_push(&ids, a);
	if (b)
		strv_push(&ids, b);
	if (history_append(f->base, "alice", date, &ids, &eb) < 0)
		fail_msg("history_append: %s", eb.msg);
	strv_release(&ids);
}

static void write_file(const char *path, const char *data, size_t len)
{
	struct errbuf eb = ERRBUF_INIT;

	if (util_write_atomic(path, data, len, 0600, &eb) < 0)
		fail_msg("%s", eb.msg);
}

static char *contents(const char *path)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b = BUF_INIT;

	if (util_read_file(path, &b, &eb) < 0)
		fail_msg("%s", eb.msg);
	return buf_detach(&b, NULL);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* An append writes one "DATE ID" line per paper, after what was there,
 * into a private file in private folders it makes. */
static void test_append_writes_lines_privately(void **state)
{
	struct fixture *f = *state;
	char *text;

	umask(022);
	append(f, "2025-12-29", "2512.00001", "2512.00002");
	append(f, "2025-12-30", "2512.00003", NULL);
	text = contents(f->file);
	assert_string_equal(text, "2025-12-29 2512.00001\n"
				  "2025-12-29 2512.00002\n"
				  "2025-12-30 2512.00003\n");
	free(text);
	assert_int_equal(mode_of(f->base), 0700);
	assert_int_equal(mode_of(f->history), 0700);
	assert_int_equal(mode_of(f->file), 0600);
}

/* Folders and a file an older version left open are made private, and
 * the file keeps its lines. */
static void test_older_modes_are_tightened(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(mkdir(f->history, 0755), 0);
	assert_int_equal(chmod(f->base, 0755), 0);
	assert_int_equal(chmod(f->history, 0755), 0);
	write_file(f->file, "2025-12-01 2512.00009\n", 22);
	assert_int_equal(chmod(f->file, 0644), 0);
	append(f, "2025-12-30", "2512.00003", NULL);
	assert_int_equal(mode_of(f->base), 0700);
	assert_int_equal(mode_of(f->history), 0700);
	assert_int_equal(mode_of(f->file), 0600);
	text = contents(f->file);
	assert_string_equal(text, "2025-12-01 2512.00009\n"
				  "2025-12-30 2512.00003\n");
	free(text);
}

/* The history folder removed while the process runs (the folders are
 * made once per process) is made again, private, by the next append. */
static void test_removed_folder_is_made_again(void **state)
{
	struct fixture *f = *state;
	char *text;

	append(f, "2025-12-29", "2512.00001", NULL);
	remove_dir(f->history);
	append(f, "2025-12-30", "2512.00003", NULL);
	assert_int_equal(mode_of(f->history), 0700);
	text = contents(f->file);
	assert_string_equal(text, "2025-12-30 2512.00003\n");
	free(text);
}

/* history_load reads back what was appended, versions aside. */
static void test_load_reads_appended(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct history h;

	append(f, "2025-12-29", "2512.00001v2", "2512.00002");
	if (history_load(f->base, "alice", &h, &eb) < 0)
		fail_msg("history_load: %s", eb.msg);
	assert_true(history_contains(&h, "2512.00001"));
	assert_true(history_contains(&h, "2512.00002"));
	assert_false(history_contains(&h, "2512.00003"));
	history_release(&h);
}

/* A file of n lines, each as an append writes it. */
static void write_lines(const struct fixture *f, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	assert_int_equal(mkdir(f->history, 0700), 0);
	for (i = 0; i < n; i++)
		buf_addf(&b, "2025-01-01 2501.%05zu\n", i);
	write_file(f->file, b.data, b.len);
	buf_release(&b);
}

/* Reaching HISTORY_MAX_LINES keeps every line. */
static void test_at_the_bound_nothing_goes(void **state)
{
	struct fixture *f = *state;
	char *text;

	write_lines(f, HISTORY_MAX_LINES - 1);
	append(f, "2025-12-30", "2512.00003", NULL);
	text = contents(f->file);
	assert_int_equal(count_lines(text), HISTORY_MAX_LINES);
	assert_true(!strncmp(text, "2025-01-01 2501.00000\n", 22));
	free(text);
}

/* Past HISTORY_MAX_LINES the older lines go: the newer half stays, the
 * lines just appended last. */
static void test_past_the_bound_older_half_goes(void **state)
{
	struct fixture *f = *state;
	char *text, *last;

	write_lines(f, HISTORY_MAX_LINES);
	append(f, "2025-12-30", "2512.00003", "2512.00004");
	text = contents(f->file);
	assert_int_equal(count_lines(text), HISTORY_MAX_LINES / 2);
	last = text + strlen(text) - 44;
	assert_string_equal(last, "2025-12-30 2512.00003\n"
				  "2025-12-30 2512.00004\n");
	assert_null(strstr(text, "2501.00000\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_append_writes_lines_privately,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_older_modes_are_tightened,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_folder_is_made_again,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_reads_appended, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_at_the_bound_nothing_goes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_past_the_bound_older_half_goes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
