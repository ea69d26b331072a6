/*
 * cmd_serve: `paperboy serve`, the HTTP endpoint behind the List-Unsubscribe
 * URL (RFC 8058 one-click) and the footer link.
 *
 * Design decision: a GET never changes anything (mail scanners and link
 * previews fetch every URL in a message): it shows a page with one button
 * that POSTs. Every request is judged on its own signed token, which names
 * its purpose, and every refusal looks the same (403), so the endpoint
 * tells a stranger nothing about which subscriber ids exist.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "http.h"
#include "tmpl.h"
#include "token.h"
#include "util.h"
#include "vote.h"
#include "xalloc.h"
#include "banned.h"

/* The longest connection timeout --timeout accepts: an hour is already
 * far past any client that means well. */
#define SERVE_MAX_TIMEOUT 3600

enum page {
	PAGE_CONFIRM,
	PAGE_UNSUBSCRIBED,
	PAGE_RESUBSCRIBED,
	PAGE_ERROR,
	PAGE_COUNT,
};

static const char *const page_files[PAGE_COUNT] = {
	"unsubscribe-confirm.html",
	"unsubscribe-done.html",
	"resubscribe-done.html",
	"unsubscribe-error.html",
};

static const char *const serve_paths[] = {
	"/unsubscribe",
	"/resubscribe",
	"/vote",
	NULL,
};

struct serve {
	const struct conf *conf;
	struct token_key key;
	struct tmpl *pages[PAGE_COUNT];
	struct vote_site vote;  /* /vote: vote.h */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy serve [-c FILE] [--listen ADDR:PORT] "
		"[--timeout SECONDS]\n"
		"                      [--deadline SECONDS]\n"
		"\n"
		"Serves the unsubscribe links of the digests (list.base_url "
		"+ /unsubscribe)\n"
		"over plain HTTP on ADDR:PORT (default %s:%d), for the HTTPS "
		"reverse\n"
		"proxy in front of it. GET shows a page with one button; "
		"POST (the button,\n"
		"or a mail provider's List-Unsubscribe=One-Click) "
		"unsubscribes and offers\n"
		"to resubscribe. /vote answers the digest's \"More like "
		"this\" and \"Fewer\n"
		"like this\" links the same way: the POST records the "
		"vote. Runs until\n"
		"SIGTERM or SIGINT.\n"
		"\n"
		"  --listen ADDR:PORT   an IPv4 address or [IPv6] address "
		"and a port\n"
		"                       (0: any free port, printed at "
		"start)\n"
		"  --timeout SECONDS    drop a connection idle this long "
		"(default %d)\n"
		"  --deadline SECONDS   drop a request not complete after "
		"this long, however\n"
		"                       slowly its bytes come (default %d)\n",
		HTTP_DEFAULT_ADDRESS, HTTP_DEFAULT_PORT, HTTP_TIMEOUT,
		HTTP_DEADLINE);
}

/* "127.0.0.1:8025" or "[::1]:8025" into addr (caller frees) and port. */
static int parse_listen(const char *arg, char **addr, unsigned *port)
{
	const char *colon, *host = arg;
	size_t hostlen;
	char *end;
	long p;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close || close[1] != ':')
			return -1;
		host = arg + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return -1;
		hostlen = (size_t)(colon - arg);
	}
	if (!hostlen || !colon[1])
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || p < 0 || p > 65535)
		return -1;
	*addr = xstrndup(host, hostlen);
	*port = (unsigned)p;
	return 0;
}

static void on_signal(int sig)
{
	http_stop();
}

static int load_pages(struct serve *sv)
{
	struct errbuf eb = ERRBUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < PAGE_COUNT && !ret; i++) {
		char *path = util_path_join(sv->conf->templates_dir,
					    page_files[i]);
		if (tmpl_load(path, &sv->pages[i], &eb) < 0) {
			cmd_error("%s", eb.msg);
			ret = -1;
		}
		free(path);
	}
	return ret;
}

static void free_pages(struct serve *sv)
{
	size_t i;

	for (i = 0; i < PAGE_COUNT; i++)
		tmpl_free(sv->pages[i]);
}

/* Same alphabet as subs.c's ids; anything else is not one of ours. */
static int plausible_id(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > SUBS_MAX_ID || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

/*
 * Loads the profile of subscriber id. Returns 1 (loaded), 0 (no such
 * subscriber, or not an id) or -1 (the file is there but broken: printed,
 * since the operator has to fix it).
 */
static int load_subscriber(const struct serve *sv, const char *id,
			   struct subscriber *out)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf name = BUF_INIT;
	struct stat st;
	char *path;
	int ret;

	if (!id || !plausible_id(id))
		return 0;
	buf_addf(&name, "%s.cfg", id);
	path = util_path_join(sv->conf->subscribers_dir, buf_str(&name));
	buf_release(&name);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		ret = 0;
	} else if (subs_load_file(path, out, &eb) < 0) {
		cmd_error("serve: %s", eb.msg);
		ret = -1;
	} else {
		ret = 1;
	}
	free(path);
	return ret;
}

