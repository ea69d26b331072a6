/*
 * site: the pages of `paperboy serve` (see site.h).
 *
 * Design decision: the route table below is the site. Each row names a
 * path, its handler and its body limit; the handlers share the page
 * templates, the key and the log, and answer every bad link with the one
 * error page.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "optin.h"
#include "sendq.h"
#include "site.h"
#include "source.h"
#include "subs.h"
#include "tmpl.h"
#include "token.h"
#include "util.h"
#include "vote.h"
#include "xalloc.h"
#include "banned.h"

/* One log line; longer ones are cut (they hold an id and a message). */
#define SITE_MAX_LOG 1024

enum page {
	PAGE_CONFIRM,
	PAGE_UNSUBSCRIBED,
	PAGE_RESUBSCRIBED,
	PAGE_ERROR,
	PAGE_SUBSCRIBE,
	PAGE_OPTIN_CONFIRM,
	PAGE_PROFILE,
	PAGE_COUNT,
};

static const char *const page_files[PAGE_COUNT] = {
	"unsubscribe-confirm.html",
	"unsubscribe-done.html",
	"resubscribe-done.html",
	"unsubscribe-error.html",
	"subscribe.html",
	"confirm.html",
	"profile.html",
};

struct site;
typedef void route_handler(struct site *site, const struct http_request *req,
			   struct http_reply *reply);

struct route {
	const char *path;
	route_handler *handle;
	size_t max_body; /* 0: HTTP_MAX_BODY */
};

static route_handler handle_status, handle_subscribe, handle_confirm,
	handle_profile, handle_vote;

/* The profile form: every topic's keywords, the authors, the exclusions
 * and the never terms, one a line, and the criteria; far more than a
 * person types. */
#define SITE_PROFILE_MAX_BODY ((size_t)64 << 10)
/* The profile form's topic fields: "topic49_keywords". */
#define SITE_MAX_FIELD_NAME 32

