/*
 * Unit tests for journal: what a rerun reads back after every kind of
 * outcome, after a crash (a killed child process) and after a torn write;
 * sanitized fields; malformed files stopping the run; the lock between two
 * runs; a failed append (RLIMIT_FSIZE) leaving file and state unchanged;
 * pruning old days; shard journals; several threads appending at once;
 * the Message-IDs and replies of appended records read back from the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"
#include "banned.h"

#define DAY "2026-01-02"

/* A fresh folder per test; the journal goes in its "journal" subfolder,
 * which journal_open has to create. */
struct fixture {
	char base[64];
	char *dir;  /* base/journal */
	char *path; /* base/journal/DAY */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->base, sizeof(f->base), "/tmp/test_journal.XXXXXX");
	if (!mkdtemp(f->base)) {
		free(f);
		return -1;
	}
	f->dir = util_path_join(f->base, "journal");
	f->path = util_path_join(f->dir, DAY);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_tree(f->base);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b;

	buf_init(&b, BUF_DEFAULT_LIMIT);
	assert_int_equal(util_read_file(path, &b, &eb), 0);
	return buf_detach(&b, len);
}

static void spew(const char *path, const char *data, size_t len)
{
	struct errbuf eb = ERRBUF_INIT;
	char *dir = util_dirname(path);

	assert_int_equal(util_mkdir_p(dir, 0700, &eb), 0);
	assert_int_equal(util_write_atomic(path, data, len, 0600, &eb), 0);
	free(dir);
}

static struct journal *open_ok(const struct fixture *f)
{
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = NULL;

	if (journal_open(f->dir, DAY, &j, &eb) < 0)
		fail_msg("journal_open: %s", eb.msg);
	assert_non_null(j);
	return j;
}

static void expect_state(const struct journal *j, const char *sub,
			 enum journal_state want, const char *want_mid,
			 const char *want_reply)
{
	const char *mid = "unset", *reply = "unset";
	enum journal_state got = journal_state(j, sub, &mid, &reply);

	assert_string_equal(journal_state_name(got), journal_state_name(want));
	if (want == JOURNAL_NONE) {
		assert_null(mid);
		assert_null(reply);
		return;
	}
	assert_string_equal(mid, want_mid);
	assert_string_equal(reply, want_reply);
}

static size_t count_lines(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* Every line: a UTC time stamp and exactly five tab-separated fields. */
static void check_line_shape(const char *s, size_t len)
{
	static const char shape[] = "0000-00-00T00:00:00Z\t";
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t i, tabs = 0;

		assert_non_null(nl);
		assert_true(nl - p > 21);
		for (i = 0; i < 21; i++) {
			if (shape[i] == '0')
				assert_true(p[i] >= '0' && p[i] <= '9');
			else
				assert_int_equal(p[i], shape[i]);
		}
		for (i = 0; i < (size_t)(nl - p); i++) {
			assert_true((unsigned char)p[i] >= 0x20 ||
				    p[i] == '\t');
			tabs += p[i] == '\t';
		}
		assert_int_equal(tabs, 4);
		p = nl + 1;
	}
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct journal *j = open_ok(f);
	struct stat st;

	expect_state(j, "alice", JOURNAL_NONE, NULL, NULL);
	assert_string_equal(journal_path(j), f->path);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	journal_close(j);
	journal_close(NULL);
}

static void test_attempt_sent(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = open_ok(f);
	char *data;
	size_t len;

	assert_int_equal(journal_attempt(j, "alice", "<m1@example.org>", &eb),
			 0);
	expect_state(j, "alice", JOURNAL_IN_DOUBT, "<m1@example.org>", "");
	assert_int_equal(journal_result(j, "alice", JOURNAL_SENT,
					"<m1@example.org>",
					"250 2.0.0 Ok: queued as 4F2A1", &eb),
			 0);
	expect_state(j, "alice", JOURNAL_SENT, "<m1@example.org>",
		     "250 2.0.0 Ok: queued as 4F2A1");
	expect_state(j, "bob", JOURNAL_NONE, NULL, NULL);
	journal_close(j);

	data = slurp(f->path, &len);
	check_line_shape(data, len);
	assert_int_equal(count_lines(data, len), 2);
	assert_non_null(
	    strstr(data, "Z\tattempt\talice\t<m1@example.org>\t-\n"));
	assert_non_null(strstr(data, "Z\tsent\talice\t<m1@example.org>\t"
				     "250 2.0.0 Ok: queued as 4F2A1\n"));
	free(data);

	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_SENT, "<m1@example.org>",
		     "250 2.0.0 Ok: queued as 4F2A1");
	journal_close(j);
}