/* "a***@example.org": enough for a reader to recognize the address,
 * not enough to learn it from a forwarded link. */
static void masked_email(const char *email, struct buf *out)
{
	const char *at = strrchr(email, '@');
	const char *p = email;

	if (!at || at == email) {
		buf_addstr(out, "***");
		return;
	}
	util_utf8_next(&p, at);
	buf_add(out, email, (size_t)(p - email));
	buf_addf(out, "***%s", at);
}

/*
 * The values the pages see (templates/unsubscribe-*.html,
 * resubscribe-done.html), every one HTML-escaped:
 *   list.name, list.base_url       from paperboy.cfg
 *   subscriber.id                  the profile's id (the link's s)
 *   subscriber.masked_email        "a***@example.org"
 *   token.unsubscribe              the tokens for the page's form
 *   token.resubscribe
 *   changed                        the POST changed the status (done
 *                                  pages; false for a repeat or a GET)
 * and on the error page only list.* and:
 *   status                         403 or 500
 *   forbidden, failed              which of the two it is
 */
static struct tmpl_value *page_context(const struct serve *sv,
				       const struct subscriber *s)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list = tmpl_set_object(ctx, "list");

	tmpl_set_str(list, "name", sv->conf->list_name);
	tmpl_set_str(list, "base_url", sv->conf->base_url);
	if (s) {
		struct tmpl_value *sub = tmpl_set_object(ctx, "subscriber");
		struct tmpl_value *tok = tmpl_set_object(ctx, "token");
		struct buf masked = BUF_INIT;
		char *t;

		masked_email(s->email, &masked);
		tmpl_set_str(sub, "id", s->id);
		tmpl_set_str(sub, "masked_email", buf_str(&masked));
		buf_release(&masked);
		t = token_make(&sv->key, TOKEN_UNSUBSCRIBE, s->id, s->email);
		tmpl_set_str(tok, "unsubscribe", t);
		free(t);
		t = token_make(&sv->key, TOKEN_RESUBSCRIBE, s->id, s->email);
		tmpl_set_str(tok, "resubscribe", t);
		free(t);
	}
	return ctx;
}

static void render(const struct serve *sv, enum page page,
		   struct tmpl_value *ctx, int status,
		   struct http_reply *reply)
{
	struct errbuf eb = ERRBUF_INIT;

	reply->status = status;
	if (tmpl_render(sv->pages[page], ctx, TMPL_ESCAPE_HTML, &reply->body,
			&eb) < 0) {
		cmd_error("serve: %s", eb.msg);
		buf_reset(&reply->body);
		reply->status = 500;
		reply->content_type = "text/plain; charset=utf-8";
		buf_addstr(&reply->body, "Internal Server Error\n");
	}
	tmpl_value_free(ctx);
}

/* The one refusal for every bad link (403), or a failure of ours (500). */
static void render_error(const struct serve *sv, int status,
			 struct http_reply *reply)
{
	struct tmpl_value *ctx = page_context(sv, NULL);

	tmpl_set_int(ctx, "status", status);
	tmpl_set_bool(ctx, "forbidden", status == 403);
	tmpl_set_bool(ctx, "failed", status != 403);
	render(sv, PAGE_ERROR, ctx, status, reply);
}

static void render_page(const struct serve *sv, enum page page,
			const struct subscriber *s, int changed,
			struct http_reply *reply)
{
	struct tmpl_value *ctx = page_context(sv, s);

	tmpl_set_bool(ctx, "changed", changed);
	render(sv, page, ctx, 200, reply);
}

/* Sets s's status; 0 and *changed, or -1 (printed). */
static int change(const struct serve *sv, const struct subscriber *s,
		  enum subs_status status, const char *client, int *changed)
{
	const char *action = status == SUBS_UNSUBSCRIBED ? "unsubscribe"
							 : "resubscribe";
	struct errbuf eb = ERRBUF_INIT;
	char when[32];
	struct tm tm;
	time_t now = source_now();

	int r;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = subs_change_status(s->path, sv->conf->state_dir, status, when,
			       s->email, "http", changed, &eb);
	if (r < 0) {
		cmd_error("serve: %s for %s: %s", action, s->id, eb.msg);
		return -1;
	}
	if (r > 0)
		cmd_warn("serve: %s", eb.msg);
	if (!*changed)
		return 0;
	printf("paperboy: %s %s (http, %s)\n", s->id,
	       status == SUBS_UNSUBSCRIBED ? "unsubscribed" : "resubscribed",
	       client);
	fflush(stdout);
	return 0;
}

/* /vote (vote.h): prints what it recorded or what failed. */
static void handle_vote(struct serve *sv, const struct http_request *req,
			struct http_reply *reply)
{
	struct buf log = BUF_INIT;
	enum vote_outcome r = vote_handle(&sv->vote, req, reply, &log);

	if (r == VOTE_RECORDED) {
		printf("paperboy: %s (http, %s)\n", buf_str(&log),
		       req->client);
		fflush(stdout);
	} else if (r == VOTE_FAILED) {
		cmd_error("serve: %s", buf_str(&log));
	}
	buf_release(&log);
}

