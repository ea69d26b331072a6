/*
 * fetch: polite, bounded HTTP GET over libcurl (see fetch.h).
 *
 * The one design decision: every request goes out through one place,
 * perform(), which first waits until min_interval_ms (plus a margin) have
 * passed since the previous request through the same fetcher was sent.
 * That is why redirects are followed here, one curl_easy_perform() per
 * hop, rather than by CURLOPT_FOLLOWLOCATION: libcurl would send the next
 * hop at once, breaking arXiv's one-request-every-3-seconds rule, and it
 * would not let us apply our own URL policy to each hop (https only;
 * loopback http only from a loopback http start, which is what the tests
 * use).
 *
 * Limits: libcurl 7.88 enforces CURLOPT_MAXFILESIZE only when a
 * Content-Length is announced, so the write callback also refuses to buffer
 * more than max_bytes (returning 0 aborts the transfer); with a compressed
 * response this bounds the decoded size. CURLOPT_LOW_SPEED_LIMIT/TIME end a
 * response that stalls. Header values come from curl_easy_header(), so we
 * parse no HTTP ourselves; dates (Retry-After) go through curl_getdate().
 *
 * Global state: curl_global_init() runs once, guarded by a static flag;
 * libcurl keeps its own global state after that and is never cleaned up
 * (the process exits soon after its last fetch).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "xalloc.h"
#include "banned.h"

/* A URL longer than this is not one paperboy builds; arXiv's API queries
 * for many categories stay well under 2 KB. */
#define FETCH_MAX_URL 8192
/* ETags and HTTP dates are tens of bytes; a longer validator is junk that
 * would only be stored in the cache and sent back. */
#define FETCH_MAX_VALIDATOR 1024
/* No feed paperboy reads comes near this; a body this size in memory
 * would be a mistake in the configuration. */
#define FETCH_MAX_BODY ((size_t)1 << 30)
/* Upper bounds for the configuration: beyond these a daily job should
 * rather fail and be rerun than sit waiting. */
#define FETCH_MAX_TRIES		20
#define FETCH_MAX_REDIRECTS	20
#define FETCH_MAX_TIMEOUT_S	3600L
#define FETCH_MAX_BACKOFF_MS	300000L
#define FETCH_MAX_RETRY_AFTER_S 3600L
#define FETCH_MAX_INTERVAL_MS	60000L
/* How far from the whole-request timeout an elapsed time may be and still
 * count as having hit it (libcurl checks its timers every few ms). */
#define FETCH_TIMEOUT_SLACK_US 200000
/* Requests reach the server with varying delay (a new connection takes
 * longer to be read than a kept-alive one), so the interval is kept with
 * this margin to hold as the server measures it, not only as we do. */
#define FETCH_INTERVAL_MARGIN_PCT 10
/* Longest URL quoted in an error message, so the reason still fits. */
#define FETCH_SHOWN_URL 200
/* Bytes of an error response's body quoted in the message. */
#define FETCH_SHOWN_BODY 160

enum url_kind {
	URL_REFUSED = 0,
	URL_HTTPS,
	URL_LOOPBACK_HTTP,
};

struct fetcher {
	CURL *curl;
	struct fetch_config cfg;
	char *user_agent;
	char curl_error[CURL_ERROR_SIZE];
	/* When the last request was sent (CLOCK_MONOTONIC), if any was. */
	struct timespec last_start;
	int started;
	uint64_t rng; /* jitter only; no need for a good generator */
	/* Per-request state the callbacks fill. */
	struct buf *body;
	const char *post;	/* fetch_post's body; NULL: a GET */
	size_t post_len;
	int too_big;
	int connected;
};

void fetch_config_init(struct fetch_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->user_agent = NULL;
	cfg->connect_timeout_s = 30;
	cfg->total_timeout_s = 300;
	cfg->stall_timeout_s = 60;
	cfg->max_bytes = (size_t)32 << 20;
	cfg->max_redirects = 5;
	cfg->max_tries = 5;
	cfg->backoff_ms = 5000;
	cfg->max_retry_after_s = 600;
	cfg->min_interval_ms = FETCH_ARXIV_INTERVAL_MS;
}

