/*
 * hfpapers: Hugging Face daily papers with jansson (see hfpapers.h).
 *
 * The one design decision: the document is parsed and every element
 * validated into a private staging listing first; only then are papers
 * moved into the caller's listing, in a step that cannot fail. Strings are
 * copied out of jansson at once, since jansson's storage dies with the
 * document.
 *
 * While a document is parsed and freed, jansson's allocator is one that
 * counts live bytes and refuses to go past HFPAPERS_MAX_JSON_MEMORY,
 * because a small document of empty arrays or objects costs jansson about
 * 75 times its size in memory. The caller's allocator is put back before
 * returning, so JSON values made elsewhere (tests use jansson too) are
 * never freed by ours.
 *
 * Field names confirmed against huggingface_hub's PaperInfo (hf_api.py,
 * which reads "paper" {id, authors[].name, publishedAt, summary, upvotes,
 * discussionId} with fallbacks to the outer object, and "title",
 * "numComments", "submittedBy", "projectPage", "githubRepo", "githubStars")
 * and against clients of /api/daily_papers, which find "upvotes",
 * "githubRepo" and "projectPage" in the "paper" object and "numComments"
 * in the outer one. We look in "paper" first and then in the outer object,
 * as huggingface_hub does.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "hfpapers.h"
#include "buf.h"
#include "tex.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* An ID quoted in a message is cut here: real ones are 10 characters. */
#define ID_QUOTE_MAX 40

/* One element's staged papers and values, before the merge. */
struct reader {
	const char *name;
	struct errbuf *eb;
	size_t index;                   /* the element being read */
	struct listing papers;          /* deduplicated by ID */
	struct hfpapers_extra *extras;  /* extras[i] goes with papers[i] */
	size_t alloc;
};

/*
 * jansson's allocator: each block carries its size in front, so that the
 * free function can give the bytes back to the budget.
 */
union json_header {
	size_t size;
	max_align_t align;
};

/* Bytes jansson holds right now. */
static size_t json_live;
/* Set when the budget refused jansson memory: jansson does not always say
 * so in its error (some paths leave the message empty). */
static int json_refused;

static void *json_budget_malloc(size_t size)
{
	union json_header *h;

	if (size > HFPAPERS_MAX_JSON_MEMORY - json_live) {
		json_refused = 1;
		return NULL;
	}
	h = xmalloc(sizeof(*h) + size);
	h->size = size;
	json_live += size;
	return h + 1;
}

static void json_budget_free(void *p)
{
	union json_header *h;

	if (!p)
		return;
	h = (union json_header *)p - 1;
	json_live -= h->size;
	free(h);
}

static void extra_release(struct hfpapers_extra *x)
{
	free(x->id);
	free(x->github_repo);
	free(x->project_page);
	memset(x, 0, sizeof(*x));
}

void hfpapers_extras_release(struct hfpapers_extras *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		extra_release(&x->v[i]);
	free(x->v);
	memset(x, 0, sizeof(*x));
}

const struct hfpapers_extra *
hfpapers_extras_find(const struct hfpapers_extras *x, const char *id)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (!strcmp(x->v[i].id, id))
			return &x->v[i];
	return NULL;
}

/* Sets "NAME: paper N: what" in the error buffer. Returns -1. */
__attribute__((format(printf, 2, 3)))
static int fail(struct reader *rd, const char *fmt, ...)
{
	char msg[ERRBUF_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errbuf_set(rd->eb, "%s: paper %zu: %s", rd->name, rd->index,
			  msg);
}

/*
 * The string member key of obj, else of fallback (either may be NULL or
 * not an object). Returns 1 with *s and *len set, 0 when neither has a
 * string there, -1 (error set) when the string is over HFPAPERS_MAX_FIELD.
 */
static int member_string(struct reader *rd, const json_t *obj,
			 const json_t *fallback, const char *key,
			 const char **s, size_t *len)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		v = json_object_get(fallback, key);
	if (!json_is_string(v))
		return 0;
	*s = json_string_value(v);
	*len = json_string_length(v);
	if (*len > HFPAPERS_MAX_FIELD)
		return fail(rd, "'%s' is longer than the limit of %zu bytes",
			    key, HFPAPERS_MAX_FIELD);
	return 1;
}

/* A count (upvotes): -1 when absent, not an integer or negative. */
static long member_count(const json_t *obj, const json_t *fallback,
			 const char *key)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!json_is_integer(v))
		v = json_object_get(fallback, key);
	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < 0)
		return -1;
	return n > LONG_MAX ? LONG_MAX : (long)n;
}

/*
 * An http(s) URL with a host, printable ASCII only, or NULL. These become
 * links in mail, so anything else (javascript:, spaces, quotes smuggled in
 * a long string) is dropped rather than escaped.
 */
