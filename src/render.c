/*
 * render: digest -> template values -> HTML and text bodies (see render.h).
 *
 * The Gmail budget is met by rendering again with less: full abstracts,
 * then shortened ones, then the largest number of cards (found by
 * bisection) with the other papers listed by title. A render is a few
 * milliseconds, so at most a dozen of them cost nothing next to SMTP.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

int render_load(const struct conf *c, struct render_templates *t,
		struct errbuf *eb)
{
	memset(t, 0, sizeof(*t));
	if (tmpl_load(c->template_html, &t->html, eb) < 0 ||
	    tmpl_load(c->template_text, &t->text, eb) < 0) {
		render_release(t);
		return -1;
	}
	return 0;
}

void render_release(struct render_templates *t)
{
	tmpl_free(t->html);
	tmpl_free(t->text);
	memset(t, 0, sizeof(*t));
}

/* What one rendering of the HTML part leaves out to meet the budget. */
struct plan {
	size_t cards;      /* papers shown as cards; the rest by title */
	size_t full;       /* cards with their whole abstract; the rest cut */
};

/* Numbered links of the text part ("[3] https://..."). */
struct refs {
	struct tmpl_value *list;
	long n;
};

static long add_ref(struct refs *r, const char *url)
{
	struct tmpl_value *o = tmpl_list_add_object(r->list);

	tmpl_set_int(o, "ref", ++r->n);
	tmpl_set_str(o, "url", url);
	return r->n;
}

static void set_joined(struct tmpl_value *obj, const char *name,
		       const struct strv *sv)
{
	char *s = strv_join(sv, ", ");

	tmpl_set_str(obj, name, s);
	free(s);
}

/* s cut at a word boundary near max bytes, with an ellipsis. */
static char *shorten(const char *s, size_t max)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(s), cut;

	if (n <= max + max / 4)
		return xstrdup(s); /* not worth a cut */
	cut = max;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--; /* not inside a UTF-8 sequence */
	while (cut > max / 2 && s[cut] != ' ')
		cut--;
	while (cut > 0 && strchr(" ,;:", s[cut - 1]))
		cut--;
	buf_add(&b, s, cut);
	buf_addstr(&b, " \xe2\x80\xa6"); /* U+2026 */
	return buf_detach(&b, NULL);
}

/* The card's authors: the first RENDER_MAX_AUTHORS and every followed
 * one, in the paper's order; followed ones flagged. */
static void add_authors(struct tmpl_value *o, const struct paper *p,
			const struct subscriber *s)
{
	struct tmpl_value *list = tmpl_set_list(o, "author_list");
	struct tmpl_value *last = NULL;
	size_t i, j, hidden = 0;

	for (i = 0; i < p->authors.n; i++) {
		int followed = 0;

		for (j = 0; j < s->authors.n && !followed; j++)
			followed = score_author_matches(s->authors.v[j],
							p->authors.v[i]);
		if (i >= RENDER_MAX_AUTHORS && !followed) {
			hidden++;
			continue;
		}
		if (last)
			tmpl_set_bool(last, "sep", 1);
		last = tmpl_list_add_object(list);
		tmpl_set_str(last, "name", p->authors.v[i]);
		tmpl_set_bool(last, "followed", followed);
		tmpl_set_bool(last, "sep", 0);
	}
	tmpl_set_int(o, "authors_more", (long)hidden);
	set_joined(o, "authors", &p->authors);
}