void fetch_response_release(struct fetch_response *res)
{
	buf_release(&res->body);
	free(res->etag);
	free(res->last_modified);
	free(res->url);
	memset(res, 0, sizeof(*res));
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* A copy of url fit for an error message: control bytes made visible and
 * the length bounded, since the URL may come from a hostile Location. */
static const char *shown(const char *url, char *tmp, size_t size)
{
	size_t i, n = 0;

	for (i = 0; url[i] && n + 4 < size && i < FETCH_SHOWN_URL; i++) {
		unsigned char c = (unsigned char)url[i];
		tmp[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (url[i] && n + 4 <= size) {
		memcpy(tmp + n, "...", 3);
		n += 3;
	}
	tmp[n] = '\0';
	return tmp;
}

/*
 * Parses url with libcurl's own parser (the one the request will use) and
 * classifies it; *normalized gets libcurl's rendering of it, which is what
 * is then requested, so the URL checked is the URL fetched.
 */
static enum url_kind classify_url(const char *url, char **normalized)
{
	enum url_kind kind = URL_REFUSED;
	char *scheme = NULL, *host = NULL, *full = NULL;
	CURLU *u;

	*normalized = NULL;
	if (strlen(url) > FETCH_MAX_URL || has_control(url))
		return URL_REFUSED;
	u = curl_url();
	if (!u)
		return URL_REFUSED;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
		goto out;
	if (!strcasecmp(scheme, "https"))
		kind = URL_HTTPS;
	else if (!strcasecmp(scheme, "http") &&
		 (!strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]") ||
		  !strcasecmp(host, "localhost")))
		kind = URL_LOOPBACK_HTTP;
	if (kind != URL_REFUSED)
		*normalized = xstrdup(full);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(full);
	curl_url_cleanup(u);
	return kind;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct fetcher *f = ctx;
	size_t len = size * nmemb; /* size is always 1 */

	if (buf_add(f->body, data, len) < 0) {
		f->too_big = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return len;
}

/* Called once a connection is made or reused, just before the request is
 * sent: the request starts here as far as the server can tell (connecting
 * may have taken a while), and it tells a connect timeout from a stall. */
static int on_connected(void *ctx, char *primary_ip, char *local_ip,
			int primary_port, int local_port)
{
	struct fetcher *f = ctx;

	f->connected = 1;
	clock_gettime(CLOCK_MONOTONIC, &f->last_start);
	return CURL_PREREQFUNC_OK;
}

static uint64_t next_random(struct fetcher *f)
{
	uint64_t x = f->rng;

	/* xorshift64* */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static void sleep_until(const struct timespec *t)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) ==
	       EINTR)
		;
}

static void sleep_ms(long ms)
{
	struct timespec t;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	add_ms(&t, ms);
	sleep_until(&t);
}

static int check_config(const struct fetch_config *c, struct errbuf *eb)
{
	if (!c->user_agent || !*c->user_agent || has_control(c->user_agent))
		return errbuf_set(eb, "fetch: the User-Agent is empty or "
				      "contains control characters");
	if (c->connect_timeout_s <= 0 ||
	    c->connect_timeout_s > FETCH_MAX_TIMEOUT_S ||
	    c->total_timeout_s <= 0 ||
	    c->total_timeout_s > FETCH_MAX_TIMEOUT_S ||
	    c->stall_timeout_s <= 0 || c->stall_timeout_s > FETCH_MAX_TIMEOUT_S)
		return errbuf_set(eb,
				  "fetch: timeouts must be 1 to %ld seconds",
				  FETCH_MAX_TIMEOUT_S);
	if (!c->max_bytes || c->max_bytes > FETCH_MAX_BODY)
		return errbuf_set(eb, "fetch: max_bytes must be 1 to %zu",
				  FETCH_MAX_BODY);
	if (c->max_redirects < 0 || c->max_redirects > FETCH_MAX_REDIRECTS)
		return errbuf_set(eb, "fetch: max_redirects must be 0 to %d",
				  FETCH_MAX_REDIRECTS);
	if (c->max_tries < 1 || c->max_tries > FETCH_MAX_TRIES)
		return errbuf_set(eb, "fetch: max_tries must be 1 to %d",
				  FETCH_MAX_TRIES);
	if (c->backoff_ms < 0 || c->backoff_ms > FETCH_MAX_BACKOFF_MS)
		return errbuf_set(eb, "fetch: backoff_ms must be 0 to %ld",
				  FETCH_MAX_BACKOFF_MS);
	if (c->max_retry_after_s < 0 ||
	    c->max_retry_after_s > FETCH_MAX_RETRY_AFTER_S)
		return errbuf_set(eb,
				  "fetch: max_retry_after_s must be 0 to %ld",
				  FETCH_MAX_RETRY_AFTER_S);
	if (c->min_interval_ms < 0 ||
	    c->min_interval_ms > FETCH_MAX_INTERVAL_MS)
		return errbuf_set(eb, "fetch: min_interval_ms must be 0 to %ld",
				  FETCH_MAX_INTERVAL_MS);
	return 0;
}

/* The test-only override of the politeness interval, if set. */
static int test_interval(long *ms, struct errbuf *eb)
{
	const char *s = getenv(FETCH_TEST_INTERVAL_ENV);
	char *end;
	long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > FETCH_MAX_INTERVAL_MS)
		return errbuf_set(eb,
				  "%s: not a number of milliseconds "
				  "from 0 to %ld",
				  FETCH_TEST_INTERVAL_ENV,
				  FETCH_MAX_INTERVAL_MS);
	*ms = v;
	return 0;
}

