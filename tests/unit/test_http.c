/*
 * Unit tests for http: a real server on a loopback port, spoken to over
 * plain sockets, and a handler that records what it was handed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http.h"
#include "banned.h"

struct seen {
	int calls;
	char method[16];
	char path[64];
	char s[512];
	char t[512];
	int has_s, has_t;
	int one_click;
	char client[64];
};

static struct seen seen;

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void record(void *ctx, const struct http_request *req,
		   struct http_reply *reply)
{
	seen.calls++;
	copy(seen.method, sizeof(seen.method), req->method);
	copy(seen.path, sizeof(seen.path), req->path);
	copy(seen.s, sizeof(seen.s), req->s);
	copy(seen.t, sizeof(seen.t), req->t);
	seen.has_s = req->s != NULL;
	seen.has_t = req->t != NULL;
	seen.one_click = req->one_click;
	copy(seen.client, sizeof(seen.client), req->client);
	reply->status = 200;
	buf_addstr(&reply->body, "<p>hello & welcome</p>");
}

static const char *const paths[] = { "/unsubscribe", "/resubscribe", NULL };

static struct http_server *start(struct http_config *cfg)
{
	struct errbuf eb = ERRBUF_INIT;
	struct http_server *srv = NULL;

	cfg->paths = paths;
	cfg->port = 0;
	assert_int_equal(http_start(cfg, record, NULL, &srv, &eb), 0);
	assert_non_null(srv);
	assert_true(http_port(srv) > 0);
	memset(&seen, 0, sizeof(seen));
	return srv;
}

static struct http_server *start_default(void)
{
	struct http_config cfg;

	http_config_init(&cfg);
	return start(&cfg);
}

/* Sends req (len bytes) from source address src and returns the whole
 * answer (the server closes: every request says Connection: close). */