static char *member_url(const json_t *obj, const json_t *fallback,
			const char *key)
{
	const json_t *v = json_object_get(obj, key);
	const char *s, *rest;
	size_t len, i;

	if (!json_is_string(v))
		v = json_object_get(fallback, key);
	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > HFPAPERS_MAX_URL)
		return NULL;
	if (!strncasecmp(s, "https://", 8))
		rest = s + 8;
	else if (!strncasecmp(s, "http://", 7))
		rest = s + 7;
	else
		return NULL;
	if (!*rest || *rest == '/')
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '\\')
			return NULL;
	}
	return xstrndup(s, len);
}

/* s[0..len) for a message: cut, with anything not printable ASCII as '?'. */
static void quote(const char *s, size_t len, char *out, size_t size)
{
	size_t i, n = len < size - 1 ? len : size - 1;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c > ' ' && c < 0x7f) ? (char)c : '?';
	}
	out[n] = '\0';
}

static int read_authors(struct reader *rd, const json_t *paper,
			const json_t *elem, struct paper *p)
{
	const json_t *authors = json_object_get(paper, "authors");
	const json_t *a;
	const char *s;
	size_t i, len;
	char *name;
	int r;

	if (!json_is_array(authors))
		authors = json_object_get(elem, "authors");
	if (!json_is_array(authors))
		return 0;
	if (json_array_size(authors) > HFPAPERS_MAX_AUTHORS)
		return fail(rd, "more than %d authors", HFPAPERS_MAX_AUTHORS);
	/* Hidden authors are kept: "hidden" hides the link to a Hugging
	 * Face account, not the name, which arXiv shows anyway. */
	json_array_foreach(authors, i, a) {
		r = member_string(rd, a, NULL, "name", &s, &len);
		if (r < 0)
			return -1;
		if (!r)
			continue;
		name = tex_decode(s, len);
		if (*name)
			strv_push_owned(&p->authors, name);
		else
			free(name);
	}
	return 0;
}

/* Validates element rd->index and stages its paper and values. */
static int read_paper(struct reader *rd, const json_t *elem)
{
	struct hfpapers_extra x;
	struct paper p;
	const json_t *paper, *id;
	char shown[ID_QUOTE_MAX + 1];
	const char *s;
	size_t len;
	int r, ret = -1;

	memset(&p, 0, sizeof(p));
	memset(&x, 0, sizeof(x));
	if (!json_is_object(elem))
		return fail(rd, "expected an object");
	paper = json_object_get(elem, "paper");
	if (!json_is_object(paper))
		return fail(rd, "'paper' must be an object");

	id = json_object_get(paper, "id");
	if (!json_is_string(id))
		return fail(rd, "'id' must be a string");
	p.id = listing_parse_id(json_string_value(id), &p.version);
	if (!p.id) {
		quote(json_string_value(id), json_string_length(id), shown,
		      sizeof(shown));
		return fail(rd, "'id' is not an arXiv ID: \"%s\"", shown);
	}

	r = member_string(rd, paper, elem, "title", &s, &len);
	if (r < 0)
		goto out;
	if (!r) {
		fail(rd, "'title' must be a string");
		goto out;
	}
	p.title = tex_decode(s, len);
	if (!*p.title) {
		fail(rd, "'title' is empty");
		goto out;
	}
	r = member_string(rd, paper, elem, "summary", &s, &len);
	if (r < 0)
		goto out;
	p.abstract = r ? tex_decode(s, len) : xstrdup("");
	if (read_authors(rd, paper, elem, &p) < 0)
		goto out;
	p.announce = LISTING_ANNOUNCE_UNKNOWN;

	x.id = xstrdup(p.id);
	x.upvotes = member_count(paper, elem, "upvotes");
	x.github_repo = member_url(paper, elem, "githubRepo");
	x.project_page = member_url(paper, elem, "projectPage");

	/* A paper listed twice counts once, the first time. */
	r = listing_add(&rd->papers, &p);
	if (r < 0) {
		fail(rd, "too many papers");
		goto out;
	}
	if (r == 0) {
		ALLOC_GROW(rd->extras, rd->papers.n, rd->alloc);
		rd->extras[rd->papers.n - 1] = x;
		memset(&x, 0, sizeof(x));
	}
	ret = 0;
out:
	listing_paper_release(&p);
	extra_release(&x);
	return ret;
}

/*
 * Gives the values x to the paper with x->id, which is in the caller's
 * listing by now (x is emptied). When struct paper has the fields, this is
 * the one place that changes: it looks the paper up for writing, moves
 * upvotes, github_repo and project_page into it, and sets its
 * LISTING_SOURCE_HF bit; the extras array goes away.
 */
