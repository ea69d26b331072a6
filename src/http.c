/*
 * http: the unsubscribe endpoint's HTTP server on libmicrohttpd (see
 * http.h).
 *
 * Design decision: the listening socket is ours (so a port in use is
 * reported with its errno), and libmicrohttpd runs one internal polling
 * thread: the access handler, the rate table and the caller's handler are
 * only ever touched from that thread, so none of them needs a lock. The
 * one other thread, the sweeper, enforces each request's total deadline
 * (libmicrohttpd only knows inactivity); it shares nothing but the table
 * of open connections, under a lock, and acts by shutdown() alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Connections beyond HTTP_MAX_CONNECTIONS wait in the kernel's queue
 * rather than being refused while a burst is being served. */
#define HTTP_LISTEN_BACKLOG 512
/* Client addresses the rate limiter remembers; the least recently seen
 * one in a probe window is forgotten first, so memory stays bounded. */
#define HTTP_RATE_SLOTS 4096
/* Slots looked at for one address (open addressing window). */
#define HTTP_RATE_PROBE 8
/* libmicrohttpd's post processor buffer: one piece of a field value;
 * our values are at most HTTP_MAX_PARAM. */
#define HTTP_POST_BUFFER 1024
/* RFC 8058's one-click POST body is List-Unsubscribe=One-Click. */
#define ONE_CLICK "One-Click"
/* A chunked body past the limit is read and dropped up to this many
 * bytes, to answer 413 at its end; beyond, the connection is closed. */
#define HTTP_MAX_DISCARD ((size_t)1 << 20)
/* Longest printable address, IPv6 with an IPv4 tail (INET6_ADDRSTRLEN). */
#define HTTP_MAX_ADDR 46
/* How often the sweeper looks for requests past their deadline (ms). */
#define HTTP_SWEEP_MS 200
/* When this share of the connection slots (in quarters) is taken, a
 * request older than HTTP_BUSY_DEADLINE is dropped to make room: slow
 * clients cannot keep everyone else waiting for the whole deadline. */
#define HTTP_BUSY_QUARTERS 3
/* Seconds a request may take while the server is busy: the proxy sends
 * a request it has whole, a browser's takes milliseconds. */
#define HTTP_BUSY_DEADLINE 2.0

static volatile sig_atomic_t stop_requested;

struct rate_slot {
	char addr[HTTP_MAX_ADDR];
	double tokens;
	double last;            /* monotonic seconds of the last refill */
};

/* One open connection, for the deadlines and the per-address limit. */
struct conn_slot {
	int used;
	int dropped;            /* shut down by the sweeper already */
	int proxy;              /* the peer is the trusted proxy */
	MHD_socket fd;
	char addr[HTTP_MAX_ADDR]; /* the peer's address */
	double start;           /* when its current request began */
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_config cfg;
	http_handler *handler;
	void *ctx;
	unsigned port;
	struct rate_slot *rate;
	/* The connections: written by libmicrohttpd's thread, read by the
	 * sweeper's, both under lock. */
	pthread_mutex_t lock;
	struct conn_slot *conns;
	unsigned nconns;
	pthread_t sweeper;
	int sweeper_started;
	int sweeper_stop;
	pthread_cond_t sweeper_cond;
};

/* One parameter: each occurrence must agree with the first. */
struct param {
	struct buf value;
	int seen;               /* a value was given */
	int bad;                /* too long, or given twice differently */
};

struct request {
	struct MHD_PostProcessor *pp;
	size_t body_len;
	int post_error;
	int too_large;          /* a chunked body went past max_body */
	/* From the query string. */
	struct param qs, qt;
	/* From the body; a body field is collected in pieces (off > 0). */
	struct param bs, bt, blu;
	/* http_config.fields: from the query string and from the body. */
	struct param *qf, *bf;
	size_t nfields;
	const char *const *fields;
	size_t max_body;        /* this path's limit */
	char client[HTTP_MAX_ADDR];
};