static char *exchange_from(struct http_server *srv, const char *src,
			   const char *req, size_t len)
{
	struct sockaddr_in a;
	struct timeval tv = { 5, 0 };
	size_t got = 0, alloc = 65536;
	char *out = calloc(1, alloc + 1);
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, src, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_port = htons((uint16_t)http_port(srv));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (len)
		assert_int_equal(send(fd, req, len, MSG_NOSIGNAL),
				 (ssize_t)len);
	while (got < alloc && (n = recv(fd, out + got, alloc - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	return out;
}

static char *exchange(struct http_server *srv, const char *req)
{
	return exchange_from(srv, "127.0.0.1", req, strlen(req));
}

static int status_of(const char *resp)
{
	int code = 0;

	if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
		return -1;
	return code;
}

static void assert_status(const char *resp, int code)
{
	if (status_of(resp) != code)
		fail_msg("expected %d, got:\n%s", code, resp);
}

static void get_collects_query_parameters(void **state)
{
	struct http_server *srv = start_default();
	char *r = exchange(srv, "GET /unsubscribe?s=alice&t=abc%2Bdef HTTP/1.1"
				"\r\nHost: x\r\nConnection: close\r\n\r\n");

	assert_status(r, 200);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.method, "GET");
	assert_string_equal(seen.path, "/unsubscribe");
	assert_string_equal(seen.s, "alice");
	assert_string_equal(seen.t, "abc+def");
	assert_false(seen.one_click);
	assert_string_equal(seen.client, "127.0.0.1");
	assert_non_null(strstr(r, "<p>hello & welcome</p>"));
	free(r);
	http_close(srv);
}

static void every_reply_has_the_security_headers(void **state)
{
	struct http_server *srv = start_default();
	const char *reqs[] = {
		"GET /unsubscribe HTTP/1.1\r\nHost: x\r\nConnection: close"
		"\r\n\r\n",
		"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"PUT /unsubscribe HTTP/1.1\r\nHost: x\r\nConnection: close"
		"\r\n\r\n",
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		char *r = exchange(srv, reqs[i]);

		assert_non_null(strstr(r, "\r\nContent-Type: text/html; "
					  "charset=utf-8\r\n"));
		assert_non_null(strstr(r, "\r\nCache-Control: no-store\r\n"));
		assert_non_null(
			strstr(r, "\r\nX-Content-Type-Options: nosniff\r\n"));
		assert_non_null(strstr(r, "\r\nReferrer-Policy: no-referrer"
					  "\r\n"));
		assert_non_null(strstr(r, "\r\nContent-Security-Policy: "
					  "default-src 'none'; style-src "
					  "'unsafe-inline'; form-action "
					  "'self'"));
		assert_null(strstr(r, "Location:"));
		free(r);
	}
	http_close(srv);
}

static void post_urlencoded_one_click(void **state)
{
	struct http_server *srv = start_default();
	char *r = exchange(srv, "POST /unsubscribe?s=bob&t=tok HTTP/1.1\r\n"
				"Host: x\r\nConnection: close\r\n"
				"Content-Type: application/x-www-form-"
				"urlencoded\r\nContent-Length: 26\r\n\r\n"
				"List-Unsubscribe=One-Click");

	assert_status(r, 200);
	assert_string_equal(seen.method, "POST");
	assert_string_equal(seen.s, "bob");
	assert_string_equal(seen.t, "tok");
	assert_true(seen.one_click);
	free(r);
	http_close(srv);
}

static void post_multipart_fields(void **state)
{
	struct http_server *srv = start_default();
	const char *body =
		"--XyZ\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\n"
		"carol\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
		"T0k-_\r\n"
		"--XyZ\r\nContent-Disposition: form-data; "
		"name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
	char req[1024];
	char *r;

	snprintf(req, sizeof(req),
		 "POST /resubscribe HTTP/1.1\r\nHost: x\r\nConnection: close"
		 "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	r = exchange(srv, req);
	assert_status(r, 200);
	assert_string_equal(seen.path, "/resubscribe");
	assert_string_equal(seen.s, "carol");
	assert_string_equal(seen.t, "T0k-_");
	assert_true(seen.one_click);
	free(r);
	http_close(srv);
}

/* Found by fuzz_http: a part with no name reached the field callback
 * with no key at all. */
static void multipart_part_without_a_name(void **state)
{
	struct http_server *srv = start_default();
	const char *body =
		"--XyZ\r\nContent-Disposition: form-data\r\n\r\nxx\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\n"
		"dave\r\n--XyZ--\r\n";
	char req[1024];
	char *r;

	snprintf(req, sizeof(req),
		 "POST /unsubscribe HTTP/1.1\r\nHost: x\r\nConnection: close"
		 "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	r = exchange(srv, req);
	assert_status(r, 200);
	assert_string_equal(seen.s, "dave");
	free(r);
	http_close(srv);
}

static void other_one_click_values_do_not_count(void **state)
{
	struct http_server *srv = start_default();
	char *r = exchange(srv, "POST /unsubscribe HTTP/1.1\r\nHost: x\r\n"
				"Connection: close\r\nContent-Type: "
				"application/x-www-form-urlencoded\r\n"
				"Content-Length: 26\r\n\r\n"
				"List-Unsubscribe=one-click");

	assert_status(r, 200);
	assert_false(seen.one_click);
	free(r);
	http_close(srv);
}

static void conflicting_or_repeated_parameters(void **state)
{
	struct http_server *srv = start_default();
	char *r;

	/* query and body disagree */
	r = exchange(srv, "POST /unsubscribe?s=a&t=1 HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\nContent-Type: application/"
			  "x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\n"
			  "s=b");
	assert_status(r, 200);
	assert_false(seen.has_s);
	assert_string_equal(seen.t, "1");
	free(r);
	/* query and body agree */
	r = exchange(srv, "POST /unsubscribe?s=a HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\nContent-Type: application/"
			  "x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\n"
			  "s=a");
	assert_true(seen.has_s);
	assert_string_equal(seen.s, "a");
	free(r);
	/* twice in the query */
	r = exchange(srv, "GET /unsubscribe?s=a&s=b&t=x HTTP/1.1\r\n"
			  "Host: x\r\nConnection: close\r\n\r\n");
	assert_false(seen.has_s);
	assert_true(seen.has_t);
	free(r);
	/* twice in the body */
	r = exchange(srv, "POST /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\nContent-Type: application/"
			  "x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n"
			  "t=a&t=a");
	assert_false(seen.has_t);
	free(r);
	http_close(srv);
}

static void overlong_and_nul_values_are_dropped(void **state)
{
	struct http_server *srv = start_default();
	char req[2048];
	char longval[HTTP_MAX_PARAM + 2];
	char *r;

	memset(longval, 'a', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	snprintf(req, sizeof(req),
		 "GET /unsubscribe?s=%s&t=ok HTTP/1.1\r\nHost: x\r\n"
		 "Connection: close\r\n\r\n",
		 longval);
	r = exchange(srv, req);
	assert_status(r, 200);
	assert_false(seen.has_s);
	assert_true(seen.has_t);
	free(r);
	r = exchange(srv, "GET /unsubscribe?s=ab%00cd&t=ok HTTP/1.1\r\n"
			  "Host: x\r\nConnection: close\r\n\r\n");
	assert_string_equal(seen.s, "ab%00cd");
	free(r);
	r = exchange(srv, "POST /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\nContent-Type: application/"
			  "x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\n"
			  "s=ab%00cd");
	assert_false(seen.has_s);
	free(r);
	http_close(srv);
}

static void only_get_head_post(void **state)
{
	struct http_server *srv = start_default();
	const char *methods[] = { "PUT", "DELETE", "OPTIONS", "PATCH",
				  "TRACE", "BREW" };
	char req[256];
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		char *r;

		snprintf(req, sizeof(req),
			 "%s /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			 "Connection: close\r\nContent-Length: 0\r\n\r\n",
			 methods[i]);
		r = exchange(srv, req);
		assert_status(r, 405);
		assert_non_null(strstr(r, "\r\nAllow: GET, HEAD, POST\r\n"));
		free(r);
	}
	assert_int_equal(seen.calls, 0);
	http_close(srv);
}

static void head_has_no_body(void **state)
{
	struct http_server *srv = start_default();
	char *r = exchange(srv, "HEAD /unsubscribe HTTP/1.1\r\nHost: x\r\n"
				"Connection: close\r\n\r\n");

	assert_status(r, 200);
	assert_string_equal(seen.method, "HEAD");
	assert_non_null(strstr(r, "Content-Length: 22\r\n"));
	assert_null(strstr(r, "hello"));
	free(r);
	http_close(srv);
}

static void unknown_and_odd_paths_are_404(void **state)
{
	struct http_server *srv = start_default();
	const char *p[] = { "/", "/../etc/passwd", "/unsubscribe/",
			    "/unsubscribe/../unsubscribe", "/UNSUBSCRIBE",
			    "/unsubscribe%00", "//unsubscribe",
			    "http://x/unsubscribe", "*" };
	char req[256];
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		char *r;

		snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close"
			 "\r\n\r\n",
			 p[i]);
		r = exchange(srv, req);
		if (status_of(r) != 404 && status_of(r) != 400)
			fail_msg("%s: %s", p[i], r);
		free(r);
	}
	assert_int_equal(seen.calls, 0);
	/* percent-encoded letters are the same path */
	free(exchange(srv, "GET /%75nsubscribe HTTP/1.1\r\nHost: x\r\n"
			   "Connection: close\r\n\r\n"));
	assert_int_equal(seen.calls, 1);
	http_close(srv);
}

static void body_limits(void **state)
{
	struct http_server *srv = start_default();
	char *r;

	r = exchange(srv, "POST /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\nContent-Type: application/"
			  "x-www-form-urlencoded\r\nContent-Length: 5000\r\n"
			  "\r\n");
	assert_status(r, 413);
	free(r);
	r = exchange(srv, "POST /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\nContent-Type: text/plain\r\n"
			  "Content-Length: 5\r\n\r\nhello");
	assert_status(r, 415);
	free(r);
	/* an empty POST is fine: the parameters may be in the query */
	r = exchange(srv, "POST /unsubscribe?s=a HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\nContent-Length: 0\r\n\r\n");
	assert_status(r, 200);
	assert_string_equal(seen.s, "a");
	free(r);
	assert_int_equal(seen.calls, 1);
	http_close(srv);
}

static void chunked_body_past_the_limit_is_cut(void **state)
{
	struct http_server *srv = start_default();
	char *req = malloc(20000), *r;
	size_t n;
	int i;

	n = (size_t)snprintf(req, 20000,
			     "POST /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			     "Connection: close\r\nContent-Type: application/"
			     "x-www-form-urlencoded\r\nTransfer-Encoding: "
			     "chunked\r\n\r\n");
	for (i = 0; i < 6; i++)
		n += (size_t)snprintf(req + n, 20000 - n, "400\r\n%01024d\r\n",
				      0);
	n += (size_t)snprintf(req + n, 20000 - n, "0\r\n\r\n");
	r = exchange_from(srv, "127.0.0.1", req, n);
	assert_true(status_of(r) != 200);
	assert_int_equal(seen.calls, 0);
	free(r);
	free(req);
	http_close(srv);
}

static void huge_header_is_refused(void **state)
{
	struct http_server *srv = start_default();
	size_t n = 100000;
	char *req = malloc(n + 200), *r;
	size_t len;

	len = (size_t)snprintf(req, 200,
			       "GET /unsubscribe HTTP/1.1\r\nHost: x\r\nX: ");
	memset(req + len, 'a', n);
	len += n;
	memcpy(req + len, "\r\n\r\n", 4);
	len += 4;
	/* the server may close while we still send: ignore send errors */
	{
		struct sockaddr_in a;
		struct timeval tv = { 5, 0 };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ssize_t got;

		r = calloc(1, 4096);
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)http_port(srv));
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)),
				 0);
		(void)send(fd, req, len, MSG_NOSIGNAL);
		got = recv(fd, r, 4095, 0);
		if (got > 0 && status_of(r) < 400)
			fail_msg("%s", r);
		close(fd);
	}
	assert_int_equal(seen.calls, 0);
	free(r);
	free(req);
	/* and the server goes on */
	r = exchange(srv, "GET /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n");
	assert_status(r, 200);
	free(r);
	http_close(srv);
}