static void attach(struct hfpapers_extras *extras, struct hfpapers_extra *x)
{
	size_t i;

	for (i = 0; i < extras->n; i++)
		if (!strcmp(extras->v[i].id, x->id))
			break;
	if (i < extras->n) {
		extra_release(&extras->v[i]);
	} else {
		ALLOC_GROW(extras->v, extras->n + 1, extras->alloc);
		extras->n++;
	}
	extras->v[i] = *x;
	memset(x, 0, sizeof(*x));
}

/* Moves the staged papers into out, all or (if out would overflow) none. */
static int merge(struct reader *rd, struct listing *out,
		 struct hfpapers_extras *extras)
{
	struct listing *staged = &rd->papers;
	size_t i, fresh = 0;

	for (i = 0; i < staged->n; i++)
		if (!listing_find(out, staged->papers[i].id))
			fresh++;
	if (out->n + fresh > LISTING_MAX_PAPERS)
		return errbuf_set(rd->eb, "%s: more than %d papers in the "
				  "listing", rd->name, LISTING_MAX_PAPERS);
	for (i = 0; i < staged->n; i++) {
		struct hfpapers_extra *x = &rd->extras[i];
		struct paper *p;

		/* A paper arXiv listed keeps arXiv's fields. */
		if (!listing_find(out, staged->papers[i].id))
			listing_add(out, &staged->papers[i]);
		p = listing_lookup(out, x->id);
		if (p) {
			p->sources |= LISTING_SOURCE_HF;
			p->upvotes = x->upvotes;
			free(p->github_repo);
			free(p->project_page);
			p->github_repo = xstrdup_or_null(x->github_repo);
			p->project_page = xstrdup_or_null(x->project_page);
		}
		attach(extras, x);
	}
	if (!out->source)
		out->source = xstrdup(rd->name);
	return 0;
}

int hfpapers_parse(const char *json, size_t len, const char *name,
		   struct listing *out, struct hfpapers_extras *extras,
		   struct errbuf *eb)
{
	json_malloc_t saved_malloc;
	json_free_t saved_free;
	struct reader rd;
	json_error_t jerr;
	json_t *root = NULL;
	const json_t *elem;
	size_t i, n;
	int ret = -1;

	if (len > HFPAPERS_MAX_DOCUMENT)
		return errbuf_set(eb, "%s: document is larger than the limit "
				  "of %zu bytes", name, HFPAPERS_MAX_DOCUMENT);
	memset(&rd, 0, sizeof(rd));
	rd.name = name;
	rd.eb = eb;
	listing_init(&rd.papers);

	json_get_alloc_funcs(&saved_malloc, &saved_free);
	json_set_alloc_funcs(json_budget_malloc, json_budget_free);
	json_refused = 0;
	/* DECODE_ANY: a bare scalar gets our message, not "'[' expected". */
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			  &jerr);
	if (!root) {
		if (json_refused ||
		    json_error_code(&jerr) == json_error_out_of_memory)
			errbuf_set(eb, "%s: the JSON document needs more than "
				   "%zu MiB of memory", name,
				   HFPAPERS_MAX_JSON_MEMORY >> 20);
		else if (jerr.line > 0)
			errbuf_set(eb, "%s:%d:%d: %s", name, jerr.line,
				   jerr.column, jerr.text);
		else
			errbuf_set(eb, "%s: %s", name, jerr.text);
		goto out;
	}
	if (!json_is_array(root)) {
		errbuf_set(eb, "%s: expected a JSON array of papers", name);
		goto out;
	}
	n = json_array_size(root);
	if (n > HFPAPERS_MAX_PAPERS) {
		errbuf_set(eb, "%s: more than %d papers", name,
			   HFPAPERS_MAX_PAPERS);
		goto out;
	}
	json_array_foreach(root, i, elem) {
		rd.index = i;
		if (read_paper(&rd, elem) < 0)
			goto out;
	}
	if (merge(&rd, out, extras) < 0)
		goto out;
	ret = (int)n;
out:
	json_decref(root);
	json_set_alloc_funcs(saved_malloc, saved_free);
	for (i = 0; i < rd.papers.n; i++)
		extra_release(&rd.extras[i]);
	free(rd.extras);
	listing_release(&rd.papers);
	return ret;
}

int hfpapers_parse_file(const char *path, struct listing *out,
			struct hfpapers_extras *extras, struct errbuf *eb)
{
	struct buf b;
	int ret;

	buf_init(&b, HFPAPERS_MAX_DOCUMENT);
	if (util_read_file(path, &b, eb) < 0) {
		buf_release(&b);
		return -1;
	}
	ret = hfpapers_parse(buf_str(&b), b.len, path, out, extras, eb);
	buf_release(&b);
	return ret;
}
