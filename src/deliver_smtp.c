/*
 * deliver_smtp: the SMTP transport of the deliver module, on libesmtp
 * (see deliver.h for the outcome model).
 *
 * This is the only file that includes libesmtp's and OpenSSL's TLS
 * headers. libesmtp runs a whole session inside smtp_start_session(); we
 * follow it through three callbacks: the event callback (recipient status,
 * message sent, TLS verdicts), the monitor callback (which command is on
 * the wire, to name the failing step; AUTH lines are never kept), and the
 * message callback (the data). Design decision: the verdict for each
 * message is taken from the recipient and transfer statuses, never from
 * smtp_start_session()'s return value.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <auth-client.h>
#include <libesmtp.h>

#include "buf.h"
#include "deliver.h"
#include "deliver_smtps.h"
#include "xalloc.h"
#include "banned.h"

/* Chunk size handed to libesmtp per message-callback call. */
#define DELIVER_CHUNK 65536
/* Highest descriptor searched for libesmtp's socket when /proc/self/fd
 * cannot be listed. */
#define DELIVER_MAX_FD_SCAN 4096
/* Sockets to the server told apart at once (16 connections at most, and
 * room for a few that are closing). */
#define DELIVER_MAX_SOCKETS 64

/* One TCP socket to the server: its descriptor and its local port (a
 * descriptor number closed and reused meanwhile has another port). */
struct server_socket {
	int fd;
	long local_port;
};

struct deliver_smtp {
	char *host;
	long port;
	char *tls;
	int tls_verify;
	char *ca_file;
	char *user;
	char *password;
	char *envelope_from;
	char *helo;
	long timeout_ms;
	FILE *trace;
	SSL_CTX *ssl_ctx;
	struct deliver_smtps *smtps; /* tls = "implicit": libcurl's turn */
	unsigned long connections;
};

/* What one running session knows, shared by the callbacks. */
struct session_state {
	struct deliver_smtp *s;
	struct deliver_item *items;
	size_t n;
	const struct deliver_hooks *hooks;
	char step[16];               /* verb of the last command sent */
	char reply[DELIVER_MAX_REPLY]; /* last reply line before our QUIT */
	int ended;                   /* our QUIT or the server's 421 came:
					the step and reply are kept as they
					were */
	long long last_io_ms;        /* when the server was last heard or
					written to (monotonic) */
	int replies;                 /* reply chunks read so far */
	int greeting_code;           /* the server's first reply */
	int mail_refused;            /* MAIL FROM was answered with 5xx */
	char mail_reply[DELIVER_MAX_REPLY]; /* ... and what it said */
	int auth_failed;
	int tls_failed;
	int tls_ok;                  /* the STARTTLS handshake completed */
	char tls_error[256];
	int connected;
	int fd;                      /* libesmtp's socket, or -1 (unknown) */
	int corked;                  /* TCP_CORK is on */
	int connect_locked;          /* connect_mu is held (connect_begin) */
	struct server_socket before[DELIVER_MAX_SOCKETS]; /* at connect_begin */
	size_t nbefore;
};

/* Per message: where the data callback is. */
struct reader {
	struct deliver_item *it;
	struct session_state *ss;
	smtp_message_t message;
	size_t off;
	int data_started;            /* libesmtp asked for the data */
};

const char *deliver_outcome_name(enum deliver_outcome o)
{
	switch (o) {
	case DELIVER_SENT:
		return "sent";
	case DELIVER_DEFERRED:
		return "deferred";
	case DELIVER_FAILED:
		return "failed";
	case DELIVER_IN_DOUBT:
		return "in-doubt";
	default:
		return "pending";
	}
}