void http_config_init(struct http_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->address = HTTP_DEFAULT_ADDRESS;
	cfg->port = HTTP_DEFAULT_PORT;
	cfg->max_body = HTTP_MAX_BODY;
	cfg->max_header = HTTP_MAX_HEADER;
	cfg->max_connections = HTTP_MAX_CONNECTIONS;
	cfg->max_per_ip = HTTP_MAX_PER_IP;
	cfg->timeout = HTTP_TIMEOUT;
	cfg->deadline = HTTP_DEADLINE;
	cfg->rate_per_minute = HTTP_RATE_PER_MINUTE;
	cfg->rate_burst = HTTP_RATE_BURST;
	cfg->trust_loopback_proxy = 1;
}

void http_stop(void)
{
	stop_requested = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FNV-1a: spreads addresses over the table; not a security boundary
 * (a collision only shares a window, never a bucket). */
static uint32_t hash_addr(const char *s)
{
	return (uint32_t)util_fnv1a(UTIL_FNV_BASIS, s, strlen(s));
}

/* 1 if the client may make one more request now (token bucket). */
static int rate_allow(struct http_server *srv, const char *addr)
{
	double now = now_seconds();
	double per_second = srv->cfg.rate_per_minute / 60.0;
	uint32_t h = hash_addr(addr);
	struct rate_slot *slot = NULL, *oldest = NULL;
	size_t i;

	if (!srv->cfg.rate_per_minute)
		return 1;
	for (i = 0; i < HTTP_RATE_PROBE; i++) {
		struct rate_slot *r = &srv->rate[(h + i) % HTTP_RATE_SLOTS];

		if (!strcmp(r->addr, addr)) {
			slot = r;
			break;
		}
		if (!oldest || !r->addr[0] ||
		    (oldest->addr[0] && r->last < oldest->last))
			oldest = r;
	}
	if (!slot) {
		slot = oldest;
		snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
		slot->tokens = srv->cfg.rate_burst;
		slot->last = now;
	}
	slot->tokens += (now - slot->last) * per_second;
	if (slot->tokens > srv->cfg.rate_burst)
		slot->tokens = srv->cfg.rate_burst;
	slot->last = now;
	if (slot->tokens < 1.0)
		return 0;
	slot->tokens -= 1.0;
	return 1;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;
		const unsigned char *b = in6->sin6_addr.s6_addr;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127);
	}
	return 0;
}

static void format_addr(const struct sockaddr *sa, char *out, size_t size)
{
	const void *src = NULL;

	if (sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!src || !inet_ntop(sa->sa_family, src, out, (socklen_t)size))
		snprintf(out, size, "unknown");
}

/*
 * The last address of an X-Forwarded-For list (the one the nearest proxy
 * saw), normalized; 0 when it is not an IP literal.
 */
static int forwarded_for(const char *xff, char *out, size_t size)
{
	const char *start = strrchr(xff, ',');
	char tmp[HTTP_MAX_ADDR];
	unsigned char bin[sizeof(struct in6_addr)];
	size_t len;
	int af;

	start = start ? start + 1 : xff;
	while (*start == ' ' || *start == '\t')
		start++;
	len = strlen(start);
	while (len && (start[len - 1] == ' ' || start[len - 1] == '\t'))
		len--;
	if (!len || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, start, len);
	tmp[len] = '\0';
	af = strchr(tmp, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, tmp, bin) != 1)
		return 0;
	return inet_ntop(af, bin, out, (socklen_t)size) != NULL;
}

static void client_address(struct http_server *srv, struct MHD_Connection *c,
			   char *out, size_t size)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *xff;

	if (!info || !info->client_addr) {
		snprintf(out, size, "unknown");
		return;
	}
	format_addr(info->client_addr, out, size);
	if (!srv->cfg.trust_loopback_proxy || !is_loopback(info->client_addr))
		return;
	xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					  "X-Forwarded-For");
	if (xff)
		forwarded_for(xff, out, size);
}