/* The crash case: a run that dies between "attempt" and the outcome. */
static void test_in_doubt_after_crash(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal *cj = NULL;

		if (journal_open(f->dir, DAY, &cj, &eb) < 0 ||
		    journal_attempt(cj, "bob", "<b@x>", &eb) < 0 ||
		    journal_result(cj, "bob", JOURNAL_SENT, "<b@x>", "250 ok",
				   &eb) < 0 ||
		    journal_attempt(cj, "alice", "<a@x>", &eb) < 0)
			_exit(1);
		/* No close, no free: killed mid-run. */
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* The crashed run left the zeros it grew the file by. */
	{
		size_t len;
		char *text = slurp(f->path, &len);

		assert_true(len > 0 && text[len - 1] == '\0');
		free(text);
	}
	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_IN_DOUBT, "<a@x>", "");
	expect_state(j, "bob", JOURNAL_SENT, "<b@x>", "250 ok");
	/* Close and reopen: still in doubt, nothing was decided silently. */
	journal_close(j);
	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_IN_DOUBT, "<a@x>", "");
	journal_close(j);
	/* A closed journal is plain text: three records, no zeros. */
	{
		size_t len, lines = 0, i;
		char *text = slurp(f->path, &len);

		for (i = 0; i < len; i++) {
			assert_true(text[i] != '\0');
			lines += text[i] == '\n';
		}
		assert_int_equal(lines, 3);
		assert_int_equal(text[len - 1], '\n');
		free(text);
	}
}

/* The two-step attempt: in memory at once, durable after the wait, and
 * a crash after the wait leaves the message in doubt like journal_attempt. */
static void test_attempt_begin_wait(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j;
	int status, i;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal *cj = NULL;
		char id[16];

		if (journal_open(f->dir, DAY, &cj, &eb) < 0)
			_exit(1);
		for (i = 0; i < 50; i++) {
			snprintf(id, sizeof(id), "s%02d", i);
			if (journal_attempt_begin(cj, id, "<m@x>", &eb) < 0 ||
			    journal_state(cj, id, NULL, NULL) !=
				JOURNAL_IN_DOUBT ||
			    journal_attempt_wait(cj, &eb) < 0)
				_exit(1);
			if (i < 49 && journal_result(cj, id, JOURNAL_SENT,
						     "<m@x>", "250 ok",
						     &eb) < 0)
				_exit(1);
		}
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	j = open_ok(f);
	expect_state(j, "s00", JOURNAL_SENT, "<m@x>", "250 ok");
	expect_state(j, "s48", JOURNAL_SENT, "<m@x>", "250 ok");
	expect_state(j, "s49", JOURNAL_IN_DOUBT, "<m@x>", "");
	/* Begin and wait after a plain close and reopen work alike. */
	assert_int_equal(journal_attempt_begin(j, "s50", "<n@x>", &eb), 0);
	assert_int_equal(journal_attempt_wait(j, &eb), 0);
	assert_int_equal(journal_attempt_wait(j, &eb), 0);
	journal_close(j);
	j = open_ok(f);
	expect_state(j, "s50", JOURNAL_IN_DOUBT, "<n@x>", "");
	journal_close(j);
}

static void test_deferred_then_sent(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = open_ok(f);

	assert_int_equal(journal_attempt(j, "alice", "<m1@x>", &eb), 0);
	assert_int_equal(journal_result(j, "alice", JOURNAL_DEFERRED, "<m1@x>",
					"421 4.7.0 Try again later", &eb),
			 0);
	journal_close(j);

	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_DEFERRED, "<m1@x>",
		     "421 4.7.0 Try again later");
	assert_int_equal(journal_attempt(j, "alice", "<m2@x>", &eb), 0);
	journal_close(j);

	/* A later attempt after "deferred" is in doubt again. */
	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_IN_DOUBT, "<m2@x>", "");
	assert_int_equal(
	    journal_result(j, "alice", JOURNAL_SENT, "<m2@x>", "250 ok", &eb),
	    0);
	journal_close(j);

	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_SENT, "<m2@x>", "250 ok");
	journal_close(j);
}