static int is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int make_ssl_ctx(struct deliver_smtp *s, struct errbuf *eb)
{
	s->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (!s->ssl_ctx)
		return errbuf_set(eb, "TLS: cannot create a TLS context");
	SSL_CTX_set_min_proto_version(s->ssl_ctx, TLS1_2_VERSION);
	/* libesmtp 1.1 reads TLS 1.3 session tickets that arrive after the
	 * handshake as a dropped connection (seen against aiosmtpd on
	 * loopback: about one session in ten fails after STARTTLS). TLS 1.2
	 * has no post-handshake messages. */
	SSL_CTX_set_max_proto_version(s->ssl_ctx, TLS1_2_VERSION);
	if (SSL_CTX_set_default_verify_paths(s->ssl_ctx) != 1)
		return errbuf_set(eb, "TLS: cannot load the system's "
				      "certificate authorities");
	if (s->ca_file && s->ca_file[0] &&
	    SSL_CTX_load_verify_locations(s->ssl_ctx, s->ca_file, NULL) != 1)
		return errbuf_set(eb, "TLS: cannot load ca_file %s",
				  s->ca_file);
	/* libesmtp checks the verdict and the host name itself and asks
	 * our event callback; the handshake must not fail before that. */
	SSL_CTX_set_verify(s->ssl_ctx, SSL_VERIFY_NONE, NULL);
	return 0;
}

int deliver_smtp_new(const struct deliver_smtp_config *cfg,
		     struct deliver_smtp **out, struct errbuf *eb)
{
	struct deliver_smtp *s;

	if (!cfg->host || !cfg->host[0])
		return errbuf_set(eb, "delivery.smtp.host is empty");
	if (strcmp(cfg->tls, "starttls") && strcmp(cfg->tls, "none") &&
	    strcmp(cfg->tls, "implicit"))
		return errbuf_set(eb, "delivery.smtp.tls = \"%s\" is not "
				      "supported by this transport", cfg->tls);
	if (!strcmp(cfg->tls, "none") && !is_loopback(cfg->host))
		return errbuf_set(eb, "delivery.smtp.tls = \"none\" is only "
				      "allowed for a relay on this machine "
				      "(127.0.0.1, ::1, localhost), not %s",
				  cfg->host);
	s = xcalloc(1, sizeof(*s));
	s->host = xstrdup(cfg->host);
	s->port = cfg->port;
	s->tls = xstrdup(cfg->tls);
	s->tls_verify = cfg->tls_verify;
	s->ca_file = xstrdup(cfg->ca_file ? cfg->ca_file : "");
	s->user = xstrdup(cfg->user ? cfg->user : "");
	s->password = xstrdup(cfg->password ? cfg->password : "");
	s->envelope_from = xstrdup(cfg->envelope_from);
	s->helo = xstrdup_or_null(cfg->helo);
	s->trace = cfg->trace;
	s->timeout_ms = (cfg->timeout_seconds > 0 ? cfg->timeout_seconds
						   : DELIVER_DEFAULT_TIMEOUT) *
			1000;
	if (!strcmp(s->tls, "starttls") && make_ssl_ctx(s, eb) < 0) {
		deliver_smtp_free(s);
		return -1;
	}
	if (!strcmp(s->tls, "implicit") &&
	    deliver_smtps_new(cfg, &s->smtps, eb) < 0) {
		deliver_smtp_free(s);
		return -1;
	}
	auth_client_init();
	*out = s;
	return 0;
}

void deliver_smtp_free(struct deliver_smtp *s)
{
	if (!s)
		return;
	if (s->password)
		memset(s->password, 0, strlen(s->password));
	free(s->host);
	free(s->tls);
	free(s->ca_file);
	free(s->user);
	free(s->password);
	free(s->envelope_from);
	free(s->helo);
	if (s->ssl_ctx)
		SSL_CTX_free(s->ssl_ctx);
	deliver_smtps_free(s->smtps);
	free(s);
}

unsigned long deliver_smtp_connections(const struct deliver_smtp *s)
{
	return s->connections;
}