static void rate_limit_per_client(void **state)
{
	struct http_config cfg;
	struct http_server *srv;
	const char *get = "GET /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n";
	char *r;
	int i;

	http_config_init(&cfg);
	cfg.rate_per_minute = 1;
	cfg.rate_burst = 3;
	srv = start(&cfg);
	for (i = 0; i < 3; i++) {
		r = exchange_from(srv, "127.0.0.2", get, strlen(get));
		assert_status(r, 200);
		free(r);
	}
	r = exchange_from(srv, "127.0.0.2", get, strlen(get));
	assert_status(r, 429);
	assert_non_null(strstr(r, "\r\nRetry-After: 60\r\n"));
	free(r);
	/* another client has its own bucket */
	r = exchange_from(srv, "127.0.0.3", get, strlen(get));
	assert_status(r, 200);
	free(r);
	assert_int_equal(seen.calls, 4);
	http_close(srv);
}

static void forwarded_for_from_a_loopback_proxy(void **state)
{
	struct http_config cfg;
	struct http_server *srv;
	const char *req = "GET /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "X-Forwarded-For: 10.9.9.9, 2001:DB8::1 \r\n"
			  "Connection: close\r\n\r\n";
	const char *bad = "GET /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "X-Forwarded-For: nonsense\r\n"
			  "Connection: close\r\n\r\n";

	srv = start_default();
	free(exchange(srv, req));
	assert_string_equal(seen.client, "2001:db8::1");
	free(exchange(srv, bad));
	assert_string_equal(seen.client, "127.0.0.1");
	http_close(srv);

	http_config_init(&cfg);
	cfg.trust_loopback_proxy = 0;
	srv = start(&cfg);
	free(exchange(srv, req));
	assert_string_equal(seen.client, "127.0.0.1");
	http_close(srv);
}