/* A trusted proxy's connections carry many clients: the per-address
 * limit does not apply to them (the deadlines and the total do). */
static int peer_is_proxy(const struct http_server *srv,
			 const struct sockaddr *sa)
{
	return srv->cfg.trust_loopback_proxy && is_loopback(sa);
}

/* libmicrohttpd's accept policy: refuses a peer that already has
 * max_per_ip connections open, unless it is the trusted proxy. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa,
				     socklen_t len)
{
	struct http_server *srv = cls;
	char addr[HTTP_MAX_ADDR];
	unsigned i, n = 0;

	if (!srv->cfg.max_per_ip || peer_is_proxy(srv, sa))
		return MHD_YES;
	format_addr(sa, addr, sizeof(addr));
	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < srv->cfg.max_connections; i++)
		n += srv->conns[i].used && !srv->conns[i].proxy &&
		     !strcmp(srv->conns[i].addr, addr);
	pthread_mutex_unlock(&srv->lock);
	return n < srv->cfg.max_per_ip ? MHD_YES : MHD_NO;
}

static void notify_connection(void *cls, struct MHD_Connection *c,
			      void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct conn_slot *slot = *socket_context;
	const union MHD_ConnectionInfo *fd, *peer;
	unsigned i;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (slot) {
			pthread_mutex_lock(&srv->lock);
			slot->used = 0;
			srv->nconns--;
			pthread_mutex_unlock(&srv->lock);
		}
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	peer = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < srv->cfg.max_connections; i++) {
		if (srv->conns[i].used)
			continue;
		slot = &srv->conns[i];
		memset(slot, 0, sizeof(*slot));
		slot->used = 1;
		slot->fd = fd ? fd->connect_fd : MHD_INVALID_SOCKET;
		if (peer && peer->client_addr) {
			format_addr(peer->client_addr, slot->addr,
				    sizeof(slot->addr));
			slot->proxy = peer_is_proxy(srv, peer->client_addr);
		}
		slot->start = now_seconds();
		srv->nconns++;
		*socket_context = slot;
		break;
	}
	pthread_mutex_unlock(&srv->lock);
}

/* A request is done: the connection's next one starts its clock now. */
static void restart_clock(struct http_server *srv, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_slot *slot = info ? info->socket_context : NULL;

	if (!slot)
		return;
	pthread_mutex_lock(&srv->lock);
	slot->start = now_seconds();
	pthread_mutex_unlock(&srv->lock);
}

/*
 * The sweeper: libmicrohttpd's timeout is one of inactivity, which a
 * client sending a byte now and then never reaches. Every HTTP_SWEEP_MS
 * this shuts down the socket of a request older than the deadline (or,
 * when the slots are nearly all taken, than HTTP_BUSY_DEADLINE);
 * libmicrohttpd's thread then sees the end of the stream and closes the
 * connection itself. The fd stays valid meanwhile: it is closed only
 * after NOTIFY_CLOSED, which takes the lock.
 */
