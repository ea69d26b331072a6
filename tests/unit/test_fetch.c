/*
 * Unit tests for fetch, against tests/lib/httpd.py started per test on a
 * free 127.0.0.1 port (run from the repository root): bodies and
 * validators, Retry-After (seconds, HTTP-date, capped), retries running
 * out, the politeness interval across calls, retries and redirects, one
 * kept-alive connection, 4xx without retry, oversized and stalled
 * responses, the URL and redirect policy, conditional GET, the User-Agent.
 * Spacing is asserted from the server's arrival times, not the test's.
 * Skipped, with a message, when no python3 can be run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

#define HTTPD "tests/lib/httpd.py"
#define UA    "paperboy/0.1-test (+mailto:ops@example.org)"
/* The server may take a while to start under a loaded CI machine. */
#define STARTUP_SECONDS 15
/* The server exits by itself after this, should a test die. */
#define SERVER_LIFETIME "90"
/* No test takes 10 s; SIGALRM ends one that hangs. */
#define TEST_SECONDS 30
#define MIB	     ((size_t)1 << 20)

extern char **environ;

static int python_missing;

struct server {
	char dir[64];
	char *script, *log, *port_file, *pid_file;
	pid_t pid;
	int port;
};

static int setup(void **state)
{
	struct server *s = xcalloc(1, sizeof(*s));

	snprintf(s->dir, sizeof(s->dir), "/tmp/test_fetch.XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	s->script = util_path_join(s->dir, "script.json");
	s->log = util_path_join(s->dir, "log");
	s->port_file = util_path_join(s->dir, "port");
	s->pid_file = util_path_join(s->dir, "pid");
	s->pid = -1;
	unsetenv(FETCH_TEST_INTERVAL_ENV);
	/* a wait that never ends is a failure too, not a hung test run */
	alarm(TEST_SECONDS);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;
	char *names[] = {s->script, s->log, s->port_file, s->pid_file};
	size_t i;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		unlink(names[i]);
		free(names[i]);
	}
	rmdir(s->dir);
	alarm(0);
	unsetenv(FETCH_TEST_INTERVAL_ENV);
	free(s);
	return 0;
}

static int read_port(const char *path)
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
	return (int)port;
}

/* Starts the server with `script` (JSON); skips the test without python. */
static void serve(struct server *s, const char *script)
{
	struct errbuf eb = ERRBUF_INIT;
	const char *python = getenv("PYTHON");
	char *argv[] = {
	    NULL,
	    HTTPD,
	    "--port",
	    "0",
	    "--script",
	    s->script,
	    "--log",
	    s->log,
	    "--port-file",
	    s->port_file,
	    "--pid-file",
	    s->pid_file,
	    "--max-seconds",
	    SERVER_LIFETIME,
	    NULL,
	};
	struct timespec pause = {0, 20 * 1000 * 1000};
	int i, status, err;

	if (python_missing)
		skip();
	if (util_write_atomic(s->script, script, strlen(script), 0600, &eb))
		fail_msg("%s", eb.msg);
	if (!python || !*python)
		python = access("/usr/bin/python3", X_OK) == 0
			     ? "/usr/bin/python3"
			     : "python3";
	argv[0] = (char *)python;
	err = posix_spawnp(&s->pid, python, NULL, NULL, argv, environ);
	if (err == ENOENT) {
		python_missing = 1;
		s->pid = -1;
		print_message("test_fetch: %s not found, skipping the "
			      "tests that need the test HTTP server\n",
			      python);
		skip();
	}
	if (err)
		fail_msg("posix_spawnp %s: %s", python, strerror(err));
	for (i = 0; i < STARTUP_SECONDS * 50; i++) {
		s->port = read_port(s->port_file);
		if (s->port > 0)
			return;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			fail_msg("%s exited before listening (status %d)",
				 HTTPD, status);
		}
		nanosleep(&pause, NULL);
	}
	fail_msg("%s did not start within %d s", HTTPD, STARTUP_SECONDS);
}

static char *url_for(const struct server *s, const char *path)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "http://127.0.0.1:%d%s", s->port, path);
	return buf_detach(&b, NULL);
}

