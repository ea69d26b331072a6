/*
 * issue: one subscriber's issue of the day, from scores to the finished
 * RFC 5322 message (see issue.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "feedback.h"
#include "history.h"
#include "issue.h"
#include "mime.h"
#include "util.h"
#include "vote.h"
#include "xalloc.h"
#include "banned.h"

/* A whole message is refused past this size (Gmail clips at 102 KB, and
 * most servers refuse 25 MB+). */
#define ISSUE_MAX_MESSAGE ((size_t)16 << 20)
/* Room for a message's headers and MIME lines beside its encoded parts
 * (buf_reserve): a few header lines of at most 998 bytes each. */
#define ISSUE_HEADER_ROOM 8192

/* A revised version of a paper the subscriber already got is not news. */
static int drop_revisions_seen(const struct conf *c, const struct listing *l,
			       const struct subscriber *s,
			       struct score_result *r, struct errbuf *eb)
{
	const struct strv *types =
		s->announce_types.n ? &s->announce_types : &c->announce_types;
	struct history h;
	size_t i;

	if (!strv_contains(types, "replace") &&
	    !strv_contains(types, "replace-cross"))
		return 0;
	if (history_load(c->state_dir, s->id, &h, eb) < 0)
		return -1;
	for (i = 0; i < r->n; i++) {
		struct score_entry *e = &r->entries[i];
		const struct paper *p = &l->papers[e->paper];

		if ((p->announce == LISTING_ANNOUNCE_REPLACE ||
		     p->announce == LISTING_ANNOUNCE_REPLACE_CROSS) &&
		    e->relevance > 0 && history_contains(&h, p->id)) {
			e->relevance = 0;
			free(e->dropped);
			e->dropped = xstrdup("a revision of a paper you were "
					     "sent before");
		}
	}
	history_release(&h);
	return 0;
}

int issue_score(const struct conf *c, const struct score_index *idx,
		  const struct listing *l, const struct subscriber *s,
		  struct score_result *out, struct errbuf *eb)
{
	score_subscriber(idx, s, out);
	return drop_revisions_seen(c, l, s, out, eb);
}

int issue_record_history(const struct conf *c, const struct issue *issue,
		       struct errbuf *eb)
{
	struct strv ids = STRV_INIT;
	size_t i;
	int ret;

	for (i = 0; i < issue->digest.n; i++)
		strv_push(&ids, issue->digest.items[i].paper->id);
	ret = history_append(c->state_dir, issue->digest.sub->id,
			     issue->digest.date, &ids, eb);
	strv_release(&ids);
	return ret;
}

/* "BASE/PAGE?s=ID&t=TOKEN", or "" when list.base_url is not set. */
static char *url_with_token(const struct conf *c, const char *page,
			    const struct subscriber *s, const char *token)
{
	struct buf url = BUF_INIT;

	if (!c->base_url[0])
		return xstrdup("");
	buf_addf(&url, "%s%s%s?s=%s&t=%s", c->base_url,
		 util_ends_with(c->base_url, "/") ? "" : "/", page, s->id,
		 token);
	return buf_detach(&url, NULL);
}

static char *signed_url(const struct conf *c, const struct token_key *key,
			enum token_purpose purpose, const char *page,
			const struct subscriber *s)
{
	char *token, *url;

	if (!c->base_url[0])
		return xstrdup("");
	token = token_make(key, purpose, s->id, s->email);
	url = url_with_token(c, page, s, token);
	free(token);
	return url;
}

char *issue_unsubscribe_url(const struct conf *c, const struct token_key *key,
			    enum token_purpose purpose,
			    const struct subscriber *s)
{
	return signed_url(c, key, purpose, "unsubscribe", s);
}

char *issue_profile_url(const struct conf *c, const struct token_key *key,
			enum token_purpose purpose,
			const struct subscriber *s)
{
	return signed_url(c, key, purpose, "profile", s);
}

/*
 * The RFC 2369 headers besides List-Unsubscribe, into msg (values kept in
 * the three buffers): List-Help (the subscribe page, else a mail to the
 * owner), List-Owner (mailto:list.owner) and List-Archive (when the
 * archive is on and has a URL).
 */
static void list_headers(const struct conf *c, struct mime_message *msg,
			 struct buf *help, struct buf *owner,
			 struct buf *archive)
{
	if (c->base_url[0])
		buf_addf(help, "<%s%ssubscribe>, ", c->base_url,
			 util_ends_with(c->base_url, "/") ? "" : "/");
	buf_addf(help, "<mailto:%s?subject=help>", c->owner);
	buf_addf(owner, "<mailto:%s>", c->owner);
	msg->extra[msg->nextra].name = "List-Help";
	msg->extra[msg->nextra++].value = buf_str(help);
	msg->extra[msg->nextra].name = "List-Owner";
	msg->extra[msg->nextra++].value = buf_str(owner);
	if (c->archive_enabled && c->archive_url[0]) {
		buf_addf(archive, "<%s>", c->archive_url);
		msg->extra[msg->nextra].name = "List-Archive";
		msg->extra[msg->nextra++].value = buf_str(archive);
	}
	msg->extra[msg->nextra].name = "Reply-To";
	msg->extra[msg->nextra++].value = c->owner;
}

