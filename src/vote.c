/*
 * vote: vote links and the /vote page (see vote.h).
 *
 * The site keeps the listing of the last day it read: the votes of one
 * digest all name the same day, so a burst of them parses it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "feedback.h"
#include "source.h"
#include "subs.h"
#include "util.h"
#include "vote.h"
#include "xalloc.h"
#include "banned.h"

/* What the token signs in the address's place: "DATE/ARXIVID". */
static char *signed_paper(const char *date, const char *paper_id)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, date);
	buf_addch(&b, '/');
	buf_addstr(&b, paper_id);
	return buf_detach(&b, NULL);
}

char *vote_url(const struct conf *c, const struct token_key *key, int test,
	       const char *sub_id, const char *date, const char *paper_id,
	       int up)
{
	enum token_purpose purpose = test ? TOKEN_TEST
				     : up ? TOKEN_VOTE_UP
					  : TOKEN_VOTE_DOWN;
	struct buf url = BUF_INIT;
	char *what, *token;

	if (!c->base_url[0])
		return xstrdup("");
	what = signed_paper(date, paper_id);
	token = token_make(key, purpose, sub_id, what);
	/* Forty of these a digest: appended piece by piece, not formatted
	 * (printf's machinery was a twentieth of composing). */
	buf_addstr(&url, c->base_url);
	if (!util_ends_with(c->base_url, "/"))
		buf_addch(&url, '/');
	buf_addstr(&url, "vote?s=");
	buf_addstr(&url, sub_id);
	buf_addstr(&url, "&p=");
	buf_addstr(&url, paper_id);
	buf_addstr(&url, "&d=");
	buf_addstr(&url, date);
	buf_addstr(&url, up ? "&v=up&t=" : "&v=down&t=");
	buf_addstr(&url, token);
	free(token);
	free(what);
	return buf_detach(&url, NULL);
}

int vote_token_ok(const struct token_key *key, int up, const char *sub_id,
		  const char *date, const char *paper_id, const char *token)
{
	char *what = signed_paper(date, paper_id);
	int ok = token_verify(key, up ? TOKEN_VOTE_UP : TOKEN_VOTE_DOWN, sub_id,
			      what, token);

	free(what);
	return ok;
}

int vote_site_open(struct vote_site *vs, const struct conf *c,
		   const struct token_key *key, struct errbuf *eb)
{
	char *path = util_path_join(c->templates_dir, VOTE_PAGE);
	int ret;

	memset(vs, 0, sizeof(*vs));
	vs->conf = c;
	vs->key = key;
	listing_init(&vs->listing);
	ret = tmpl_load(path, &vs->page, eb);
	free(path);
	return ret < 0 ? errbuf_kind(eb, ERRBUF_CONFIG) : 0;
}

void vote_site_release(struct vote_site *vs)
{
	tmpl_free(vs->page);
	listing_release(&vs->listing);
	memset(vs, 0, sizeof(*vs));
}

