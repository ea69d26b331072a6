/*
 * Unit tests for the SMTP transport of deliver, against tests/lib/smtpd.py
 * (aiosmtpd) started per test on a free 127.0.0.1 port (run from the
 * repository root): the name said in EHLO, and the outcome of a message
 * whose data went out but got no reply (a timeout, a dropped connection)
 * or whose connection ended before its data. What the server stored is
 * read from its spool, not taken from the transport's word. Skipped, with
 * a message, when python3 or aiosmtpd cannot be run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"
#include "banned.h"

#define SMTPD "tests/lib/smtpd.py"
/* The server may take a while to start under a loaded CI machine. */
#define STARTUP_SECONDS 15
/* No test takes 10 s; SIGALRM ends one that hangs. */
#define TEST_SECONDS 30
/* Room for the host name libesmtp says by default (a DNS name is at
 * most 255 octets). */
#define MAX_HOSTNAME 256
/* Most faults one test gives the server. */
#define MAX_FAULTS 4
/* Messages of the stall test: with a TCP cork left on, each waits ~800 ms
 * (Linux's 200 ms cork timer, several times), 16 s in all (under
 * TEST_SECONDS); aiosmtpd takes a tenth of a second for them. */
#define STALL_MESSAGES 20
#define STALL_SECONDS 4
/* Sessions at once and messages each of the large-message test. */
#define LARGE_SESSIONS 2
#define LARGE_MESSAGES 4
/* Body of a large message: several of the transport's 64 KB pieces. */
#define LARGE_BODY (300 * 1024)

extern char **environ;

static int smtpd_missing;

struct server {
	char dir[64];
	char *spool, *port_file, *pid_file, *log;
	pid_t pid;
	long port;
};

/* What the hooks saw, per item. */
struct seen {
	int attempts[8];
	int results[8];
	struct deliver_item *base;
};

static int setup(void **state)
{
	struct server *s = xcalloc(1, sizeof(*s));

	snprintf(s->dir, sizeof(s->dir), "/tmp/test_deliver_smtp.XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	s->spool = util_path_join(s->dir, "spool");
	s->port_file = util_path_join(s->dir, "port");
	s->pid_file = util_path_join(s->dir, "pid");
	s->log = util_path_join(s->dir, "log");
	s->pid = -1;
	alarm(TEST_SECONDS);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	remove_dir(s->spool);
	remove_dir(s->dir);
	free(s->spool);
	free(s->port_file);
	free(s->pid_file);
	free(s->log);
	alarm(0);
	free(s);
	return 0;
}

static long read_port(const char *path)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b;
	char *end;
	long port = -1;

	buf_init(&b, 64);
	if (util_read_file(path, &b, &eb) == 0 && b.len) {
		port = strtol(buf_str(&b), &end, 10);
		if (*end != '\n' || port <= 0 || port > 65535)
			port = -1;
	}
	buf_release(&b);
	return port;
}

static const char *python(void)
{
	const char *p = getenv("PYTHON");

	/* Debian's python3-aiosmtpd lives in /usr/bin/python3. */
	if (access("/usr/bin/python3", X_OK) == 0)
		return "/usr/bin/python3";
	return p && *p ? p : "python3";
}