static struct tmpl_value *add_paper(struct tmpl_value *list,
				    const struct digest *d, size_t i,
				    int short_abstract, struct refs *refs)
{
	const struct digest_item *it = &d->items[i];
	const struct paper *p = it->paper;
	const struct score_entry *e = it->score;
	struct tmpl_value *o = tmpl_list_add_object(list);
	struct buf abs_url = BUF_INIT, pdf_url = BUF_INIT;
	char *abstract;

	buf_addf(&abs_url, "https://arxiv.org/abs/%s", p->id);
	buf_addf(&pdf_url, "https://arxiv.org/pdf/%s", p->id);
	tmpl_set_int(o, "index", (long)(i + 1));
	tmpl_set_strf(o, "anchor", "p%zu", i + 1);
	tmpl_set_str(o, "id", p->id);
	tmpl_set_str(o, "title", p->title);
	tmpl_set_str(o, "abs_url", buf_str(&abs_url));
	tmpl_set_str(o, "pdf_url", buf_str(&pdf_url));
	tmpl_set_int(o, "abs_ref", add_ref(refs, buf_str(&abs_url)));
	tmpl_set_int(o, "pdf_ref", add_ref(refs, buf_str(&pdf_url)));
	buf_release(&abs_url);
	buf_release(&pdf_url);
	add_authors(o, p, d->sub);
	abstract = p->abstract ? (short_abstract
				  ? shorten(p->abstract, RENDER_SHORT_ABSTRACT)
				  : xstrdup(p->abstract))
			       : xstrdup("");
	tmpl_set_str(o, "abstract", abstract);
	tmpl_set_bool(o, "abstract_shortened",
		      p->abstract && strlen(abstract) != strlen(p->abstract));
	free(abstract);
	tmpl_set_str(o, "comment", e->comment ? e->comment : "");
	tmpl_set_bool(o, "has_comment", e->comment && e->comment[0]);
	tmpl_set_int(o, "relevance", e->relevance);
	tmpl_set_bool(o, "has_novelty", e->novelty > 0);
	tmpl_set_int(o, "novelty", e->novelty);
	tmpl_set_bool(o, "author_match", e->author_match);
	set_joined(o, "categories", &p->categories);
	tmpl_set_str(o, "primary_category",
		     p->categories.n ? p->categories.v[0] : "");
	tmpl_set_str(o, "announce", listing_announce_name(p->announce));
	tmpl_set_bool(o, "is_cross",
		      p->announce == LISTING_ANNOUNCE_CROSS ||
			      p->announce == LISTING_ANNOUNCE_REPLACE_CROSS);
	tmpl_set_bool(o, "is_replacement",
		      p->announce == LISTING_ANNOUNCE_REPLACE ||
			      p->announce == LISTING_ANNOUNCE_REPLACE_CROSS);
	tmpl_set_str(o, "doi", p->doi ? p->doi : "");
	tmpl_set_str(o, "journal_ref", p->journal_ref ? p->journal_ref : "");
	tmpl_set_bool(o, "has_upvotes",
		      (p->sources & LISTING_SOURCE_HF) && p->upvotes >= 0);
	tmpl_set_int(o, "upvotes", p->upvotes);
	tmpl_set_str(o, "github_repo", p->github_repo ? p->github_repo : "");
	tmpl_set_int(o, "code_ref", p->github_repo && p->github_repo[0]
			 ? add_ref(refs, p->github_repo) : 0);
	tmpl_set_str(o, "project_page",
		     p->project_page ? p->project_page : "");
	tmpl_set_int(o, "project_ref", p->project_page && p->project_page[0]
			 ? add_ref(refs, p->project_page) : 0);
	return o;
}

/* A title-only line for a paper that did not fit the budget as a card. */
static struct tmpl_value *add_more(struct tmpl_value *list,
				   const struct digest *d, size_t i)
{
	const struct paper *p = d->items[i].paper;
	struct tmpl_value *o = tmpl_list_add_object(list);

	tmpl_set_int(o, "index", (long)(i + 1));
	tmpl_set_str(o, "id", p->id);
	tmpl_set_str(o, "title", p->title);
	tmpl_set_strf(o, "abs_url", "https://arxiv.org/abs/%s", p->id);
	tmpl_set_int(o, "relevance", d->items[i].score->relevance);
	return o;
}

/* Per-subscriber part of paper i: its vote links (refs NULL: no numbered
 * references, as on the HTML part's title-only lines). */
static void add_votes(struct tmpl_value *o, const struct render_opts *ro,
		      size_t i, struct refs *refs)
{
	const char *more = ro->more_urls ? ro->more_urls[i] : NULL;
	const char *fewer = ro->fewer_urls ? ro->fewer_urls[i] : NULL;
	int has = more && more[0] && fewer && fewer[0];

	tmpl_set_bool(o, "has_vote", has);
	tmpl_set_str(o, "more_url", has ? more : "");
	tmpl_set_str(o, "fewer_url", has ? fewer : "");
	tmpl_set_int(o, "more_ref", has && refs ? add_ref(refs, more) : 0);
	tmpl_set_int(o, "fewer_ref", has && refs ? add_ref(refs, fewer) : 0);
}