static const struct route routes[] = {
	{ "/unsubscribe", handle_status, 0 },
	{ "/resubscribe", handle_status, 0 },
	{ "/subscribe", handle_subscribe, 0 },
	{ "/confirm", handle_confirm, 0 },
	{ "/profile", handle_profile, SITE_PROFILE_MAX_BODY },
	{ "/vote", handle_vote, 0 },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* The form fields any route reads besides s and t; the profile form's
 * topicN_name and topicN_keywords follow them in struct site. */
static const char *const site_fields[] = {
	"email", "name", "authors", "exclude", "never", "criteria", "p", "d",
	"v",
};

#define NFIELDS (sizeof(site_fields) / sizeof(site_fields[0]))
#define NALLFIELDS (NFIELDS + 2 * SUBS_MAX_TOPICS)

/* Subscribe requests one client may make per hour: a person needs one or
 * two; with OPTIN_RESEND_AFTER per address, the form cannot be used to
 * flood anybody. */
#define SITE_SUBSCRIBE_PER_HOUR 5
/* Clients the subscribe limit remembers (the oldest is forgotten). */
#define SITE_SUBSCRIBE_SLOTS 256
/* Longest client address kept (INET6_ADDRSTRLEN). */
#define SITE_MAX_ADDR 46

struct subscribe_slot {
	char client[SITE_MAX_ADDR];
	time_t start;   /* the hour this count is for */
	unsigned count;
};

struct site {
	const struct conf *conf;
	const struct site_log *log;
	struct token_key key;
	struct tmpl *pages[PAGE_COUNT];
	const char *paths[NROUTES + 1];
	size_t max_bodies[NROUTES + 1];
	struct subscribe_slot slots[SITE_SUBSCRIBE_SLOTS];
	char topic_fields[2 * SUBS_MAX_TOPICS][SITE_MAX_FIELD_NAME];
	const char *fields[NALLFIELDS + 1];
	struct vote_site vote;  /* /vote: vote.h */
	struct sendq *mailer;   /* the confirmations: sendq.h */
};

static void say(const struct site *site, enum site_level level,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(const struct site *site, enum site_level level,
		const char *fmt, ...)
{
	char line[SITE_MAX_LOG];
	va_list ap;

	if (!site->log || !site->log->line)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	site->log->line(site->log->ctx, level, line);
}

/* sendq_done_fn: each confirmation's fate, in the site's log (note is
 * the client that asked). */
static void mail_done(void *ctx, const char *rcpt, const char *note, int ok,
		      const char *what)
{
	struct site *site = ctx;

	if (ok)
		say(site, SITE_INFO, "confirmation sent to %s (http, %s)",
		    rcpt, note);
	else
		say(site, SITE_ERROR, "serve: subscribe: no confirmation "
		    "mailed to %s (asked by %s): %s", rcpt, note, what);
}

int site_open(const struct conf *c, const struct site_log *log,
	      struct site **out, struct errbuf *eb)
{
	struct site *site = xcalloc(1, sizeof(*site));
	size_t i;

	*out = NULL;
	site->conf = c;
	site->log = log;
	for (i = 0; i < NROUTES; i++) {
		site->paths[i] = routes[i].path;
		site->max_bodies[i] = routes[i].max_body;
	}
	for (i = 0; i < NFIELDS; i++)
		site->fields[i] = site_fields[i];
	for (i = 0; i < 2 * SUBS_MAX_TOPICS; i++) {
		snprintf(site->topic_fields[i], SITE_MAX_FIELD_NAME,
			 "topic%zu_%s", i / 2, i % 2 ? "keywords" : "name");
		site->fields[NFIELDS + i] = site->topic_fields[i];
	}
	if (token_load_key(c->secret_file, &site->key, eb) < 0 ||
	    vote_site_open(&site->vote, c, &site->key, eb) < 0)
		goto fail;
	for (i = 0; i < PAGE_COUNT; i++) {
		char *path = util_path_join(c->templates_dir, page_files[i]);
		int r = tmpl_load(path, &site->pages[i], eb);

		free(path);
		if (r < 0)
			goto fail;
	}
	if (sendq_start(c, SENDQ_MAX, mail_done, site, &site->mailer, eb) < 0) {
		site_free(site);
		return -1;
	}
	*out = site;
	return 0;
fail:
	eb->kind = ERRBUF_CONFIG;
	site_free(site);
	return -1;
}

void site_free(struct site *site)
{
	size_t i;

	if (!site)
		return;
	sendq_stop(site->mailer);
	for (i = 0; i < PAGE_COUNT; i++)
		tmpl_free(site->pages[i]);
	vote_site_release(&site->vote);
	token_key_wipe(&site->key);
	free(site);
}

void site_http_config(const struct site *site, struct http_config *hc)
{
	hc->paths = site->paths;
	hc->max_bodies = site->max_bodies;
	hc->fields = site->fields;
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
 * subscriber, or not an id) or -1 (the file is there but broken: logged,
 * since the operator has to fix it).
 */
static int load_subscriber(const struct site *site, const char *id,
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
	path = util_path_join(site->conf->subscribers_dir, buf_str(&name));
	buf_release(&name);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		ret = 0;
	} else if (subs_load_file(path, out, &eb) < 0) {
		say(site, SITE_ERROR, "serve: %s", eb.msg);
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
static struct tmpl_value *page_context(const struct site *site,
				       const struct subscriber *s)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list = tmpl_set_object(ctx, "list");

	tmpl_set_str(list, "name", site->conf->list_name);
	tmpl_set_str(list, "base_url", site->conf->base_url);
	if (s) {
		struct tmpl_value *sub = tmpl_set_object(ctx, "subscriber");
		struct tmpl_value *tok = tmpl_set_object(ctx, "token");
		struct buf masked = BUF_INIT;
		char *t;

		masked_email(s->email, &masked);
		tmpl_set_str(sub, "id", s->id);
		tmpl_set_str(sub, "masked_email", buf_str(&masked));
		buf_release(&masked);
		t = token_make(&site->key, TOKEN_UNSUBSCRIBE, s->id, s->email);
		tmpl_set_str(tok, "unsubscribe", t);
		free(t);
		t = token_make(&site->key, TOKEN_RESUBSCRIBE, s->id, s->email);
		tmpl_set_str(tok, "resubscribe", t);
		free(t);
		t = token_make(&site->key, TOKEN_PROFILE, s->id, s->email);
		tmpl_set_str(tok, "profile", t);
		free(t);
	}
	return ctx;
}

/* Renders page with ctx (freed here) as the reply. */
static void render(const struct site *site, enum page page,
		   struct tmpl_value *ctx, int status,
		   struct http_reply *reply)
{
	struct errbuf eb = ERRBUF_INIT;

	reply->status = status;
	if (tmpl_render(site->pages[page], ctx, TMPL_ESCAPE_HTML,
			&reply->body, &eb) < 0) {
		say(site, SITE_ERROR, "serve: %s", eb.msg);
		buf_reset(&reply->body);
		reply->status = 500;
		reply->content_type = "text/plain; charset=utf-8";
		buf_addstr(&reply->body, "Internal Server Error\n");
	}
	tmpl_value_free(ctx);
}

/* The one refusal for every bad link (403, or 410 when it expired), or a
 * failure of ours (500). */
static void render_error(const struct site *site, int status,
			 struct http_reply *reply)
{
	struct tmpl_value *ctx = page_context(site, NULL);

	tmpl_set_int(ctx, "status", status);
	tmpl_set_bool(ctx, "forbidden", status == 403);
	tmpl_set_bool(ctx, "expired", status == 410);
	tmpl_set_bool(ctx, "failed", status != 403 && status != 410);
	render(site, PAGE_ERROR, ctx, status, reply);
}

static void render_page(const struct site *site, enum page page,
			const struct subscriber *s, int changed,
			struct http_reply *reply)
{
	struct tmpl_value *ctx = page_context(site, s);

	tmpl_set_bool(ctx, "changed", changed);
	render(site, page, ctx, 200, reply);
}

/* Now as "2025-12-30T12:00:00Z" (source_now: tests can set it). */
static void now_iso(char *when, size_t size)
{
	struct tm tm;
	time_t now = source_now();

	gmtime_r(&now, &tm);
	strftime(when, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Sets s's status; 0 and *changed, or -1 (logged). */
static int change(const struct site *site, const struct subscriber *s,
		  enum subs_status status, const char *client, int *changed)
{
	const char *action = status == SUBS_UNSUBSCRIBED ? "unsubscribe"
							 : "resubscribe";
	struct errbuf eb = ERRBUF_INIT;
	char when[32];

	int r;

	now_iso(when, sizeof(when));
	/* The log line and the profile change never disagree, even when
	 * the process is killed between them (subs_change_status). */
	r = subs_change_status(s->path, site->conf->state_dir, status, when,
			       s->email, "http", changed, &eb);
	if (r < 0) {
		say(site, SITE_ERROR, "serve: %s for %s: %s", action, s->id,
		    eb.msg);
		return -1;
	}
	if (r > 0)
		say(site, SITE_WARN, "serve: %s", eb.msg);
	if (!*changed)
		return 0;
	say(site, SITE_INFO, "%s %s (http, %s)", s->id,
	    status == SUBS_UNSUBSCRIBED ? "unsubscribed" : "resubscribed",
	    client);
	return 0;
}

/* /unsubscribe and /resubscribe: GET shows, POST changes the status. */
static void handle_status(struct site *site, const struct http_request *req,
			  struct http_reply *reply)
{
	int unsub = !strcmp(req->path, "/unsubscribe");
	int post = !strcmp(req->method, "POST");
	enum token_purpose purpose = unsub ? TOKEN_UNSUBSCRIBE
					   : TOKEN_RESUBSCRIBE;
	enum subs_status want = unsub ? SUBS_UNSUBSCRIBED : SUBS_ACTIVE;
	struct subscriber s;
	int loaded, changed = 0;

	memset(&s, 0, sizeof(s));
	loaded = load_subscriber(site, req->s, &s);
	if (loaded <= 0) {
		render_error(site, loaded < 0 ? 500 : 403, reply);
		return;
	}
	if (!req->t ||
	    !token_verify(&site->key, purpose, s.id, s.email, req->t) ||
	    (post && unsub && !req->one_click)) {
		render_error(site, 403, reply);
		goto out;
	}
	if (post) {
		if (change(site, &s, want, req->client, &changed) < 0) {
			render_error(site, 500, reply);
			goto out;
		}
		s.status = want;
	}
	/* A GET shows where things stand, and only a button changes it. */
	if (s.status == SUBS_UNSUBSCRIBED)
		render_page(site, PAGE_UNSUBSCRIBED, &s, changed, reply);
	else
		render_page(site, unsub ? PAGE_CONFIRM : PAGE_RESUBSCRIBED, &s,
			    changed, reply);
out:
	subs_release(&s);
}

/* 1 if client may send one more subscribe request now. */
static int subscribe_allowed(struct site *site, const char *client,
			     time_t now)
{
	struct subscribe_slot *slot = NULL, *oldest = &site->slots[0];
	size_t i;

	for (i = 0; i < SITE_SUBSCRIBE_SLOTS && !slot; i++) {
		struct subscribe_slot *s = &site->slots[i];

		if (!strcmp(s->client, client))
			slot = s;
		else if (s->start < oldest->start)
			oldest = s;
	}
	if (!slot) {
		slot = oldest;
		snprintf(slot->client, sizeof(slot->client), "%s", client);
		slot->count = 0;
		slot->start = now;
	}
	if (now - slot->start >= 3600) {
		slot->start = now;
		slot->count = 0;
	}
	if (slot->count >= SITE_SUBSCRIBE_PER_HOUR)
		return 0;
	slot->count++;
	return 1;
}

/*
 * The subscribe page (templates/subscribe.html): list.*, and
 *   sent            the request was taken (the same page whether the
 *                   address is subscribed already or not)
 *   invalid         the address cannot be mailed; the form again
 *   email, name     what was typed, for the form again
 *   days            how long the link works
 */
static void handle_subscribe(struct site *site,
			     const struct http_request *req,
			     struct http_reply *reply)
{
	const char *email = http_request_field(req, "email");
	const char *name = http_request_field(req, "name");
	struct tmpl_value *ctx;
	struct errbuf eb = ERRBUF_INIT;
	struct optin_sent sent;
	struct optin_mail *mail = NULL;
	time_t now = source_now();
	int post = !strcmp(req->method, "POST");

	if (post && !subscribe_allowed(site, req->client, now)) {
		render_error(site, 429, reply);
		return;
	}
	ctx = page_context(site, NULL);
	tmpl_set_int(ctx, "days", OPTIN_LIFETIME / (24 * 3600));
	tmpl_set_str(ctx, "email", email ? email : "");
	tmpl_set_str(ctx, "name", name ? name : "");
	tmpl_set_bool(ctx, "sent", 0);
	tmpl_set_bool(ctx, "invalid", 0);
	if (!post) {
		render(site, PAGE_SUBSCRIBE, ctx, 200, reply);
		return;
	}
	if (optin_prepare(site->conf, &site->key, email ? email : "",
			  name ? name : "", now, &mail, &sent, &eb) < 0) {
		if (eb.kind == ERRBUF_USAGE) {
			tmpl_set_bool(ctx, "invalid", 1);
			render(site, PAGE_SUBSCRIBE, ctx, 200, reply);
			return;
		}
		tmpl_value_free(ctx);
		say(site, SITE_ERROR, "serve: subscribe: %s", eb.msg);
		render_error(site, 503, reply);
		return;
	}
	if (mail && sendq_push(site->mailer, mail, req->client, &eb) < 0) {
		optin_mail_free(mail, 1);
		optin_sent_release(&sent);
		tmpl_value_free(ctx);
		say(site, SITE_ERROR, "serve: subscribe: %s", eb.msg);
		render_error(site, 503, reply);
		return;
	}
	optin_sent_release(&sent);
	tmpl_set_bool(ctx, "sent", 1);
	render(site, PAGE_SUBSCRIBE, ctx, 200, reply);
}

/*
 * /confirm: GET shows the button, POST subscribes. The page
 * (templates/confirm.html) sees list.*, masked_email, request and token
 * (for the form) and done.
 */
static void handle_confirm(struct site *site, const struct http_request *req,
			   struct http_reply *reply)
{
	struct errbuf eb = ERRBUF_INIT;
	struct optin_confirmed done;
	struct tmpl_value *ctx;
	struct buf masked = BUF_INIT;
	char *email = NULL, *name = NULL;
	time_t now = source_now();
	int v;

	memset(&done, 0, sizeof(done));
	if (!strcmp(req->method, "POST"))
		v = optin_confirm(site->conf, &site->key, req->s, req->t, now,
				  "http", &done, &eb);
	else
		v = optin_check(site->conf, &site->key, req->s, req->t, now,
				&email, &name, &eb);
	if (v != OPTIN_VALID) {
		if (v < 0)
			say(site, SITE_ERROR, "serve: confirm: %s", eb.msg);
		render_error(site, v == OPTIN_FORGED ? 403
				   : v == OPTIN_EXPIRED ? 410 : 500, reply);
		goto out;
	}
	if (done.created)
		say(site, SITE_INFO, "%s subscribed (http, %s)", done.id,
		    req->client);
	else if (done.resubscribed)
		say(site, SITE_INFO, "%s resubscribed (http, %s)", done.id,
		    req->client);
	masked_email(done.email ? done.email : email, &masked);
	ctx = page_context(site, NULL);
	tmpl_set_str(ctx, "masked_email", buf_str(&masked));
	tmpl_set_str(ctx, "request", req->s);
	tmpl_set_str(ctx, "token", req->t);
	tmpl_set_bool(ctx, "done", done.email != NULL);
	render(site, PAGE_OPTIN_CONFIRM, ctx, 200, reply);
out:
	buf_release(&masked);
	optin_confirmed_release(&done);
	free(email);
	free(name);
}

/* "a\nb" from the lines of v (trimmed, empty ones left out). */
static void split_lines(const char *v, struct strv *out)
{
	while (v && *v) {
		const char *end = strchr(v, '\n');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		const char *a = v;

		while (n && (*a == ' ' || *a == '\t' || *a == '\r')) {
			a++;
			n--;
		}
		while (n && (a[n - 1] == ' ' || a[n - 1] == '\t' ||
			     a[n - 1] == '\r'))
			n--;
		if (n)
			strv_push_owned(out, xstrndup(a, n));
		v = end ? end + 1 : NULL;
	}
}

static void join_lines(struct tmpl_value *obj, const char *name,
		       const struct strv *v)
{
	char *j = strv_join(v, "\n");

	tmpl_set_str(obj, name, j);
	free(j);
}

/* A topic slot of the form: its fields' names and values. */
static void add_topic_slot(const struct site *site, struct tmpl_value *list,
			   size_t i, const char *name,
			   const struct strv *keywords)
{
	struct tmpl_value *o = tmpl_list_add_object(list);

	tmpl_set_int(o, "number", (long)i + 1);
	tmpl_set_str(o, "name_field", site->topic_fields[2 * i]);
	tmpl_set_str(o, "keywords_field", site->topic_fields[2 * i + 1]);
	tmpl_set_str(o, "name", name);
	join_lines(o, "keywords", keywords);
}

/*
 * The profile page (templates/profile.html): list.*, subscriber.*,
 * token.profile, and topics (number, name, keywords and the fields'
 * names; one empty slot to add a topic), authors, exclude, never (one a
 * line), criteria, saved, has_error and error.
 */
static void render_profile(const struct site *site,
			   const struct subscriber *s, int saved,
			   const char *error, struct http_reply *reply)
{
	struct tmpl_value *ctx = page_context(site, s);
	struct tmpl_value *topics = tmpl_set_list(ctx, "topics");
	struct strv none = STRV_INIT;
	size_t i;

	for (i = 0; i < s->ntopics; i++)
		add_topic_slot(site, topics, i, s->topics[i].name,
			       &s->topics[i].keywords);
	if (s->ntopics < SUBS_MAX_TOPICS)
		add_topic_slot(site, topics, s->ntopics, "", &none);
	join_lines(ctx, "authors", &s->authors);
	join_lines(ctx, "exclude", &s->exclude);
	join_lines(ctx, "never", &s->never);
	tmpl_set_str(ctx, "criteria", s->criteria ? s->criteria : "");
	tmpl_set_bool(ctx, "saved", saved);
	tmpl_set_bool(ctx, "has_error", error != NULL);
	tmpl_set_str(ctx, "error", error ? error : "");
	render(site, PAGE_PROFILE, ctx, error ? 400 : 200, reply);
}

/* The posted topics: slot i keeps the require, exclude and weight the
 * profile's topic i has; a slot with no name and no keywords goes. */
static void posted_topics(const struct site *site,
			  const struct http_request *req,
			  const struct subscriber *s, struct subs_topic *out,
			  size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; i < SUBS_MAX_TOPICS; i++) {
		const char *name =
			http_request_field(req, site->topic_fields[2 * i]);
		const char *kw =
			http_request_field(req, site->topic_fields[2 * i + 1]);
		struct subs_topic *t = &out[*n];
		struct strv words = STRV_INIT;

		if (!name && !kw && i >= s->ntopics)
			break;
		if (!name && !kw) {
			size_t j;

			/* Not in the form: kept as it is. */
			name = s->topics[i].name;
			for (j = 0; j < s->topics[i].keywords.n; j++)
				strv_push(&words, s->topics[i].keywords.v[j]);
		} else {
			split_lines(kw, &words);
		}
		while (name && (*name == ' ' || *name == '\t'))
			name++;
		if ((!name || !*name) && !words.n) {
			strv_release(&words);
			continue;
		}
		memset(t, 0, sizeof(*t));
		t->name = xstrdup(name && *name ? name
				  : words.n ? words.v[0] : "");
		t->keywords = words;
		t->weight = 1.0;
		if (i < s->ntopics) {
			size_t j;

			t->weight = s->topics[i].weight;
			for (j = 0; j < s->topics[i].require.n; j++)
				strv_push(&t->require,
					  s->topics[i].require.v[j]);
			for (j = 0; j < s->topics[i].exclude.n; j++)
				strv_push(&t->exclude,
					  s->topics[i].exclude.v[j]);
		}
		++*n;
	}
}

/* eb's message with the profile's path replaced by "your profile". */
static const char *reader_error(const struct subscriber *s,
				struct errbuf *eb, struct buf *out)
{
	size_t n = strlen(s->path);

	if (!strncmp(eb->msg, s->path, n))
		buf_addf(out, "your profile%s", eb->msg + n);
	else
		buf_addstr(out, "your profile could not be changed; nothing "
				"was changed");
	return buf_str(out);
}

/* The posted list of field name (one a line) into out; a field the form
 * did not post keeps the profile's list have. */
static void posted_list(const struct http_request *req, const char *name,
			const struct strv *have, struct strv *out)
{
	const char *v = http_request_field(req, name);
	size_t i;

	if (v) {
		split_lines(v, out);
		return;
	}
	for (i = 0; i < have->n; i++)
		strv_push(out, have->v[i]);
}

/* v without carriage returns (a browser sends a textarea's lines
 * CRLF-terminated) or white space at either end (a textarea drops a
 * leading line break), into out. */
static void trim_text(const char *v, struct buf *out)
{
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	for (; *v; v++)
		if (*v != '\r')
			buf_addch(out, *v);
	while (out->len && strchr(" \t\n", out->data[out->len - 1]))
		buf_truncate(out, out->len - 1);
}

/* The posted criteria into out; NULL when the form did not post it or
 * posted what the profile has (the setting is then left as written). */
static const char *posted_criteria(const struct http_request *req,
				   const struct subscriber *s,
				   struct buf *out)
{
	const char *v = http_request_field(req, "criteria");
	struct buf have = BUF_INIT;
	int same;

	if (!v)
		return NULL;
	trim_text(v, out);
	trim_text(s->criteria ? s->criteria : "", &have);
	same = !strcmp(buf_str(out), buf_str(&have));
	buf_release(&have);
	return same ? NULL : buf_str(out);
}

/* a, or NULL when it holds what the profile's have does (the setting is
 * then left as written, comments and layout included). */
static const struct strv *changed_list(const struct strv *a,
				       const struct strv *have)
{
	size_t i;

	if (a->n != have->n)
		return a;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], have->v[i]))
			return a;
	return NULL;
}

