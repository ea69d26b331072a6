/*
 * http: a small HTTP/1.1 server for the unsubscribe endpoint, on
 * libmicrohttpd (the only module that includes <microhttpd.h>).
 *
 * It knows nothing of subscribers: it enforces the limits (body, header,
 * connections, per-client request rate, idle timeout, each request's
 * total deadline), accepts only GET,
 * HEAD and POST on the paths it is given, collects the parameters s and t
 * (query string, or a form-urlencoded or multipart body) and RFC 8058's
 * List-Unsubscribe=One-Click, hands one struct http_request to the
 * caller's handler and sends back what it fills in, with the security
 * headers every page gets and never a redirect.
 *
 * Design decision: one internal polling thread serves every connection,
 * so the handler (which rewrites subscriber files) never runs twice at the
 * same time, and a slow client costs a socket, not a thread.
 */
#ifndef PAPERBOY_HTTP_H
#define PAPERBOY_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "errbuf.h"

/* Loopback: the endpoint is meant to sit behind the operator's HTTPS
 * reverse proxy, never on a public address by accident. */
#define HTTP_DEFAULT_ADDRESS "127.0.0.1"
/* The port 8025 ("80" for HTTP, "25" for mail); DESIGN.md's default. */
#define HTTP_DEFAULT_PORT 8025
/* A one-click POST body is 26 bytes and the page's form about 120: 4 KiB
 * leaves room for multipart boundaries and nothing else. */
#define HTTP_MAX_BODY ((size_t)4 << 10)
/* Memory for one connection's request line and headers (libmicrohttpd's
 * per-connection pool): browsers send 1-2 KiB. */
#define HTTP_MAX_HEADER ((size_t)16 << 10)
/* Connections served at once; more wait in the listen queue. */
#define HTTP_MAX_CONNECTIONS 128
/* Connections from one address at once, so that a few addresses cannot
 * take every slot (128 / 8: 16 addresses needed). Not applied to the
 * trusted proxy, whose address every visitor behind it shares. */
#define HTTP_MAX_PER_IP 8
/* Seconds a connection may stay idle before it is dropped (slow clients
 * holding sockets open: slow-loris). */
#define HTTP_TIMEOUT 10
/* Seconds a whole request may take, from its connection (or the end of
 * the previous request on it) to its reply, however steadily a slow
 * client trickles bytes; when the slots are nearly all taken, 2 s. */
#define HTTP_DEADLINE 20
/* Requests per minute from one client address (token bucket refill);
 * a person clicks a few times, a mail provider posts once per message. */
#define HTTP_RATE_PER_MINUTE 30
/* Requests one client may make at once before the rate applies. */
#define HTTP_RATE_BURST 10
/* A parameter value longer than this is refused: ids are at most 64
 * characters and tokens 43. */
#define HTTP_MAX_PARAM 256
/* A value of one of http_config.fields longer than this is refused: a
 * profile form's list of keywords, one a line. */
#define HTTP_MAX_FIELD ((size_t)16 << 10)
/* A reply body larger than this is refused (our pages are ~2 KiB). */
#define HTTP_MAX_REPLY ((size_t)64 << 10)

struct http_config {
	const char *address;    /* IPv4 or IPv6 literal */
	unsigned port;          /* 0: any free port (see http_port) */
	const char *const *paths; /* NULL-terminated; others answer 404 */
	size_t max_body;
	/* NULL, or one per path: that path's body limit (0: max_body). */
	const size_t *max_bodies;
	/* NULL, or the NULL-terminated names of the form fields collected
	 * besides s and t (values up to HTTP_MAX_FIELD). */
	const char *const *fields;
	size_t max_header;
	unsigned max_connections;
	unsigned max_per_ip;
	unsigned timeout;       /* seconds idle */
	unsigned deadline;      /* seconds per request; 0: none */
	unsigned rate_per_minute; /* 0: no rate limit */
	unsigned rate_burst;
	/*
	 * When the peer is a loopback address (the reverse proxy), the client
	 * is the last address in its X-Forwarded-For header, so that the rate
	 * limit applies to each client and not to the proxy as a whole, and
	 * max_per_ip does not apply to the proxy's connections.
	 */
	int trust_loopback_proxy;
};

/* Fills cfg with the defaults above (address, port, limits; no paths). */
void http_config_init(struct http_config *cfg);

struct http_request {
	const char *method;     /* "GET", "HEAD" or "POST" */
	const char *path;       /* one of http_config.paths */
	/* The parameters, from the query string or a POST body; NULL when
	 * missing, given twice with different values, or too long. */
	const char *s;
	const char *t;
	const char *p;          /* /vote: the paper, day and direction */
	const char *d;
	const char *v;
	int one_click;          /* the body held List-Unsubscribe=One-Click */
	const char *client;     /* the client's address, printable */
	/* The values of http_config.fields, in its order, NULL as for s. */
	const char *const *fields;
	const char *const *values;
};

/* The value of the form field name (one of http_config.fields), or NULL. */
const char *http_request_field(const struct http_request *req,
			       const char *name);

struct http_reply {
	int status;             /* 0 is answered as 500 */
	struct buf body;        /* limit HTTP_MAX_REPLY */
	const char *content_type; /* default "text/html; charset=utf-8" */
};

/*
 * Called once per accepted request, never concurrently with itself. It
 * fills reply (for HEAD too: the body is left out on the wire).
 */
typedef void http_handler(void *ctx, const struct http_request *req,
			  struct http_reply *reply);

struct http_server;

/*
 * Listens on cfg->address:port and serves requests from a thread of its
 * own until http_close(). Returns 0 and *out, or -1 with eb filled (an
 * address that is not an IP literal, a port in use...).
 */
int http_start(const struct http_config *cfg, http_handler *handler,
	       void *ctx, struct http_server **out, struct errbuf *eb);

/* The port the server listens on (the one chosen when cfg->port was 0). */
unsigned http_port(const struct http_server *srv);

/* Blocks until http_stop() is called. */
void http_wait(struct http_server *srv);

/* Makes http_wait() return. Async-signal-safe: call it from a SIGTERM or
 * SIGINT handler. */
void http_stop(void);

/* Stops listening, closes every connection and frees srv (NULL is fine). */
void http_close(struct http_server *srv);

#endif