static void test_failed(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = open_ok(f);
	struct stat st, st2;

	assert_int_equal(journal_attempt(j, "carol", "<c@x>", &eb), 0);
	assert_int_equal(journal_result(j, "carol", JOURNAL_FAILED, "<c@x>",
					"550 5.1.1 No such user", &eb),
			 0);
	journal_close(j);
	j = open_ok(f);
	expect_state(j, "carol", JOURNAL_FAILED, "<c@x>",
		     "550 5.1.1 No such user");

	/* Only outcomes are results; nothing is written for the others. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(
	    journal_result(j, "carol", JOURNAL_IN_DOUBT, "<c@x>", NULL, &eb),
	    -1);
	assert_non_null(strstr(eb.msg, "not an outcome"));
	assert_int_equal(
	    journal_result(j, "carol", JOURNAL_NONE, "<c@x>", NULL, &eb), -1);
	expect_state(j, "carol", JOURNAL_FAILED, "<c@x>",
		     "550 5.1.1 No such user");
	journal_close(j);
	assert_int_equal(stat(f->path, &st2), 0);
	assert_int_equal(st2.st_size, st.st_size);
}

static void test_sanitize(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = open_ok(f);
	char longreply[JOURNAL_MAX_REPLY + 8];
	const char *mid, *reply;
	char *data;
	size_t len;

	assert_int_equal(journal_attempt(j, "alice", "<a\nb\t@x>", &eb), 0);
	assert_int_equal(journal_result(j, "alice", JOURNAL_SENT, "<a\r\nb@x>",
					"250 2.0.0 Ok\tqueued\r\nas X\x01\x7f"
					"\xc2\x85 caf\xc3\xa9 \xff!\r\n",
					&eb),
			 0);
	expect_state(j, "alice", JOURNAL_SENT, "<a  b@x>",
		     "250 2.0.0 Ok queued  as X    caf\xc3\xa9 ?!");

	/* No reply, no Message-ID: "-" on disk, "" read back. */
	assert_int_equal(
	    journal_result(j, "bob", JOURNAL_DEFERRED, NULL, NULL, &eb), 0);
	expect_state(j, "bob", JOURNAL_DEFERRED, "", "");
	assert_int_equal(
	    journal_result(j, "carol", JOURNAL_DEFERRED, "", "\r\n", &eb), 0);
	expect_state(j, "carol", JOURNAL_DEFERRED, "", "");

	/* Cut at JOURNAL_MAX_REPLY bytes, never inside a UTF-8 sequence. */
	memset(longreply, 'a', JOURNAL_MAX_REPLY - 1);
	memcpy(longreply + JOURNAL_MAX_REPLY - 1, "\xc3\xa9zz", 5);
	assert_int_equal(
	    journal_result(j, "dave", JOURNAL_FAILED, "<d@x>", longreply, &eb),
	    0);
	journal_state(j, "dave", &mid, &reply);
	assert_int_equal(strlen(reply), JOURNAL_MAX_REPLY - 1);
	assert_true(util_utf8_valid(reply, strlen(reply)));
	journal_close(j);

	data = slurp(f->path, &len);
	check_line_shape(data, len);
	assert_int_equal(count_lines(data, len), 5);
	assert_non_null(strstr(data, "\tdeferred\tbob\t-\t-\n"));
	free(data);

	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_SENT, "<a  b@x>",
		     "250 2.0.0 Ok queued  as X    caf\xc3\xa9 ?!");
	expect_state(j, "bob", JOURNAL_DEFERRED, "", "");
	journal_state(j, "dave", &mid, &reply);
	assert_int_equal(strlen(reply), JOURNAL_MAX_REPLY - 1);
	journal_close(j);
}

static void test_torn_line(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	static const char good[] =
	    "2026-01-02T10:00:00Z\tattempt\talice\t<a@x>\t-\n";
	/* A "sent" cut short: not on record, so alice stays in doubt. */
	static const char torn[] =
	    "2026-01-02T10:00:01Z\tsent\talice\t<a@x>\t25";
	struct buf b = BUF_INIT;
	struct journal *j;
	struct stat st;
	char *data;
	size_t len;

	buf_addf(&b, "%s%s", good, torn);
	spew(f->path, b.data, b.len);
	buf_release(&b);
	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_IN_DOUBT, "<a@x>", "");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, strlen(good));
	assert_int_equal(journal_attempt(j, "bob", "<b@x>", &eb), 0);
	journal_close(j);

	data = slurp(f->path, &len);
	assert_true(len > strlen(good));
	assert_memory_equal(data, good, strlen(good));
	assert_int_equal(count_lines(data, len), 2);
	assert_int_equal(data[len - 1], '\n');
	assert_non_null(
	    strstr(data + strlen(good), "\tattempt\tbob\t<b@x>\t-\n"));
	check_line_shape(data, len);
	free(data);

	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_IN_DOUBT, "<a@x>", "");
	expect_state(j, "bob", JOURNAL_IN_DOUBT, "<b@x>", "");
	journal_close(j);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "2026-01-02T10:00:01Z\tsent\talice\t<a@x>\n",
	    "2026-01-02T10:00:01Z\tsent\talice\t<a@x>\t250 ok\textra\n",
	    "2026-01-02T10:00:01Z\tbounced\talice\t<a@x>\t-\n",
	    "2026-01-02T10:00:01Z\tSENT\talice\t<a@x>\t-\n",
	    "2026-01-02T10:00:01Z\tsent\tal ice\t<a@x>\t-\n",
	    "2026-01-02T10:00:01Z\tsent\t../alice\t<a@x>\t-\n",
	    "2026-01-02T10:00:01Z\tsent\t\t<a@x>\t-\n",
	    "2026-01-02T10:00:01Z\tsent\talice\t<a@x>\t\n",
	    "2026-01-02 10:00:01\tsent\talice\t<a@x>\t-\n",
	    "2026-01-02T10:00:01Z\tsent\talice\t<a@x>\t250\rok\n",
	    "\n",
	    "garbage\n",
	};
	static const char good[] =
	    "2026-01-02T10:00:00Z\tattempt\talice\t<a@x>\t-\n";
	struct fixture *f = *state;
	char want[1024];
	size_t i;

	snprintf(want, sizeof(want), "%s:2: malformed journal record", f->path);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct errbuf eb = ERRBUF_INIT;
		struct journal *j = (struct journal *)1;
		struct buf b = BUF_INIT;

		buf_addf(&b, "%s%s%s", good, bad[i], good);
		spew(f->path, b.data, b.len);
		assert_int_equal(journal_open(f->dir, DAY, &j, &eb), -1);
		assert_null(j);
		assert_string_equal(eb.msg, want);
		buf_release(&b);
	}
	{
		/* A NUL with a record after it is damage, not the zeros the
		 * file is grown by: refused with the NUL's line, and the
		 * file is left as it was (bob's "sent" must not be lost). */
		static const char nul[] =
		    "2026-01-02T10:00:01Z\tsent\talice\t<a@x>\t2\0 ok\n"
		    "2026-01-02T10:00:02Z\tsent\tbob\t<b@x>\t250 ok\n";
		struct errbuf eb = ERRBUF_INIT;
		struct journal *j = (struct journal *)1;
		struct buf b = BUF_INIT;
		char *text;
		size_t len;

		snprintf(want, sizeof(want),
			 "%s:2: a NUL byte, and records after it: the journal "
			 "is damaged; nothing was sent (repair or move the "
			 "file, then rerun)",
			 f->path);
		buf_addstr(&b, good);
		buf_add(&b, nul, sizeof(nul) - 1);
		spew(f->path, b.data, b.len);
		assert_int_equal(journal_open(f->dir, DAY, &j, &eb), -1);
		assert_null(j);
		assert_string_equal(eb.msg, want);
		text = slurp(f->path, &len);
		assert_int_equal(len, b.len);
		assert_memory_equal(text, b.data, len);
		free(text);
		buf_release(&b);
	}
	{
		/* A NUL on a line of its own, zeros after a record, then a
		 * record: damage too (one NUL at 10% of a journal). */
		struct errbuf eb = ERRBUF_INIT;
		struct journal *j = (struct journal *)1;
		struct buf b = BUF_INIT;

		snprintf(want, sizeof(want),
			 "%s:3: a NUL byte, and records after it: the journal "
			 "is damaged; nothing was sent (repair or move the "
			 "file, then rerun)",
			 f->path);
		buf_addf(&b, "%s%s", good, good);
		buf_add(&b, "\0\0\0", 3);
		buf_addstr(&b, good);
		spew(f->path, b.data, b.len);
		assert_int_equal(journal_open(f->dir, DAY, &j, &eb), -1);
		assert_null(j);
		assert_string_equal(eb.msg, want);
		buf_release(&b);
	}
	{
		/* Zeros to the end, after a torn record: the file's growth
		 * and a crash. Cut off; appends go on after the records. */
		static const char torn[] =
		    "2026-01-02T10:00:01Z\tsent\talice\t<a@x>\t25\0\0\0\0";
		struct errbuf eb = ERRBUF_INIT;
		struct journal *j;
		struct buf b = BUF_INIT;
		char *text;
		size_t len;

		buf_addstr(&b, good);
		buf_add(&b, torn, sizeof(torn) - 1);
		spew(f->path, b.data, b.len);
		assert_int_equal(journal_open(f->dir, DAY, &j, &eb), 0);
		expect_state(j, "alice", JOURNAL_IN_DOUBT, "<a@x>", "");
		journal_close(j);
		text = slurp(f->path, &len);
		assert_int_equal(len, strlen(good));
		assert_memory_equal(text, good, len);
		free(text);
		buf_release(&b);
	}
}