static void add_criteria(struct tmpl_value *ctx, const struct subscriber *s)
{
	struct tmpl_value *crit = tmpl_set_object(ctx, "criteria");
	struct tmpl_value *topics = tmpl_set_list(crit, "topics");
	struct strv names = STRV_INIT;
	size_t i;

	for (i = 0; i < s->ntopics; i++) {
		struct tmpl_value *t = tmpl_list_add_object(topics);
		tmpl_set_str(t, "name", s->topics[i].name);
		set_joined(t, "keywords", &s->topics[i].keywords);
		strv_push(&names, s->topics[i].name);
	}
	set_joined(crit, "topic_names", &names);
	strv_release(&names);
	tmpl_set_bool(crit, "has_topics", s->ntopics > 0);
	set_joined(crit, "authors", &s->authors);
	tmpl_set_bool(crit, "has_authors", s->authors.n > 0);
	set_joined(crit, "exclude", &s->exclude);
	tmpl_set_bool(crit, "has_exclude", s->exclude.n > 0);
	set_joined(crit, "categories", &s->categories);
	tmpl_set_bool(crit, "has_categories", s->categories.n > 0);
	tmpl_set_int(crit, "min_relevance", s->min_relevance);
	tmpl_set_int(crit, "max_papers", s->max_papers);
	tmpl_set_str(crit, "profile", s->path);
}

/* "12 papers for you today: 2 from authors you follow, top: TITLE". */
static void set_preheader(struct tmpl_value *ctx, const struct digest *d)
{
	struct buf b = BUF_INIT;

	if (!d->n) {
		buf_addstr(&b, "No papers matched your profile today.");
	} else {
		buf_addf(&b, "%zu paper%s for you today", d->n,
			 d->n == 1 ? "" : "s");
		if (d->author_matches)
			buf_addf(&b, ": %zu from authors you follow",
				 d->author_matches);
		buf_addf(&b, "%s top: %s", d->author_matches ? "," : ":",
			 d->items[0].paper->title);
	}
	tmpl_set_str(ctx, "preheader", buf_str(&b));
	buf_release(&b);
}

/* "Tuesday, 30 December 2025" (the date is a UTC midnight). */
static void set_long_date(struct tmpl_value *ctx, const char *date)
{
	char out[64] = "";
	time_t day;
	struct tm tm;

	if (util_parse_date(date, &day) == 0 && gmtime_r(&day, &tm))
		strftime(out, sizeof(out), "%A, %-d %B %Y", &tm);
	tmpl_set_str(ctx, "date_long", out[0] ? out : date);
}

/* The LLM judge's tokens and cost, as the seed digest's header shows. */
static void set_cost(struct tmpl_value *ctx, const struct digest_cost *c)
{
	struct tmpl_value *llm;

	tmpl_set_bool(ctx, "budget_reached", c->budget_reached);
	if (!c->judged) {
		tmpl_set_bool(ctx, "llm", 0);
		return;
	}
	llm = tmpl_set_object(ctx, "llm");
	tmpl_set_str(llm, "model", c->model ? c->model : "");
	tmpl_set_int(llm, "prompt_tokens", c->prompt_tokens);
	tmpl_set_int(llm, "completion_tokens", c->completion_tokens);
	tmpl_set_int(llm, "total_tokens",
		     c->prompt_tokens + c->completion_tokens);
	tmpl_set_strf(llm, "cost", "$%.4f", c->usd);
}