/* Copies a server reply, one line, no control characters. */
static void set_reply(char *dst, size_t size, int code, const char *text)
{
	size_t i, n;

	n = (size_t)snprintf(dst, size, "%d %s", code, text ? text : "");
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
	while (n && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

static void settle(struct session_state *ss, struct deliver_item *it,
		   enum deliver_outcome o, const smtp_status_t *st)
{
	if (it->outcome != DELIVER_PENDING && it->outcome != DELIVER_IN_DOUBT)
		return;
	it->outcome = o;
	set_reply(it->reply, sizeof(it->reply), st->code, st->text);
	if (ss->hooks && ss->hooks->on_result)
		ss->hooks->on_result(it, ss->hooks->ctx);
}

/* The outcome a final reply (2xx, 4xx, 5xx) gives a message. */
static enum deliver_outcome classify(int code)
{
	if (code >= 200 && code < 300)
		return DELIVER_SENT;
	if (code >= 400 && code < 500)
		return DELIVER_DEFERRED;
	return DELIVER_FAILED;
}

/* 1 if code answers a command for good: not 354, not "no reply". */
static int is_final(int code)
{
	return (code >= 200 && code < 300) || (code >= 400 && code < 600);
}

static void on_rcpt_status(struct session_state *ss, smtp_recipient_t r)
{
	struct deliver_item *it = smtp_recipient_get_application_data(r);
	const smtp_status_t *st = smtp_recipient_status(r);

	if (!it || !st)
		return;
	/* After a refused AUTH the server refuses everyone for that reason:
	 * that is the session's failure, not the recipient's. */
	if (ss->auth_failed || ss->tls_failed)
		return;
	if (st->code >= 200 && st->code < 300) {
		/* DATA and the body come next: from here on, in doubt. */
		it->attempted = 1;
		it->outcome = DELIVER_IN_DOUBT;
		if (ss->hooks && ss->hooks->on_attempt)
			ss->hooks->on_attempt(it, ss->hooks->ctx);
	} else if (st->code >= 400) {
		settle(ss, it, classify(st->code), st);
	}
}

static void on_message_sent(struct session_state *ss, smtp_message_t m)
{
	struct reader *r = smtp_message_get_application_data(m);
	const smtp_status_t *st = smtp_message_transfer_status(m);

	if (!r || !st || !is_final(st->code) || !r->it->attempted)
		return;
	settle(ss, r->it, classify(st->code), st);
}

/* MAIL FROM refused: 4xx defers that message (its RCPT never went out);
 * 5xx refuses our sender, which no retry fixes: the session's failure. */
static void on_mail_status(struct session_state *ss, smtp_message_t m)
{
	struct reader *r = smtp_message_get_application_data(m);
	const smtp_status_t *st = smtp_reverse_path_status(m);

	if (!r || !st || ss->auth_failed || ss->tls_failed)
		return;
	if (st->code >= 500) {
		ss->mail_refused = 1;
		set_reply(ss->mail_reply, sizeof(ss->mail_reply), st->code,
			  st->text);
	} else if (st->code >= 400) {
		settle(ss, r->it, DELIVER_DEFERRED, st);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Held from just before a session connects until its SMTP_EV_CONNECT:
 * the one socket to the server that appeared meanwhile is that
 * session's (the others connect after it). */
static pthread_mutex_t connect_mu = PTHREAD_MUTEX_INITIALIZER;

static long sockaddr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return -1;
}

/* If fd is a TCP socket connected to port, adds it to out[0..*n). */
static void add_if_server(int fd, long port, struct server_socket *out,
			  size_t *n)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (*n >= DELIVER_MAX_SOCKETS ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    type != SOCK_STREAM ||
	    getpeername(fd, (struct sockaddr *)&a, &len) < 0 ||
	    sockaddr_port(&a) != port)
		return;
	len = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return;
	out[*n].fd = fd;
	out[(*n)++].local_port = sockaddr_port(&a);
}

/*
 * The process's TCP sockets connected to port, into out (at most
 * DELIVER_MAX_SOCKETS). The open descriptors are listed from
 * /proc/self/fd: probing every number up to RLIMIT_NOFILE costs
 * thousands of system calls per connection, and is only the fallback.
 */
static size_t server_sockets(long port, struct server_socket *out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	if (d) {
		while ((e = readdir(d))) {
			char *end;
			long fd = strtol(e->d_name, &end, 10);

			if (*end || end == e->d_name || fd < 3 ||
			    fd == dirfd(d) || fd > INT_MAX)
				continue;
			add_if_server((int)fd, port, out, &n);
		}
		closedir(d);
	} else {
		struct rlimit rl;
		int fd, max = DELIVER_MAX_FD_SCAN;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < (rlim_t)max)
			max = (int)rl.rlim_cur;
		for (fd = 3; fd < max; fd++)
			add_if_server(fd, port, out, &n);
	}
	return n;
}

static int has_socket(const struct server_socket *v, size_t n,
		      const struct server_socket *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].fd == s->fd && v[i].local_port == s->local_port)
			return 1;
	return 0;
}

/* Before the session connects: takes connect_mu and notes the sockets
 * already connected to the server. */
static void connect_begin(struct session_state *ss)
{
	pthread_mutex_lock(&connect_mu);
	ss->connect_locked = 1;
	ss->nbefore = server_sockets(ss->s->port, ss->before);
}