/* The server's log: a JSON array of its request records. */
static json_t *server_log(const struct server *s)
{
	struct errbuf eb = ERRBUF_INIT;
	json_t *log = json_array();
	struct buf b;
	const char *p;

	buf_init(&b, 16 * MIB);
	if (util_read_file(s->log, &b, &eb) < 0) {
		buf_release(&b);
		return log; /* no request arrived yet: no file */
	}
	for (p = buf_str(&b); *p;) {
		const char *nl = strchr(p, '\n');
		json_error_t err;
		json_t *rec;

		if (!nl)
			fail_msg("log line not terminated: %s", p);
		rec = json_loadb(p, (size_t)(nl - p), 0, &err);
		if (!rec)
			fail_msg("log line unreadable: %s", err.text);
		json_array_append_new(log, rec);
		p = nl + 1;
	}
	buf_release(&b);
	return log;
}

static double arrival(json_t *log, size_t i)
{
	json_t *t = json_object_get(json_array_get(log, i), "time");

	assert_true(json_is_number(t));
	return json_number_value(t);
}

/* A request header as the server received it, or NULL. */
static const char *received(json_t *log, size_t i, const char *name)
{
	json_t *h = json_object_get(json_array_get(log, i), "headers");

	return json_string_value(json_object_get(h, name));
}

static const char *log_path(json_t *log, size_t i)
{
	return json_string_value(
	    json_object_get(json_array_get(log, i), "path"));
}

/* Fails unless request i arrived at least `want` seconds after i-1. */
static double assert_gap(json_t *log, size_t i, double want)
{
	double gap = arrival(log, i) - arrival(log, i - 1);

	if (gap < want)
		fail_msg("request %zu arrived %.3f s after request %zu, "
			 "want >= %.3f s",
			 i, gap, i - 1, want);
	return gap;
}

/* A quick configuration: small backoff, no politeness interval. */
static void test_config(struct fetch_config *cfg)
{
	fetch_config_init(cfg);
	cfg->user_agent = UA;
	cfg->connect_timeout_s = 5;
	cfg->total_timeout_s = 20;
	cfg->stall_timeout_s = 5;
	cfg->max_bytes = MIB;
	cfg->max_tries = 3;
	cfg->backoff_ms = 20;
	cfg->max_retry_after_s = 10;
	cfg->min_interval_ms = 0;
}

static struct fetcher *new_fetcher(const struct fetch_config *cfg)
{
	struct errbuf eb = ERRBUF_INIT;
	struct fetcher *f = NULL;

	if (fetch_new(cfg, &f, &eb) < 0)
		fail_msg("fetch_new: %s", eb.msg);
	return f;
}

/* fetch_get that must succeed. */
static void get_ok(struct fetcher *f, const char *url,
		   const struct fetch_cache_meta *meta,
		   struct fetch_response *res)
{
	struct errbuf eb = ERRBUF_INIT;

	if (fetch_get(f, url, meta, res, &eb) < 0)
		fail_msg("fetch_get %s: %s", url, eb.msg);
}

/* fetch_get that must fail with a message containing `want`. */
static void get_fails(struct fetcher *f, const char *url,
		      struct fetch_response *res, const char *want)
{
	struct errbuf eb = ERRBUF_INIT;