static struct tmpl_value *build_context(const struct conf *c,
					const struct digest *d,
					const struct render_opts *o,
					const struct plan *pl)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list = tmpl_set_object(ctx, "list");
	struct tmpl_value *sub = tmpl_set_object(ctx, "subscriber");
	struct tmpl_value *papers, *more;
	struct refs refs;
	size_t i;

	tmpl_set_str(list, "name", c->list_name);
	tmpl_set_str(list, "from", c->from_addr);
	tmpl_set_str(list, "contact", c->contact);
	tmpl_set_str(list, "postal", c->postal);
	tmpl_set_bool(list, "has_postal", c->postal[0] != '\0');
	tmpl_set_str(list, "base_url", c->base_url);
	tmpl_set_str(sub, "id", d->sub->id);
	tmpl_set_str(sub, "name", d->sub->name);
	tmpl_set_str(sub, "email", d->sub->email);
	tmpl_set_str(ctx, "date", d->date);
	set_long_date(ctx, d->date);
	tmpl_set_int(ctx, "total", (long)d->total);
	tmpl_set_int(ctx, "scanned", (long)d->scanned);
	tmpl_set_int(ctx, "selected", (long)d->n);
	tmpl_set_int(ctx, "matched", (long)d->matched);
	tmpl_set_int(ctx, "not_shown", (long)(d->matched - d->n));
	tmpl_set_int(ctx, "author_matches", (long)d->author_matches);
	tmpl_set_bool(ctx, "has_papers", d->n > 0);
	set_preheader(ctx, d);
	set_cost(ctx, &d->cost);
	refs.list = tmpl_set_list(ctx, "links");
	refs.n = 0;
	papers = tmpl_set_list(ctx, "papers");
	more = tmpl_set_list(ctx, "more");
	for (i = 0; i < d->n; i++) {
		if (i < pl->cards)
			add_votes(add_paper(papers, d, i, i >= pl->full,
					    &refs), o, i, &refs);
		else
			add_votes(add_more(more, d, i), o, i, NULL);
	}
	tmpl_set_int(ctx, "more_count", (long)(d->n - pl->cards));
	tmpl_set_bool(ctx, "has_more", pl->cards < d->n);
	tmpl_set_int(ctx, "more_start", (long)(pl->cards + 1));
	tmpl_set_bool(ctx, "abstracts_shortened", pl->full < pl->cards);
	tmpl_set_str(ctx, "archive_url", o->archive_url);
	tmpl_set_int(ctx, "archive_ref",
		     o->archive_url[0] ? add_ref(&refs, o->archive_url) : 0);
	tmpl_set_str(ctx, "unsubscribe_url", o->unsubscribe_url);
	tmpl_set_bool(ctx, "has_unsubscribe", o->unsubscribe_url[0] != '\0');
	tmpl_set_int(ctx, "unsubscribe_ref", o->unsubscribe_url[0]
			  ? add_ref(&refs, o->unsubscribe_url) : 0);
	add_criteria(ctx, d->sub);
	return ctx;
}

/* Renders the HTML part with plan pl into html (emptied first). */
static int render_html(const struct render_templates *t, const struct conf *c,
		       const struct digest *d, const struct render_opts *o,
		       const struct plan *pl, struct buf *html,
		       struct errbuf *eb)
{
	struct tmpl_value *ctx = build_context(c, d, o, pl);
	int ret;

	buf_truncate(html, 0);
	ret = tmpl_render(t->html, ctx, TMPL_ESCAPE_HTML, html, eb);
	tmpl_value_free(ctx);
	return ret;
}

/*
 * The largest value of *field in [lo, hi] with which the HTML part fits
 * the budget, given that lo fits (or is all there is) and hi does not;
 * html ends up rendered with it.
 */
static int bisect(const struct render_templates *t, const struct conf *c,
		  const struct digest *d, const struct render_opts *o,
		  struct plan *pl, size_t *field, size_t lo, size_t hi,
		  struct buf *html, struct errbuf *eb)
{
	while (hi - lo > 1) {
		*field = lo + (hi - lo) / 2;
		if (render_html(t, c, d, o, pl, html, eb) < 0)
			return -1;
		if (html->len <= o->html_budget)
			lo = *field;
		else
			hi = *field;
	}
	*field = lo;
	return render_html(t, c, d, o, pl, html, eb);
}

/*
 * The HTML part within o->html_budget: every abstract whole if that fits;
 * else the best papers' whole and the others' shortened (as many whole as
 * fit); else every abstract short and as many cards as fit, the other
 * papers listed by title.
 */
static int render_html_budget(const struct render_templates *t,
			      const struct conf *c, const struct digest *d,
			      const struct render_opts *o, struct buf *html,
			      struct errbuf *eb)
{
	struct plan pl = { d->n, d->n };

	if (render_html(t, c, d, o, &pl, html, eb) < 0)
		return -1;
	if (!o->html_budget || html->len <= o->html_budget)
		return 0;
	pl.full = 0;
	if (render_html(t, c, d, o, &pl, html, eb) < 0)
		return -1;
	if (html->len <= o->html_budget)
		return bisect(t, c, d, o, &pl, &pl.full, 0, d->n, html, eb);
	return bisect(t, c, d, o, &pl, &pl.cards, 0, d->n, html, eb);
}