static int curl_ready;

int fetch_new(const struct fetch_config *cfg, struct fetcher **out,
	      struct errbuf *eb)
{
	struct fetcher *f;
	struct timespec now;
	CURLcode rc = CURLE_OK;

	*out = NULL;
	if (check_config(cfg, eb) < 0)
		return -1;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return errbuf_set(eb, "fetch: libcurl failed to "
					      "initialise");
		curl_ready = 1;
	}
	f = xcalloc(1, sizeof(*f));
	f->cfg = *cfg;
	f->user_agent = xstrdup(cfg->user_agent);
	f->cfg.user_agent = f->user_agent;
	if (test_interval(&f->cfg.min_interval_ms, eb) < 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &now);
	f->rng = ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)now.tv_sec ^
		 ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)f;
	if (!f->rng)
		f->rng = 1;

	f->curl = curl_easy_init();
	if (!f->curl) {
		errbuf_set(eb, "fetch: libcurl failed to create a handle");
		goto fail;
	}
	/* Thread-safe timeouts: no SIGALRM around DNS lookups. */
	rc = curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR,
				      "https,http");
	/* Redirects are followed by fetch_get(), never by libcurl. */
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR,
				      "https");
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_MAXREDIRS, 0L);
	/* One connection at a time, kept alive between requests. */
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_MAXCONNECTS, 1L);
	if (!rc)
		rc =
		    curl_easy_setopt(f->curl, CURLOPT_USERAGENT, f->user_agent);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT,
				      f->cfg.connect_timeout_s);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_TIMEOUT,
				      f->cfg.total_timeout_s);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_TIME,
				      f->cfg.stall_timeout_s);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_MAXFILESIZE_LARGE,
				      (curl_off_t)f->cfg.max_bytes);
	/* Compressed transfers: less load on arXiv; the size cap applies to
	 * what is decoded. */
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_ACCEPT_ENCODING, "");
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_PREREQFUNCTION,
				      on_connected);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_PREREQDATA, f);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER,
				      f->curl_error);
	if (rc) {
		errbuf_set(eb, "fetch: libcurl: %s", curl_easy_strerror(rc));
		goto fail;
	}
	*out = f;
	return 0;
fail:
	fetch_free(f);
	return -1;
}

void fetch_free(struct fetcher *f)
{
	if (!f)
		return;
	if (f->curl)
		curl_easy_cleanup(f->curl);
	free(f->user_agent);
	free(f);
}

/* One request, after the politeness wait. */
static CURLcode perform(struct fetcher *f, const char *url,
			struct curl_slist *headers, struct buf *body)
{
	CURLcode rc;

	if (f->started) {
		struct timespec turn = f->last_start;

		add_ms(&turn, f->cfg.min_interval_ms +
				  f->cfg.min_interval_ms *
				      FETCH_INTERVAL_MARGIN_PCT / 100);
		sleep_until(&turn);
	}
	/* on_connected() moves this to when the request is sent */
	clock_gettime(CLOCK_MONOTONIC, &f->last_start);
	f->started = 1;