static void handle(void *ctx, const struct http_request *req,
		   struct http_reply *reply)
{
	const struct serve *sv = ctx;
	int unsub = !strcmp(req->path, "/unsubscribe");
	int post = !strcmp(req->method, "POST");
	enum token_purpose purpose = unsub ? TOKEN_UNSUBSCRIBE
					   : TOKEN_RESUBSCRIBE;
	enum subs_status want = unsub ? SUBS_UNSUBSCRIBED : SUBS_ACTIVE;
	struct subscriber s;
	int loaded, changed = 0;

	if (!strcmp(req->path, "/vote")) {
		handle_vote(ctx, req, reply);
		return;
	}
	memset(&s, 0, sizeof(s));
	loaded = load_subscriber(sv, req->s, &s);
	if (loaded <= 0) {
		render_error(sv, loaded < 0 ? 500 : 403, reply);
		return;
	}
	if (!req->t ||
	    !token_verify(&sv->key, purpose, s.id, s.email, req->t) ||
	    (post && unsub && !req->one_click)) {
		render_error(sv, 403, reply);
		goto out;
	}
	if (post) {
		if (change(sv, &s, want, req->client, &changed) < 0) {
			render_error(sv, 500, reply);
			goto out;
		}
		s.status = want;
	}
	/* A GET shows where things stand, and only a button changes it. */
	if (s.status == SUBS_UNSUBSCRIBED)
		render_page(sv, PAGE_UNSUBSCRIBED, &s, changed, reply);
	else
		render_page(sv, unsub ? PAGE_CONFIRM : PAGE_RESUBSCRIBED, &s,
			    changed, reply);
out:
	subs_release(&s);
}

/*
 * SIGTERM and SIGINT stop the server. They are blocked while the server's
 * thread is created (it inherits the mask), so they always reach this
 * thread and never interrupt a profile being written in the other one.
 */
static void install_signals(sigset_t *old)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, old);
}

int cmd_serve(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *listen_arg = NULL;
	struct http_server *srv = NULL;
	struct errbuf eb = ERRBUF_INIT;
	struct http_config hc;
	struct serve sv;
	struct conf conf;
	char *addr = NULL, *end;
	long timeout = HTTP_TIMEOUT, deadline = HTTP_DEADLINE;
	sigset_t mask;
	int opt, ret, v6, started;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'l':
			listen_arg = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || timeout < 1 ||
			    timeout > SERVE_MAX_TIMEOUT) {
				cmd_error("--timeout: '%s' is not a number of "
					  "seconds from 1 to %d",
					  optarg, SERVE_MAX_TIMEOUT);
				return EX_USAGE;
			}
			break;
		case 'd':
			errno = 0;
			deadline = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || deadline < 1 ||
			    deadline > SERVE_MAX_TIMEOUT) {
				cmd_error("--deadline: '%s' is not a number of "
					  "seconds from 1 to %d",
					  optarg, SERVE_MAX_TIMEOUT);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EX_USAGE;
	}
	http_config_init(&hc);
	hc.deadline = (unsigned)deadline;
	hc.paths = serve_paths;
	hc.timeout = (unsigned)timeout;
	if (listen_arg && parse_listen(listen_arg, &addr, &hc.port) < 0) {
		cmd_error("--listen: '%s' is not ADDR:PORT (e.g. "
			  "127.0.0.1:8025 or [::1]:8025)", listen_arg);
		return EX_USAGE;
	}
	if (addr)
		hc.address = addr;

	memset(&sv, 0, sizeof(sv));
	memset(&conf, 0, sizeof(conf));
	ret = cmd_load_conf(config, g, &conf);
	if (ret != EX_OK)
		goto out;
	sv.conf = &conf;
	if (token_load_key(conf.secret_file, &sv.key, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_CONFIG;
		goto out;
	}
	if (load_pages(&sv) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (vote_site_open(&sv.vote, &conf, &sv.key, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_CONFIG;
		goto out;
	}
	/* Changes an earlier process was killed in the middle of. */
	if (subs_recover(conf.subscribers_dir, conf.state_dir, &eb) < 0)
		cmd_warn("serve: %s", eb.msg);
	install_signals(&mask);
	started = http_start(&hc, handle, &sv, &srv, &eb);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (started < 0) {
		cmd_error("--listen: %s", eb.msg);
		ret = EX_UNAVAILABLE;
		goto out;
	}
	v6 = strchr(hc.address, ':') != NULL;
	printf("paperboy: serving unsubscribe links on http://%s%s%s:%u ",
	       v6 ? "[" : "", hc.address, v6 ? "]" : "", http_port(srv));
	if (conf.base_url[0])
		printf("(behind your HTTPS proxy as %s)\n", conf.base_url);
	else
		printf("(list.base_url is not set: digests carry no web "
		       "unsubscribe link)\n");
	fflush(stdout);
	http_wait(srv);
	http_close(srv);
	printf("paperboy: stopped serving\n");
	ret = EX_OK;
out:
	vote_site_release(&sv.vote);
	free_pages(&sv);
	token_key_wipe(&sv.key);
	if (conf.path)
		conf_release(&conf);
	free(addr);
	return ret;
}