static void test_lock(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j1 = open_ok(f), *j2 = NULL, *other = NULL;
	char want[1024];
	int status;
	pid_t pid;

	snprintf(want, sizeof(want),
		 "another paperboy run is using the journal %s", f->path);
	assert_int_equal(journal_open(f->dir, DAY, &j2, &eb), -1);
	assert_null(j2);
	assert_string_equal(eb.msg, want);

	/* Another process is refused as well, at once. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal *cj = NULL;
		struct errbuf ceb = ERRBUF_INIT;

		_exit(journal_open(f->dir, DAY, &cj, &ceb) == -1 &&
			      !strcmp(ceb.msg, want)
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* Another day is another journal. */
	assert_int_equal(journal_open(f->dir, "2026-01-03", &other, &eb), 0);
	journal_close(other);

	journal_close(j1);
	assert_int_equal(journal_open(f->dir, DAY, &j2, &eb), 0);
	journal_close(j2);
}

static void collect(const char *sub, enum journal_state st, const char *mid,
		    const char *reply, void *ctx)
{
	buf_addf(ctx, "%s:%s:%s:%s,", sub, journal_state_name(st), mid, reply);
}

static void test_foreach_order(void **state)
{
	static const char want[] =
	    "carol:deferred:<c@x>:451 later,alice:sent:<a@x>:250 ok,"
	    "bob:in-doubt:<b@x>:,";
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = open_ok(f);
	struct buf b = BUF_INIT;

	assert_int_equal(journal_attempt(j, "carol", "<c@x>", &eb), 0);
	assert_int_equal(journal_attempt(j, "alice", "<a@x>", &eb), 0);
	assert_int_equal(journal_attempt(j, "bob", "<b@x>", &eb), 0);
	assert_int_equal(
	    journal_result(j, "alice", JOURNAL_SENT, "<a@x>", "250 ok", &eb),
	    0);
	assert_int_equal(journal_result(j, "carol", JOURNAL_DEFERRED, "<c@x>",
					"451 later", &eb),
			 0);
	journal_foreach(j, collect, &b);
	assert_string_equal(buf_str(&b), want);
	journal_close(j);

	buf_reset(&b);
	j = open_ok(f);
	journal_foreach(j, collect, &b);
	assert_string_equal(buf_str(&b), want);
	journal_close(j);
	buf_release(&b);
}