/* Same alphabet as subs.c's ids, and a profile by that name. */
static int known_subscriber(const struct conf *c, const char *id)
{
	struct buf name = BUF_INIT;
	struct stat st;
	size_t i, n = strlen(id);
	char *path;
	int ok;

	if (!n || n > SUBS_MAX_ID || id[0] == '.' || id[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char ch = id[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return 0;
	}
	buf_addf(&name, "%s.cfg", id);
	path = util_path_join(c->subscribers_dir, buf_str(&name));
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	buf_release(&name);
	return ok;
}

/* The day's listing from the cache only (kept for the next request).
 * Returns 0 or -1 with eb filled. */
static int load_day(struct vote_site *vs, const char *date, struct errbuf *eb)
{
	int items;

	if (vs->date[0] && !strcmp(vs->date, date))
		return 0;
	listing_release(&vs->listing);
	vs->date[0] = '\0';
	if (source_load(vs->conf, date, NULL, SOURCE_OFFLINE, NULL,
			&vs->listing, &items, eb) < 0)
		return -1;
	snprintf(vs->date, sizeof(vs->date), "%s", date);
	return 0;
}

static enum vote_outcome render(struct vote_site *vs,
				const struct http_request *req, int up,
				const char *title, enum vote_outcome what,
				struct http_reply *reply)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list = tmpl_set_object(ctx, "list");
	struct tmpl_value *vote = tmpl_set_object(ctx, "vote");
	struct errbuf eb = ERRBUF_INIT;

	tmpl_set_str(list, "name", vs->conf->list_name);
	if (what == VOTE_SHOWN || what == VOTE_RECORDED) {
		tmpl_set_str(vote, "s", req->s);
		tmpl_set_str(vote, "p", req->p);
		tmpl_set_str(vote, "d", req->d);
		tmpl_set_str(vote, "v", up ? "up" : "down");
		tmpl_set_str(vote, "t", req->t);
		tmpl_set_str(vote, "title", title ? title : "");
		tmpl_set_bool(vote, "up", up);
	}
	tmpl_set_bool(ctx, "confirm", what == VOTE_SHOWN);
	tmpl_set_bool(ctx, "done", what == VOTE_RECORDED);
	tmpl_set_bool(ctx, "forbidden", what == VOTE_REFUSED);
	tmpl_set_bool(ctx, "failed", what == VOTE_FAILED);
	reply->status = what == VOTE_REFUSED  ? 403
			: what == VOTE_FAILED ? 500
					      : 200;
	if (tmpl_render(vs->page, ctx, TMPL_ESCAPE_HTML, &reply->body, &eb) <
	    0) {
		buf_reset(&reply->body);
		reply->status = 500;
		reply->content_type = "text/plain; charset=utf-8";
		buf_addstr(&reply->body, "Internal Server Error\n");
	}
	tmpl_value_free(ctx);
	return what;
}

enum vote_outcome vote_handle(struct vote_site *vs,
			      const struct http_request *req,
			      struct http_reply *reply, struct buf *log)
{
	struct errbuf eb = ERRBUF_INIT;
	const struct paper *p = NULL;
	const char *ids[1];
	time_t day;
	int up;

	if (!req->s || !req->p || !req->d || !req->v || !req->t ||
	    (strcmp(req->v, "up") && strcmp(req->v, "down")))
		return render(vs, req, 0, NULL, VOTE_REFUSED, reply);
	up = !strcmp(req->v, "up");
	if (!vote_token_ok(vs->key, up, req->s, req->d, req->p, req->t) ||
	    util_check_date(req->d, &day, &eb) < 0 ||
	    !known_subscriber(vs->conf, req->s))
		return render(vs, req, up, NULL, VOTE_REFUSED, reply);
	/* From here on s, p and d are ours: we signed them. */
	if (load_day(vs, req->d, &eb) == 0)
		p = listing_find(&vs->listing, req->p);
	if (strcmp(req->method, "POST"))
		return render(vs, req, up, p ? p->title : req->p, VOTE_SHOWN,
			      reply);
	if (!p) {
		if (!eb.msg[0])
			errbuf_set(&eb,
				   "no paper %s in the cached listing "
				   "of %s",
				   req->p, req->d);
		buf_addf(log, "vote of %s on %s: %s", req->s, req->p, eb.msg);
		return render(vs, req, up, NULL, VOTE_FAILED, reply);
	}
	ids[0] = p->id;
	if (feedback_vote_ids(vs->conf->state_dir, req->s, &vs->listing, req->d,
			      ids, 1, up, "http", &eb) < 0) {
		buf_addf(log, "vote of %s on %s: %s", req->s, req->p, eb.msg);
		return render(vs, req, up, NULL, VOTE_FAILED, reply);
	}
	buf_addf(log, "%s %s-voted %s of %s", req->s, up ? "up" : "down", p->id,
		 req->d);
	return render(vs, req, up, p->title, VOTE_RECORDED, reply);
}
