/*
 * render: digest -> template values -> HTML and text bodies (see render.h).
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

int render_load(const char *dir, struct render_templates *t,
		struct errbuf *eb)
{
	char *html = util_path_join(dir, "digest.html");
	char *text = util_path_join(dir, "digest.txt");
	int ret = -1;

	memset(t, 0, sizeof(*t));
	if (tmpl_load(html, &t->html, eb) < 0 ||
	    tmpl_load(text, &t->text, eb) < 0) {
		render_release(t);
		goto out;
	}
	ret = 0;
out:
	free(html);
	free(text);
	return ret;
}

void render_release(struct render_templates *t)
{
	tmpl_free(t->html);
	tmpl_free(t->text);
	memset(t, 0, sizeof(*t));
}

static void set_joined(struct tmpl_value *obj, const char *name,
		       const struct strv *sv)
{
	char *s = strv_join(sv, ", ");

	tmpl_set_str(obj, name, s);
	free(s);
}

static void add_paper(struct tmpl_value *list, const struct digest_item *it,
		      size_t index)
{
	const struct paper *p = it->paper;
	struct tmpl_value *o = tmpl_list_add_object(list);

	tmpl_set_int(o, "index", (long)index);
	tmpl_set_str(o, "id", p->id);
	tmpl_set_str(o, "title", p->title);
	tmpl_set_strf(o, "abs_url", "https://arxiv.org/abs/%s", p->id);
	tmpl_set_strf(o, "pdf_url", "https://arxiv.org/pdf/%s", p->id);
	set_joined(o, "authors", &p->authors);
	tmpl_set_str(o, "abstract", p->abstract ? p->abstract : "");
	tmpl_set_str(o, "comment", it->score->comment ? it->score->comment
						      : "");
	tmpl_set_int(o, "relevance", it->score->relevance);
	tmpl_set_bool(o, "has_novelty",
		      it->score->judged && it->score->novelty > 0);
	tmpl_set_int(o, "novelty", it->score->novelty);
	tmpl_set_bool(o, "author_match", it->score->author_match);
	set_joined(o, "categories", &p->categories);
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

static void add_criteria(struct tmpl_value *ctx, const struct subscriber *s)
{
	struct tmpl_value *crit = tmpl_set_object(ctx, "criteria");
	struct tmpl_value *topics = tmpl_set_list(crit, "topics");
	size_t i;

	for (i = 0; i < s->ntopics; i++) {
		struct tmpl_value *t = tmpl_list_add_object(topics);
		tmpl_set_str(t, "name", s->topics[i].name);
		set_joined(t, "keywords", &s->topics[i].keywords);
	}
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

/* The LLM judge's token and cost table, as the seed digest shows it;
 * `llm` is false when the judge took no part. */
static void add_cost(struct tmpl_value *ctx, const struct digest_cost *c)
{
	struct tmpl_value *llm;

	tmpl_set_bool(ctx, "budget_reached", c->budget_reached);
	if (!c->model || (!c->judged && !c->prompt_tokens &&
			  !c->budget_reached)) {
		tmpl_set_bool(ctx, "llm", 0);
		return;
	}
	llm = tmpl_set_object(ctx, "llm");
	tmpl_set_str(llm, "model", c->model);
	tmpl_set_int(llm, "prompt_tokens", c->prompt_tokens);
	tmpl_set_int(llm, "completion_tokens", c->completion_tokens);
	tmpl_set_int(llm, "total_tokens",
		     c->prompt_tokens + c->completion_tokens);
	tmpl_set_strf(llm, "cost", "%.4f", c->usd);
}

static struct tmpl_value *build_context(const struct conf *c,
					const struct digest *d)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *list = tmpl_set_object(ctx, "list");
	struct tmpl_value *sub = tmpl_set_object(ctx, "subscriber");
	struct tmpl_value *papers;
	size_t i;

	tmpl_set_str(list, "name", c->list_name);
	tmpl_set_str(list, "from", c->from_addr);
	tmpl_set_str(list, "base_url", c->base_url);
	tmpl_set_str(sub, "id", d->sub->id);
	tmpl_set_str(sub, "name", d->sub->name);
	tmpl_set_str(sub, "email", d->sub->email);
	tmpl_set_str(ctx, "date", d->date);
	tmpl_set_int(ctx, "total", (long)d->total);
	tmpl_set_int(ctx, "scanned", (long)d->scanned);
	tmpl_set_int(ctx, "selected", (long)d->n);
	tmpl_set_int(ctx, "matched", (long)d->matched);
	tmpl_set_int(ctx, "not_shown", (long)(d->matched - d->n));
	tmpl_set_bool(ctx, "has_papers", d->n > 0);
	set_preheader(ctx, d);
	papers = tmpl_set_list(ctx, "papers");
	for (i = 0; i < d->n; i++)
		add_paper(papers, &d->items[i], i + 1);
	add_criteria(ctx, d->sub);
	add_cost(ctx, &d->cost);
	return ctx;
}

int render_digest(const struct render_templates *t, const struct conf *c,
		  const struct digest *d, const char *unsubscribe_url,
		  struct buf *html, struct buf *text, char **subject,
		  struct errbuf *eb)
{
	struct tmpl_value *ctx = build_context(c, d);
	struct buf raw;
	struct buf subj = BUF_INIT;
	int ret = -1;

	tmpl_set_str(ctx, "unsubscribe_url", unsubscribe_url);
	tmpl_set_bool(ctx, "has_unsubscribe", unsubscribe_url[0] != '\0');
	buf_init(&raw, RENDER_MAX_BODY);
	if (tmpl_render(t->html, ctx, TMPL_ESCAPE_HTML, html, eb) < 0 ||
	    tmpl_render(t->text, ctx, TMPL_ESCAPE_NONE, &raw, eb) < 0)
		goto out;
	render_wrap(raw.data ? raw.data : "", raw.len, RENDER_TEXT_WIDTH,
		    text);
	buf_addf(&subj, "%s %s: %zu paper%s for you", c->list_name, d->date,
		 d->n, d->n == 1 ? "" : "s");
	*subject = buf_detach(&subj, NULL);
	ret = 0;
out:
	buf_release(&raw);
	buf_release(&subj);
	tmpl_value_free(ctx);
	return ret;
}

/* Appends one over-long line, broken at spaces. */
static void wrap_line(const char *s, size_t len, size_t width,
		      struct buf *out)
{
	size_t indent = 0, col, i = 0;

	while (indent < len && (s[indent] == ' ' || s[indent] == '\t'))
		indent++;
	if (indent > width / 2)
		indent = 0; /* keep continuation lines usable */
	buf_add(out, s, indent);
	col = indent;
	i = indent;
	while (i < len) {
		size_t start = i, w;

		while (i < len && s[i] != ' ')
			i++;
		w = util_utf8_width(s + start, i - start);
		if (col > indent && col + 1 + w > width) {
			buf_addch(out, '\n');
			buf_add(out, s, indent);
			col = indent;
		} else if (col > indent) {
			buf_addch(out, ' ');
			col++;
		}
		buf_add(out, s + start, i - start);
		col += w;
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