static void test_invalid_input(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	static const char *const bad_ids[] = {"",     "al ice",	 "a/b",
					      "../x", "al\nice", "caf\xc3\xa9"};
	char long_id[300];
	struct journal *j = NULL;
	struct stat st;
	size_t i;

	assert_int_equal(journal_open(f->dir, "2026-1-2", &j, &eb), -1);
	assert_int_equal(journal_open(f->dir, "../../etc", &j, &eb), -1);
	assert_int_equal(journal_open(f->dir, "2026-02-30", &j, &eb), -1);
	assert_null(j);
	assert_int_equal(stat(f->dir, &st), -1);

	j = open_ok(f);
	for (i = 0; i < ARRAY_SIZE(bad_ids); i++) {
		assert_int_equal(journal_attempt(j, bad_ids[i], "<m@x>", &eb),
				 -1);
		assert_non_null(strstr(eb.msg, "not a valid subscriber id"));
	}
	assert_int_equal(journal_attempt(j, NULL, "<m@x>", &eb), -1);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(journal_attempt(j, long_id, "<m@x>", &eb), -1);
	assert_int_equal(journal_attempt(j, "A.b_c-9", "<m@x>", &eb), 0);
	expect_state(j, "A.b_c-9", JOURNAL_IN_DOUBT, "<m@x>", "");
	expect_state(j, NULL, JOURNAL_NONE, NULL, NULL);
	journal_close(j);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size > 0);
	j = open_ok(f);
	expect_state(j, "A.b_c-9", JOURNAL_IN_DOUBT, "<m@x>", "");
	journal_close(j);
}

/*
 * A failed append (here EFBIG from RLIMIT_FSIZE, which also cuts the
 * write short) returns -1, leaves the state as it was and the file as it
 * was: nothing half-written for the next record to be glued to.
 */
static void test_append_failure(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb1 = ERRBUF_INIT, eb2 = ERRBUF_INIT, eb = ERRBUF_INIT;
	struct journal *j = open_ok(f);
	struct rlimit old, lim;
	void (*old_handler)(int);
	char *before, *after, want[1024];
	size_t len_before, len_after;
	int r1, r2, set;

	assert_int_equal(journal_attempt(j, "alice", "<a@x>", &eb), 0);
	assert_int_equal(
	    journal_result(j, "alice", JOURNAL_SENT, "<a@x>", "250 ok", &eb),
	    0);
	/* Reopened, the file holds no zeros grown ahead: the next record
	 * must grow it, past the limit. */
	journal_close(j);
	j = open_ok(f);
	before = slurp(f->path, &len_before);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = len_before + 10;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	/* Nothing may print while the limit holds: stdout may be a file. */
	set = setrlimit(RLIMIT_FSIZE, &lim);
	r1 = journal_attempt(j, "bob", "<b@x>", &eb1);
	r2 =
	    journal_result(j, "alice", JOURNAL_FAILED, "<a@x>", "550 no", &eb2);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(set, 0);

	snprintf(want, sizeof(want), "%s: write failed: %s", f->path,
		 strerror(EFBIG));
	assert_int_equal(r1, -1);
	assert_string_equal(eb1.msg, want);
	assert_int_equal(r2, -1);
	assert_string_equal(eb2.msg, want);
	expect_state(j, "bob", JOURNAL_NONE, NULL, NULL);
	expect_state(j, "alice", JOURNAL_SENT, "<a@x>", "250 ok");
	after = slurp(f->path, &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(after, before, len_before);
	free(after);

	/* The journal goes on working once there is room again. */
	assert_int_equal(journal_attempt(j, "bob", "<b@x>", &eb), 0);
	journal_close(j);
	j = open_ok(f);
	expect_state(j, "alice", JOURNAL_SENT, "<a@x>", "250 ok");
	expect_state(j, "bob", JOURNAL_IN_DOUBT, "<b@x>", "");
	journal_close(j);
	free(before);
}

static void count_one(const char *sub, enum journal_state st, const char *mid,
		      const char *reply, void *ctx)
{
	++*(size_t *)ctx;
}

/* A day of SUBS_MAX_SUBSCRIBERS: all found, in time (a linear lookup per
 * subscriber would take minutes here). */
static void test_many_subscribers(void **state)
{
	enum { N = 100000 };
	struct fixture *f = *state;
	struct buf b;
	struct journal *j;
	char id[32], mid[48];
	size_t i, count = 0;

	buf_init(&b, JOURNAL_MAX_FILE);
	for (i = 0; i < N; i++)
		buf_addf(&b,
			 "2026-01-02T10:00:00Z\tattempt\ts%zu\t<%zu@x>\t-\n", i,
			 i);
	for (i = 0; i < N; i += 2)
		buf_addf(&b, "2026-01-02T10:00:01Z\tsent\ts%zu\t<%zu@x>\t250\n",
			 i, i);
	spew(f->path, b.data, b.len);
	buf_release(&b);

	j = open_ok(f);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "s%zu", i);
		snprintf(mid, sizeof(mid), "<%zu@x>", i);
		if (i % 2)
			expect_state(j, id, JOURNAL_IN_DOUBT, mid, "");
		else
			expect_state(j, id, JOURNAL_SENT, mid, "250");
	}
	expect_state(j, "s100000", JOURNAL_NONE, NULL, NULL);
	journal_foreach(j, count_one, &count);
	assert_int_equal(count, N);
	journal_close(j);
}