/* Opens a connection from src that sends half a request line. */
static int half_open(struct http_server *srv, const char *src)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, src, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_port = htons((uint16_t)http_port(srv));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, "GET /uns", 8, MSG_NOSIGNAL), 8);
	return fd;
}

/* 1 if the server closed fd within a second. */
static int closed_soon(int fd)
{
	struct timeval tv = { 1, 0 };
	char c;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(fd, &c, 1, 0) == 0 || errno == ECONNRESET;
}

/* Direct clients (no trusted proxy): max_per_ip per address, the next
 * one is closed at once; another address is served meanwhile. With the
 * proxy trusted, its address has no such limit. */
static void per_address_limit(void **state)
{
	const char *req = "GET /unsubscribe HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n";
	struct http_config cfg;
	struct http_server *srv;
	int fds[4], extra, i;
	char *resp;

	http_config_init(&cfg);
	cfg.trust_loopback_proxy = 0;
	cfg.max_per_ip = 3;
	srv = start(&cfg);
	for (i = 0; i < 3; i++)
		fds[i] = half_open(srv, "127.0.0.7");
	extra = half_open(srv, "127.0.0.7");
	assert_true(closed_soon(extra));
	close(extra);
	resp = exchange_from(srv, "127.0.0.8", req, strlen(req));
	assert_int_equal(status_of(resp), 200);
	free(resp);
	/* A slot freed is a slot for that address again. */
	close(fds[0]);
	usleep(200 * 1000);
	fds[0] = half_open(srv, "127.0.0.7");
	assert_false(closed_soon(fds[0]));
	for (i = 0; i < 3; i++)
		close(fds[i]);
	http_close(srv);

	http_config_init(&cfg);
	cfg.max_per_ip = 3;
	srv = start(&cfg);
	for (i = 0; i < 4; i++)
		fds[i] = half_open(srv, "127.0.0.7");
	assert_false(closed_soon(fds[3]));
	resp = exchange_from(srv, "127.0.0.7", req, strlen(req));
	assert_int_equal(status_of(resp), 200);
	free(resp);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	http_close(srv);
}

