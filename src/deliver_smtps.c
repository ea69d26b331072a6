/*
 * deliver_smtps: the implicit-TLS SMTP transport, on libcurl (see
 * deliver_smtps.h for why it exists, deliver.h for the outcome model).
 *
 * The only file of the deliver module that includes curl.h. Design
 * decision: a message's verdict comes from what the server answered to
 * each command, as the debug callback saw it, and from whether its data
 * had begun (the read callback ran), not from curl's return code: curl
 * reports a refused recipient, a refused message and a lost connection
 * with the same few codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "deliver_smtps.h"
#include "xalloc.h"
#include "banned.h"

/* Room for a command verb ("EHLO", "AUTH", "MAIL", "RCPT", "DATA"). */
#define SMTPS_MAX_VERB 16
/* Replies one message waits for at most (greeting, EHLO, AUTH twice,
 * MAIL, RCPT, DATA, the end of the data), rounded up: a message's time
 * limit is this many reply timeouts... */
#define SMTPS_REPLIES_PER_MESSAGE 10
/* ...plus its size at this rate (bytes per second), the slowest uplink
 * worth waiting for: a stall is caught sooner, by the low-speed limit. */
#define SMTPS_MIN_RATE 10000
/* Room for our own host name, said in EHLO when the caller gives none
 * (a DNS name is at most 255 octets). */
#define SMTPS_MAX_HOSTNAME 256

struct deliver_smtps {
	char *url;            /* smtps://HOST:PORT/HELO */
	char *host;
	long port;
	int tls_verify;
	char *ca_file;        /* NULL: curl's own trust store only */
	char *user;           /* NULL: no AUTH */
	char *password;
	char *envelope_from;
	char *mail_from;      /* "<envelope_from>" for curl */
	long timeout;         /* seconds to wait for any reply */
	FILE *trace;
};

/* What the callbacks know about the message in flight. */
struct session {
	struct deliver_smtps *t;
	const struct deliver_hooks *hooks;
	struct deliver_item *it;
	size_t off;                    /* the read callback's place in it */
	char step[SMTPS_MAX_VERB];     /* verb of the last command sent */
	int code;                      /* the reply to step; 0: none yet */
	char reply[DELIVER_MAX_REPLY]; /* the last reply line */
	int in_auth;                   /* what we send now is credentials */
	int quitting;                  /* curl is closing the connection */
	int data_go;                   /* DATA was answered 354 */
	int final_code;                /* the reply to the end of the data */
	char error[CURL_ERROR_SIZE];   /* curl's own words */
};

static int have_smtps(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	const char *const *p;

	for (p = v->protocols; p && *p; p++)
		if (!strcmp(*p, "smtps"))
			return 1;
	return 0;
}

/* smtps://HOST:PORT/HELO: curl says EHLO with the path, or "localhost". */
static int make_url(struct deliver_smtps *t, const char *helo,
		    struct errbuf *eb)
{
	CURLU *u = curl_url();
	struct buf host = BUF_INIT, port = BUF_INIT, path = BUF_INIT;
	char name[SMTPS_MAX_HOSTNAME];
	char *url = NULL;
	int ret = -1;

	if (!u)
		return errbuf_set(eb, "connect: libcurl is out of memory");
	if (!helo || !helo[0]) {
		/* libesmtp's default, so both transports greet alike. */
		if (gethostname(name, sizeof(name)) < 0 || !name[0])
			snprintf(name, sizeof(name), "localhost");
		name[sizeof(name) - 1] = '\0';
		helo = name;
	}
	if (strchr(t->host, ':'))
		buf_addf(&host, "[%s]", t->host); /* an IPv6 address */
	else
		buf_addstr(&host, t->host);
	buf_addf(&port, "%ld", t->port);
	buf_addf(&path, "/%s", helo);
	if (curl_url_set(u, CURLUPART_SCHEME, "smtps", 0) ||
	    curl_url_set(u, CURLUPART_HOST, buf_str(&host), 0) ||
	    curl_url_set(u, CURLUPART_PORT, buf_str(&port), 0) ||
	    curl_url_set(u, CURLUPART_PATH, buf_str(&path), CURLU_URLENCODE) ||
	    curl_url_get(u, CURLUPART_URL, &url, 0)) {
		errbuf_set(eb, "delivery.smtp.host \"%s\" and port %ld do not "
			       "make an smtps:// address", t->host, t->port);
		goto out;
	}
	t->url = xstrdup(url);
	ret = 0;
out:
	curl_free(url);
	curl_url_cleanup(u);
	buf_release(&host);
	buf_release(&port);
	buf_release(&path);
	return ret;
}