static void *sweeper_main(void *arg)
{
	struct http_server *srv = arg;
	unsigned i, busy_at = srv->cfg.max_connections * HTTP_BUSY_QUARTERS / 4;

	pthread_mutex_lock(&srv->lock);
	while (!srv->sweeper_stop) {
		struct timespec until;
		double now = now_seconds();
		int busy = srv->nconns >= busy_at;

		for (i = 0; i < srv->cfg.max_connections; i++) {
			struct conn_slot *slot = &srv->conns[i];
			double age = now - slot->start;

			if (!slot->used || slot->dropped ||
			    slot->fd == MHD_INVALID_SOCKET)
				continue;
			if (age > srv->cfg.deadline ||
			    (busy && age > HTTP_BUSY_DEADLINE)) {
				shutdown(slot->fd, SHUT_RDWR);
				slot->dropped = 1;
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += HTTP_SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->sweeper_cond, &srv->lock, &until);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static void param_init_max(struct param *p, size_t max)
{
	buf_init(&p->value, max);
	p->seen = 0;
	p->bad = 0;
}

static void param_init(struct param *p)
{
	buf_init(&p->value, HTTP_MAX_PARAM);
	p->seen = 0;
	p->bad = 0;
}

static void param_release(struct param *p)
{
	buf_release(&p->value);
}

/* One complete occurrence (query strings arrive whole). */
static void param_set(struct param *p, const char *value)
{
	if (p->seen) {
		if (strcmp(buf_str(&p->value), value))
			p->bad = 1;
		return;
	}
	p->seen = 1;
	if (buf_addstr(&p->value, value) < 0)
		p->bad = 1;
}

/* A piece of a body field: off 0 starts an occurrence, and a field may
 * occur once in a body. */
static void param_piece(struct param *p, const char *data, size_t off,
			size_t size)
{
	if (!off) {
		if (p->seen)
			p->bad = 1;
		p->seen = 1;
	}
	if (size && buf_add(&p->value, data, size) < 0)
		p->bad = 1;
}

/* The value the handler sees: NULL when missing or bad, or when query and
 * body disagree. A value with a NUL byte in it is refused. */
static const char *param_merge(const struct param *q, const struct param *b)
{
	const struct param *use = b->seen ? b : q;

	if (q->bad || b->bad || !use->seen)
		return NULL;
	if (strlen(buf_str(&use->value)) != use->value.len)
		return NULL;
	if (q->seen && b->seen &&
	    strcmp(buf_str(&q->value), buf_str(&b->value)))
		return NULL;
	return buf_str(&use->value);
}

static struct request *request_new(const struct http_config *cfg)
{
	struct request *r = xcalloc(1, sizeof(*r));
	size_t i;

	while (cfg->fields && cfg->fields[r->nfields])
		r->nfields++;
	r->fields = cfg->fields;
	r->qf = xcalloc(r->nfields + 1, sizeof(*r->qf));
	r->bf = xcalloc(r->nfields + 1, sizeof(*r->bf));
	for (i = 0; i < r->nfields; i++) {
		param_init_max(&r->qf[i], HTTP_MAX_FIELD);
		param_init_max(&r->bf[i], HTTP_MAX_FIELD);
	}
	param_init(&r->qs);
	param_init(&r->qt);
	param_init(&r->bs);
	param_init(&r->bt);
	param_init(&r->blu);
	return r;
}

static void request_free(struct request *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nfields; i++) {
		param_release(&r->qf[i]);
		param_release(&r->bf[i]);
	}
	free(r->qf);
	free(r->bf);
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	param_release(&r->qs);
	param_release(&r->qt);
	param_release(&r->bs);
	param_release(&r->bt);
	param_release(&r->blu);
	free(r);
}

/* The index of key in r->fields, or r->nfields. */
static size_t field_index(const struct request *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i], key))
			break;
	return i;
}

const char *http_request_field(const struct http_request *req,
			       const char *name)
{
	size_t i;

	for (i = 0; req->fields && req->fields[i]; i++)
		if (!strcmp(req->fields[i], name))
			return req->values[i];
	return NULL;
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct request *r = cls;

	if (!key)
		return MHD_YES;
	if (!value)
		value = "";
	if (!strcmp(key, "s"))
		param_set(&r->qs, value);
	else if (!strcmp(key, "t"))
		param_set(&r->qt, value);
	else if (field_index(r, key) < r->nfields)
		param_set(&r->qf[field_index(r, key)], value);
	return MHD_YES;
}

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *filename,
				  const char *content_type,
				  const char *transfer_encoding,
				  const char *data, uint64_t off, size_t size)
{
	struct request *r = cls;
	struct param *p;

	/* A multipart part without a name reaches here with no key. */
	if (!key)
		return MHD_YES;
	if (!strcmp(key, "s"))
		p = &r->bs;
	else if (!strcmp(key, "t"))
		p = &r->bt;
	else if (!strcmp(key, "List-Unsubscribe"))
		p = &r->blu;
	else if (field_index(r, key) < r->nfields)
		p = &r->bf[field_index(r, key)];
	else
		return MHD_YES;
	param_piece(p, data, (size_t)off, size);
	return MHD_YES;
}