/* Changes the lists of s from the form: 0, or -1 with the form shown
 * again as reply, holding what was posted and why it was refused. */
static int save_profile(struct site *site, const struct http_request *req,
			const struct subscriber *s, struct http_reply *reply)
{
	struct buf msg = BUF_INIT, criteria = BUF_INIT;
	struct subs_topic topics[SUBS_MAX_TOPICS];
	struct strv authors = STRV_INIT, exclude = STRV_INIT;
	struct strv never = STRV_INIT;
	struct subs_lists l;
	struct errbuf eb = ERRBUF_INIT;
	char when[32];
	size_t i, n;
	int ret = -1;

	posted_topics(site, req, s, topics, &n);
	posted_list(req, "authors", &s->authors, &authors);
	posted_list(req, "exclude", &s->exclude, &exclude);
	posted_list(req, "never", &s->never, &never);
	l.topics = topics;
	l.ntopics = n;
	l.authors = changed_list(&authors, &s->authors);
	l.exclude = changed_list(&exclude, &s->exclude);
	l.never = changed_list(&never, &s->never);
	l.criteria = posted_criteria(req, s, &criteria);
	if (subs_set_lists(s->path, &l, &eb) < 0) {
		struct subscriber shown = *s;

		say(site, SITE_WARN, "serve: profile of %s not changed: %s",
		    s->id, eb.msg);
		shown.topics = topics;
		shown.ntopics = n;
		shown.authors = authors;
		shown.exclude = exclude;
		shown.never = never;
		if (http_request_field(req, "criteria"))
			shown.criteria = (char *)buf_str(&criteria);
		render_profile(site, &shown, 0, reader_error(s, &eb, &msg),
			       reply);
		goto out;
	}
	now_iso(when, sizeof(when));
	if (subs_log_change(site->conf->state_dir, when, "profile", s->id,
			    s->email, "http", &eb) < 0)
		say(site, SITE_WARN, "serve: %s", eb.msg);
	say(site, SITE_INFO, "%s changed their profile (http, %s)", s->id,
	    req->client);
	ret = 0;
out:
	for (i = 0; i < n; i++) {
		free(topics[i].name);
		strv_release(&topics[i].keywords);
		strv_release(&topics[i].require);
		strv_release(&topics[i].exclude);
	}
	strv_release(&authors);
	strv_release(&exclude);
	strv_release(&never);
	buf_release(&criteria);
	buf_release(&msg);
	return ret;
}