/* The i-th subscriber of test_appended_read_back: ids of 2 to 250
 * characters, so that the arena holding them fills several blocks. */
static void appended_id(char *id, size_t size, size_t i)
{
	char pad[256];
	size_t n = (i * 37) % 241;

	memset(pad, 'p', n);
	pad[n] = '\0';
	snprintf(id, size, "s%s%zu", pad, i);
}

/* What a run appended is not kept in memory but read back when asked
 * for: every subscriber's last Message-ID and reply, after thousands of
 * appends of all kinds, in memory as in the file read again; then a
 * rerun appends to records read at open. */
static void test_appended_read_back(void **state)
{
	enum { N = 3000 };
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = open_ok(f);
	struct buf before = BUF_INIT, after = BUF_INIT;
	char id[300], mid[48], reply[48];
	const char *m1, *r1, *m2, *r2;
	size_t i;

	for (i = 0; i < N; i++) {
		appended_id(id, sizeof(id), i);
		snprintf(mid, sizeof(mid), "<%zu@x>", i);
		if (i % 3 == 0) {
			/* Twice, as a retry within the run would. */
			snprintf(reply, sizeof(reply), "250 ok %zu", i);
			assert_int_equal(journal_result(j, id, JOURNAL_DEFERRED,
							mid, "451 x", &eb), 0);
			assert_int_equal(journal_result(j, id, JOURNAL_SENT,
							mid, reply, &eb), 0);
		} else if (i % 3 == 1) {
			snprintf(reply, sizeof(reply), "451 later %zu", i);
			assert_int_equal(journal_result(j, id, JOURNAL_DEFERRED,
							mid, reply, &eb), 0);
		} else if (i % 30 == 2) {
			assert_int_equal(journal_attempt(j, id, mid, &eb), 0);
		} else {
			assert_int_equal(journal_result(j, id, JOURNAL_FAILED,
							NULL, NULL, &eb), 0);
		}
	}
	for (i = 0; i < N; i++) {
		appended_id(id, sizeof(id), i);
		snprintf(mid, sizeof(mid), "<%zu@x>", i);
		if (i % 3 == 0) {
			snprintf(reply, sizeof(reply), "250 ok %zu", i);
			expect_state(j, id, JOURNAL_SENT, mid, reply);
		} else if (i % 3 == 1) {
			snprintf(reply, sizeof(reply), "451 later %zu", i);
			expect_state(j, id, JOURNAL_DEFERRED, mid, reply);
		} else if (i % 30 == 2) {
			expect_state(j, id, JOURNAL_IN_DOUBT, mid, "");
		} else {
			expect_state(j, id, JOURNAL_FAILED, "", "");
		}
	}
	/* Read back once: the same strings the next time. */
	appended_id(id, sizeof(id), 3);
	journal_state(j, id, &m1, &r1);
	journal_state(j, id, &m2, &r2);
	assert_ptr_equal(m1, m2);
	assert_ptr_equal(r1, r2);
	/* A state alone reads nothing back. */
	appended_id(id, sizeof(id), 4);
	assert_int_equal(journal_state(j, id, NULL, NULL), JOURNAL_DEFERRED);
	journal_foreach(j, collect, &before);
	assert_non_null(strstr(buf_str(&before), ":sent:<0@x>:250 ok 0,"));
	journal_close(j);

	/* The file gives what memory gave, in the same order. */
	j = open_ok(f);
	journal_foreach(j, collect, &after);
	assert_string_equal(buf_str(&after), buf_str(&before));
	/* A rerun sends the deferred: read at open, then appended. */
	for (i = 1; i < N; i += 3) {
		appended_id(id, sizeof(id), i);
		snprintf(mid, sizeof(mid), "<%zu@x>", i);
		snprintf(reply, sizeof(reply), "451 later %zu", i);
		expect_state(j, id, JOURNAL_DEFERRED, mid, reply);
		snprintf(mid, sizeof(mid), "<%zu@y>", i);
		assert_int_equal(journal_result(j, id, JOURNAL_SENT, mid,
						"250 again", &eb), 0);
		expect_state(j, id, JOURNAL_SENT, mid, "250 again");
	}
	expect_state(j, "s0", JOURNAL_SENT, "<0@x>", "250 ok 0");
	journal_close(j);
	buf_release(&before);
	buf_release(&after);
}