/* Releases connect_mu if this session still holds it. */
static void connect_end(struct session_state *ss)
{
	if (!ss->connect_locked)
		return;
	ss->connect_locked = 0;
	pthread_mutex_unlock(&connect_mu);
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * libesmtp gives no access to its socket, and SMTP_EV_CONNECT comes
 * right after connect(): the socket to our server's port that was not
 * there before connect_begin is this session's (ss->fd). On it:
 *  - TCP_NODELAY: libesmtp writes a message in 2 KB pieces, and with
 *    Nagle's algorithm the last piece (the final ".") waits for the
 *    server's delayed ACK, ~40 ms per message, which caps a connection
 *    at ~30 messages a second;
 *  - TCP_CORK while a message's data is written (message_cb): the 2 KB
 *    pieces then leave in full-sized segments instead of one segment
 *    (and one trip through the network stack and the server's wakeup)
 *    per piece.
 * Should the socket not be told apart (a second server address tried
 * after the first dropped, more than one new socket), every socket to
 * the port gets TCP_NODELAY, as before, and there is no cork.
 */
static void find_socket(struct session_state *ss)
{
	struct server_socket now[DELIVER_MAX_SOCKETS];
	size_t i, n, fresh = 0;
	int fd = -1;

	ss->fd = -1;
	n = server_sockets(ss->s->port, now);
	for (i = 0; i < n; i++) {
		if (ss->connect_locked &&
		    has_socket(ss->before, ss->nbefore, &now[i]))
			continue;
		fresh++;
		fd = now[i].fd;
	}
	connect_end(ss);
	if (fresh == 1) {
		ss->fd = fd;
		set_nodelay(fd);
		return;
	}
	for (i = 0; i < n; i++)
		set_nodelay(now[i].fd);
}

/* TCP_CORK on (1) or off (0) on this session's socket, if known. */
static void set_cork(struct session_state *ss, int on)
{
	if (ss->fd < 0 || ss->corked == on)
		return;
	ss->corked = on;
	setsockopt(ss->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

static void event_cb(smtp_session_t session, int event, void *arg, ...)
{
	struct session_state *ss = arg;
	va_list ap;

	(void)session;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_CONNECT:
		ss->connected = 1;
		ss->last_io_ms = now_ms(); /* the greeting is awaited */
		ss->s->connections++;
		find_socket(ss);
		break;
	case SMTP_EV_DISCONNECT:
		ss->fd = -1;
		ss->corked = 0;
		break;
	case SMTP_EV_MAILSTATUS: {
		const char *mailbox = va_arg(ap, const char *);
		smtp_message_t m = va_arg(ap, smtp_message_t);
		(void)mailbox;
		on_mail_status(ss, m);
		break;
	}
	case SMTP_EV_RCPTSTATUS: {
		const char *mailbox = va_arg(ap, const char *);
		smtp_recipient_t r = va_arg(ap, smtp_recipient_t);
		(void)mailbox;
		on_rcpt_status(ss, r);
		break;
	}
	case SMTP_EV_MESSAGESENT: {
		smtp_message_t m = va_arg(ap, smtp_message_t);
		on_message_sent(ss, m);
		break;
	}
	case SMTP_EV_STARTTLS_OK:
		ss->tls_ok = 1;
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		ss->tls_failed = 1;
		snprintf(ss->tls_error, sizeof(ss->tls_error),
			 "the server does not offer STARTTLS, and "
			 "delivery.smtp.tls = \"starttls\" requires it");
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long result = va_arg(ap, long);
		int *ok = va_arg(ap, int *);
		if (ss->s->tls_verify) {
			*ok = 0;
			ss->tls_failed = 1;
			snprintf(ss->tls_error, sizeof(ss->tls_error),
				 "the server's certificate is not trusted: %s",
				 X509_verify_cert_error_string(result));
		} else {
			*ok = 1;
		}
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		*ok = !ss->s->tls_verify;
		if (!*ok) {
			ss->tls_failed = 1;
			snprintf(ss->tls_error, sizeof(ss->tls_error),
				 "the server sent no certificate");
		}
		break;
	}
	case SMTP_EV_WRONG_PEER_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		const char *domain = va_arg(ap, const char *);
		*ok = !ss->s->tls_verify;
		if (!*ok) {
			ss->tls_failed = 1;
			snprintf(ss->tls_error, sizeof(ss->tls_error),
				 "the server's certificate is for %s, not %s",
				 domain ? domain : "another name",
				 ss->s->host);
		}
		break;
	}
	case SMTP_EV_WEAK_CIPHER: {
		int bits = va_arg(ap, int);
		int *ok = va_arg(ap, int *);
		(void)bits;
		*ok = 0;
		ss->tls_failed = 1;
		snprintf(ss->tls_error, sizeof(ss->tls_error),
			 "the server negotiated a weak cipher");
		break;
	}
	default:
		break;
	}
	va_end(ap);
}

/* 1 if a line of buf[0..n) starts with the command verb cmd. */
static int has_command(const char *buf, size_t n, const char *cmd)
{
	size_t i, k = strlen(cmd);

	for (i = 0; i + k <= n; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && !memcmp(buf + i, cmd, k))
			return 1;
	}
	return 0;
}

