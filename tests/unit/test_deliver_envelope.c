/*
 * Unit tests for the per-message envelope sender (deliver_item's
 * envelope_from, what carries a VERP address): over libesmtp (SMTP) and
 * over libcurl (implicit TLS), each message's MAIL FROM is its own, or the
 * configuration's when it has none, as the test SMTP server
 * (tests/lib/smtpd.py, run from the repository root) records it. Skipped,
 * with a message, when python3 or openssl cannot be run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "deliver.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"

#define SMTPD "tests/lib/smtpd.py"
/* The server may take a while to start under a loaded CI machine. */
#define STARTUP_SECONDS 15
/* No test takes 10 s; SIGALRM ends one that hangs. */
#define TEST_SECONDS 60
#define DEFAULT_FROM "digest@example.org"
#define VERP_FROM    "digest+bounce-alice-0123456789abcdef@example.org"

extern char **environ;

struct fixture {
	char dir[64];
	char *spool, *port_file, *pid_file, *cert, *key;
	pid_t pid;
	int port;
};

/* Runs argv to its end (stderr to /dev/null: openssl's progress dots);
 * 0 when it exited 0, 1 when it is missing. */
static int run(char **argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);

	if (err == ENOENT)
		return 1;
	if (err)
		fail_msg("posix_spawnp %s: %s", argv[0], strerror(err));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail_msg("%s failed", argv[0]);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_deliver_env.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->spool = util_path_join(f->dir, "spool");
	f->port_file = util_path_join(f->dir, "port");
	f->pid_file = util_path_join(f->dir, "pid");
	f->cert = util_path_join(f->dir, "cert.pem");
	f->key = util_path_join(f->dir, "key.pem");
	f->pid = -1;
	alarm(TEST_SECONDS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	remove_tree(f->dir);
	free(f->spool);
	free(f->port_file);
	free(f->pid_file);
	free(f->cert);
	free(f->key);
	free(f);
	alarm(0);
	return 0;
}

static int read_port(const char *path)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b;
	long port = -1;

	buf_init(&b, 64);
	if (util_read_file(path, &b, &eb) == 0 && b.len)
		port = strtol(buf_str(&b), NULL, 10);
	buf_release(&b);
	return port > 0 && port < 65536 ? (int)port : -1;
}

/* Starts tests/lib/smtpd.py (with implicit TLS when tls); skips the test
 * when python3 (or, for TLS, openssl) is missing. */
static void start_server(struct fixture *f, int tls)
{
	/* Debian's python3-aiosmtpd lives in /usr/bin/python3, which may
	 * not be the python3 on PATH (as tests/lib/servers.sh says). */
	const char *python = access("/usr/bin/python3", X_OK) == 0
				 ? "/usr/bin/python3"
				 : getenv("PYTHON");
	char *argv[16];
	struct timespec pause = {0, 20 * 1000 * 1000};
	int n = 0, i, status, err;

	if (tls) {
		char *req[] = {
		    "openssl", "req",	"-x509", "-newkey", "rsa:2048",
		    "-nodes",  "-days", "2",	 "-subj",   "/CN=localhost",
		    "-keyout", f->key,	"-out",	 f->cert,   NULL};

		if (run(req)) {
			print_message("openssl not found: skipped\n");
			skip();
		}
	}
	if (!python || !*python)
		python = "python3";
	argv[n++] = (char *)python;
	argv[n++] = SMTPD;
	argv[n++] = "--port-file";
	argv[n++] = f->port_file;
	argv[n++] = "--pid-file";
	argv[n++] = f->pid_file;
	argv[n++] = "--spool";
	argv[n++] = f->spool;
	if (tls) {
		argv[n++] = "--implicit-tls";
		argv[n++] = "--tls-cert";
		argv[n++] = f->cert;
		argv[n++] = "--tls-key";
		argv[n++] = f->key;
	}
	argv[n] = NULL;
	/* The server's log goes to a file of the fixture, not the output. */
	{
		posix_spawn_file_actions_t fa;
		char *log = util_path_join(f->dir, "smtpd.log");

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 2, log,
						 O_WRONLY | O_CREAT, 0600);
		err = posix_spawnp(&f->pid, python, &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		free(log);
	}
	if (err == ENOENT) {
		f->pid = -1;
		print_message("%s not found: skipped\n", python);
		skip();
	}
	if (err)
		fail_msg("posix_spawnp %s: %s", python, strerror(err));
	for (i = 0; i < STARTUP_SECONDS * 50; i++) {
		f->port = read_port(f->port_file);
		if (f->port > 0)
			return;
		if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
			f->pid = -1;
			fail_msg("%s exited before listening", SMTPD);
		}
		nanosleep(&pause, NULL);
	}
	fail_msg("%s did not start within %d s", SMTPD, STARTUP_SECONDS);
}