static void test_prune(void **state)
{
	static const char *const files[] = {
	    "2025-12-31", "2026-01-01",	 "2026-01-06", "2026-01-07",
	    "2026-01-10", "2026-01-11",	 "notes.txt",  "2026-01-01.bak",
	    "2026-13-01", "1999-01-01x",
	};
	static const char *const kept[] = {
	    "2026-01-07",     "2026-01-10", "2026-01-11",  "notes.txt",
	    "2026-01-01.bak", "2026-13-01", "1999-01-01x", "2020-01-01",
	};
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	size_t i, removed = 99;
	struct stat st;
	time_t today;
	char *p;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		p = util_path_join(f->dir, files[i]);
		spew(p, "x\n", 2);
		free(p);
	}
	/* A folder named like a day is not a journal. */
	p = util_path_join(f->dir, "2020-01-01");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);

	assert_int_equal(util_parse_date("2026-01-10", &today), 0);
	assert_int_equal(journal_prune(f->dir, today, 3, &removed, &eb), 0);
	assert_int_equal(removed, 3);
	for (i = 0; i < 3; i++) {
		p = util_path_join(f->dir, files[i]);
		assert_int_equal(stat(p, &st), -1);
		free(p);
	}
	for (i = 0; i < ARRAY_SIZE(kept); i++) {
		p = util_path_join(f->dir, kept[i]);
		if (stat(p, &st) < 0)
			fail_msg("%s was removed", kept[i]);
		free(p);
	}
	assert_int_equal(journal_prune(f->dir, today, 3, &removed, &eb), 0);
	assert_int_equal(removed, 0);

	/* keep_days 0: everything before today goes, today stays. */
	assert_int_equal(journal_prune(f->dir, today, 0, &removed, &eb), 0);
	assert_int_equal(removed, 1);
	p = util_path_join(f->dir, "2026-01-10");
	assert_int_equal(stat(p, &st), 0);
	free(p);

	assert_int_equal(journal_prune(f->dir, today, -1, &removed, &eb), -1);
	p = util_path_join(f->base, "missing");
	assert_int_equal(journal_prune(p, today, 3, &removed, &eb), 0);
	assert_int_equal(removed, 0);
	free(p);
}

/* run --shard K/N: the shard's own file, locked apart from the day's;
 * malformed suffixes refused; pruning knows the shard names. */
static void test_shard_files(void **state)
{
	static const char *const bad[] = {
		".shard-0-of-3", ".shard-4-of-3", ".shard-1-of-0",
		".shard-01-of-3", ".shard-1-of-3x", ".shard-1/3",
		"/../x", ".shard--1-of-3", ".shard-1-of-1001", "",
	};
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *day = NULL, *s1 = NULL, *s2 = NULL, *again = NULL;
	size_t i, removed = 0;
	time_t t, today;
	struct stat st;
	char *p;

	assert_int_equal(journal_open(f->dir, DAY, &day, &eb), 0);
	assert_int_equal(journal_open_shard(f->dir, DAY, ".shard-1-of-3", &s1,
					    &eb), 0);
	assert_int_equal(journal_open_shard(f->dir, DAY, ".shard-2-of-3", &s2,
					    &eb), 0);
	assert_string_equal(strrchr(journal_path(s1), '/'),
			    "/" DAY ".shard-1-of-3");
	/* The same shard twice is locked out like the same day. */
	assert_int_equal(journal_open_shard(f->dir, DAY, ".shard-1-of-3",
					    &again, &eb), -1);
	assert_non_null(strstr(eb.msg, "another paperboy run"));
	assert_int_equal(journal_attempt(s1, "alice", "<a@x>", &eb), 0);
	assert_int_equal(journal_result(s1, "alice", JOURNAL_SENT, "<a@x>",
					"250 ok", &eb), 0);
	/* Another shard's file knows nothing of alice. */
	expect_state(s2, "alice", JOURNAL_NONE, NULL, NULL);
	expect_state(day, "alice", JOURNAL_NONE, NULL, NULL);
	journal_close(s1);
	assert_int_equal(journal_open_shard(f->dir, DAY, ".shard-1-of-3", &s1,
					    &eb), 0);
	expect_state(s1, "alice", JOURNAL_SENT, "<a@x>", "250 ok");
	journal_close(s1);
	journal_close(s2);
	journal_close(day);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct journal *j = NULL;

		if (journal_open_shard(f->dir, DAY, bad[i], &j, &eb) == 0)
			fail_msg("suffix \"%s\" accepted", bad[i]);
		assert_null(j);
	}

	assert_int_equal(journal_name_date(DAY ".shard-2-of-3", &t), 0);
	assert_int_equal(util_parse_date(DAY, &today), 0);
	assert_true(t == today);
	assert_int_equal(journal_name_date(DAY ".shard-2-of", &t), -1);
	assert_int_equal(journal_name_date(DAY ".bak", &t), -1);

	/* Ten days later, with keep_days 3: the day and its shards go. */
	p = util_path_join(f->dir, "2026-01-12.shard-1-of-2");
	spew(p, "x\n", 2);
	free(p);
	assert_int_equal(util_parse_date("2026-01-12", &today), 0);
	assert_int_equal(journal_prune(f->dir, today, 3, &removed, &eb), 0);
	assert_int_equal(removed, 3);
	p = util_path_join(f->dir, "2026-01-12.shard-1-of-2");
	assert_int_equal(stat(p, &st), 0);
	free(p);
}

/* Threads of the concurrent test. */
#define THREADS 4
#define PER_THREAD 200

struct writer {
	struct journal *j;
	int n;
	int failed;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		struct errbuf eb = ERRBUF_INIT;
		char id[32], mid[64];