int render_digest(const struct render_templates *t, const struct conf *c,
		  const struct digest *d, const struct render_opts *o,
		  struct buf *html, struct buf *text, char **subject,
		  struct errbuf *eb)
{
	struct plan all = { d->n, d->n };
	struct tmpl_value *ctx = build_context(c, d, o, &all);
	struct buf raw, part;
	struct buf subj = BUF_INIT;
	int ret = -1;

	buf_init(&raw, RENDER_MAX_BODY);
	buf_init(&part, RENDER_MAX_BODY);
	if (tmpl_render(t->text, ctx, TMPL_ESCAPE_NONE, &raw, eb) < 0 ||
	    render_html_budget(t, c, d, o, &part, eb) < 0)
		goto out;
	if (buf_add(html, part.data ? part.data : "", part.len) < 0) {
		errbuf_set(eb, "the HTML part is larger than %zu bytes",
			   html->limit);
		goto out;
	}
	render_wrap(raw.data ? raw.data : "", raw.len, RENDER_TEXT_WIDTH,
		    text);
	buf_addf(&subj, "%s %s: %zu paper%s for you", c->list_name, d->date,
		 d->n, d->n == 1 ? "" : "s");
	*subject = buf_detach(&subj, NULL);
	ret = 0;
out:
	buf_release(&raw);
	buf_release(&part);
	buf_release(&subj);
	tmpl_value_free(ctx);
	return ret;
}

/* Columns a continuation line of s is indented by: the leading blanks,
 * plus a list marker after them ("12. ", "[3] ", "- ", "* "). */
static size_t hang_indent(const char *s, size_t len, size_t width)
{
	size_t i = 0, j;

	while (i < len && s[i] == ' ')
		i++;
	j = i;
	if (j < len && s[j] == '[') {
		j++;
		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j > i + 1 && j < len && s[j] == ']')
			j++;
		else
			j = i;
	} else if (j < len && s[j] >= '0' && s[j] <= '9') {
		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j < len && s[j] == '.')
			j++;
		else
			j = i;
	} else if (j + 1 < len && (s[j] == '-' || s[j] == '*')) {
		j++;
	} else {
		/* "Authors: ..." hangs under its value */
		while (j < len && j - i < 12 &&
		       ((s[j] >= 'A' && s[j] <= 'Z') ||
			(s[j] >= 'a' && s[j] <= 'z')))
			j++;
		if (j > i && j < len && s[j] == ':')
			j++;
		else
			j = i;
	}
	if (j > i && j < len && s[j] == ' ') {
		while (j < len && s[j] == ' ')
			j++;
		i = j;
	}
	return i > width / 2 ? 0 : i; /* keep continuation lines usable */
}

/* Appends one over-long line, broken at spaces. */
static void wrap_line(const char *s, size_t len, size_t width,
		      struct buf *out)
{
	size_t indent = hang_indent(s, len, width), col = 0, i = 0;
	int line_start = 1;

	while (i < len && s[i] == ' ')
		i++;
	buf_add(out, s, i);
	col = i;
	while (i < len) {
		size_t start = i, w;

		while (i < len && s[i] != ' ')
			i++;
		w = util_utf8_width(s + start, i - start);
		/* Never break right after a list marker ("[81] URL"). */
		if (!line_start && col > indent && col + 1 + w > width) {
			buf_addch(out, '\n');
			buf_addf(out, "%*s", (int)indent, "");
			col = indent;
			line_start = 1;
		}
		if (!line_start) {
			buf_addch(out, ' ');
			col++;
		}
		buf_add(out, s + start, i - start);
		col += w;
		line_start = 0;
		while (i < len && s[i] == ' ')
			i++;
	}
}

void render_wrap(const char *in, size_t len, size_t width, struct buf *out)
{
	const char *end = in + len;

	while (in < end) {
		const char *nl = memchr(in, '\n', (size_t)(end - in));
		size_t n = nl ? (size_t)(nl - in) : (size_t)(end - in);

		while (n && in[n - 1] == ' ')
			n--; /* no trailing spaces (format=flowed reads them) */
		if (util_utf8_width(in, n) <= width)
			buf_add(out, in, n);
		else
			wrap_line(in, n, width, out);
		if (!nl)
			break;
		buf_addch(out, '\n');
		in = nl + 1;
	}
}