static void add_security_headers(struct MHD_Response *resp,
				 const char *content_type)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* frame-ancestors: a one-button page must not be framed and
	 * clicked through (clickjacking); default-src does not cover it. */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; "
				"style-src 'unsafe-inline'; "
				"form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result send_reply(struct MHD_Connection *c, int status,
				  const char *body, size_t len,
				  const char *content_type,
				  const char *extra_name,
				  const char *extra_value)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	add_security_headers(resp, content_type);
	if (extra_name)
		MHD_add_response_header(resp, extra_name, extra_value);
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The server's own answers (limits, unknown paths): no template, no
 * handler, nothing but the status in words. */
static enum MHD_Result send_error(struct MHD_Connection *c, int status,
				  const char *extra_name,
				  const char *extra_value)
{
	static const struct {
		int status;
		const char *text;
	} reasons[] = {
		{ MHD_HTTP_BAD_REQUEST, "Bad Request" },
		{ MHD_HTTP_NOT_FOUND, "Not Found" },
		{ MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed" },
		{ MHD_HTTP_CONTENT_TOO_LARGE, "Content Too Large" },
		{ MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type" },
		{ MHD_HTTP_TOO_MANY_REQUESTS, "Too Many Requests" },
		{ MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error" },
	};
	const char *text = "Error";
	struct buf b = BUF_INIT;
	enum MHD_Result ret;
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			text = reasons[i].text;
	buf_addf(&b,
		 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		 "charset=\"utf-8\"><meta name=\"color-scheme\" "
		 "content=\"light dark\"><title>%d %s</title></head>\n"
		 "<body><h1>%d %s</h1></body></html>\n",
		 status, text, status, text);
	ret = send_reply(c, status, buf_str(&b), b.len,
			 "text/html; charset=utf-8", extra_name, extra_value);
	buf_release(&b);
	return ret;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes the path and the query arguments in place, like
 * libmicrohttpd's own, except that "%00" stays as it is: a NUL would cut
 * "/unsubscribe%00.html" to a path we serve, or a token to a prefix.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	while (*r) {
		if (r[0] == '%' && (hi = hex_value(r[1])) >= 0 &&
		    (lo = hex_value(r[2])) >= 0 && (hi || lo)) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* 1 and url's body limit in *max_body, or 0 when it is not ours. */
static int path_known(const struct http_server *srv, const char *url,
		      size_t *max_body)
{
	size_t i;

	for (i = 0; srv->cfg.paths && srv->cfg.paths[i]; i++) {
		if (strcmp(srv->cfg.paths[i], url))
			continue;
		*max_body = srv->cfg.max_body;
		if (srv->cfg.max_bodies && srv->cfg.max_bodies[i])
			*max_body = srv->cfg.max_bodies[i];
		return 1;
	}
	return 0;
}

/* The first call for a request: everything that can be refused before
 * the body is read is refused here. Returns -1 when a reply was queued
 * (or the connection must close), with *ret set. */
static int start_request(struct http_server *srv, struct MHD_Connection *c,
			 const char *url, const char *method,
			 struct request *r, enum MHD_Result *ret)
{
	const char *len_hdr, *te_hdr;
	int post = !strcmp(method, MHD_HTTP_METHOD_POST);
	unsigned long long clen = 0;

	client_address(srv, c, r->client, sizeof(r->client));
	if (!rate_allow(srv, r->client)) {
		*ret = send_error(c, MHD_HTTP_TOO_MANY_REQUESTS,
				  MHD_HTTP_HEADER_RETRY_AFTER, "60");
		return -1;
	}
	if (!post && strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*ret = send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
		return -1;
	}
	if (!path_known(srv, url, &r->max_body)) {
		*ret = send_error(c, MHD_HTTP_NOT_FOUND, NULL, NULL);
		return -1;
	}
	len_hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					      MHD_HTTP_HEADER_CONTENT_LENGTH);
	te_hdr = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (len_hdr) {
		char *end;

		errno = 0;
		clen = strtoull(len_hdr, &end, 10);
		if (errno || end == len_hdr || *end)
			clen = ~0ULL;
	}
	if (clen > r->max_body) {
		*ret = send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL);
		return -1;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, r);
	if (post) {
		r->pp = MHD_create_post_processor(c, HTTP_POST_BUFFER,
						  post_field, r);
		if (!r->pp && (clen > 0 || te_hdr)) {
			*ret = send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
					  NULL, NULL);
			return -1;
		}
	}
	return 0;
}

static enum MHD_Result finish_request(struct http_server *srv,
				      struct MHD_Connection *c,
				      const char *url, const char *method,
				      struct request *r)
{
	struct http_request req;
	struct http_reply reply;
	const char **values;
	const char *lu;
	enum MHD_Result ret;
	size_t i;

	if (r->pp) {
		if (MHD_destroy_post_processor(r->pp) != MHD_YES)
			r->post_error = 1;
		r->pp = NULL;
	}
	if (r->post_error)
		return send_error(c, MHD_HTTP_BAD_REQUEST, NULL, NULL);

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.s = param_merge(&r->qs, &r->bs);
	req.t = param_merge(&r->qt, &r->bt);
	lu = buf_str(&r->blu.value);
	req.one_click = r->blu.seen && !r->blu.bad &&
			r->blu.value.len == strlen(ONE_CLICK) &&
			!strcmp(lu, ONE_CLICK);
	req.client = r->client;
	values = xcalloc(r->nfields + 1, sizeof(*values));
	for (i = 0; i < r->nfields; i++)
		values[i] = param_merge(&r->qf[i], &r->bf[i]);
	req.fields = r->fields;
	req.values = values;

	memset(&reply, 0, sizeof(reply));
	buf_init(&reply.body, HTTP_MAX_REPLY);
	srv->handler(srv->ctx, &req, &reply);
	if (!reply.status) {
		ret = send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
				 NULL);
	} else {
		ret = send_reply(c, reply.status, buf_str(&reply.body),
				 reply.body.len,
				 reply.content_type
					 ? reply.content_type
					 : "text/html; charset=utf-8",
				 NULL, NULL);
	}
	buf_release(&reply.body);
	free(values);
	return ret;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *c,
				      const char *url, const char *method,
				      const char *version,
				      const char *upload_data,
				      size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request *r = *con_cls;
	enum MHD_Result ret = MHD_NO;

	if (!r) {
		r = request_new(&srv->cfg);
		*con_cls = r;
		if (start_request(srv, c, url, method, r, &ret) < 0)
			return ret;
		return MHD_YES;
	}
	if (*upload_data_size) {
		r->body_len += *upload_data_size;
		/* A chunked body that grows past the limit: libmicrohttpd
		 * 0.9.75 cannot queue a reply mid-body, so the rest is
		 * read and dropped, and the 413 goes out at its end; a
		 * body that goes on past HTTP_MAX_DISCARD is cut off. */
		if (r->body_len > r->max_body) {
			r->too_large = 1;
			*upload_data_size = 0;
			return r->body_len > HTTP_MAX_DISCARD ? MHD_NO
							      : MHD_YES;
		}
		if (r->pp && MHD_post_process(r->pp, upload_data,
					      *upload_data_size) != MHD_YES)
			r->post_error = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->too_large)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL);
	return finish_request(srv, c, url, method, r);
}