		snprintf(id, sizeof(id), "t%d-%03d", w->n, i);
		snprintf(mid, sizeof(mid), "<%d.%d@x>", w->n, i);
		if (journal_state(w->j, id, NULL, NULL) != JOURNAL_NONE ||
		    journal_attempt_begin(w->j, id, mid, &eb) < 0 ||
		    journal_attempt_wait(w->j, &eb) < 0 ||
		    journal_result(w->j, id, JOURNAL_SENT, mid, "250 ok",
				   &eb) < 0)
			w->failed = 1;
	}
	return NULL;
}

/* Several delivery threads on one journal: whole lines, every record,
 * each attempt before its outcome, read back the same. */
static void test_threads(void **state)
{
	struct fixture *f = *state;
	struct writer w[THREADS];
	pthread_t th[THREADS];
	struct journal *j = open_ok(f);
	char *data, *line, *next;
	size_t len, lines = 0;
	int i, k;

	for (i = 0; i < THREADS; i++) {
		w[i].j = j;
		w[i].n = i;
		w[i].failed = 0;
		assert_int_equal(pthread_create(&th[i], NULL, writer_main,
						&w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failed, 0);
	}
	journal_close(j);

	data = slurp(f->path, &len);
	for (line = data; *line; line = next) {
		next = strchr(line, '\n');
		assert_non_null(next);
		*next++ = '\0';
		/* A whole record: five fields, never two glued together. */
		for (k = 0; *line; line++)
			k += *line == '\t';
		assert_int_equal(k, 4);
		lines++;
	}
	assert_int_equal(lines, 2 * THREADS * PER_THREAD);
	free(data);

	j = open_ok(f);
	for (i = 0; i < THREADS; i++) {
		for (k = 0; k < PER_THREAD; k++) {
			char id[32], mid[64];

			snprintf(id, sizeof(id), "t%d-%03d", i, k);
			snprintf(mid, sizeof(mid), "<%d.%d@x>", i, k);
			expect_state(j, id, JOURNAL_SENT, mid, "250 ok");
		}
	}
	journal_close(j);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(journal_state_name(JOURNAL_NONE), "none");
	assert_string_equal(journal_state_name(JOURNAL_SENT), "sent");
	assert_string_equal(journal_state_name(JOURNAL_FAILED), "failed");
	assert_string_equal(journal_state_name(JOURNAL_DEFERRED), "deferred");
	assert_string_equal(journal_state_name(JOURNAL_IN_DOUBT), "in-doubt");
	assert_string_equal(journal_state_name((enum journal_state)42), "none");
}

/* Who got a Message-ID: attempt and sent count, failed does not, and a
 * run holding the lock does not stop the lookup. */
static void test_find_message(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j;
	char *who;

	assert_int_equal(journal_find_message(f->dir, DAY, "<a@x>", &who, &eb),
			 0);
	assert_null(who);
	assert_int_equal(journal_open(f->dir, DAY, &j, &eb), 0);
	assert_int_equal(journal_attempt(j, "alice", "<a@x>", &eb), 0);
	assert_int_equal(journal_result(j, "alice", JOURNAL_SENT, "<a@x>",
					"250 ok", &eb), 0);
	assert_int_equal(journal_attempt(j, "bob", "<b@x>", &eb), 0);
	assert_int_equal(journal_attempt(j, "carol", "<c@x>", &eb), 0);
	assert_int_equal(journal_result(j, "carol", JOURNAL_FAILED, "<c@x>",
					"550 no", &eb), 0);
	/* Read while the journal is open and locked by "the run". */
	assert_int_equal(journal_find_message(f->dir, DAY, "<a@x>", &who, &eb),
			 1);
	assert_string_equal(who, "alice");
	free(who);
	journal_close(j);
	assert_int_equal(journal_find_message(f->dir, DAY, "<b@x>", &who, &eb),
			 1);
	assert_string_equal(who, "bob");
	free(who);
	/* carol's attempt is on record; her failed line is not a send. */
	assert_int_equal(journal_find_message(f->dir, DAY, "<c@x>", &who, &eb),
			 1);
	free(who);
	assert_int_equal(journal_find_message(f->dir, DAY, "<d@x>", &who, &eb),
			 0);
	assert_int_equal(journal_find_message(f->dir, DAY, "a@x", &who, &eb),
			 0);
	assert_int_equal(journal_find_message(f->dir, DAY, "", &who, &eb), 0);
	assert_int_equal(journal_find_message(f->dir, "2026-01-03", "<a@x>",
					      &who, &eb), 0);
	assert_int_equal(journal_find_message(f->dir, "../x", "<a@x>", &who,
					      &eb), -1);
	assert_null(who);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_empty),
	    T(test_attempt_sent),
	    T(test_in_doubt_after_crash),
	    T(test_attempt_begin_wait),
	    T(test_deferred_then_sent),
	    T(test_failed),
	    T(test_sanitize),
	    T(test_torn_line),
	    T(test_malformed),
	    T(test_lock),
	    T(test_foreach_order),
	    T(test_invalid_input),
	    T(test_append_failure),
	    T(test_many_subscribers),
	    T(test_appended_read_back),
	    T(test_prune),
	    T(test_find_message),
	    T(test_shard_files),
	    T(test_threads),
	    cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