/* Keeps the last line of a chunk of replies (a multi-line reply ends
 * with the line that has its final code). */
static void keep_last_line(char *dst, size_t size, const char *buf, size_t n)
{
	size_t start;

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	for (start = n; start && buf[start - 1] != '\n'; start--)
		;
	n -= start;
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, buf + start, n);
	dst[n] = '\0';
}

/* The three-digit code at the start of a reply, or 0. */
static int reply_code(const char *r)
{
	if (r[0] < '1' || r[0] > '5' || r[1] < '0' || r[1] > '9' ||
	    r[2] < '0' || r[2] > '9')
		return 0;
	return (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
}

/*
 * Follows the protocol to name the failing step and keep the reply that
 * refused it. Only the verb of what we write is kept: AUTH lines carry
 * the password. Once the session is ending (our QUIT is out, or the
 * server said 421), neither changes: the server's "221 Bye", or the RSET
 * libesmtp sends after a 421, must not stand in for the reply and the
 * step that ended the session.
 */
static void monitor_cb(const char *buf, int len, int writing, void *arg)
{
	struct session_state *ss = arg;
	size_t i, n = len > 0 ? (size_t)len : 0;
	const char *line, *next;

	if (writing == SMTP_CB_HEADERS)
		return;
	ss->last_io_ms = now_ms();
	if (ss->s->trace) {
		int redact = writing && (!strcmp(ss->step, "AUTH") ||
					 (n >= 4 && !memcmp(buf, "AUTH", 4)));
		if (redact)
			fprintf(ss->s->trace, "smtp > [AUTH, redacted]\n");
		else
			fprintf(ss->s->trace, "smtp %s %.*s", writing ? ">" : "<",
				(int)n, buf);
	}
	if (writing) {
		if (has_command(buf, n, "QUIT"))
			ss->ended = 1; /* the step that failed came before */
		if (ss->ended)
			return;
		if (!strcmp(ss->step, "DATA") && n && buf[0] != 'R' &&
		    buf[0] != 'M')
			return; /* message body */
		/* The last command of a pipelined batch ("RCPT ... DATA")
		 * is the one a lost connection interrupts. */
		for (line = buf; line < buf + n; line = next) {
			next = memchr(line, '\n', (size_t)(buf + n - line));
			next = next ? next + 1 : buf + n;
			for (i = 0; line + i < next &&
				    i + 1 < sizeof(ss->step) &&
				    line[i] >= 'A' && line[i] <= 'Z'; i++)
				ss->step[i] = line[i];
			if (i)
				ss->step[i] = '\0';
		}
		return;
	}
	/* Replies: "250 text" or "250-text", one or more lines. */
	if (ss->ended || n < 3)
		return;
	if (!ss->replies++)
		ss->greeting_code = reply_code(buf);
	keep_last_line(ss->reply, sizeof(ss->reply), buf, n);
	if (reply_code(ss->reply) == 421)
		ss->ended = 1; /* "closing the connection" */
	if (!strcmp(ss->step, "AUTH") &&
	    (ss->reply[0] == '5' || ss->reply[0] == '4'))
		ss->auth_failed = 1;
}

static const char *message_cb(void **ctx, int *len, void *arg)
{
	struct reader *r = arg;
	size_t left;
	const char *p;

	(void)ctx;
	if (!len) {
		r->off = 0; /* rewind */
		return NULL;
	}
	/* libesmtp reads the message only once DATA got its 354. */
	r->data_started = 1;
	r->ss->last_io_ms = now_ms();
	left = r->it->len - r->off;
	if (!left) {
		const struct deliver_hooks *h = r->ss->hooks;

		/* The queued pieces leave now; libesmtp's last one and the
		 * final "." follow our return. */
		set_cork(r->ss, 0);
		if (h && h->on_data_end)
			h->on_data_end(r->it, h->ctx);
		*len = 0;
		return NULL;
	}
	if (!r->off)
		set_cork(r->ss, 1);
	if (left > DELIVER_CHUNK)
		left = DELIVER_CHUNK;
	p = r->it->data + r->off;
	r->off += left;
	*len = (int)left;
	return p;
}

static int interact_cb(auth_client_request_t req, char **result, int fields,
		       void *arg)
{
	struct deliver_smtp *s = arg;
	int i;

	for (i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = s->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = s->password;
		else
			result[i] = NULL;
	}
	return 1;
}

/* Why the session ended early: libesmtp's words and the last reply. */
static void session_why(struct session_state *ss, char *dst, size_t size)
{
	char err[128];
	int e = smtp_errno();
	const char *what = e ? smtp_strerror(e, err, sizeof(err)) : "failed";

	/* libesmtp reports a timeout as a dropped connection. */
	if (ss->last_io_ms && !ss->ended &&
	    now_ms() - ss->last_io_ms >= ss->s->timeout_ms) {
		snprintf(err, sizeof(err), "no reply within %ld s (timeout)",
			 ss->s->timeout_ms / 1000);
		what = err;
	}
	if (snprintf(dst, size, "%s%s%s", what,
		     ss->reply[0] ? "; last reply: " : "", ss->reply) < 0)
		dst[0] = '\0';
}

/* The step and reply a session failure is reported with. */
static int session_error(struct session_state *ss, struct errbuf *eb)
{
	char err[128], why[DELIVER_MAX_REPLY + 128];
	int e = smtp_errno();

	if (!ss->connected)
		return errbuf_set(eb, "connect: cannot reach %s:%ld: %s",
				  ss->s->host, ss->s->port,
				  smtp_strerror(e, err, sizeof(err)));
	if (ss->greeting_code >= 400) {
		/* 421 "busy" may pass; 554 "no service for you" will not. */
		errbuf_set(eb, "connect: %s:%ld refused the session: %s",
			   ss->s->host, ss->s->port, ss->reply);
		return ss->greeting_code >= 500 ? -2 : -1;
	}
	if (ss->tls_failed)
		return errbuf_set(eb, "TLS: %s", ss->tls_error), -2;
	if (ss->auth_failed)
		return errbuf_setk(eb, ERRBUF_AUTH,
				   "AUTH: authentication failed for user "
				      "\"%s\": %s", ss->s->user, ss->reply),
		       -2;
	if (!strcmp(ss->s->tls, "starttls") && !ss->tls_ok)
		return errbuf_set(eb, "TLS: the STARTTLS handshake failed or "
				      "timed out; last reply: %s", ss->reply);
	if (ss->mail_refused)
		return errbuf_set(eb, "MAIL: the server refused the sender "
				      "%s: %s", ss->s->envelope_from,
				  ss->mail_reply), -2;
	session_why(ss, why, sizeof(why));
	return errbuf_set(eb, "%s: %s", ss->step[0] ? ss->step : "connect",
			  why);
}

/*
 * After the session: a message whose data had begun and that got no
 * final reply stays in doubt (a timeout waiting for the reply to the end
 * of the data included: the server may have stored it); one accepted at
 * RCPT whose data never began is deferred (the server has nothing).
 * Returns 1 if it is still pending (the session never reached it).
 */
static int resolve(struct session_state *ss, struct reader *r)
{
	struct deliver_item *it = r->it;
	const smtp_status_t *st = smtp_message_transfer_status(r->message);
	char why[DELIVER_MAX_REPLY + 128];

	if (it->outcome == DELIVER_IN_DOUBT && st && is_final(st->code))
		settle(ss, it, classify(st->code), st);
	if (it->outcome != DELIVER_IN_DOUBT)
		return it->outcome == DELIVER_PENDING;
	session_why(ss, why, sizeof(why));
	if (!r->data_started) {
		if (snprintf(it->reply, sizeof(it->reply),
			     "the connection ended before the data: %s",
			     why) < 0)
			it->reply[0] = '\0';
		it->outcome = DELIVER_DEFERRED;
		if (ss->hooks && ss->hooks->on_result)
			ss->hooks->on_result(it, ss->hooks->ctx);
	} else {
		if (snprintf(it->reply, sizeof(it->reply),
			     "no reply to the end of the data: %s", why) < 0)
			it->reply[0] = '\0';
	}
	return 0;
}

int deliver_smtp_send(struct deliver_smtp *s, struct deliver_item *items,
		      size_t n, const struct deliver_hooks *hooks,
		      struct errbuf *eb)
{
	struct session_state ss;
	struct reader *readers = NULL;
	smtp_session_t session = NULL;
	auth_context_t auth = NULL;
	struct buf server = BUF_INIT;
	size_t i, pending = 0;
	int ret = -1;

	/* libesmtp has no implicit TLS (SMTPS): libcurl carries that. */
	if (s->smtps)
		return deliver_smtps_send(s->smtps, items, n, hooks,
					  &s->connections, eb);
	memset(&ss, 0, sizeof(ss));
	ss.s = s;
	ss.fd = -1;
	ss.items = items;
	ss.n = n;
	ss.hooks = hooks;
	for (i = 0; i < n; i++) {
		items[i].outcome = DELIVER_PENDING;
		items[i].reply[0] = '\0';
		items[i].attempted = 0;
	}
	if (!n)
		return 0;

	session = smtp_create_session();
	if (!session)
		return errbuf_set(eb, "connect: cannot create an SMTP session");
	buf_addf(&server, "%s:%ld", s->host, s->port);
	smtp_set_server(session, buf_str(&server));
	if (s->helo && s->helo[0])
		smtp_set_hostname(session, s->helo);
	smtp_set_eventcb(session, event_cb, &ss);
	smtp_set_monitorcb(session, monitor_cb, &ss, 0);
	smtp_set_timeout(session, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM,
			 s->timeout_ms);
	smtp_set_timeout(session, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM,
			 s->timeout_ms);
	smtp_set_timeout(session, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM,
			 s->timeout_ms);
	smtp_set_timeout(session, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM,
			 s->timeout_ms);
	smtp_set_timeout(session, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM,
			 s->timeout_ms);
	if (!strcmp(s->tls, "starttls")) {
		smtp_starttls_set_ctx(session, s->ssl_ctx);
		smtp_starttls_enable(session, Starttls_REQUIRED);
	} else {
		smtp_starttls_enable(session, Starttls_DISABLED);
	}
	if (s->user[0]) {
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, interact_cb, s);
		smtp_auth_set_context(session, auth);
	}

	readers = xcalloc(n, sizeof(*readers));
	for (i = 0; i < n; i++) {
		smtp_message_t m = smtp_add_message(session);
		smtp_recipient_t r;

		readers[i].it = &items[i];
		readers[i].ss = &ss;
		readers[i].message = m;
		smtp_set_reverse_path(m, items[i].envelope_from
						 ? items[i].envelope_from
						 : s->envelope_from);
		smtp_message_set_application_data_release(m, &readers[i],
							  NULL);
		smtp_set_messagecb(m, message_cb, &readers[i]);
		r = smtp_add_recipient(m, items[i].rcpt);
		smtp_recipient_set_application_data_release(r, &items[i],
							    NULL);
	}

	connect_begin(&ss);
	smtp_start_session(session);
	connect_end(&ss); /* no SMTP_EV_CONNECT: the connection failed */

	/* Whatever the session says, read every message's own status: a
	 * refused DATA command, for one, sends no "message sent" event. */
	for (i = 0; i < n; i++)
		pending += resolve(&ss, &readers[i]);
	/* A session that left messages behind ended early (a dropped
	 * connection, a 421, a refusal): the caller retries them. */
	if (pending || ss.mail_refused || ss.tls_failed) {
		ret = session_error(&ss, eb);
		if (ret == 0)
			ret = -1;
		goto out;
	}
	ret = 0;
out:
	if (session)
		smtp_destroy_session(session);
	if (auth)
		auth_destroy_context(auth);
	free(readers);
	buf_release(&server);
	return ret;
}
