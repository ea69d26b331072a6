/*
 * render: digest -> template values -> HTML and text bodies (see render.h).
 *
 * The Gmail budget is met by rendering again with less: full abstracts,
 * then shortened ones, then the largest number of cards (found by
 * bisection) with the other papers listed by title. render_digest() does
 * that by rendering and encoding the whole part per plan tried: it is the
 * reference. render_digest_day() tries the same plans in the same order
 * over the day's prepared cards, measuring each card once and adding the
 * sizes up, and writes the chosen plan straight into its encoded form;
 * tests/unit/test_render_day.c holds the two to byte-for-byte equality.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mime.h"
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

/* Numbered links of the text part ("[3] https://..."): added to list,
 * else kept in pool (owned), else only counted. */
struct refs {
	struct tmpl_value *list;
	struct tmpl_value **pool;
	size_t npool, alloc;
	int keep;
	long n;
};

static long add_ref(struct refs *r, const char *url)
{
	struct tmpl_value *o;

	if (r->list) {
		o = tmpl_list_add_object(r->list);
	} else if (r->keep) {
		o = tmpl_object_new();
		ALLOC_GROW(r->pool, r->npool + 1, r->alloc);
		r->pool[r->npool++] = o;
	} else {
		return ++r->n;
	}
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

/* 1 if s follows author a of a paper. */
static int follows(const struct subscriber *s, const char *a)
{
	size_t j;

	for (j = 0; s && j < s->authors.n; j++)
		if (score_author_matches(s->authors.v[j], a))
			return 1;
	return 0;
}

/* The card's authors: the first RENDER_MAX_AUTHORS and every followed
 * one, in the paper's order; followed ones flagged. s is NULL for the
 * day's shared card, in which nobody is followed. */
static void add_authors(struct tmpl_value *o, const struct paper *p,
			const struct subscriber *s)
{
	struct tmpl_value *list = tmpl_set_list(o, "author_list");
	struct tmpl_value *last = NULL;
	size_t i, hidden = 0;

	for (i = 0; i < p->authors.n; i++) {
		int followed = follows(s, p->authors.v[i]);

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

/*
 * The values of a card that depend only on the paper (and on whether its
 * abstract is cut, and whom the reader follows): the same in every digest
 * for a reader who follows none of its authors (s NULL).
 */
static void paper_static(struct tmpl_value *o, const struct paper *p,
			 int short_abstract, const struct subscriber *s)
{
	char *abstract;

	tmpl_set_str(o, "id", p->id);
	tmpl_set_str(o, "title", p->title);
	tmpl_set_strf(o, "abs_url", "https://arxiv.org/abs/%s", p->id);
	tmpl_set_strf(o, "pdf_url", "https://arxiv.org/pdf/%s", p->id);
	add_authors(o, p, s);
	abstract = p->abstract ? (short_abstract
				  ? shorten(p->abstract, RENDER_SHORT_ABSTRACT)
				  : xstrdup(p->abstract))
			       : xstrdup("");
	tmpl_set_str(o, "abstract", abstract);
	tmpl_set_bool(o, "abstract_shortened",
		      p->abstract && strlen(abstract) != strlen(p->abstract));
	free(abstract);
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
	tmpl_set_str(o, "project_page",
		     p->project_page ? p->project_page : "");
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

/* "anchor": "p" and the rank, without printf (twenty a digest). */
static void set_anchor(struct tmpl_value *o, size_t rank)
{
	char s[1 + UTIL_ULONG_DEC];
	char *p = util_ulong_dec((unsigned long)rank, s + 1);

	*--p = 'p';
	tmpl_set_str(o, "anchor", p);
}

/* The values of card i that are the reader's: rank, scores, references,
 * vote links. A card derived from the day's (derived) has no author match,
 * which the day's card says already (see render_day_new). */
static void paper_dynamic(struct tmpl_value *o, const struct digest *d,
			  size_t i, struct refs *refs,
			  const struct render_opts *ro, int derived)
{
	const struct paper *p = d->items[i].paper;
	const struct score_entry *e = d->items[i].score;
	struct buf url = BUF_INIT;

	tmpl_set_int(o, "index", (long)(i + 1));
	set_anchor(o, i + 1);
	buf_addstr(&url, "https://arxiv.org/abs/");
	buf_addstr(&url, p->id);
	tmpl_set_int(o, "abs_ref", add_ref(refs, buf_str(&url)));
	buf_reset(&url);
	buf_addstr(&url, "https://arxiv.org/pdf/");
	buf_addstr(&url, p->id);
	tmpl_set_int(o, "pdf_ref", add_ref(refs, buf_str(&url)));
	buf_release(&url);
	tmpl_set_str(o, "comment", e->comment ? e->comment : "");
	tmpl_set_bool(o, "has_comment", e->comment && e->comment[0]);
	tmpl_set_int(o, "relevance", e->relevance);
	tmpl_set_bool(o, "has_novelty", e->novelty > 0);
	tmpl_set_int(o, "novelty", e->novelty);
	if (!derived)
		tmpl_set_bool(o, "author_match", e->author_match);
	tmpl_set_int(o, "code_ref", p->github_repo && p->github_repo[0]
			 ? add_ref(refs, p->github_repo) : 0);
	tmpl_set_int(o, "project_ref", p->project_page && p->project_page[0]
			 ? add_ref(refs, p->project_page) : 0);
	add_votes(o, ro, i, refs);
}

static void add_paper(struct tmpl_value *list, const struct digest *d,
		      size_t i, int short_abstract, struct refs *refs,
		      const struct render_opts *ro)
{
	struct tmpl_value *o = tmpl_list_add_object(list);

	paper_static(o, d->items[i].paper, short_abstract, d->sub);
	paper_dynamic(o, d, i, refs, ro, 0);
}

/* A title-only line for a paper that did not fit the budget as a card. */
static void more_values(struct tmpl_value *o, const struct digest *d,
			size_t i, const struct render_opts *ro)
{
	const struct paper *p = d->items[i].paper;

	tmpl_set_int(o, "index", (long)(i + 1));
	tmpl_set_str(o, "id", p->id);
	tmpl_set_str(o, "title", p->title);
	tmpl_set_strf(o, "abs_url", "https://arxiv.org/abs/%s", p->id);
	tmpl_set_int(o, "relevance", d->items[i].score->relevance);
	add_votes(o, ro, i, NULL);
}

static void add_more(struct tmpl_value *list, const struct digest *d,
		     size_t i, const struct render_opts *ro)
{
	more_values(tmpl_list_add_object(list), d, i, ro);
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

/* The values that do not depend on the plan, nor list the papers. */
static struct tmpl_value *common_context(const struct conf *c,
					 const struct digest *d,
					 const struct render_opts *o)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list = tmpl_set_object(ctx, "list");
	struct tmpl_value *sub = tmpl_set_object(ctx, "subscriber");

	tmpl_set_str(list, "name", c->list_name);
	tmpl_set_str(list, "from", c->from_addr);
	tmpl_set_str(list, "contact", c->contact);
	tmpl_set_str(list, "owner", c->owner);
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
	tmpl_set_str(ctx, "archive_url", o->archive_url);
	tmpl_set_str(ctx, "unsubscribe_url", o->unsubscribe_url);
	tmpl_set_bool(ctx, "has_unsubscribe", o->unsubscribe_url[0] != '\0');
	tmpl_set_str(ctx, "profile_url", o->profile_url ? o->profile_url : "");
	tmpl_set_bool(ctx, "has_profile", o->profile_url && o->profile_url[0]);
	add_criteria(ctx, d->sub);
	return ctx;
}

/* The plan's values: which papers are cards, which listed by title. */
static void set_plan_values(struct tmpl_value *ctx, const struct digest *d,
			    const struct plan *pl)
{
	tmpl_set_int(ctx, "more_count", (long)(d->n - pl->cards));
	tmpl_set_bool(ctx, "has_more", pl->cards < d->n);
	tmpl_set_int(ctx, "more_start", (long)(pl->cards + 1));
	tmpl_set_bool(ctx, "abstracts_shortened", pl->full < pl->cards);
}

static struct tmpl_value *build_context(const struct conf *c,
					const struct digest *d,
					const struct render_opts *o,
					const struct plan *pl)
{
	struct tmpl_value *ctx = common_context(c, d, o);
	struct tmpl_value *papers, *more;
	struct refs refs;
	size_t i;

	memset(&refs, 0, sizeof(refs));
	refs.list = tmpl_set_list(ctx, "links");
	papers = tmpl_set_list(ctx, "papers");
	more = tmpl_set_list(ctx, "more");
	for (i = 0; i < d->n; i++) {
		if (i < pl->cards)
			add_paper(papers, d, i, i >= pl->full, &refs, o);
		else
			add_more(more, d, i, o);
	}
	set_plan_values(ctx, d, pl);
	tmpl_set_int(ctx, "archive_ref",
		     o->archive_url[0] ? add_ref(&refs, o->archive_url) : 0);
	tmpl_set_int(ctx, "unsubscribe_ref", o->unsubscribe_url[0]
			  ? add_ref(&refs, o->unsubscribe_url) : 0);
	tmpl_set_int(ctx, "profile_ref", o->profile_url && o->profile_url[0]
			  ? add_ref(&refs, o->profile_url) : 0);
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
		if (mime_qp_encoded_len(html->data, html->len) <=
		    o->html_budget)
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
	if (!o->html_budget ||
	    mime_qp_encoded_len(html->data, html->len) <= o->html_budget)
		return 0;
	pl.full = 0;
	if (render_html(t, c, d, o, &pl, html, eb) < 0)
		return -1;
	if (mime_qp_encoded_len(html->data, html->len) <= o->html_budget)
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

/*
 * The day's fragments. Each paper's card values that are the same for
 * every reader (struct tmpl_value "full" and "cut", the abstract whole or
 * shortened) are prepared once: their sections in both templates rendered
 * ahead, escaped, wrapped (text) and quoted-printable encoded, with the
 * reader's values (rank, scores, references) left to fill in. A digest is
 * then written through a part_sink straight into its encoded parts, and
 * sized by the same writer counting instead of writing.
 */
struct render_day {
	const struct conf *c;
	const struct listing *l;
	struct tmpl_prep *html, *text;
	struct tmpl_value **full, **cut; /* per paper of l */
};

static int utf8_valid(const char *s, size_t n);

static int prep_html(const char *lines, size_t len, struct buf *out,
		     void *arg)
{
	if (!utf8_valid(lines, len))
		return -1;
	return mime_qp_encode(lines, len, out);
}

static int prep_text(const char *lines, size_t len, struct buf *out,
		     void *arg)
{
	struct buf w = BUF_INIT;
	int ret;

	if (!utf8_valid(lines, len))
		return -1;
	render_wrap(lines, len, RENDER_TEXT_WIDTH, &w);
	ret = mime_qp_encode(buf_str(&w), w.len, out);
	buf_release(&w);
	return ret;
}

void render_day_free(struct render_day *day)
{
	size_t i;

	if (!day)
		return;
	for (i = 0; day->full && i < day->l->n; i++) {
		tmpl_value_free(day->full[i]);
		tmpl_value_free(day->cut[i]);
	}
	free(day->full);
	free(day->cut);
	tmpl_prep_free(day->html);
	tmpl_prep_free(day->text);
	free(day);
}

int render_day_new(const struct render_templates *t, const struct conf *c,
		   const struct listing *l, struct render_day **out,
		   struct errbuf *eb)
{
	struct render_day *day = xcalloc(1, sizeof(*day));
	size_t i;

	*out = NULL;
	day->c = c;
	day->l = l;
	if (tmpl_prep_new(t->html, prep_html, NULL, &day->html, eb) < 0 ||
	    tmpl_prep_new(t->text, prep_text, NULL, &day->text, eb) < 0) {
		render_day_free(day);
		return -1;
	}
	day->full = xcalloc(l->n ? l->n : 1, sizeof(*day->full));
	day->cut = xcalloc(l->n ? l->n : 1, sizeof(*day->cut));
	for (i = 0; i < l->n; i++) {
		day->full[i] = tmpl_object_new();
		paper_static(day->full[i], &l->papers[i], 0, NULL);
		/* Only cards without an author match derive from these, so
		 * the star and badge of a match are prepared out. */
		tmpl_set_bool(day->full[i], "author_match", 0);
		/* A card that cannot be prepared renders live: same output. */
		tmpl_prepare_item(day->html, "papers", TMPL_ESCAPE_HTML,
				  day->full[i]);
		tmpl_prepare_item(day->text, "papers", TMPL_ESCAPE_NONE,
				  day->full[i]);
		day->cut[i] = tmpl_object_new();
		paper_static(day->cut[i], &l->papers[i], 1, NULL);
		tmpl_set_bool(day->cut[i], "author_match", 0);
		tmpl_prepare_item(day->html, "papers", TMPL_ESCAPE_HTML,
				  day->cut[i]);
	}
	*out = day;
	return 0;
}

/* Writes a part: wraps the text part's lines (as render_wrap() does to
 * the whole), encodes, and keeps the decoded output when asked. */
struct part_sink {
	struct tmpl_sink sk; /* first: the sink is cast back to this */
	struct mime_qp qp;
	struct buf *decoded; /* NULL: not kept */
	int wrap;
	struct buf line, tmp; /* wrap: the current line; scratch */
	int bad_utf8;
};

static int sink_emit(struct part_sink *ps, const char *s, size_t n)
{
	if (mime_qp_add(&ps->qp, s, n) < 0)
		return -1;
	return ps->decoded ? buf_add(ps->decoded, s, n) : 0;
}

/* Wraps and writes the current line, and its line end if eol. */
static int sink_line(struct part_sink *ps, int eol)
{
	buf_reset(&ps->tmp);
	render_wrap(buf_str(&ps->line), ps->line.len, RENDER_TEXT_WIDTH,
		    &ps->tmp);
	if (eol)
		buf_addch(&ps->tmp, '\n');
	buf_reset(&ps->line);
	return sink_emit(ps, buf_str(&ps->tmp), ps->tmp.len);
}

/* util_utf8_valid() after skipping ASCII eight bytes at a time: most of
 * a digest is ASCII, and a run of it ends on a character boundary. */
static int utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return util_utf8_valid(s + i, n - i);
	return 1;
}

static int sink_add(struct tmpl_sink *sk, const char *s, size_t n)
{
	struct part_sink *ps = (struct part_sink *)sk;
	const char *end = s + n, *nl;

	if (!utf8_valid(s, n)) {
		ps->bad_utf8 = 1;
		return -1;
	}
	if (!ps->wrap)
		return sink_emit(ps, s, n);
	while ((nl = memchr(s, '\n', (size_t)(end - s)))) {
		if (buf_add(&ps->line, s, (size_t)(nl - s)) < 0 ||
		    sink_line(ps, 1) < 0)
			return -1;
		s = nl + 1;
	}
	return buf_add(&ps->line, s, (size_t)(end - s));
}

static int sink_add_prepared(struct tmpl_sink *sk, const char *raw,
			     size_t len, const char *prep, size_t preplen)
{
	struct part_sink *ps = (struct part_sink *)sk;

	if (ps->line.len || !mime_qp_at_line_start(&ps->qp))
		return sink_add(sk, raw, len); /* not at a line start */
	if (mime_qp_add_encoded(&ps->qp, prep, preplen) < 0)
		return -1;
	if (!ps->decoded)
		return 0;
	if (!ps->wrap)
		return buf_add(ps->decoded, raw, len);
	render_wrap(raw, len, RENDER_TEXT_WIDTH, ps->decoded);
	return 0;
}

static size_t sink_pos(struct tmpl_sink *sk, int *line_start)
{
	struct part_sink *ps = (struct part_sink *)sk;

	*line_start = !ps->line.len && mime_qp_at_line_start(&ps->qp);
	return ps->qp.size;
}

static int sink_skip(struct tmpl_sink *sk, size_t size)
{
	((struct part_sink *)sk)->qp.size += size;
	return 0;
}

static void sink_init(struct part_sink *ps, struct buf *encoded,
		      struct buf *decoded, int wrap)
{
	memset(ps, 0, sizeof(*ps));
	ps->sk.add = sink_add;
	ps->sk.add_prepared = sink_add_prepared;
	ps->sk.limit = encoded ? encoded->limit : RENDER_MAX_BODY;
	/* The HTML part's cards are measured as they are written, and
	 * added up when only counting. */
	if (!wrap)
		ps->sk.pos = sink_pos;
	if (!wrap && !encoded && !decoded)
		ps->sk.skip = sink_skip;
	mime_qp_init(&ps->qp, encoded);
	ps->decoded = decoded;
	ps->wrap = wrap;
	buf_init(&ps->line, RENDER_MAX_BODY);
	buf_init(&ps->tmp, RENDER_MAX_BODY);
}

static int sink_finish(struct part_sink *ps)
{
	if (ps->wrap && ps->line.len && sink_line(ps, 0) < 0)
		return -1;
	return mime_qp_finish(&ps->qp);
}

static void sink_release(struct part_sink *ps)
{
	mime_qp_release(&ps->qp);
	buf_release(&ps->line);
	buf_release(&ps->tmp);
}

/* One digest being assembled from the day's fragments. */
struct assembly {
	const struct render_day *day;
	const struct digest *d;
	const struct render_opts *o;
	struct tmpl_value *ctx;
	struct tmpl_value *papers, *more, *links; /* borrowed lists in ctx */
	struct tmpl_value **full, **cut, **more_items; /* per paper; owned */
	struct refs refs;   /* the cards' links, in order */
	size_t *refs_after; /* links of cards 0..i */
	struct tmpl_value *archive_link, *unsubscribe_link, *profile_link;
};

/* Card i's values: derived from the day's prepared card, or (for a paper
 * not in the day's listing, or with an author the reader follows) made
 * whole here. The score's author match is exactly "follows an author"
 * (both are score_author_matches over the same names: test_render_day
 * holds the two paths to the same bytes), so no name is parsed again. */
static struct tmpl_value *make_card(struct assembly *a, size_t i, int cut,
				    struct refs *refs)
{
	const struct listing *l = a->day->l;
	const struct paper *p = a->d->items[i].paper;
	struct tmpl_value *o;
	int derived = p >= l->papers && p < l->papers + l->n &&
		      !a->d->items[i].score->author_match;

	if (derived) {
		size_t k = (size_t)(p - l->papers);

		o = tmpl_derived_new(cut ? a->day->cut[k] : a->day->full[k]);
	} else {
		o = tmpl_object_new();
		paper_static(o, p, cut, a->d->sub);
	}
	paper_dynamic(o, a->d, i, refs, a->o, derived);
	return o;
}

static void assembly_release(struct assembly *a)
{
	size_t i;

	for (i = 0; i < a->d->n; i++) {
		tmpl_value_free(a->full[i]);
		tmpl_value_free(a->cut[i]);
		tmpl_value_free(a->more_items[i]);
	}
	for (i = 0; i < a->refs.npool; i++)
		tmpl_value_free(a->refs.pool[i]);
	free(a->refs.pool);
	free(a->full);
	free(a->cut);
	free(a->more_items);
	free(a->refs_after);
	tmpl_value_free(a->archive_link);
	tmpl_value_free(a->unsubscribe_link);
	tmpl_value_free(a->profile_link);
	tmpl_value_free(a->ctx);
}

static void assembly_init(struct assembly *a, const struct render_day *day,
			  const struct digest *d, const struct render_opts *o)
{
	size_t i, n = d->n ? d->n : 1;

	memset(a, 0, sizeof(*a));
	a->day = day;
	a->d = d;
	a->o = o;
	a->ctx = common_context(day->c, d, o);
	a->links = tmpl_set_borrowed_list(a->ctx, "links");
	a->papers = tmpl_set_borrowed_list(a->ctx, "papers");
	a->more = tmpl_set_borrowed_list(a->ctx, "more");
	a->full = xcalloc(n, sizeof(*a->full));
	a->cut = xcalloc(n, sizeof(*a->cut));
	a->more_items = xcalloc(n, sizeof(*a->more_items));
	a->refs_after = xcalloc(n, sizeof(*a->refs_after));
	a->refs.keep = 1;
	for (i = 0; i < d->n; i++) {
		a->full[i] = make_card(a, i, 0, &a->refs);
		a->refs_after[i] = a->refs.npool;
	}
	a->archive_link = tmpl_object_new();
	tmpl_set_str(a->archive_link, "url", o->archive_url);
	a->unsubscribe_link = tmpl_object_new();
	tmpl_set_str(a->unsubscribe_link, "url", o->unsubscribe_url);
	a->profile_link = tmpl_object_new();
	tmpl_set_str(a->profile_link, "url",
		     o->profile_url ? o->profile_url : "");
}

/* Points the context's lists at plan pl's cards, titles and links. */
static void set_plan(struct assembly *a, const struct plan *pl)
{
	const struct digest *d = a->d;
	size_t i, nrefs = pl->cards ? a->refs_after[pl->cards - 1] : 0;
	long ref = (long)nrefs;

	tmpl_list_clear_borrowed(a->papers);
	tmpl_list_clear_borrowed(a->more);
	tmpl_list_clear_borrowed(a->links);
	for (i = 0; i < pl->cards; i++) {
		if (i >= pl->full && !a->cut[i]) {
			struct refs count;

			memset(&count, 0, sizeof(count));
			count.n = i ? (long)a->refs_after[i - 1] : 0;
			a->cut[i] = make_card(a, i, 1, &count);
		}
		tmpl_list_add_borrowed(a->papers,
				       i < pl->full ? a->full[i] : a->cut[i]);
	}
	for (; i < d->n; i++) {
		if (!a->more_items[i]) {
			a->more_items[i] = tmpl_object_new();
			more_values(a->more_items[i], d, i, a->o);
		}
		tmpl_list_add_borrowed(a->more, a->more_items[i]);
	}
	for (i = 0; i < nrefs; i++)
		tmpl_list_add_borrowed(a->links, a->refs.pool[i]);
	set_plan_values(a->ctx, d, pl);
	if (a->o->archive_url[0]) {
		tmpl_set_int(a->archive_link, "ref", ++ref);
		tmpl_list_add_borrowed(a->links, a->archive_link);
	}
	tmpl_set_int(a->ctx, "archive_ref", a->o->archive_url[0] ? ref : 0);
	if (a->o->unsubscribe_url[0]) {
		tmpl_set_int(a->unsubscribe_link, "ref", ++ref);
		tmpl_list_add_borrowed(a->links, a->unsubscribe_link);
	}
	tmpl_set_int(a->ctx, "unsubscribe_ref",
		     a->o->unsubscribe_url[0] ? ref : 0);
	if (a->o->profile_url && a->o->profile_url[0]) {
		tmpl_set_int(a->profile_link, "ref", ++ref);
		tmpl_list_add_borrowed(a->links, a->profile_link);
	}
	tmpl_set_int(a->ctx, "profile_ref",
		     a->o->profile_url && a->o->profile_url[0] ? ref : 0);
}

/*
 * Writes a part with plan pl: encoded into enc (NULL: only counted) and
 * decoded into dec (NULL: not kept). Sets *size to the encoded size.
 */
static int write_part(struct assembly *a, const struct plan *pl, int html,
		      struct buf *enc, struct buf *dec, size_t *size,
		      struct errbuf *eb)
{
	struct part_sink ps;
	int ret;

	set_plan(a, pl);
	sink_init(&ps, enc, dec, !html);
	ret = tmpl_render_sink(html ? a->day->html : a->day->text, a->ctx,
			       html ? TMPL_ESCAPE_HTML : TMPL_ESCAPE_NONE,
			       &ps.sk, eb);
	if (!ret && sink_finish(&ps) < 0)
		ret = errbuf_set(eb, "the %s part is larger than %zu bytes",
				 html ? "HTML" : "text", ps.sk.limit);
	if (ps.bad_utf8)
		ret = errbuf_set(eb, "%s part is not valid UTF-8",
				 html ? "text/html" : "text/plain");
	*size = ps.qp.size;
	sink_release(&ps);
	return ret;
}

/* As bisect(), the encoded size counted from the fragments. */
static int bisect_day(struct assembly *a, struct plan *pl, size_t *field,
		      size_t lo, size_t hi, size_t budget, struct errbuf *eb)
{
	size_t size;

	while (hi - lo > 1) {
		*field = lo + (hi - lo) / 2;
		if (write_part(a, pl, 1, NULL, NULL, &size, eb) < 0)
			return -1;
		if (size <= budget)
			lo = *field;
		else
			hi = *field;
	}
	*field = lo;
	return 0;
}

/* As render_html_budget(): the same plans tried in the same order. */
static int html_day(struct assembly *a, struct render_parts *out,
		    int keep_decoded, struct errbuf *eb)
{
	const struct digest *d = a->d;
	size_t budget = a->o->html_budget, size;
	struct buf *dec = keep_decoded ? &out->html : NULL;
	struct plan pl = { d->n, d->n };

	if (write_part(a, &pl, 1, &out->html_qp, dec, &size, eb) < 0)
		return -1;
	if (!budget || size <= budget)
		return 0;
	pl.full = 0;
	if (write_part(a, &pl, 1, NULL, NULL, &size, eb) < 0)
		return -1;
	if (size <= budget) {
		if (bisect_day(a, &pl, &pl.full, 0, d->n, budget, eb) < 0)
			return -1;
	} else if (bisect_day(a, &pl, &pl.cards, 0, d->n, budget, eb) < 0) {
		return -1;
	}
	buf_reset(&out->html_qp);
	if (dec)
		buf_reset(dec);
	return write_part(a, &pl, 1, &out->html_qp, dec, &size, eb);
}

void render_parts_init(struct render_parts *p)
{
	buf_init(&p->html_qp, RENDER_MAX_ENCODED);
	buf_init(&p->text_qp, RENDER_MAX_ENCODED);
	buf_init(&p->html, RENDER_MAX_BODY);
	buf_init(&p->text, RENDER_MAX_BODY);
	p->subject = NULL;
}

void render_parts_release(struct render_parts *p)
{
	buf_release(&p->html_qp);
	buf_release(&p->text_qp);
	buf_release(&p->html);
	buf_release(&p->text);
	free(p->subject);
	p->subject = NULL;
}

int render_digest_day(const struct render_day *day, const struct digest *d,
		      const struct render_opts *o, int keep_decoded,
		      struct render_parts *out, struct errbuf *eb)
{
	struct plan all = { d->n, d->n };
	struct assembly a;
	struct buf subj = BUF_INIT;
	size_t size;
	int ret = -1;

	assembly_init(&a, day, d, o);
	if (write_part(&a, &all, 0, &out->text_qp,
		       keep_decoded ? &out->text : NULL, &size, eb) < 0 ||
	    html_day(&a, out, keep_decoded, eb) < 0)
		goto out;
	buf_addf(&subj, "%s %s: %zu paper%s for you", day->c->list_name,
		 d->date, d->n, d->n == 1 ? "" : "s");
	out->subject = buf_detach(&subj, NULL);
	ret = 0;
out:
	assembly_release(&a);
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
			for (size_t k = 0; k < indent; k++)
				buf_addch(out, ' ');
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