	if (fetch_get(f, url, NULL, res, &eb) == 0)
		fail_msg("fetch_get %s succeeded (HTTP %ld), want \"%s\"", url,
			 res->status, want);
	if (!strstr(eb.msg, want))
		fail_msg("fetch_get %s: \"%s\", want \"%s\"", url, eb.msg,
			 want);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_body_and_validators(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url;
	json_t *log;

	serve(s, "{\"/rss/cs.LG+cs.CL\": [{\"status\": 200, "
		 "\"body\": \"<rss>caf\\u00e9</rss>\", \"headers\": "
		 "{\"ETag\": \"\\\"v1\\\"\", "
		 "\"Last-Modified\": \"Tue, 30 Dec 2025 01:00:00 GMT\"}}]}");
	test_config(&cfg);
	f = new_fetcher(&cfg);
	url = url_for(s, "/rss/cs.LG+cs.CL");
	get_ok(f, url, NULL, &res);
	assert_int_equal(res.status, 200);
	assert_string_equal(buf_str(&res.body), "<rss>caf\xc3\xa9</rss>");
	assert_int_equal(res.body.len, strlen("<rss>caf\xc3\xa9</rss>"));
	assert_string_equal(res.etag, "\"v1\"");
	assert_string_equal(res.last_modified, "Tue, 30 Dec 2025 01:00:00 GMT");
	assert_string_equal(res.url, url);
	assert_int_equal(res.not_modified, 0);
	assert_int_equal(res.tries, 1);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 1);
	assert_string_equal(log_path(log, 0), "/rss/cs.LG+cs.CL");
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_user_agent(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url;
	json_t *log;

	serve(s, "{\"/ua\": [{\"body\": \"ok\"}]}");
	test_config(&cfg);
	f = new_fetcher(&cfg);
	url = url_for(s, "/ua");
	get_ok(f, url, NULL, &res);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 1);
	assert_non_null(received(log, 0, "User-Agent"));
	assert_string_equal(received(log, 0, "User-Agent"), UA);
	/* nothing conditional was asked for */
	assert_null(received(log, 0, "If-None-Match"));
	assert_null(received(log, 0, "If-Modified-Since"));
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_503_retry_after_then_200(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url;
	json_t *log;
	double gap;

	serve(s, "{\"/rss\": [{\"status\": 503, \"headers\": "
		 "{\"Retry-After\": \"2\"}, \"body\": \"busy\"}, "
		 "{\"status\": 200, \"body\": \"fresh\"}]}");
	test_config(&cfg);
	f = new_fetcher(&cfg);
	url = url_for(s, "/rss");
	get_ok(f, url, NULL, &res);
	assert_int_equal(res.status, 200);
	assert_string_equal(buf_str(&res.body), "fresh");
	assert_int_equal(res.tries, 2);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 2);
	gap = assert_gap(log, 1, 2.0);
	/* the server's 2 s, not a backoff of its own on top */
	assert_true(gap < 3.5);
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_retry_after_http_date(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url;
	json_t *log;

	/* Retry-After: the HTTP-date 1 s after the next whole second */
	serve(s, "{\"/d\": [{\"status\": 429, \"retry_after_date\": 1}, "
		 "{\"body\": \"ok\"}]}");
	test_config(&cfg);
	f = new_fetcher(&cfg);
	url = url_for(s, "/d");
	get_ok(f, url, NULL, &res);
	assert_int_equal(res.tries, 2);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 2);
	assert_gap(log, 1, 1.0);
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_retry_after_capped(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url;
	json_t *log;
	double gap;

	serve(s, "{\"/c\": [{\"status\": 503, \"headers\": "
		 "{\"Retry-After\": \"3600\"}}, {\"body\": \"ok\"}]}");
	test_config(&cfg);
	cfg.max_retry_after_s = 1;
	f = new_fetcher(&cfg);
	url = url_for(s, "/c");
	get_ok(f, url, NULL, &res);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 2);
	gap = assert_gap(log, 1, 1.0);
	if (gap > 3.0)
		fail_msg("waited %.3f s: Retry-After not capped at 1 s", gap);
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_429_until_tries_run_out(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url, want[256];
	json_t *log;
	size_t i;

	serve(s, "{\"/rss\": [{\"status\": 429, \"body\": \"slow down\"}]}");
	test_config(&cfg);
	cfg.max_tries = 5;
	cfg.backoff_ms = 50;
	f = new_fetcher(&cfg);
	url = url_for(s, "/rss");
	snprintf(want, sizeof(want),
		 "%s: HTTP 429 Too Many Requests after 5 tries", url);
	get_fails(f, url, &res, want);
	assert_int_equal(res.temporary, 1);
	assert_int_equal(res.status, 429);
	assert_int_equal(res.tries, 5);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 5);
	/* exponential: try k waits backoff * 2^(k-1), -25% at worst */
	for (i = 1; i < 5; i++)
		assert_gap(log, i, 0.75 * 0.050 * (double)(1 << (i - 1)));
	assert_true(arrival(log, 4) - arrival(log, 3) >
		    2 * (arrival(log, 1) - arrival(log, 0)));
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_politeness_between_calls(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	json_t *log, *port0;
	char *url;
	size_t i;

	serve(s, "{\"/rss\": [{\"body\": \"feed\"}]}");
	test_config(&cfg);
	cfg.min_interval_ms = 0; /* the variable must replace this */
	setenv(FETCH_TEST_INTERVAL_ENV, "300", 1);
	f = new_fetcher(&cfg);
	url = url_for(s, "/rss");
	for (i = 0; i < 3; i++) {
		get_ok(f, url, NULL, &res);
		fetch_response_release(&res);
	}
	log = server_log(s);
	assert_int_equal(json_array_size(log), 3);
	port0 = json_object_get(json_array_get(log, 0), "client_port");
	for (i = 1; i < 3; i++) {
		double ratio = (arrival(log, i) - arrival(log, i - 1)) / 0.300;

		if (ratio < 1.0)
			fail_msg("gap/interval = %.3f for request %zu", ratio,
				 i);
		/* one connection, kept alive */
		assert_true(
		    json_equal(port0, json_object_get(json_array_get(log, i),
						      "client_port")));
	}
	json_decref(log);
	fetch_free(f);
	free(url);
}

static void test_politeness_retries_redirects(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	json_t *log;
	char *url, *final;
	size_t i;

	serve(s, "{\"/old\": [{\"status\": 301, \"headers\": "
		 "{\"Location\": \"/new\"}}], "
		 "\"/new\": [{\"status\": 503}, {\"body\": \"moved\"}]}");
	test_config(&cfg);
	cfg.backoff_ms = 0;
	setenv(FETCH_TEST_INTERVAL_ENV, "300", 1);
	f = new_fetcher(&cfg);
	url = url_for(s, "/old");
	final = url_for(s, "/new");
	get_ok(f, url, NULL, &res);
	assert_string_equal(buf_str(&res.body), "moved");
	assert_string_equal(res.url, final);
	assert_int_equal(res.tries, 2);
	assert_int_equal(res.requests, 3);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 3);
	assert_string_equal(log_path(log, 0), "/old");
	assert_string_equal(log_path(log, 1), "/new");
	for (i = 1; i < 3; i++)
		assert_gap(log, i, 0.300);
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
	free(final);
}