int deliver_smtps_new(const struct deliver_smtp_config *cfg,
		      struct deliver_smtps **out, struct errbuf *eb)
{
	struct deliver_smtps *t;
	struct buf from = BUF_INIT;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return errbuf_set(eb, "cannot initialize libcurl");
	if (!have_smtps()) {
		const char *v = curl_version_info(CURLVERSION_NOW)->version;

		errbuf_set(eb, "delivery.smtp.tls = \"implicit\" needs a "
			       "libcurl with SMTPS, and libcurl %s has none", v);
		curl_global_cleanup();
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->host = xstrdup(cfg->host);
	t->port = cfg->port;
	t->tls_verify = cfg->tls_verify;
	if (cfg->ca_file && cfg->ca_file[0])
		t->ca_file = xstrdup(cfg->ca_file);
	if (cfg->user && cfg->user[0]) {
		t->user = xstrdup(cfg->user);
		t->password = xstrdup(cfg->password ? cfg->password : "");
	}
	t->envelope_from = xstrdup(cfg->envelope_from);
	buf_addf(&from, "<%s>", cfg->envelope_from);
	t->mail_from = buf_detach(&from, NULL);
	t->timeout = cfg->timeout_seconds > 0 ? cfg->timeout_seconds
					      : DELIVER_DEFAULT_TIMEOUT;
	t->trace = cfg->trace;
	if (make_url(t, cfg->helo, eb) < 0) {
		deliver_smtps_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void deliver_smtps_free(struct deliver_smtps *t)
{
	if (!t)
		return;
	if (t->password)
		memset(t->password, 0, strlen(t->password));
	free(t->url);
	free(t->host);
	free(t->ca_file);
	free(t->user);
	free(t->password);
	free(t->envelope_from);
	free(t->mail_from);
	free(t);
	curl_global_cleanup();
}

/* Length of the line in buf without its CR LF. */
static size_t chomp(const char *buf, size_t n)
{
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	return n;
}

/* Copies a reply line: one line, no control characters. */
static void copy_reply(char *dst, size_t size, const char *src, size_t n)
{
	size_t i;

	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	dst[n] = '\0';
}

/* A command curl sent. Only its verb is kept: AUTH lines and the lines
 * that answer the server's AUTH challenges carry the password. */
static void on_command(struct session *ss, const char *buf, size_t n)
{
	FILE *trace = ss->t->trace;
	char verb[SMTPS_MAX_VERB];
	size_t i;

	n = chomp(buf, n);
	for (i = 0; i < n && i + 1 < sizeof(verb) && buf[i] >= 'A' &&
		    buf[i] <= 'Z'; i++)
		verb[i] = buf[i];
	verb[i] = '\0';
	if (!ss->in_auth && !ss->quitting) {
		if (!strcmp(verb, "QUIT")) {
			ss->quitting = 1; /* the step that failed came before */
		} else if (verb[0]) {
			memcpy(ss->step, verb, i + 1);
			ss->code = 0;
			ss->in_auth = !strcmp(verb, "AUTH");
		}
	}
	if (!trace)
		return;
	if (ss->in_auth)
		fprintf(trace, "smtp > [AUTH, redacted]\n");
	else
		fprintf(trace, "smtp > %.*s\n", (int)n, buf);
}

/* A reply line from the server: "250 text" or "250-text". */
static void on_reply(struct session *ss, const char *buf, size_t n)
{
	int code;

	n = chomp(buf, n);
	if (ss->t->trace)
		fprintf(ss->t->trace, "smtp < %.*s\n", (int)n, buf);
	if (ss->quitting || n < 3 || buf[0] < '1' || buf[0] > '5' ||
	    buf[1] < '0' || buf[1] > '9' || buf[2] < '0' || buf[2] > '9')
		return;
	code = (buf[0] - '0') * 100 + (buf[1] - '0') * 10 + (buf[2] - '0');
	if (ss->in_auth && code != 334)
		ss->in_auth = 0; /* the exchange is over, either way */
	if (!strcmp(ss->step, "DATA")) {
		if (!ss->data_go && code == 354)
			ss->data_go = 1;
		else if (ss->data_go)
			ss->final_code = code;
	}
	ss->code = code;
	copy_reply(ss->reply, sizeof(ss->reply), buf, n);
}

static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size,
		    void *arg)
{
	struct session *ss = arg;

	(void)h;
	switch (type) {
	case CURLINFO_HEADER_OUT:
		on_command(ss, data, size);
		break;
	case CURLINFO_HEADER_IN:
		on_reply(ss, data, size);
		break;
	case CURLINFO_TEXT:
		if (ss->t->trace)
			fprintf(ss->t->trace, "smtp * %.*s\n",
				(int)chomp(data, size), data);
		break;
	default:
		break; /* the message itself and raw TLS records */
	}
	return 0;
}

/* curl asks for the data only once the server has answered DATA with
 * 354: the first call is the point after which a lost connection leaves
 * the message in doubt. */
static size_t read_cb(char *dst, size_t size, size_t nitems, void *arg)
{
	struct session *ss = arg;
	struct deliver_item *it = ss->it;
	size_t left = it->len - ss->off;

	if (!it->attempted) {
		it->attempted = 1;
		it->outcome = DELIVER_IN_DOUBT;
		if (ss->hooks && ss->hooks->on_attempt)
			ss->hooks->on_attempt(it, ss->hooks->ctx);
	}
	if (!left && ss->hooks && ss->hooks->on_data_end)
		ss->hooks->on_data_end(it, ss->hooks->ctx);
	if (left > size * nitems)
		left = size * nitems;
	memcpy(dst, it->data + ss->off, left);
	ss->off += left;
	return left;
}

static enum deliver_outcome classify(int code)
{
	if (code >= 200 && code < 300)
		return DELIVER_SENT;
	if (code >= 400 && code < 500)
		return DELIVER_DEFERRED;
	return DELIVER_FAILED;
}

static void settle(struct session *ss, struct deliver_item *it,
		   enum deliver_outcome o)
{
	it->outcome = o;
	copy_reply(it->reply, sizeof(it->reply), ss->reply,
		   strlen(ss->reply));
	if (ss->hooks && ss->hooks->on_result)
		ss->hooks->on_result(it, ss->hooks->ctx);
}

/* The options every message of the batch shares. */
static int setup(CURL *h, struct session *ss, struct errbuf *eb)
{
	struct deliver_smtps *t = ss->t;

	/* Each call returns CURLE_OK (0) or a reason. */
	if (curl_easy_setopt(h, CURLOPT_URL, t->url) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtps") ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ss->error) ||
	    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L) ||
	    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb) ||
	    curl_easy_setopt(h, CURLOPT_DEBUGDATA, ss) ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb) ||
	    curl_easy_setopt(h, CURLOPT_READDATA, ss) ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, t->mail_from) ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION,
			     (long)CURL_SSLVERSION_TLSv1_2) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER,
			     t->tls_verify ? 1L : 0L) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST,
			     t->tls_verify ? 2L : 0L) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, t->timeout) ||
	    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, t->timeout) ||
	    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
	    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, t->timeout))
		goto fail;
	if (t->ca_file && curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_file))
		goto fail;
	/* The credentials go out with AUTH itself: one round trip less. */
	if (t->user && (curl_easy_setopt(h, CURLOPT_USERNAME, t->user) ||
			curl_easy_setopt(h, CURLOPT_PASSWORD, t->password) ||
			curl_easy_setopt(h, CURLOPT_SASL_IR, 1L)))
		goto fail;
	return 0;