	buf_reset(body);
	f->body = body;
	f->too_big = 0;
	f->connected = 0;
	f->curl_error[0] = '\0';
	rc = curl_easy_setopt(f->curl, CURLOPT_URL, url);
	if (!rc)
		rc = curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, headers);
	if (!rc && f->post) {
		rc = curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)f->post_len);
		if (!rc)
			rc = curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS,
					      f->post);
	} else if (!rc) {
		rc = curl_easy_setopt(f->curl, CURLOPT_HTTPGET, 1L);
	}
	if (!rc)
		rc = curl_easy_perform(f->curl);
	f->body = NULL;
	return rc;
}

/* Network failures that may well go away if we try again. */
static int retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Says what went wrong, in words that tell a stall from a timeout. */
static void describe(struct fetcher *f, CURLcode rc, char *msg, size_t size)
{
	curl_off_t total_us = 0;

	if (rc != CURLE_OPERATION_TIMEDOUT) {
		snprintf(msg, size, "%s",
			 f->curl_error[0] ? f->curl_error
					  : curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(f->curl, CURLINFO_TOTAL_TIME_T, &total_us);
	if (total_us + FETCH_TIMEOUT_SLACK_US >=
	    (curl_off_t)f->cfg.total_timeout_s * 1000000)
		snprintf(msg, size, "timed out after %ld s",
			 f->cfg.total_timeout_s);
	else if (!f->connected)
		snprintf(msg, size, "could not connect within %ld s",
			 f->cfg.connect_timeout_s);
	else
		snprintf(msg, size, "stalled: less than 1 byte/s for %ld s",
			 f->cfg.stall_timeout_s);
}

static const char *reason(long status)
{
	static const struct {
		long status;
		const char *text;
	} reasons[] = {
	    {200, "OK"},
	    {300, "Multiple Choices"},
	    {301, "Moved Permanently"},
	    {302, "Found"},
	    {303, "See Other"},
	    {304, "Not Modified"},
	    {307, "Temporary Redirect"},
	    {308, "Permanent Redirect"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {406, "Not Acceptable"},
	    {408, "Request Timeout"},
	    {410, "Gone"},
	    {412, "Precondition Failed"},
	    {413, "Content Too Large"},
	    {414, "URI Too Long"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return NULL;
}

static void describe_status(long status, char *msg, size_t size)
{
	const char *text = reason(status);

	if (text)
		snprintf(msg, size, "HTTP %ld %s", status, text);
	else
		snprintf(msg, size, "HTTP %ld", status);
}

/* The last response's header `name`, or NULL if absent, repeated with
 * different values, too long or holding control characters. */
static char *header_value(struct fetcher *f, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(f->curl, name, 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return NULL;
	if (!h->value || !*h->value || strlen(h->value) > FETCH_MAX_VALIDATOR ||
	    has_control(h->value))
		return NULL;
	return xstrdup(h->value);
}

/* The server's Retry-After in seconds (delay or HTTP-date), capped;
 * 0 when absent or unreadable. */
static long retry_after(struct fetcher *f)
{
	long cap = f->cfg.max_retry_after_s, secs = 0;
	char *v = header_value(f, "Retry-After");

	if (!v)
		return 0;
	if (v[0] >= '0' && v[0] <= '9') {
		char *end;

		errno = 0;
		secs = strtol(v, &end, 10);
		if (*end)
			secs = 0;
		else if (errno == ERANGE)
			secs = cap;
	} else {
		time_t when = curl_getdate(v, NULL);
		time_t now = time(NULL);

		if (when != (time_t)-1 && when > now)
			secs = when - now > cap ? cap : (long)(when - now);
	}
	free(v);
	return secs > cap ? cap : secs;
}

/* How long to wait before try number `try` + 1. */
static long retry_delay_ms(struct fetcher *f, int try, long after_s)
{
	long delay = f->cfg.backoff_ms;
	int i;

	for (i = 1; i < try && delay < FETCH_MAX_BACKOFF_MS; i++)
		delay *= 2;
	if (delay > FETCH_MAX_BACKOFF_MS)
		delay = FETCH_MAX_BACKOFF_MS;
	/* +-25%, so that many clients backing off do not return together */
	delay = delay * (long)(75 + next_random(f) % 51) / 100;
	if (delay < after_s * 1000)
		delay = after_s * 1000;
	if (delay < f->cfg.min_interval_ms)
		delay = f->cfg.min_interval_ms;
	return delay;
}

static int is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/*
 * Requests url until a response that is not worth retrying, or the tries
 * run out. Returns 0 with out->status set (any status), or -1 with eb
 * filled and out->temporary set.
 */
static int get_with_retries(struct fetcher *f, const char *url,
			    struct curl_slist *headers,
			    struct fetch_response *out, struct errbuf *eb)
{
	char tmp[FETCH_SHOWN_URL + 8], msg[CURL_ERROR_SIZE + 64];
	int try;

	for (try = 1;; try++) {
		CURLcode rc = perform(f, url, headers, &out->body);
		long after_s = 0;

		out->tries = try;
		out->requests++;
		out->status = 0;
		if (rc == CURLE_OK) {
			curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE,
					  &out->status);
			if (out->status != 429 &&
			    (out->status < 500 || out->status > 599))
				return 0;
			describe_status(out->status, msg, sizeof(msg));
			after_s = retry_after(f);
		} else if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE,
					  &out->status);
			out->temporary = 0;
			return errbuf_set(eb,
					  "%s: response larger than %zu "
					  "bytes",
					  shown(url, tmp, sizeof(tmp)),
					  f->cfg.max_bytes);
		} else if (!retryable(rc)) {
			describe(f, rc, msg, sizeof(msg));
			out->temporary = 0;
			return errbuf_set(eb, "%s: %s",
					  shown(url, tmp, sizeof(tmp)), msg);
		} else {
			describe(f, rc, msg, sizeof(msg));
		}

		if (try >= f->cfg.max_tries) {
			out->temporary = 1;
			if (try == 1)
				return errbuf_set(eb, "%s: %s",
						  shown(url, tmp, sizeof(tmp)),
						  msg);
			return errbuf_set(eb, "%s: %s after %d tries",
					  shown(url, tmp, sizeof(tmp)), msg,
					  try);
		}
		sleep_ms(retry_delay_ms(f, try, after_s));
	}
}

/* The conditional-GET headers for meta; NULL when there are none. */
static int conditional_headers(const struct fetch_cache_meta *meta,
			       struct curl_slist **list, struct errbuf *eb)
{
	const char *names[2] = {"If-None-Match", "If-Modified-Since"};
	const char *values[2];
	struct buf line = BUF_INIT;
	int i, ret = 0;

	*list = NULL;
	if (!meta)
		return 0;
	values[0] = meta->etag;
	values[1] = meta->last_modified;
	for (i = 0; i < 2; i++) {
		struct curl_slist *next;

		if (!values[i] || !*values[i])
			continue;
		if (strlen(values[i]) > FETCH_MAX_VALIDATOR ||
		    has_control(values[i])) {
			ret = errbuf_set(eb,
					 "fetch: cached %s value is too "
					 "long or contains control "
					 "characters",
					 names[i]);
			goto out;
		}
		buf_reset(&line);
		buf_addf(&line, "%s: %s", names[i], values[i]);
		next = curl_slist_append(*list, buf_str(&line));
		if (!next) {
			ret = errbuf_set(eb, "fetch: out of memory");
			goto out;
		}
		*list = next;
	}
out:
	if (ret < 0) {
		curl_slist_free_all(*list);
		*list = NULL;
	}
	buf_release(&line);
	return ret;
}

int fetch_get(struct fetcher *f, const char *url,
	      const struct fetch_cache_meta *conditional,
	      struct fetch_response *out, struct errbuf *eb)
{
	char tmp[FETCH_SHOWN_URL + 8], tmp2[FETCH_SHOWN_URL + 8];
	char msg[128];
	struct curl_slist *headers = NULL;
	enum url_kind start_kind;
	char *cur = NULL;
	int hops = 0, ret = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&out->body, f->cfg.max_bytes);

	start_kind = classify_url(url, &cur);
	if (start_kind == URL_REFUSED) {
		errbuf_set(eb, "%s: only https is allowed",
			   shown(url, tmp, sizeof(tmp)));
		goto out;
	}
	if (conditional_headers(conditional, &headers, eb) < 0) {
		errbuf_prefix(eb, "%s", shown(url, tmp, sizeof(tmp)));
		goto out;
	}
	/* Unused while fetch_get() follows redirects itself; set so that the
	 * policy would still hold if libcurl ever followed one. */
	if (curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR,
			     start_kind == URL_LOOPBACK_HTTP ? "https,http"
							     : "https")) {
		errbuf_set(eb, "fetch: libcurl refused the redirect policy");
		goto out;
	}

	for (;;) {
		char *location = NULL, *next = NULL;
		enum url_kind kind;

		if (get_with_retries(f, cur, headers, out, eb) < 0)
			goto out;
		if (!is_redirect(out->status))
			break;
		curl_easy_getinfo(f->curl, CURLINFO_REDIRECT_URL, &location);
		describe_status(out->status, msg, sizeof(msg));
		if (!location) {
			errbuf_set(eb, "%s: %s without a Location",
				   shown(cur, tmp, sizeof(tmp)), msg);
			goto out;
		}
		if (hops >= f->cfg.max_redirects) {
			errbuf_set(eb, "%s: more than %d redirects",
				   shown(url, tmp, sizeof(tmp)),
				   f->cfg.max_redirects);
			goto out;
		}
		kind = classify_url(location, &next);
		if (kind == URL_REFUSED || (kind == URL_LOOPBACK_HTTP &&
					    start_kind != URL_LOOPBACK_HTTP)) {
			free(next);
			errbuf_set(eb,
				   "%s: redirect to %s refused: only "
				   "https is allowed",
				   shown(cur, tmp, sizeof(tmp)),
				   shown(location, tmp2, sizeof(tmp2)));
			goto out;
		}
		free(cur);
		cur = next;
		hops++;
	}

	out->url = xstrdup(cur);
	if (out->status == 304) {
		out->not_modified = 1;
		buf_reset(&out->body);
	} else if (out->status < 200 || out->status > 299) {
		describe_status(out->status, msg, sizeof(msg));
		errbuf_set(eb, "%s: %s", shown(cur, tmp, sizeof(tmp)), msg);
		goto out;
	}
	out->etag = header_value(f, "ETag");
	out->last_modified = header_value(f, "Last-Modified");
	ret = 0;
out:
	curl_slist_free_all(headers);
	free(cur);
	return ret;
}

/* The start of an error response's body, printable, for the message (an
 * API says why it refused: "model not found", "invalid api key"). */
static void body_excerpt(const struct buf *body, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < body->len && n + 1 < size && i < FETCH_SHOWN_BODY;
	     i++) {
		unsigned char c = (unsigned char)body->data[i];
		out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	out[n] = '\0';
}

int fetch_post(struct fetcher *f, const char *url, const char *bearer,
	       const char *body, size_t len, struct fetch_response *out,
	       struct errbuf *eb)
{
	char tmp[FETCH_SHOWN_URL + 8], msg[128];
	char excerpt[FETCH_SHOWN_BODY + 1];
	struct curl_slist *headers = NULL, *next;
	struct buf auth = BUF_INIT;
	char *cur = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&out->body, f->cfg.max_bytes);
	if (classify_url(url, &cur) == URL_REFUSED) {
		errbuf_set(eb, "%s: only https is allowed",
			   shown(url, tmp, sizeof(tmp)));
		goto out;
	}
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (headers && bearer && *bearer) {
		if (has_control(bearer) ||
		    strlen(bearer) > FETCH_MAX_VALIDATOR) {
			errbuf_set(eb, "%s: the API key is too long or "
				       "contains control characters",
				   shown(url, tmp, sizeof(tmp)));
			goto out;
		}
		buf_addf(&auth, "Authorization: Bearer %s", bearer);
		next = curl_slist_append(headers, buf_str(&auth));
		if (!next)
			curl_slist_free_all(headers);
		headers = next;
	}
	if (!headers) {
		errbuf_set(eb, "fetch: out of memory");
		goto out;
	}
	f->post = body;
	f->post_len = len;
	ret = get_with_retries(f, cur, headers, out, eb);
	f->post = NULL;
	f->post_len = 0;
	if (ret < 0)
		goto out;
	ret = -1;
	out->url = xstrdup(cur);
	if (out->status < 200 || out->status > 299) {
		describe_status(out->status, msg, sizeof(msg));
		body_excerpt(&out->body, excerpt, sizeof(excerpt));
		errbuf_set(eb, "%s: %s%s%s", shown(cur, tmp, sizeof(tmp)), msg,
			   excerpt[0] ? ": " : "", excerpt);
		out->temporary = 0;
		goto out;
	}
	ret = 0;
out:
	/* The key is a secret: do not leave it in freed memory. */
	if (auth.data)
		memset(auth.data, 0, auth.len);
	buf_release(&auth);
	curl_slist_free_all(headers);
	free(cur);
	return ret;
}