static void test_404_not_retried(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url, want[256];
	json_t *log;

	serve(s, "{\"/gone\": [{\"status\": 404}, {\"body\": \"late\"}]}");
	test_config(&cfg);
	cfg.max_tries = 5;
	f = new_fetcher(&cfg);
	url = url_for(s, "/gone");
	snprintf(want, sizeof(want), "%s: HTTP 404 Not Found", url);
	get_fails(f, url, &res, want);
	assert_int_equal(res.temporary, 0);
	assert_int_equal(res.status, 404);
	assert_int_equal(res.tries, 1);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 1);
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

/* max_buffered: how much of the body may have been read before the
 * refusal. */
static void check_too_big(struct server *s, const char *script,
			  size_t max_buffered)
{
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url, want[256];
	json_t *log;

	serve(s, script);
	test_config(&cfg);
	cfg.max_bytes = 32 * MIB;
	f = new_fetcher(&cfg);
	url = url_for(s, "/big");
	snprintf(want, sizeof(want), "%s: response larger than %zu bytes", url,
		 32 * MIB);
	get_fails(f, url, &res, want);
	assert_int_equal(res.temporary, 0);
	if (res.body.len > max_buffered)
		fail_msg("%zu bytes buffered, want at most %zu", res.body.len,
			 max_buffered);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 1); /* not retried */
	json_decref(log);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_50mb_with_length(void **state)
{
	/* the announced length is refused before any of the body is read */
	check_too_big(*state, "{\"/big\": [{\"size\": 52428800}]}", 0);
}

static void test_50mb_chunked(void **state)
{
	/* no Content-Length: only the write callback can stop this */
	check_too_big(*state,
		      "{\"/big\": [{\"size\": 52428800, \"chunked\": true}]}",
		      32 * MIB);
}