/* "<https://...>, <mailto:FROM?subject=unsubscribe%20ID%20TOKEN>", with
 * the token the https URL carries too. */
static char *list_unsubscribe(const struct conf *c, const char *https_url,
			      const char *token, const struct subscriber *s)
{
	struct buf b = BUF_INIT;

	if (https_url[0])
		buf_addf(&b, "<%s>, ", https_url);
	buf_addf(&b, "<mailto:%s?subject=unsubscribe%%20%s%%20%s>",
		 c->from_addr, s->id, token);
	return buf_detach(&b, NULL);
}

int issue_record_judged(const struct day *d, const struct subscriber *s,
			const struct issue *issue, size_t *recorded,
			struct errbuf *eb)
{
	const struct score_result *r = &issue->scores;
	struct feedback_judged *j;
	size_t i, n = 0;
	int ret;

	if (recorded)
		*recorded = 0;
	if (!d->llm)
		return 0;
	j = xcalloc(r->n ? r->n : 1, sizeof(*j));
	for (i = 0; i < r->n; i++) {
		if (!r->entries[i].judged)
			continue;
		j[n].paper = r->entries[i].paper;
		j[n++].relevance = r->entries[i].relevance;
	}
	ret = feedback_record_judged(d->conf.state_dir, s->id, &d->listing,
				     d->date, j, n, recorded, eb);
	free(j);
	return ret < 0 ? errbuf_kind(eb, ERRBUF_IO) : 0;
}

char **issue_vote_urls(const struct conf *c, const struct token_key *key,
		       int test, const struct digest *dg, int up)
{
	char **v;
	size_t i;

	if (!c->base_url[0] || !dg->n)
		return NULL;
	v = xcalloc(dg->n, sizeof(*v));
	for (i = 0; i < dg->n; i++)
		v[i] = vote_url(c, key, test, dg->sub->id, dg->date,
				dg->items[i].paper->id, up);
	return v;
}