static void request_completed(void *cls, struct MHD_Connection *c,
			      void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	restart_clock(cls, c);
	request_free(*con_cls);
	*con_cls = NULL;
}

/* Opens the listening socket ourselves, so that a failure carries its
 * errno ("Address already in use") and port 0 can be read back. */
static int open_listener(const struct http_config *cfg, int *fd_out,
			 unsigned *port_out, int *v6, struct errbuf *eb)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (cfg->port > 65535)
		return errbuf_set(eb, "port %u is out of range", cfg->port);
	if (inet_pton(AF_INET, cfg->address, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)cfg->port);
		len = sizeof(*in);
		*v6 = 0;
	} else if (inet_pton(AF_INET6, cfg->address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->port);
		len = sizeof(*in6);
		*v6 = 1;
	} else {
		return errbuf_set(eb, "'%s' is not an IPv4 or IPv6 address",
				  cfg->address);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return errbuf_set(eb, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (*v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		errbuf_set(eb, "%s%s%s:%u: %s", *v6 ? "[" : "", cfg->address,
			   *v6 ? "]" : "", cfg->port, strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		errbuf_set(eb, "getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*port_out = ntohs(ss.ss_family == AF_INET ? in->sin_port
						   : in6->sin6_port);
	*fd_out = fd;
	return 0;
}

int http_start(const struct http_config *cfg, http_handler *handler,
	       void *ctx, struct http_server **out, struct errbuf *eb)
{
	struct http_server *srv;
	/* poll(), not epoll: in libmicrohttpd 0.9.75's epoll mode a client
	 * that closes its side keeps its slot until the idle timeout; with
	 * poll() the slot is freed at once. We serve HTTP_MAX_CONNECTIONS
	 * at most, where poll() costs nothing. */
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD;
	int fd = -1, v6 = 0;

	*out = NULL;
	srv = xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	srv->handler = handler;
	srv->ctx = ctx;
	srv->rate = xcalloc(HTTP_RATE_SLOTS, sizeof(*srv->rate));
	srv->conns = xcalloc(cfg->max_connections ? cfg->max_connections : 1,
			     sizeof(*srv->conns));
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->sweeper_cond, NULL);
	if (open_listener(cfg, &fd, &srv->port, &v6, eb) < 0) {
		http_close(srv);
		return -1;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	stop_requested = 0;
	/* The per-address limit is accept_policy's, not libmicrohttpd's:
	 * behind the proxy every visitor has the proxy's address. */
	srv->daemon = MHD_start_daemon(
		flags, 0, accept_policy, srv, access_handler, srv,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout,
		MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv,
		MHD_OPTION_END);
	if (!srv->daemon) {
		close(fd);
		http_close(srv);
		return errbuf_set(eb, "libmicrohttpd could not start on "
				      "%s:%u", cfg->address, cfg->port);
	}
	if (cfg->deadline) {
		if (pthread_create(&srv->sweeper, NULL, sweeper_main, srv)) {
			http_close(srv);
			return errbuf_set(eb, "could not start the thread that "
					      "enforces request deadlines");
		}
		srv->sweeper_started = 1;
	}
	*out = srv;
	return 0;
}

unsigned http_port(const struct http_server *srv)
{
	return srv->port;
}

void http_wait(struct http_server *srv)
{
	/* A signal interrupts the sleep; the flag is what decides. */
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	while (!stop_requested)
		nanosleep(&tick, NULL);
}

void http_close(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->sweeper_started) {
		pthread_mutex_lock(&srv->lock);
		srv->sweeper_stop = 1;
		pthread_cond_signal(&srv->sweeper_cond);
		pthread_mutex_unlock(&srv->lock);
		pthread_join(srv->sweeper, NULL);
	}
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->sweeper_cond);
	free(srv->conns);
	free(srv->rate);
	free(srv);
}