fail:
	return errbuf_set(eb, "connect: libcurl %s refused an option for "
			      "SMTPS",
			  curl_version_info(CURLVERSION_NOW)->version);
}

/* What a failure that is not one message's own verdict is reported as. */
static int session_error(struct session *ss, CURLcode rc, struct errbuf *eb)
{
	struct deliver_smtps *t = ss->t;
	const char *why = ss->error[0] ? ss->error : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_LOGIN_DENIED:
		/* Not after AUTH: no mechanism both sides know. */
		errbuf_setk(eb, ERRBUF_AUTH,
			    "AUTH: authentication failed for user \"%s\": "
			       "%s", t->user ? t->user : "",
			   !strcmp(ss->step, "AUTH") ? ss->reply : why);
		return -2;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
		errbuf_set(eb, "TLS: the server's certificate is not trusted: "
			       "%s", why);
		return -2;
	case CURLE_SSL_CACERT_BADFILE:
		errbuf_set(eb, "TLS: cannot load ca_file %s: %s",
			   t->ca_file ? t->ca_file : "", why);
		return -2;
	case CURLE_SSL_CONNECT_ERROR:
		errbuf_set(eb, "TLS: no TLS handshake with %s:%ld (tls = "
			       "\"implicit\" wants a port that speaks TLS "
			       "from the first byte, like 465): %s",
			   t->host, t->port, why);
		return -2;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return errbuf_set(eb, "connect: cannot reach %s:%ld: %s",
				  t->host, t->port, why);
	default:
		break;
	}
	if (!ss->step[0] && ss->code >= 400) {
		/* The greeting refused us: 421 may pass, 554 will not. */
		errbuf_set(eb, "connect: %s:%ld refused the session: %s",
			   t->host, t->port, ss->reply);
		return ss->code >= 500 ? -2 : -1;
	}
	if (!ss->step[0]) /* not even a greeting */
		return errbuf_set(eb, "connect: cannot reach %s:%ld: %s",
				  t->host, t->port, why);
	if (!strcmp(ss->step, "MAIL") && ss->code >= 500) {
		errbuf_set(eb, "MAIL: the server refused the sender %s: %s",
			   t->envelope_from, ss->reply);
		return -2;
	}
	return errbuf_set(eb, "%s: %s%s%s", ss->step, why,
			  ss->reply[0] ? "; last reply: " : "", ss->reply);
}