static void test_stall(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	double start, took;
	char *url;

	serve(s, "{\"/stall\": [{\"size\": 100, \"stall\": 30}]}");
	test_config(&cfg);
	cfg.stall_timeout_s = 2;
	cfg.max_tries = 1;
	f = new_fetcher(&cfg);
	url = url_for(s, "/stall");
	start = now_s();
	get_fails(f, url, &res, "stalled: less than 1 byte/s for 2 s");
	took = now_s() - start;
	if (took < 1.5 || took > 4.0)
		fail_msg("stall detected after %.3f s, want about 2 s", took);
	assert_int_equal(res.temporary, 1);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_stall_retried(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char *url;

	serve(s,
	      "{\"/s\": [{\"size\": 10, \"stall\": 30}, {\"body\": \"ok\"}]}");
	test_config(&cfg);
	cfg.stall_timeout_s = 1;
	cfg.max_tries = 2;
	f = new_fetcher(&cfg);
	url = url_for(s, "/s");
	get_ok(f, url, NULL, &res);
	assert_string_equal(buf_str(&res.body), "ok");
	assert_int_equal(res.tries, 2);
	fetch_response_release(&res);
	fetch_free(f);
	free(url);
}

static void test_refused_urls(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	struct buf b = BUF_INIT;
	json_t *log;
	size_t i;
	/* URL = head, then the server's port and tail when tail is set. The
	 * IPv4-mapped address reaches the server if the policy lets it
	 * through; the server's log shows it did not. */
	const struct {
		const char *head, *tail;
	} urls[] = {
	    {"http://[::ffff:127.0.0.1]:", "/x"},
	    {"http://example.org/", NULL},
	    {"ftp://127.0.0.1:", "/x"},
	    {"file:///etc/passwd", NULL},
	    {"http://127.0.0.1.example.org:", "/x"},
	    {"http://127.0.0.1:", "/x\r\nX-Injected: 1"},
	    {"127.0.0.1:", "/x"},
	    {"", NULL},
	};

	serve(s, "{\"/x\": [{\"body\": \"should not be fetched\"}]}");
	test_config(&cfg);
	f = new_fetcher(&cfg);
	for (i = 0; i < ARRAY_SIZE(urls); i++) {
		buf_reset(&b);
		buf_addstr(&b, urls[i].head);
		if (urls[i].tail)
			buf_addf(&b, "%d%s", s->port, urls[i].tail);
		get_fails(f, buf_str(&b), &res, ": only https is allowed");
		assert_int_equal(res.temporary, 0);
		assert_int_equal(res.requests, 0);
		fetch_response_release(&res);
	}
	log = server_log(s);
	assert_int_equal(json_array_size(log), 0);
	json_decref(log);
	buf_release(&b);
	fetch_free(f);
}

static void test_redirect_policy(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	json_t *log;
	char *url;

	serve(s, "{\"/r1\": [{\"status\": 302, \"headers\": {\"Location\": "
		 "\"http://[::ffff:127.0.0.1]:1/x\"}}], "
		 "\"/r2\": [{\"status\": 307, \"headers\": {\"Location\": "
		 "\"http://example.org/\"}}], "
		 "\"/loop\": [{\"status\": 302, \"headers\": {\"Location\": "
		 "\"/loop\"}}], "
		 "\"/noloc\": [{\"status\": 302}]}");
	test_config(&cfg);
	cfg.max_redirects = 3;
	f = new_fetcher(&cfg);

	url = url_for(s, "/r1");
	get_fails(f, url, &res,
		  "redirect to http://[::ffff:127.0.0.1]:1/x refused: only "
		  "https is allowed");
	fetch_response_release(&res);
	free(url);
	url = url_for(s, "/r2");
	get_fails(f, url, &res, "redirect to http://example.org/ refused");
	fetch_response_release(&res);
	free(url);
	url = url_for(s, "/loop");
	get_fails(f, url, &res, "more than 3 redirects");
	assert_int_equal(res.temporary, 0);
	assert_int_equal(res.requests, 4);
	fetch_response_release(&res);
	free(url);
	url = url_for(s, "/noloc");
	get_fails(f, url, &res, "HTTP 302 Found without a Location");
	fetch_response_release(&res);
	free(url);

	log = server_log(s);
	/* r1, r2, loop x4, noloc: no refused hop was requested */
	assert_int_equal(json_array_size(log), 7);
	json_decref(log);
	fetch_free(f);
}

static void test_conditional_get(void **state)
{
	struct server *s = *state;
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetch_cache_meta meta;
	struct fetcher *f;
	json_t *log;
	char *url;

	serve(s, "{\"/etag\": [{\"body\": \"x\", \"headers\": "
		 "{\"ETag\": \"\\\"v1\\\"\", "
		 "\"Last-Modified\": \"Tue, 30 Dec 2025 01:00:00 GMT\"}}, "
		 "{\"status\": 304, \"if_none_match\": \"\\\"v1\\\"\", "
		 "\"if_modified_since\": \"Tue, 30 Dec 2025 01:00:00 GMT\"}]}");
	test_config(&cfg);
	f = new_fetcher(&cfg);
	url = url_for(s, "/etag");
	get_ok(f, url, NULL, &res);
	assert_int_equal(res.not_modified, 0);
	assert_string_equal(buf_str(&res.body), "x");
	assert_non_null(res.etag);
	assert_non_null(res.last_modified);
	meta.etag = xstrdup(res.etag);
	meta.last_modified = xstrdup(res.last_modified);
	fetch_response_release(&res);

	get_ok(f, url, &meta, &res);
	assert_int_equal(res.status, 304);
	assert_int_equal(res.not_modified, 1);
	assert_int_equal(res.body.len, 0);
	assert_int_equal(res.tries, 1);
	log = server_log(s);
	assert_int_equal(json_array_size(log), 2);
	assert_string_equal(received(log, 1, "If-None-Match"), "\"v1\"");
	assert_string_equal(received(log, 1, "If-Modified-Since"),
			    "Tue, 30 Dec 2025 01:00:00 GMT");
	json_decref(log);
	fetch_response_release(&res);
	free((char *)meta.etag);
	free((char *)meta.last_modified);
	fetch_free(f);
	free(url);
}

/* A port nothing listens on: bound, read, closed. */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_connection_refused_retried(void **state)
{
	struct fetch_config cfg;
	struct fetch_response res;
	struct fetcher *f;
	char url[64];

	test_config(&cfg);
	cfg.max_tries = 2;
	f = new_fetcher(&cfg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
	get_fails(f, url, &res, "after 2 tries");
	assert_int_equal(res.temporary, 1);
	assert_int_equal(res.tries, 2);
	assert_int_equal(res.status, 0);
	fetch_response_release(&res);
	fetch_free(f);
}

static void test_bad_config(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct fetch_config cfg;
	struct fetcher *f = NULL;

	test_config(&cfg);
	cfg.user_agent = NULL;
	assert_int_equal(fetch_new(&cfg, &f, &eb), -1);
	assert_null(f);
	assert_non_null(strstr(eb.msg, "User-Agent"));

	test_config(&cfg);
	cfg.user_agent = "paperboy\r\nX-Injected: 1";
	assert_int_equal(fetch_new(&cfg, &f, &eb), -1);

	test_config(&cfg);
	cfg.max_tries = 0;
	assert_int_equal(fetch_new(&cfg, &f, &eb), -1);
	assert_non_null(strstr(eb.msg, "max_tries"));

	test_config(&cfg);
	setenv(FETCH_TEST_INTERVAL_ENV, "3s", 1);
	assert_int_equal(fetch_new(&cfg, &f, &eb), -1);
	assert_non_null(strstr(eb.msg, FETCH_TEST_INTERVAL_ENV));
	assert_null(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_body_and_validators),
	    T(test_user_agent),
	    T(test_503_retry_after_then_200),
	    T(test_retry_after_http_date),
	    T(test_retry_after_capped),
	    T(test_429_until_tries_run_out),
	    T(test_politeness_between_calls),
	    T(test_politeness_retries_redirects),
	    T(test_404_not_retried),
	    T(test_50mb_with_length),
	    T(test_50mb_chunked),
	    T(test_stall),
	    T(test_stall_retried),
	    T(test_refused_urls),
	    T(test_redirect_policy),
	    T(test_conditional_get),
	    T(test_connection_refused_retried),
	    T(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