/* The MAIL FROM the server recorded for rcpt. */
static char *mail_from_for(const struct fixture *f, const char *rcpt)
{
	DIR *d = opendir(f->spool);
	struct dirent *de;
	char *found = NULL;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && !found) {
		char *p;
		json_t *meta, *tos;
		json_error_t err;

		if (!util_ends_with(de->d_name, ".json"))
			continue;
		p = util_path_join(f->spool, de->d_name);
		meta = json_load_file(p, 0, &err);
		free(p);
		assert_non_null(meta);
		tos = json_object_get(meta, "rcpt_tos");
		if (json_array_size(tos) == 1 &&
		    !strcmp(json_string_value(json_array_get(tos, 0)), rcpt))
			found = xstrdup(json_string_value(
			    json_object_get(meta, "mail_from")));
		json_decref(meta);
	}
	closedir(d);
	if (!found)
		fail_msg("no message to %s in the spool", rcpt);
	return found;
}

static void send_two(struct fixture *f, const char *tls)
{
	static const char msg[] = "From: <digest@example.org>\r\n"
				  "Subject: x\r\n\r\nhello\r\n";
	struct deliver_smtp_config cfg = {0};
	struct deliver_item items[3];
	struct deliver_smtp *s;
	struct errbuf eb = ERRBUF_INIT;
	char *got;
	size_t i;

	cfg.host = "127.0.0.1";
	cfg.port = f->port;
	cfg.tls = tls;
	cfg.tls_verify = 0;
	cfg.user = "";
	cfg.password = "";
	cfg.envelope_from = DEFAULT_FROM;
	cfg.timeout_seconds = 10;
	memset(items, 0, sizeof(items));
	items[0].rcpt = "alice@example.net";
	items[0].envelope_from = VERP_FROM;
	items[1].rcpt = "bob@example.net";
	items[2].rcpt = "carol@example.net";
	items[2].envelope_from = "digest+bounce-carol-fedcba9876543210@"
				 "example.org";
	for (i = 0; i < 3; i++) {
		items[i].tag = "t";
		items[i].data = msg;
		items[i].len = sizeof(msg) - 1;
		items[i].message_id = "<1.2@example.org>";
	}
	if (deliver_smtp_new(&cfg, &s, &eb) < 0)
		fail_msg("%s", eb.msg);
	if (deliver_smtp_send(s, items, 3, NULL, &eb) < 0)
		fail_msg("%s", eb.msg);
	deliver_smtp_free(s);
	for (i = 0; i < 3; i++)
		assert_int_equal(items[i].outcome, DELIVER_SENT);
	got = mail_from_for(f, "alice@example.net");
	assert_string_equal(got, VERP_FROM);
	free(got);
	got = mail_from_for(f, "bob@example.net");
	assert_string_equal(got, DEFAULT_FROM);
	free(got);
	got = mail_from_for(f, "carol@example.net");
	assert_string_equal(got, items[2].envelope_from);
	free(got);
}

static void test_smtp(void **state)
{
	struct fixture *f = *state;

	start_server(f, 0);
	send_two(f, "none");
}

static void test_smtps(void **state)
{
	struct fixture *f = *state;

	start_server(f, 1);
	send_two(f, "implicit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_smtp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_smtps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