/* The outcome of one curl_easy_perform(): 0 to go on with the batch. */
static int verdict(struct session *ss, struct deliver_item *it, CURLcode rc,
		   long code, struct errbuf *eb)
{
	if (rc == CURLE_OK) {
		/* curl succeeds only on a 250 to the end of the data. */
		if (!ss->final_code)
			snprintf(ss->reply, sizeof(ss->reply), "%ld", code);
		settle(ss, it, DELIVER_SENT);
		return 0;
	}
	if (ss->final_code) {
		/* Answered, just not with 250: the message's own verdict. */
		settle(ss, it, classify(ss->final_code));
		return 0;
	}
	if (it->attempted) {
		/* The data went (or was going) out and no reply came (a
		 * timeout included): it stays DELIVER_IN_DOUBT, with no
		 * result to record. */
		const char *why = ss->error[0] ? ss->error
					       : curl_easy_strerror(rc);

		if (snprintf(it->reply, sizeof(it->reply),
			     "no reply to the end of the data: %s", why) < 0)
			it->reply[0] = '\0';
		return errbuf_set(eb, "DATA: the connection was lost after the "
				      "data of %s: %s", it->message_id, why);
	}
	if ((!strcmp(ss->step, "RCPT") || !strcmp(ss->step, "DATA")) &&
	    ss->code >= 400) {
		/* The recipient or the DATA command refused: that message
		 * only. curl closes the connection after a refused RCPT;
		 * the next perform opens a new one. */
		settle(ss, it, classify(ss->code));
		return 0;
	}
	return session_error(ss, rc, eb);
}

