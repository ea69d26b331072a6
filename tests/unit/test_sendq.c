/*
 * test_sendq: serve's confirmation mails on their own thread (sendq.h).
 * Through the outbox every queued mail is sent and reported; against a
 * relay that accepts the connection and never greets, a full queue
 * refuses the next mail, and stopping lets the mail in flight time out
 * and drops the queued one, every request of a mail not sent removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "optin.h"
#include "sendq.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"
#include "banned.h"

/* How long a test waits for the mailer thread at most (ms). */
#define WAIT_MS 10000

struct fixture {
	char dir[64];
	struct conf conf;
	struct token_key key;
	int listener; /* the silent relay's socket, or -1 */
	pthread_mutex_t mu;
	int sent, failed, stopped;
	char last[256];
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = util_path_join(dir, name);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(p);
}

/* A socket that listens on 127.0.0.1 and never accepts: a connection
 * completes in the backlog and waits for a greeting that never comes. */
static int silent_relay(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static int setup_with(void **state, int smtp)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct errbuf eb = ERRBUF_INIT;
	char delivery[256], *cfg, *text;
	int port = 0;

	f->listener = -1;
	pthread_mutex_init(&f->mu, NULL);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_sendq.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (smtp) {
		f->listener = silent_relay(&port);
		if (f->listener < 0)
			return -1;
		snprintf(delivery, sizeof(delivery),
			 "delivery = { method = \"smtp\"; smtp = { host = "
			 "\"127.0.0.1\"; port = %d; tls = \"none\"; "
			 "timeout = 2; }; };\n", port);
	} else {
		snprintf(delivery, sizeof(delivery),
			 "delivery = { method = \"outbox\"; };\n");
	}
	text = xstrdup("list = { name = \"Test\"; id = \"digest.example.org\"; "
		       "from = \"Paperboy <digest@example.org>\"; "
		       "contact = \"owner@example.org\"; "
		       "base_url = \"https://digest.example.org\"; };\n");
	{
		struct buf b = BUF_INIT;

		buf_addf(&b, "%s%s", text, delivery);
		write_file(f->dir, "paperboy.cfg", buf_str(&b));
		buf_release(&b);
	}
	free(text);
	cfg = util_path_join(f->dir, "paperboy.cfg");
	if (conf_load(cfg, &f->conf, &eb) < 0 ||
	    token_load_key(f->conf.secret_file, &f->key, &eb) < 0) {
		fprintf(stderr, "%s\n", eb.msg);
		free(cfg);
		return -1;
	}
	free(cfg);
	*state = f;
	return 0;
}

static int setup_outbox(void **state)
{
	return setup_with(state, 0);
}

static int setup_relay(void **state)
{
	return setup_with(state, 1);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->listener >= 0)
		close(f->listener);
	remove_tree(f->dir);
	conf_release(&f->conf);
	pthread_mutex_destroy(&f->mu);
	free(f);
	return 0;
}

/* sendq_done_fn: counts, on the mailer thread. */
static void done(void *ctx, const char *rcpt, const char *note, int ok,
		 const char *what)
{
	struct fixture *f = ctx;

	pthread_mutex_lock(&f->mu);
	if (ok)
		f->sent++;
	else if (strstr(what, "stopped"))
		f->stopped++;
	else
		f->failed++;
	snprintf(f->last, sizeof(f->last), "%s %s %s", rcpt, note, what);
	pthread_mutex_unlock(&f->mu);
}

static int reported(struct fixture *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->sent + f->failed + f->stopped;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* Waits until done was called n times; 0, or -1 after WAIT_MS. */
static int wait_reported(struct fixture *f, int n)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 10) {
		if (reported(f) >= n)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static struct optin_mail *prepare(struct fixture *f, const char *email)
{
	struct errbuf eb = ERRBUF_INIT;
	struct optin_sent sent;
	struct optin_mail *m = NULL;

	assert_int_equal(optin_prepare(&f->conf, &f->key, email, "", 1000000,
				       &m, &sent, &eb), 0);
	assert_non_null(m);
	assert_string_equal(optin_mail_rcpt(m), email);
	optin_sent_release(&sent);
	return m;
}

static void test_outbox_all_sent(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct sendq *q;
	char *outbox = util_path_join(f->conf.outbox_dir, "new");
	char *pending = util_path_join(f->conf.state_dir, "pending");

	assert_int_equal(sendq_start(&f->conf, 4, done, f, &q, &eb), 0);
	assert_int_equal(sendq_push(q, prepare(f, "a@example.org"), "1.2.3.4",
				    &eb), 0);
	assert_int_equal(sendq_push(q, prepare(f, "b@example.org"), "1.2.3.4",
				    &eb), 0);
	assert_int_equal(sendq_push(q, prepare(f, "c@example.org"), "5.6.7.8",
				    &eb), 0);
	assert_int_equal(wait_reported(f, 3), 0);
	sendq_stop(q);
	assert_int_equal(f->sent, 3);
	assert_int_equal(f->failed + f->stopped, 0);
	assert_non_null(strstr(f->last, "c@example.org 5.6.7.8 "));
	assert_int_equal(count_files(outbox), 3);
	assert_int_equal(count_files(pending), 3);
	free(outbox);
	free(pending);
}

static void test_relay_full_and_stop(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	char *pending = util_path_join(f->conf.state_dir, "pending");
	struct optin_mail *a = prepare(f, "a@example.org");
	struct optin_mail *b = prepare(f, "b@example.org");
	struct optin_mail *c = prepare(f, "c@example.org");
	struct pollfd pfd;
	struct sendq *q;
	int conn;

	/* All three are prepared first: between the mailer's connection and
	 * the last push, the relay's timeout must not run out. */
	assert_int_equal(sendq_start(&f->conf, 1, done, f, &q, &eb), 0);
	assert_int_equal(sendq_push(q, a, "x", &eb), 0);
	/* The mailer has taken a@ when it connects; it waits for the
	 * greeting (never sent) while the test goes on. */
	pfd.fd = f->listener;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	conn = accept(f->listener, NULL, NULL);
	assert_true(conn >= 0);
	assert_int_equal(sendq_push(q, b, "x", &eb), 0);
	assert_int_equal(sendq_push(q, c, "x", &eb), -1);
	assert_int_equal(eb.kind, ERRBUF_TEMP);
	optin_mail_free(c, 1);
	assert_int_equal(count_files(pending), 2);
	assert_int_equal(reported(f), 0);
	sendq_stop(q);
	assert_int_equal(f->sent, 0);
	assert_int_equal(f->failed, 1);  /* a@: no greeting in time */
	assert_int_equal(f->stopped, 1); /* b@: dropped */
	assert_non_null(strstr(f->last, "b@example.org x not sent"));
	assert_int_equal(count_files(pending), 0);
	close(conn);
	free(pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outbox_all_sent,
						setup_outbox, teardown),
		cmocka_unit_test_setup_teardown(test_relay_full_and_stop,
						setup_relay, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