/* 1 if python() runs and imports aiosmtpd. */
static int have_aiosmtpd(void)
{
	char *argv[] = {(char *)python(), "-c", "import aiosmtpd", NULL};
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return 0;
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Starts smtpd.py with up to MAX_FAULTS --fault specs (NULL-ended);
 * skips the test when python3 or aiosmtpd is missing. */
static void serve(struct server *s, const char *const *faults)
{
	char *argv[14 + 2 * MAX_FAULTS];
	struct timespec pause = {0, 20 * 1000 * 1000};
	posix_spawn_file_actions_t fa;
	int i, k = 0, status, err;

	if (!smtpd_missing && !have_aiosmtpd()) {
		smtpd_missing = 1;
		print_message("test_deliver_smtp: %s has no aiosmtpd, skipping "
			      "(make deps)\n",
			      python());
	}
	if (smtpd_missing)
		skip();
	argv[k++] = (char *)python();
	argv[k++] = SMTPD;
	argv[k++] = "--host";
	argv[k++] = "127.0.0.1";
	argv[k++] = "--port";
	argv[k++] = "0";
	argv[k++] = "--port-file";
	argv[k++] = s->port_file;
	argv[k++] = "--pid-file";
	argv[k++] = s->pid_file;
	argv[k++] = "--spool";
	argv[k++] = s->spool;
	for (i = 0; faults && faults[i] && i < MAX_FAULTS; i++) {
		argv[k++] = "--fault";
		argv[k++] = (char *)faults[i];
	}
	argv[k] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, s->log,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	err = posix_spawnp(&s->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		fail_msg("posix_spawnp %s: %s", argv[0], strerror(err));
	for (i = 0; i < STARTUP_SECONDS * 50; i++) {
		s->port = read_port(s->port_file);
		if (s->port > 0)
			return;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			fail_msg("%s exited before listening (status %d)",
				 SMTPD, status);
		}
		nanosleep(&pause, NULL);
	}
	fail_msg("%s did not start within %d s", SMTPD, STARTUP_SECONDS);
}

static struct deliver_smtp *transport(const struct server *s, const char *helo,
				      long timeout)
{
	struct deliver_smtp_config cfg;
	struct deliver_smtp *t = NULL;
	struct errbuf eb = ERRBUF_INIT;

	memset(&cfg, 0, sizeof(cfg));
	cfg.host = "127.0.0.1";
	cfg.port = s->port;
	cfg.tls = "none";
	cfg.envelope_from = "digest@example.org";
	cfg.helo = helo;
	cfg.timeout_seconds = timeout;
	if (deliver_smtp_new(&cfg, &t, &eb) < 0)
		fail_msg("deliver_smtp_new: %s", eb.msg);
	return t;
}

static const char message[] = "From: digest@example.org\r\n"
			      "To: reader@example.org\r\n"
			      "Subject: test\r\n"
			      "\r\n"
			      "Hello.\r\n";

/* n items to a@example.org, b@example.org, ... */
static void make_items(struct deliver_item *items, size_t n, char rcpt[][32],
		       char mid[][32])
{
	size_t i;

	memset(items, 0, n * sizeof(*items));
	for (i = 0; i < n; i++) {
		snprintf(rcpt[i], 32, "%c@example.org", (char)('a' + i));
		snprintf(mid[i], 32, "<%zu@test>", i);
		items[i].tag = rcpt[i];
		items[i].rcpt = rcpt[i];
		items[i].data = message;
		items[i].len = sizeof(message) - 1;
		items[i].message_id = mid[i];
	}
}

static void on_attempt(struct deliver_item *it, void *ctx)
{
	struct seen *s = ctx;

	s->attempts[it - s->base]++;
}

static void on_result(struct deliver_item *it, void *ctx)
{
	struct seen *s = ctx;

	s->results[it - s->base]++;
}

/* The spool's record of message i (1-based), or NULL if there is none. */
static json_t *spooled(const struct server *s, int i)
{
	struct buf path = BUF_INIT;
	json_error_t err;
	json_t *j;

	buf_addf(&path, "%s/%06d.json", s->spool, i);
	j = json_load_file(buf_str(&path), 0, &err);
	buf_release(&path);
	return j;
}

static const char *helo_of(json_t *rec)
{
	return json_string_value(json_object_get(rec, "helo"));
}

static void send_one_with_helo(void **state, const char *helo, const char *want)
{
	struct server *s = *state;
	struct deliver_item items[1];
	char rcpt[1][32], mid[1][32];
	struct errbuf eb = ERRBUF_INIT;
	struct deliver_smtp *t;
	json_t *rec;

	serve(s, NULL);
	t = transport(s, helo, 10);
	make_items(items, 1, rcpt, mid);
	if (deliver_smtp_send(t, items, 1, NULL, &eb) < 0)
		fail_msg("deliver_smtp_send: %s", eb.msg);
	assert_int_equal(items[0].outcome, DELIVER_SENT);
	rec = spooled(s, 1);
	assert_non_null(rec);
	assert_non_null(helo_of(rec));
	assert_string_equal(helo_of(rec), want);
	json_decref(rec);
	deliver_smtp_free(t);
}

/* delivery.smtp.helo is the name in EHLO. */
static void test_helo_is_said(void **state)
{
	send_one_with_helo(state, "mail.example.net", "mail.example.net");
}

/* Unset or empty, EHLO says this machine's name (as libesmtp does). */
static void test_helo_default_is_host_name(void **state)
{
	char host[MAX_HOSTNAME];

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	send_one_with_helo(state, "", host);
}

/*
 * The server takes the second message and never answers its final dot:
 * the reply times out. The server may have stored it (this one did), so
 * it is in doubt, not failed, and no result is recorded for it; the
 * first was sent; the third, never reached, stays pending for a retry.
 */
static void test_timeout_after_data_is_in_doubt(void **state)
{
	struct server *s = *state;
	const char *faults[] = {"hang-after-data:b@example.org", NULL};
	struct deliver_item items[3];
	char rcpt[3][32], mid[3][32];
	struct seen seen;
	struct deliver_hooks hooks = {on_attempt, NULL, on_result, &seen};
	struct errbuf eb = ERRBUF_INIT;
	struct deliver_smtp *t;
	json_t *rec;
	int ret;

	serve(s, faults);
	t = transport(s, NULL, 1);
	make_items(items, 3, rcpt, mid);
	memset(&seen, 0, sizeof(seen));
	seen.base = items;
	ret = deliver_smtp_send(t, items, 3, &hooks, &eb);
	assert_int_equal(items[0].outcome, DELIVER_SENT);
	assert_int_equal(items[1].outcome, DELIVER_IN_DOUBT);
	assert_non_null(
	    strstr(items[1].reply, "no reply to the end of the data"));
	assert_int_equal(items[2].outcome, DELIVER_PENDING);
	/* The session ended early: the caller is told why. */
	assert_int_equal(ret, -1);
	assert_non_null(strstr(eb.msg, "DATA: "));
	assert_non_null(strstr(eb.msg, "timeout"));
	assert_int_equal(seen.attempts[1], 1);
	assert_int_equal(seen.results[0], 1);
	assert_int_equal(seen.results[1], 0);
	assert_int_equal(seen.results[2], 0);
	/* It was in doubt indeed: the server has it. */
	rec = spooled(s, 2);
	assert_non_null(rec);
	json_decref(rec);
	deliver_smtp_free(t);
}

/* The server stores the message and drops the connection: in doubt. */
static void test_drop_after_data_is_in_doubt(void **state)
{
	struct server *s = *state;
	const char *faults[] = {"drop-after-data:a@example.org", NULL};
	struct deliver_item items[2];
	char rcpt[2][32], mid[2][32];
	struct errbuf eb = ERRBUF_INIT;
	struct deliver_smtp *t;
	int ret;

	serve(s, faults);
	t = transport(s, NULL, 10);
	make_items(items, 2, rcpt, mid);
	ret = deliver_smtp_send(t, items, 2, NULL, &eb);
	assert_int_equal(items[0].outcome, DELIVER_IN_DOUBT);
	assert_int_equal(items[1].outcome, DELIVER_PENDING);
	assert_int_equal(ret, -1);
	/* A new session takes the one left behind. */
	assert_int_equal(deliver_smtp_send(t, &items[1], 1, NULL, &eb), 0);
	assert_int_equal(items[1].outcome, DELIVER_SENT);
	assert_int_equal(deliver_smtp_connections(t), 2);
	deliver_smtp_free(t);
}

/* A 5xx for one recipient and a 4xx for another are theirs alone. */
static void test_rcpt_replies_are_kept(void **state)
{
	struct server *s = *state;
	const char *faults[] = {"rcpt:a@example.org:550 5.1.1 no such user",
				"rcpt:b@example.org:451", NULL};
	struct deliver_item items[3];
	char rcpt[3][32], mid[3][32];
	struct errbuf eb = ERRBUF_INIT;
	struct deliver_smtp *t;

	serve(s, faults);
	t = transport(s, NULL, 10);
	make_items(items, 3, rcpt, mid);
	assert_int_equal(deliver_smtp_send(t, items, 3, NULL, &eb), 0);
	assert_int_equal(items[0].outcome, DELIVER_FAILED);
	assert_non_null(strstr(items[0].reply, "550"));
	assert_null(strstr(items[0].reply, "221"));
	assert_int_equal(items[1].outcome, DELIVER_DEFERRED);
	assert_non_null(strstr(items[1].reply, "451"));
	assert_int_equal(items[2].outcome, DELIVER_SENT);
	deliver_smtp_free(t);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A session of many small messages does not stall on each: every message
 * waits for the server's reply to its final ".", so a last piece held
 * back (a TCP cork that is never taken off, or Nagle's algorithm waiting
 * for a delayed ACK) would cost up to hundreds of milliseconds a message.
 */
static void test_messages_do_not_stall(void **state)
{
	struct server *s = *state;
	struct deliver_item *items = xcalloc(STALL_MESSAGES, sizeof(*items));
	struct errbuf eb = ERRBUF_INIT;
	struct deliver_smtp *t;
	double start, took;
	size_t i;

	serve(s, NULL);
	t = transport(s, NULL, 10);
	for (i = 0; i < STALL_MESSAGES; i++) {
		items[i].tag = "reader";
		items[i].rcpt = "reader@example.org";
		items[i].data = message;
		items[i].len = sizeof(message) - 1;
		items[i].message_id = "<stall@test>";
	}
	start = now_seconds();
	assert_int_equal(deliver_smtp_send(t, items, STALL_MESSAGES, NULL, &eb),
			 0);
	took = now_seconds() - start;
	for (i = 0; i < STALL_MESSAGES; i++)
		assert_int_equal(items[i].outcome, DELIVER_SENT);
	if (took >= STALL_SECONDS)
		fail_msg("%d messages took %.1f s", STALL_MESSAGES, took);
	deliver_smtp_free(t);
	free(items);
}

struct large_session {
	struct deliver_smtp *t;
	struct deliver_item items[LARGE_MESSAGES];
	int ret;
	char err[ERRBUF_SIZE];
};

static void *send_large(void *arg)
{
	struct large_session *ls = arg;
	struct errbuf eb = ERRBUF_INIT;

	ls->ret = deliver_smtp_send(ls->t, ls->items, LARGE_MESSAGES, NULL,
				    &eb);
	snprintf(ls->err, sizeof(ls->err), "%s", eb.msg);
	return NULL;
}

/* A message of LARGE_BODY bytes: lines of 76, some starting with a dot
 * (stuffed on the wire), one line in ten of 998 octets (no dot: stuffed,
 * it would pass aiosmtpd's limit). */
static void large_message(struct buf *m)
{
	size_t line = 0;

	buf_addstr(m, "From: digest@example.org\r\n"
		      "To: reader@example.org\r\n"
		      "Date: Tue, 30 Dec 2025 06:00:00 +0000\r\n"
		      "Message-ID: <large@test>\r\n"
		      "Subject: large\r\n"
		      "\r\n");
	while (m->len < LARGE_BODY) {
		size_t n = line % 10 == 9 ? 998 : 76, k;

		for (k = 0; k < n; k++)
			buf_addch(m, k == 0 && n == 76 && line % 7 == 3
					     ? '.'
					     : (char)('a' + (line + k) % 26));
		buf_addstr(m, "\r\n");
		line++;
	}
}

/*
 * Sessions running at once on threads (delivery.smtp.connections) each
 * deliver large messages whole: the server stores every one byte for
 * byte as it was handed over.
 */
static void test_large_messages_from_sessions_at_once(void **state)
{
	struct server *s = *state;
	struct large_session ls[LARGE_SESSIONS];
	pthread_t th[LARGE_SESSIONS];
	struct buf m = BUF_INIT, eml = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	size_t i, k;

	serve(s, NULL);
	large_message(&m);
	memset(ls, 0, sizeof(ls));
	for (i = 0; i < LARGE_SESSIONS; i++) {
		ls[i].t = transport(s, NULL, 10);
		for (k = 0; k < LARGE_MESSAGES; k++) {
			ls[i].items[k].tag = "reader";
			ls[i].items[k].rcpt = "reader@example.org";
			ls[i].items[k].data = m.data;
			ls[i].items[k].len = m.len;
			ls[i].items[k].message_id = "<large@test>";
		}
	}
	for (i = 0; i < LARGE_SESSIONS; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, send_large, &ls[i]), 0);
	for (i = 0; i < LARGE_SESSIONS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < LARGE_SESSIONS; i++) {
		if (ls[i].ret < 0)
			fail_msg("session %zu: %s", i, ls[i].err);
		for (k = 0; k < LARGE_MESSAGES; k++)
			assert_int_equal(ls[i].items[k].outcome, DELIVER_SENT);
		deliver_smtp_free(ls[i].t);
	}
	for (i = 1; i <= LARGE_SESSIONS * LARGE_MESSAGES; i++) {
		struct buf path = BUF_INIT;

		buf_addf(&path, "%s/%06zu.eml", s->spool, i);
		buf_init(&eml, 2 * LARGE_BODY);
		if (util_read_file(buf_str(&path), &eml, &eb) < 0)
			fail_msg("%s", eb.msg);
		assert_int_equal(eml.len, m.len);
		assert_memory_equal(eml.data, m.data, m.len);
		buf_release(&eml);
		buf_release(&path);
	}
	buf_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_helo_is_said, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_helo_default_is_host_name,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_after_data_is_in_doubt,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_after_data_is_in_doubt,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rcpt_replies_are_kept, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_messages_do_not_stall, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_large_messages_from_sessions_at_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