/* /profile: GET shows the form, POST saves it. */
static void handle_profile(struct site *site, const struct http_request *req,
			   struct http_reply *reply)
{
	struct subscriber s, after;
	int loaded;

	memset(&s, 0, sizeof(s));
	loaded = load_subscriber(site, req->s, &s);
	if (loaded <= 0) {
		render_error(site, loaded < 0 ? 500 : 403, reply);
		return;
	}
	if (!req->t ||
	    !token_verify(&site->key, TOKEN_PROFILE, s.id, s.email, req->t)) {
		render_error(site, 403, reply);
		goto out;
	}
	if (strcmp(req->method, "POST")) {
		render_profile(site, &s, 0, NULL, reply);
		goto out;
	}
	if (save_profile(site, req, &s, reply) < 0)
		goto out;
	if (load_subscriber(site, s.id, &after) <= 0) {
		render_error(site, 500, reply);
		goto out;
	}
	render_profile(site, &after, 1, NULL, reply);
	subs_release(&after);
out:
	subs_release(&s);
}

void site_handle(void *ctx, const struct http_request *req,
		 struct http_reply *reply)
{
	struct site *site = ctx;
	size_t i;

	for (i = 0; i < NROUTES; i++) {
		if (!strcmp(routes[i].path, req->path)) {
			routes[i].handle(site, req, reply);
			return;
		}
	}
	/* http.c serves only site->paths: this is not reached. */
	reply->status = 404;
}

/* /vote: the digest's "More like this" / "Fewer like this" (vote.h). */
static void handle_vote(struct site *site, const struct http_request *req,
			struct http_reply *reply)
{
	struct http_request r = *req;
	struct buf log = BUF_INIT;
	enum vote_outcome o;

	r.p = http_request_field(req, "p");
	r.d = http_request_field(req, "d");
	r.v = http_request_field(req, "v");
	o = vote_handle(&site->vote, &r, reply, &log);
	if (o == VOTE_RECORDED)
		say(site, SITE_INFO, "%s (http, %s)", buf_str(&log),
		    req->client);
	else if (o == VOTE_FAILED)
		say(site, SITE_ERROR, "serve: vote: %s", buf_str(&log));
	buf_release(&log);
}