static void free_urls(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int issue_judge(const struct day *d, const struct subscriber *s,
		struct score_result *r, struct digest_cost *cost,
		struct strv *warnings, struct errbuf *eb)
{
	struct strv local = STRV_INIT;
	int ret;

	memset(cost, 0, sizeof(*cost));
	if (!d->llm)
		return 0;
	ret = llm_judge_digest(d->llm, &d->listing, s, r, cost,
			       warnings ? warnings : &local, eb);
	strv_release(&local);
	return ret;
}

int issue_prepare(const struct day *d, const struct score_index *idx,
		  const struct subscriber *s, const struct issue_opts *opts,
		  struct issue *out, struct errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	if (issue_score(&d->conf, idx ? idx : d->idx, &d->listing, s,
			&out->scores, eb) < 0)
		return -1;
	if (!(opts && opts->lexical_only) &&
	    issue_judge(d, s, &out->scores, &out->digest.cost, &out->warnings,
			eb) < 0)
		return -1;
	return 0;
}

int issue_compose(const struct day *d, const struct render_templates *t,
		const struct subscriber *s,
		const struct issue_opts *opts, struct issue *out,
		struct errbuf *eb)
{
	if (issue_prepare(d, NULL, s, opts, out, eb) < 0)
		return -1;
	return issue_assemble(d, t, s, opts, out, eb);
}

int issue_assemble(const struct day *d, const struct render_templates *t,
		   const struct subscriber *s, const struct issue_opts *opts,
		   struct issue *out, struct errbuf *eb)
{
	const struct conf *c = &d->conf;
	enum token_purpose purpose =
		opts && opts->to ? TOKEN_TEST : TOKEN_UNSUBSCRIBE;
	struct mime_message msg;
	struct buf list_id = BUF_INIT, help = BUF_INIT, owner = BUF_INIT,
		   archive = BUF_INIT;
	/* One token signs both unsubscribe links (the footer's and the
	 * header's). */
	char *unsub_token = token_make(&d->key, purpose, s->id, s->email);
	char *url = url_with_token(c, "unsubscribe", s, unsub_token);
	char *header = list_unsubscribe(c, url, unsub_token, s);
	char *more = archive_reader_url(c, &d->key, d->date, s);
	char *profile = issue_profile_url(
		c, &d->key, purpose == TOKEN_TEST ? TOKEN_TEST : TOKEN_PROFILE, s);
	struct render_opts ro = { url, more, RENDER_HTML_BUDGET, profile,
				  NULL, NULL };
	struct render_parts parts;
	char **up_urls = NULL, **down_urls = NULL;
	struct digest_cost cost;
	int keep = !d->rday || (opts && opts->keep_parts);
	int ret = -1;

	render_parts_init(&parts);
	/* issue_prepare left the judge's cost where the digest goes. */
	cost = out->digest.cost;
	buf_init(&out->html, RENDER_MAX_BODY);
	buf_init(&out->text, RENDER_MAX_BODY);
	buf_init(&out->message, ISSUE_MAX_MESSAGE);
	digest_build(s, &d->listing, &out->scores, d->date, &out->digest);
	out->digest.cost = cost;
	up_urls = issue_vote_urls(c, &d->key, purpose == TOKEN_TEST,
				  &out->digest, 1);
	down_urls = issue_vote_urls(c, &d->key, purpose == TOKEN_TEST,
				    &out->digest, 0);
	ro.more_urls = up_urls;
	ro.fewer_urls = down_urls;
	if (!d->rday) {
		if (render_digest(t, c, &out->digest, &ro, &out->html,
				  &out->text, &out->subject, eb) < 0)
			goto out;
	} else {
		/* The day's fragments, already encoded: the same bytes as
		 * render_digest and mime_build (test_render_day). */
		if (render_digest_day(d->rday, &out->digest, &ro, keep, &parts,
				      eb) < 0)
			goto out;
		out->subject = parts.subject;
		parts.subject = NULL;
		if (keep) {
			buf_add(&out->html, parts.html.data, parts.html.len);
			buf_add(&out->text, parts.text.data, parts.text.len);
		}
	}
	/* The parts are appended without a check at each step (buf.h): a
	 * part that did not fit is refused whole here. */
	if (buf_failed(&out->html) || buf_failed(&out->text)) {
		errbuf_setk(eb, ERRBUF_DATA, "%s: the digest is larger than "
			    "%zu bytes", s->path, (size_t)RENDER_MAX_BODY);
		goto out;
	}
	if (opts && opts->subject_prefix) {
		struct buf subj = BUF_INIT;
		buf_addf(&subj, "%s%s", opts->subject_prefix, out->subject);
		free(out->subject);
		out->subject = buf_detach(&subj, NULL);
	}

	/* A bounce to this sender names the subscriber, signed: only a
	 * real bounce of this digest can count against them. */
	if (c->verp[0] && !(opts && opts->to)) {
		out->envelope_from = token_verp_make(&d->key, c->verp, s->id,
						     eb);
		if (!out->envelope_from) {
			errbuf_prefix(eb, "delivery.verp");
			errbuf_kind(eb, ERRBUF_CONFIG);
			goto out;
		}
	}
	out->message_id = mime_new_message_id(c->list_id);
	buf_addf(&list_id, "%s <%s>", c->list_name, c->list_id);
	memset(&msg, 0, sizeof(msg));
	msg.from_display = c->from_display;
	msg.from_addr = c->from_addr;
	msg.to_display = s->name[0] ? s->name : NULL;
	msg.to_addr = s->email;
	if (opts && opts->to) {
		msg.to_display = NULL;
		msg.to_addr = opts->to;
	}
	msg.subject = out->subject;
	msg.date = time(NULL);
	msg.message_id = out->message_id;
	msg.list_id = buf_str(&list_id);
	msg.extra[msg.nextra].name = "List-Unsubscribe";
	msg.extra[msg.nextra++].value = header;
	/* RFC 8058: one-click needs an https URI to POST to. */
	if (url[0]) {
		msg.extra[msg.nextra].name = "List-Unsubscribe-Post";
		msg.extra[msg.nextra++].value = "List-Unsubscribe=One-Click";
	}
	list_headers(c, &msg, &help, &owner, &archive);
	if (d->rday) {
		msg.text_qp = &parts.text_qp;
		msg.html_qp = &parts.html_qp;
		/* One allocation of about the message's size: messages wait
		 * in batches, and doublings would leave holes between them. */
		buf_reserve(&out->message, parts.text_qp.len +
						   parts.html_qp.len +
						   ISSUE_HEADER_ROOM);
	} else {
		msg.text = buf_str(&out->text);
		msg.text_len = out->text.len;
		msg.html = buf_str(&out->html);
		msg.html_len = out->html.len;
	}
	if (mime_build(&msg, &out->message, eb) < 0 ||
	    (buf_failed(&out->message) &&
	     errbuf_setk(eb, ERRBUF_DATA, "the message is larger than %zu "
			 "bytes", ISSUE_MAX_MESSAGE))) {
		errbuf_prefix(eb, "%s", s->path);
		goto out;
	}
	/* Messages wait in batches: only their bytes are kept. */
	buf_fit(&out->message);
	ret = 0;
out:
	free_urls(up_urls, out->digest.n);
	free_urls(down_urls, out->digest.n);
	free(unsub_token);
	free(url);
	free(header);
	free(more);
	free(profile);
	buf_release(&list_id);
	render_parts_release(&parts);
	buf_release(&help);
	buf_release(&owner);
	buf_release(&archive);
	return ret;
}

void issue_release(struct issue *issue)
{
	digest_release(&issue->digest);
	score_result_release(&issue->scores);
	buf_release(&issue->html);
	buf_release(&issue->text);
	buf_release(&issue->message);
	free(issue->subject);
	free(issue->message_id);
	free(issue->envelope_from);
	strv_release(&issue->warnings);
	memset(issue, 0, sizeof(*issue));
}