static int send_one(CURL *h, struct session *ss, struct deliver_item *it,
		    unsigned long *connections, struct errbuf *eb)
{
	struct deliver_smtps *t = ss->t;
	struct curl_slist *rcpt = NULL;
	struct buf addr = BUF_INIT, from = BUF_INIT;
	curl_off_t limit;
	long code = 0, conns = 0;
	CURLcode rc;
	int ret = -1;

	ss->it = it;
	ss->off = 0;
	ss->step[0] = '\0';
	ss->code = 0;
	ss->reply[0] = '\0';
	ss->in_auth = 0;
	ss->quitting = 0;
	ss->data_go = 0;
	ss->final_code = 0;
	ss->error[0] = '\0';
	buf_addf(&addr, "<%s>", it->rcpt);
	if (it->envelope_from)
		buf_addf(&from, "<%s>", it->envelope_from);
	rcpt = curl_slist_append(NULL, buf_str(&addr));
	limit = (curl_off_t)t->timeout * SMTPS_REPLIES_PER_MESSAGE +
		(curl_off_t)(it->len / SMTPS_MIN_RATE);
	/* libcurl copies the sender; the batch's when this one has none. */
	if (curl_easy_setopt(h, CURLOPT_MAIL_FROM,
			     it->envelope_from ? buf_str(&from)
					       : t->mail_from)) {
		errbuf_set(eb, "MAIL: libcurl refused the sender %s",
			   it->envelope_from ? it->envelope_from
					     : t->envelope_from);
		goto out;
	}
	if (!rcpt || curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) ||
	    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
			     (curl_off_t)it->len) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)limit)) {
		errbuf_set(eb, "RCPT: libcurl refused the recipient %s",
			   it->rcpt);
		goto out;
	}
	rc = curl_easy_perform(h);
	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK &&
	    conns > 0)
		*connections += (unsigned long)conns;
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	ret = verdict(ss, it, rc, code, eb);
out:
	/* The list dies here; curl must not keep a pointer to it. */
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	buf_release(&addr);
	buf_release(&from);
	return ret;
}

int deliver_smtps_send(struct deliver_smtps *t, struct deliver_item *items,
		       size_t n, const struct deliver_hooks *hooks,
		       unsigned long *connections, struct errbuf *eb)
{
	struct session ss;
	CURL *h;
	size_t i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		items[i].outcome = DELIVER_PENDING;
		items[i].reply[0] = '\0';
		items[i].attempted = 0;
	}
	if (!n)
		return 0;
	memset(&ss, 0, sizeof(ss));
	ss.t = t;
	ss.hooks = hooks;
	ss.it = &items[0];
	h = curl_easy_init();
	if (!h)
		return errbuf_set(eb, "connect: cannot create a libcurl "
				      "handle");
	if (setup(h, &ss, eb) < 0) {
		ret = -2; /* this libcurl will refuse it every time */
		goto out;
	}
	/* One handle for the batch: curl keeps the connection between
	 * performs. The first failure that is not one message's own
	 * verdict ends the batch; the caller retries with a new one. */
	for (i = 0; i < n && ret == 0; i++)
		ret = send_one(h, &ss, &items[i], connections, eb);
out:
	curl_easy_cleanup(h); /* says QUIT on the connection left open */
	return ret;
}
