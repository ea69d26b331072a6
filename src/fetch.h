/*
 * fetch: polite, bounded HTTP GET over libcurl.
 *
 * A fetcher is one libcurl handle, so one connection at a time (kept alive
 * between requests), and it remembers when its last request started: every
 * request made through it, first tries, retries and each hop of a redirect
 * alike, starts at least min_interval_ms after the previous one. arXiv asks
 * for one request every 3 seconds from one connection; a run that sends all
 * of its arXiv traffic through one fetcher obeys that by construction.
 *
 * Only https:// URLs are fetched, plus plain http:// to 127.0.0.1, [::1]
 * and localhost, which is what the tests serve from.
 */
#ifndef PAPERBOY_FETCH_H
#define PAPERBOY_FETCH_H

#include <stddef.h>

#include "buf.h"
#include "errbuf.h"

/* arXiv's published rule: no more than one request every 3 seconds. */
#define FETCH_ARXIV_INTERVAL_MS 3000L

/*
 * Environment variable that, when set to a number of milliseconds, replaces
 * min_interval_ms in every fetcher created afterwards. For tests only: it
 * lets a test check the politeness rule at a tenth of the real interval.
 */
#define FETCH_TEST_INTERVAL_ENV "PAPERBOY_TEST_MIN_INTERVAL_MS"

struct fetch_config {
	/* "paperboy/VERSION (+mailto:CONTACT)", built by the caller. */
	const char *user_agent;
	long connect_timeout_s; /* TCP + TLS handshake, per request */
	long total_timeout_s;	/* one whole request, per try */
	long stall_timeout_s;	/* abort when under 1 byte/s for this long */
	size_t max_bytes;	/* largest body accepted (decoded) */
	int max_redirects;	/* hops followed; 0 refuses any redirect */
	int max_tries;		/* requests per fetch_get, first one included */
	long backoff_ms;	/* first retry delay; doubles, +-25% jitter */
	long max_retry_after_s; /* a server's Retry-After is capped at this */
	long min_interval_ms;	/* least time between two request starts */
};

/*
 * Fills cfg with paperboy's defaults (the ones arXiv's rules call for);
 * user_agent is left NULL for the caller to set.
 */
void fetch_config_init(struct fetch_config *cfg);

/* Validators from a previous response, sent back as a conditional GET. */
struct fetch_cache_meta {
	const char *etag;	   /* sent as If-None-Match; NULL: none */
	const char *last_modified; /* sent as If-Modified-Since; NULL: none */
};

struct fetch_response {
	long status;	     /* HTTP status of the last response; 0: none */
	struct buf body;     /* its body, at most max_bytes */
	char *etag;	     /* its ETag header, or NULL */
	char *last_modified; /* its Last-Modified header, or NULL */
	char *url;	     /* the URL finally fetched (after redirects) */
	int not_modified;    /* 1: 304, the cached copy is still current */
	int tries;	     /* requests made for the final URL */
	int requests;	     /* requests made in all, redirect hops included */
	int temporary;	     /* on failure, 1 if trying later may succeed */
};

/* Frees everything a response owns; it may then be reused. */
void fetch_response_release(struct fetch_response *res);

struct fetcher;

/*
 * Creates a fetcher with a copy of cfg (the user_agent string is copied
 * too). The first call also initialises libcurl for the whole process
 * (curl_global_init, guarded by a static flag: the program's only global
 * state besides libcurl's own); call it before starting threads.
 * Applies FETCH_TEST_INTERVAL_ENV when it is set. Returns 0 with *out set,
 * or -1 with eb filled (an invalid cfg, a malformed environment value,
 * libcurl failing to initialise).
 */
int fetch_new(const struct fetch_config *cfg, struct fetcher **out,
	      struct errbuf *eb);

/* Closes the connection and frees f; NULL is fine. */
void fetch_free(struct fetcher *f);

/*
 * GETs url. conditional, when not NULL, makes it a conditional GET.
 * out is initialised here (do not pass one holding data); release it with
 * fetch_response_release() whatever this returns.
 *
 * Redirects (301, 302, 303, 307, 308) are followed up to max_redirects
 * hops, each hop a new request under the politeness interval; a redirect
 * may only lead to https, or to loopback http when url itself was loopback
 * http. Timeouts, connection failures, 429 and 5xx are retried up to
 * max_tries requests in all, waiting the larger of the server's Retry-After
 * (capped) and an exponential, jittered backoff, and never less than the
 * politeness interval. Worst case this blocks for about
 * max_tries * (total_timeout_s + max_retry_after_s).
 *
 * Returns 0 for a 2xx response (body, etag, last_modified filled) and for
 * 304 Not Modified (not_modified = 1, empty body). Otherwise -1 with
 * "URL: reason" in eb, out->status set when a response arrived, and
 * out->temporary = 1 when the failure was one worth retrying later (the
 * retries ran out on 429, 5xx or a network error) or 0 when it was not
 * (another 4xx, a refused URL or redirect, a body over max_bytes).
 */
int fetch_get(struct fetcher *f, const char *url,
	      const struct fetch_cache_meta *conditional,
	      struct fetch_response *out, struct errbuf *eb);

/*
 * POSTs the JSON document body[0..len) to url (Content-Type:
 * application/json), with "Authorization: Bearer KEY" when bearer is not
 * NULL or empty: a call to an HTTP API, such as an LLM's chat completions.
 * The same URL policy, limits, timeouts and retries (429, 5xx, network
 * errors) as fetch_get; the interval between requests is the fetcher's
 * min_interval_ms, so an API fetcher is made with its own config (0), not
 * arXiv's. Redirects are not followed (a 3xx is an error). out is
 * initialised here; release it whatever this returns.
 *
 * Returns 0 for a 2xx response (body filled). Otherwise -1 with "URL:
 * reason" in eb (for an HTTP error, with the start of the body the
 * server sent, which says why), out->status and out->temporary set as
 * fetch_get does. The key never appears in a message.
 */
int fetch_post(struct fetcher *f, const char *url, const char *bearer,
	       const char *body, size_t len, struct fetch_response *out,
	       struct errbuf *eb);

#endif