static void start_errors(void **state)
{
	struct http_config cfg;
	struct errbuf eb = ERRBUF_INIT;
	struct http_server *srv = start_default(), *other = NULL;

	http_config_init(&cfg);
	cfg.paths = paths;
	cfg.port = http_port(srv);
	assert_int_equal(http_start(&cfg, record, NULL, &other, &eb), -1);
	assert_null(other);
	assert_non_null(strstr(eb.msg, "Address already in use"));
	http_close(srv);

	cfg.address = "localhost";
	assert_int_equal(http_start(&cfg, record, NULL, &other, &eb), -1);
	assert_non_null(strstr(eb.msg, "not an IPv4 or IPv6 address"));
}

static void ipv6_loopback(void **state)
{
	struct http_config cfg;
	struct errbuf eb = ERRBUF_INIT;
	struct http_server *srv = NULL;
	struct sockaddr_in6 a;
	char buf[512] = { 0 };
	const char *req = "GET /unsubscribe?s=v6 HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n";
	int fd;

	http_config_init(&cfg);
	cfg.paths = paths;
	cfg.address = "::1";
	cfg.port = 0;
	if (http_start(&cfg, record, NULL, &srv, &eb) < 0)
		skip(); /* no IPv6 on this machine */
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons((uint16_t)http_port(srv));
	a.sin6_addr = in6addr_loopback;
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	assert_true(recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL) > 0);
	close(fd);
	assert_status(buf, 200);
	assert_string_equal(seen.s, "v6");
	assert_string_equal(seen.client, "::1");
	http_close(srv);
}

static void *waiter(void *arg)
{
	http_wait(arg);
	return NULL;
}

static void stop_ends_wait(void **state)
{
	struct http_server *srv = start_default();
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, waiter, srv), 0);
	http_stop();
	assert_int_equal(pthread_join(th, NULL), 0);
	http_close(srv);
	http_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_collects_query_parameters),
		cmocka_unit_test(every_reply_has_the_security_headers),
		cmocka_unit_test(post_urlencoded_one_click),
		cmocka_unit_test(post_multipart_fields),
		cmocka_unit_test(multipart_part_without_a_name),
		cmocka_unit_test(other_one_click_values_do_not_count),
		cmocka_unit_test(conflicting_or_repeated_parameters),
		cmocka_unit_test(overlong_and_nul_values_are_dropped),
		cmocka_unit_test(only_get_head_post),
		cmocka_unit_test(head_has_no_body),
		cmocka_unit_test(unknown_and_odd_paths_are_404),
		cmocka_unit_test(body_limits),
		cmocka_unit_test(chunked_body_past_the_limit_is_cut),
		cmocka_unit_test(huge_header_is_refused),
		cmocka_unit_test(rate_limit_per_client),
		cmocka_unit_test(forwarded_for_from_a_loopback_proxy),
		cmocka_unit_test(per_address_limit),
		cmocka_unit_test(start_errors),
		cmocka_unit_test(ipv6_loopback),
		cmocka_unit_test(stop_ends_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
