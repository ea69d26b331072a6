/*
 * arxiv: RSS 2.0, rss.arxiv.org Atom and arXiv API Atom with expat (see
 * arxiv.h).
 *
 * The one design decision: elements are matched by namespace URI and local
 * name, never by prefix, and only in the places the formats put them (an
 * item's fields are its direct children), so a feed that binds its
 * prefixes differently parses the same and a stray <title> elsewhere is
 * never taken for a paper's. Papers are collected privately and reach the
 * caller's listing only when the whole document parsed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Declares expat's billion-laughs limits (expat >= 2.4, built with DTD
 * support as Debian's is). */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>

#include "arxiv.h"
#include "buf.h"
#include "tex.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* A paper with more categories than this is refused: real ones have at
 * most a dozen, and each is checked against the others for duplicates. */
#define ARXIV_MAX_CATEGORIES 100

/* Expat's billion-laughs protection, a second line behind refusing entity
 * declarations: past this many bytes of input, output may be at most this
 * many times the input (expat's defaults are 8 MiB and 100). */
#define ARXIV_AMPLIFICATION_THRESHOLD (1ULL << 20)
#define ARXIV_MAX_AMPLIFICATION 10.0f

/* The XML declaration is looked for in this many first bytes. */
#define XML_DECL_MAX 256

/* Expat reports a namespaced name as "URI<sep>local". */
#define NS_SEP ' '
#define ATOM_NS "http://www.w3.org/2005/Atom"
#define ARXIV_NS "http://arxiv.org/schemas/atom"
#define DC_NS "http://purl.org/dc/elements/1.1/"
/* What separates the words of the abstract's prefix. */
#define SPACES " \t\r\n"

enum format { FORMAT_NONE, FORMAT_RSS, FORMAT_ATOM };

/* The item children whose text we keep. */
enum field {
	FIELD_NONE,
	FIELD_ID,               /* RSS <guid>, Atom <id> */
	FIELD_LINK,             /* RSS <link> */
	FIELD_TITLE,
	FIELD_ABSTRACT,         /* RSS <description>, Atom <summary> */
	FIELD_CATEGORY,         /* RSS <category>text</category> */
	FIELD_ANNOUNCE,
	FIELD_CREATOR,          /* <dc:creator>: every author in one string */
	FIELD_AUTHOR_NAME,      /* Atom <author><name> */
	FIELD_DOI,
	FIELD_JOURNAL_REF,
	FIELD_COMMENTS,
	FIELD_CHANNEL_DATE,     /* RSS <channel><pubDate>: the listing's day */
};

/* What each field is called in messages. */
static const char *const field_names[] = {
	[FIELD_NONE] = "none", [FIELD_ID] = "id", [FIELD_LINK] = "link",
	[FIELD_TITLE] = "title", [FIELD_ABSTRACT] = "abstract",
	[FIELD_CATEGORY] = "category", [FIELD_ANNOUNCE] = "announce_type",
	[FIELD_CREATOR] = "creator", [FIELD_AUTHOR_NAME] = "author name",
	[FIELD_DOI] = "doi", [FIELD_JOURNAL_REF] = "journal_ref",
	[FIELD_COMMENTS] = "comment", [FIELD_CHANNEL_DATE] = "pubDate",
};

/* One item's raw text, as the feed had it. */
struct item {
	unsigned long line;
	char *fields[FIELD_COMMENTS + 1];
	char *alt_link;         /* Atom <link rel="alternate" href> */
	char *primary;          /* API <arxiv:primary_category term> */
	struct strv categories;
	struct strv names;      /* from <author><name> */
	struct strv creators;   /* from <dc:creator> */
};

struct parser {
	XML_Parser xp;
	const char *name;
	struct errbuf *eb;
	int failed;
	enum format format;
	unsigned depth;
	int in_channel;         /* RSS: inside <rss><channel> */
	unsigned item_depth;    /* 0 outside an item */
	unsigned author_depth;  /* 0 outside an Atom <author> */
	enum field field;
	unsigned field_depth;
	struct buf text;
	struct item item;
	int items;
	struct paper *papers;   /* feed order, duplicates included */
	size_t n_papers, alloc_papers;
	char date[16];          /* the channel's pubDate as YYYY-MM-DD */
};

static void fail(struct parser *ps, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error and stops expat; later callbacks are ignored. */
static void fail(struct parser *ps, unsigned long line, const char *fmt, ...)
{
	char msg[ERRBUF_SIZE];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errbuf_set(ps->eb, "%s:%lu: %s", ps->name, line, msg);
	XML_StopParser(ps->xp, XML_FALSE);
}

static unsigned long cur_line(struct parser *ps)
{
	return (unsigned long)XML_GetCurrentLineNumber(ps->xp);
}

/* 1 if the expat name is local name `local` in namespace `ns` ("" none). */
static int is_name(const char *name, const char *ns, const char *local)
{
	size_t n = strlen(ns);

	if (!n)
		return !strcmp(name, local);
	return !strncmp(name, ns, n) && name[n] == NS_SEP &&
	       !strcmp(name + n + 1, local);
}

/* The local part of an expat name, for messages. */
static const char *local_name(const char *name)
{
	const char *sep = strrchr(name, NS_SEP);

	return sep ? sep + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
	size_t i;

	for (i = 0; atts[i]; i += 2)
		if (!strcmp(atts[i], name))
			return atts[i + 1];
	return NULL;
}

static void item_release(struct item *it)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(it->fields); i++)
		free(it->fields[i]);
	free(it->alt_link);
	free(it->primary);
	strv_release(&it->categories);
	strv_release(&it->names);
	strv_release(&it->creators);
	memset(it, 0, sizeof(*it));
}

/* The arXiv extension elements, the same in all three formats. */
static enum field arxiv_field(const char *name)
{
	if (is_name(name, ARXIV_NS, "announce_type"))
		return FIELD_ANNOUNCE;
	if (is_name(name, ARXIV_NS, "doi") || is_name(name, ARXIV_NS, "DOI"))
		return FIELD_DOI;
	if (is_name(name, ARXIV_NS, "journal_ref") ||
	    is_name(name, ARXIV_NS, "journal_reference"))
		return FIELD_JOURNAL_REF;
	if (is_name(name, ARXIV_NS, "comment") ||
	    is_name(name, ARXIV_NS, "comments"))
		return FIELD_COMMENTS;
	if (is_name(name, DC_NS, "creator"))
		return FIELD_CREATOR;
	return FIELD_NONE;
}

static enum field rss_field(const char *name)
{
	static const struct {
		const char *local;
		enum field field;
	} names[] = {
		{ "guid", FIELD_ID }, { "link", FIELD_LINK },
		{ "title", FIELD_TITLE }, { "description", FIELD_ABSTRACT },
		{ "category", FIELD_CATEGORY },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (is_name(name, "", names[i].local))
			return names[i].field;
	return arxiv_field(name);
}

static enum field atom_field(const char *name)
{
	if (is_name(name, ATOM_NS, "id"))
		return FIELD_ID;
	if (is_name(name, ATOM_NS, "title"))
		return FIELD_TITLE;
	if (is_name(name, ATOM_NS, "summary"))
		return FIELD_ABSTRACT;
	return arxiv_field(name);
}

static void add_category(struct parser *ps, struct strv *sv, const char *s)
{
	if (ps->item.categories.n >= ARXIV_MAX_CATEGORIES) {
		fail(ps, cur_line(ps), "item has more than %d categories",
		     ARXIV_MAX_CATEGORIES);
		return;
	}
	strv_push(sv, s);
}

/* Atom children that carry their data in attributes. */
static void atom_attrs(struct parser *ps, const char *name, const char **atts)
{
	struct item *it = &ps->item;
	const char *term = attr(atts, "term");
	const char *rel, *href;

	if (is_name(name, ATOM_NS, "category") && term) {
		add_category(ps, &it->categories, term);
	} else if (is_name(name, ARXIV_NS, "primary_category") && term) {
		if (!it->primary)
			it->primary = xstrdup(term);
	} else if (is_name(name, ATOM_NS, "link")) {
		rel = attr(atts, "rel");
		href = attr(atts, "href");
		if (href && !it->alt_link &&
		    (!rel || !strcmp(rel, "alternate")))
			it->alt_link = xstrdup(href);
	} else if (is_name(name, ATOM_NS, "author")) {
		ps->author_depth = ps->depth;
	}
}

static void start_root(struct parser *ps, const char *name)
{
	if (is_name(name, "", "rss"))
		ps->format = FORMAT_RSS;
	else if (is_name(name, ATOM_NS, "feed"))
		ps->format = FORMAT_ATOM;
	else
		fail(ps, cur_line(ps), "not an RSS or Atom feed: the document "
		     "is <%.64s>", local_name(name));
}

static void XMLCALL on_start(void *data, const char *name, const char **atts)
{
	struct parser *ps = data;
	enum field f = FIELD_NONE;

	if (ps->failed)
		return;
	ps->depth++;
	if (ps->depth == 1) {
		start_root(ps, name);
		return;
	}
	if (ps->field != FIELD_NONE)
		return;         /* markup inside a field: keep its text only */
	if (!ps->item_depth) {
		if (ps->format == FORMAT_RSS && ps->depth == 2 &&
		    is_name(name, "", "channel"))
			ps->in_channel = 1;
		if (ps->format == FORMAT_RSS && ps->in_channel &&
		    ps->depth == 3 && is_name(name, "", "pubDate")) {
			ps->field = FIELD_CHANNEL_DATE;
			ps->field_depth = ps->depth;
			buf_reset(&ps->text);
			return;
		}
		if ((ps->format == FORMAT_RSS && ps->in_channel &&
		     ps->depth == 3 && is_name(name, "", "item")) ||
		    (ps->format == FORMAT_ATOM && ps->depth == 2 &&
		     is_name(name, ATOM_NS, "entry"))) {
			ps->items++;
			ps->item_depth = ps->depth;
			ps->item.line = cur_line(ps);
		}
		return;
	}
	if (ps->depth == ps->item_depth + 1) {
		if (ps->format == FORMAT_RSS) {
			f = rss_field(name);
		} else {
			f = atom_field(name);
			atom_attrs(ps, name, atts);
		}
	} else if (ps->author_depth && ps->depth == ps->author_depth + 1 &&
		   is_name(name, ATOM_NS, "name")) {
		f = FIELD_AUTHOR_NAME;
	}
	if (f != FIELD_NONE) {
		ps->field = f;
		ps->field_depth = ps->depth;
		buf_reset(&ps->text);
	}
}

static void XMLCALL on_text(void *data, const char *s, int len)
{
	struct parser *ps = data;

	if (ps->failed || ps->field == FIELD_NONE)
		return;
	if (buf_add(&ps->text, s, (size_t)len) < 0)
		fail(ps, cur_line(ps), "%s is longer than %zu bytes",
		     field_names[ps->field], ARXIV_MAX_FIELD);
}

/*
 * The day a feed announces, from its RFC 822 pubDate ("Tue, 30 Dec 2025
 * 00:00:00 -0500"): the date as written, in the feed's own zone, which is
 * arXiv's (US Eastern). A date that does not parse is left unknown: the
 * listing's day is then not checked, as for the API's Atom.
 */
static void channel_date(struct parser *ps, const char *s)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec" };
	char mon[4];
	int day, year, i;

	if (ps->date[0])
		return;
	s = strchr(s, ',') ? strchr(s, ',') + 1 : s;
	if (sscanf(s, "%d %3s %d", &day, mon, &year) != 3)
		return;
	for (i = 0; i < 12; i++)
		if (!strcmp(mon, months[i]))
			break;
	if (i == 12 || day < 1 || day > 31 || year < 1991 || year > 9999)
		return;
	snprintf(ps->date, sizeof(ps->date), "%04d-%02d-%02d", year, i + 1,
		 day);
}

static void end_field(struct parser *ps)
{
	struct item *it = &ps->item;
	char *s = xstrndup(buf_str(&ps->text), ps->text.len);

	switch (ps->field) {
	case FIELD_CHANNEL_DATE:
		channel_date(ps, s);
		free(s);
		break;
	case FIELD_CATEGORY:
		add_category(ps, &it->categories, s);
		free(s);
		break;
	case FIELD_CREATOR:
	case FIELD_AUTHOR_NAME:
		/* Each element names at least one author (or is junk), so
		 * this also bounds what many small elements can allocate. */
		if (it->names.n + it->creators.n >= ARXIV_MAX_AUTHORS) {
			fail(ps, cur_line(ps), "item has more than %d "
			     "authors", ARXIV_MAX_AUTHORS);
			free(s);
			break;
		}
		strv_push_owned(ps->field == FIELD_CREATOR ? &it->creators :
				&it->names, s);
		break;
	default:
		/* A field given twice: the first one counts. */
		if (!it->fields[ps->field])
			it->fields[ps->field] = s;
		else
			free(s);
		break;
	}
	ps->field = FIELD_NONE;
}

/*
 * The rss.arxiv.org abstract starts "arXiv:2512.21852v1 Announce Type: new
 * Abstract: ". Returns where the abstract proper starts and, when the
 * prefix is there, its ID and announce type (caller frees).
 */
static const char *strip_prefix(const char *s, char **id, char **type)
{
	const char *p = s + strspn(s, SPACES);
	const char *id_start, *id_end, *type_start;

	*id = *type = NULL;
	if (!strncmp(p, "arXiv:", 6)) {
		id_start = p;
		id_end = p + strcspn(p, SPACES);
		p = id_end + strspn(id_end, SPACES);
		/* Without the rest of the prefix, "arXiv:" is the text. */
		if (strncmp(p, "Announce Type:", 14))
			return s;
		p += 14;
		p += strspn(p, SPACES);
		type_start = p;
		p += strcspn(p, SPACES);
		*id = xstrndup(id_start, (size_t)(id_end - id_start));
		*type = xstrndup(type_start, (size_t)(p - type_start));
		p += strspn(p, SPACES);
	}
	if (!strncmp(p, "Abstract:", 9))
		return p + 9;
	return *id ? p : s;
}

/* Name suffixes that a comma separates from the name they belong to. */
static int is_suffix(const char *s)
{
	static const char *const suffixes[] = { "Jr.", "Jr", "Sr.", "Sr",
						"II", "III", "IV" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (!strcmp(s, suffixes[i]))
			return 1;
	return 0;
}

static int add_author(struct parser *ps, struct paper *p, const char *s,
		      size_t len)
{
	char *name = tex_decode(s, len);
	char **last = p->authors.n ? &p->authors.v[p->authors.n - 1] : NULL;
	struct buf joined = BUF_INIT;

	if (!*name) {
		free(name);
		return 0;
	}
	if (last && is_suffix(name)) {
		buf_addf(&joined, "%s, %s", *last, name);
		free(*last);
		*last = buf_detach(&joined, NULL);
		free(name);
		return 0;
	}
	if (p->authors.n >= ARXIV_MAX_AUTHORS) {
		free(name);
		fail(ps, ps->item.line, "item has more than %d authors",
		     ARXIV_MAX_AUTHORS);
		return -1;
	}
	strv_push_owned(&p->authors, name);
	return 0;
}

/*
 * Splits "A, B, C", "A, B and C", "A, B, and C" or "A and B" into names.
 * Commas and "and" inside parentheses or braces (affiliations, TeX groups)
 * do not separate.
 */
static int split_authors(struct parser *ps, struct paper *p, const char *s)
{
	const char *start = s, *q;
	int depth = 0;

	for (q = s; *q; q++) {
		if (*q == '(' || *q == '{') {
			depth++;
		} else if ((*q == ')' || *q == '}') && depth > 0) {
			depth--;
		} else if (depth == 0 && *q == ',') {
			if (add_author(ps, p, start, (size_t)(q - start)) < 0)
				return -1;
			start = q + 1;
		} else if (depth == 0 && (*q == ' ' || *q == '\n' ||
					  *q == '\t') &&
			   !strncmp(q + 1, "and", 3) &&
			   (q[4] == ' ' || q[4] == '\n' || q[4] == '\t')) {
			if (add_author(ps, p, start, (size_t)(q - start)) < 0)
				return -1;
			q += 4;
			start = q;
		}
	}
	return add_author(ps, p, start, (size_t)(q - start));
}

static char *decode_or_null(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = tex_decode(s, strlen(s));
	if (!*d) {
		free(d);
		return NULL;
	}
	return d;
}

/* The ID and version from the first of the item's places that has one. */
static char *item_id(const char *const *places, size_t n, int *version)
{
	char *id = NULL, *other;
	size_t i;
	int v;

	for (i = 0; i < n && !id; i++)
		if (places[i])
			id = listing_parse_id(places[i], version);
	/* A later place may carry the version the first one lacks. */
	for (; id && !*version && i < n; i++) {
		if (!places[i])
			continue;
		other = listing_parse_id(places[i], &v);
		if (other && !strcmp(other, id))
			*version = v;
		free(other);
	}
	return id;
}

static void add_categories(struct paper *p, const struct item *it)
{
	char *c;
	size_t i;

	if (it->primary) {
		c = tex_fold_space(it->primary, strlen(it->primary));
		if (*c)
			strv_push_owned(&p->categories, c);
		else
			free(c);
	}
	for (i = 0; i < it->categories.n; i++) {
		c = tex_fold_space(it->categories.v[i],
				   strlen(it->categories.v[i]));
		if (*c && !strv_contains(&p->categories, c))
			strv_push_owned(&p->categories, c);
		else
			free(c);
	}
}

/* The API answers a bad query with one entry titled "Error". */
static int is_api_error(const struct item *it, const char *title)
{
	const char *id = it->fields[FIELD_ID];
	char *parsed;
	int version;

	if (!id)
		return 0;
	if (strstr(id, "arxiv.org/api/errors"))
		return 1;
	if (!title || strcmp(title, "Error"))
		return 0;
	parsed = listing_parse_id(id, &version);
	free(parsed);
	return !parsed;
}

static void end_item(struct parser *ps)
{
	struct item *it = &ps->item;
	const char *abstract = it->fields[FIELD_ABSTRACT];
	const char *places[4];
	char *prefix_id = NULL, *prefix_type = NULL, *s;
	struct paper p;
	size_t i;
	int api;

	memset(&p, 0, sizeof(p));
	if (abstract)
		abstract = strip_prefix(abstract, &prefix_id, &prefix_type);
	api = ps->format == FORMAT_ATOM && it->fields[FIELD_ID] &&
	      strstr(it->fields[FIELD_ID], "arxiv.org/abs/");

	p.title = decode_or_null(it->fields[FIELD_TITLE]);
	if (ps->format == FORMAT_ATOM && is_api_error(it, p.title)) {
		s = decode_or_null(abstract);
		fail(ps, it->line, "arXiv API error: %s",
		     s ? s : "(no message)");
		free(s);
		goto out;
	}

	places[0] = it->fields[FIELD_ID];
	places[1] = it->fields[FIELD_LINK];
	places[2] = it->alt_link;
	places[3] = prefix_id;
	p.id = item_id(places, ARRAY_SIZE(places), &p.version);
	if (!p.id) {
		fail(ps, it->line, "item has no arXiv ID");
		goto out;
	}
	if (!p.title) {
		fail(ps, it->line, "item %s has no title", p.id);
		goto out;
	}
	p.abstract = tex_decode(abstract ? abstract : "",
				abstract ? strlen(abstract) : 0);

	if (it->names.n) {
		for (i = 0; i < it->names.n; i++)
			if (add_author(ps, &p, it->names.v[i],
				       strlen(it->names.v[i])) < 0)
				goto out;
	} else {
		for (i = 0; i < it->creators.n; i++)
			if (split_authors(ps, &p, it->creators.v[i]) < 0)
				goto out;
	}
	add_categories(&p, it);

	if (it->fields[FIELD_ANNOUNCE]) {
		s = tex_fold_space(it->fields[FIELD_ANNOUNCE],
				   strlen(it->fields[FIELD_ANNOUNCE]));
		p.announce = listing_announce_parse(s);
		free(s);
	} else if (prefix_type) {
		p.announce = listing_announce_parse(prefix_type);
	} else if (api) {
		/* The API lists papers, not announcements: a paper is new
		 * to whoever asked for it. */
		p.announce = LISTING_ANNOUNCE_NEW;
	}
	if (it->fields[FIELD_DOI]) {
		p.doi = tex_fold_space(it->fields[FIELD_DOI],
				       strlen(it->fields[FIELD_DOI]));
		if (!*p.doi) {
			free(p.doi);
			p.doi = NULL;
		}
	}
	p.journal_ref = decode_or_null(it->fields[FIELD_JOURNAL_REF]);
	p.comments = decode_or_null(it->fields[FIELD_COMMENTS]);

	if (ps->n_papers >= LISTING_MAX_PAPERS) {
		fail(ps, it->line, "more than %d items", LISTING_MAX_PAPERS);
		goto out;
	}
	ALLOC_GROW(ps->papers, ps->n_papers + 1, ps->alloc_papers);
	ps->papers[ps->n_papers++] = p;
	memset(&p, 0, sizeof(p));
out:
	listing_paper_release(&p);
	free(prefix_id);
	free(prefix_type);
	item_release(it);
}

static void XMLCALL on_end(void *data, const char *name)
{
	struct parser *ps = data;

	if (ps->failed)
		return;
	if (ps->field != FIELD_NONE && ps->depth == ps->field_depth)
		end_field(ps);
	if (ps->author_depth == ps->depth)
		ps->author_depth = 0;
	if (ps->item_depth == ps->depth) {
		end_item(ps);
		ps->item_depth = 0;
	}
	if (ps->depth == 2)
		ps->in_channel = 0;
	ps->depth--;
}

/*
 * arXiv feeds never declare entities; a document that does is at best not
 * a feed and at worst an entity-expansion attack ("billion laughs"), so it
 * is refused before any expansion happens.
 */
static void XMLCALL on_entity_decl(void *data, const XML_Char *name,
				   int is_param, const XML_Char *value,
				   int value_len, const XML_Char *base,
				   const XML_Char *system_id,
				   const XML_Char *public_id,
				   const XML_Char *notation)
{
	struct parser *ps = data;

	fail(ps, cur_line(ps), "refusing entity declaration \"%.64s\" (feeds "
	     "have none; entity expansion can exhaust memory)", name);
}

/* The 1-based line of the first NUL byte, or 0 when there is none. */
static unsigned long nul_line(const char *data, size_t len)
{
	const char *nul = len ? memchr(data, '\0', len) : NULL;
	unsigned long line = 1;
	const char *p;

	if (!nul)
		return 0;
	for (p = data; p < nul; p++)
		if (*p == '\n')
			line++;
	return line;
}

static int cmp_paper(const void *a, const void *b)
{
	const struct paper *pa = *(const struct paper *const *)a;
	const struct paper *pb = *(const struct paper *const *)b;
	int c = strcmp(pa->id, pb->id);

	if (c)
		return c;
	return (pa > pb) - (pa < pb);   /* feed order among equals */
}

/*
 * Releases every paper whose ID came earlier in the feed, leaving a NULL
 * ID. A sort rather than a scan per paper: a feed may hold
 * LISTING_MAX_PAPERS items, and a quadratic scan of those takes seconds.
 */
static void drop_duplicates(struct parser *ps)
{
	struct paper **sorted;
	struct paper *kept = NULL;
	size_t i;

	if (ps->n_papers < 2)
		return;
	sorted = xreallocarray(NULL, ps->n_papers, sizeof(*sorted));
	for (i = 0; i < ps->n_papers; i++)
		sorted[i] = &ps->papers[i];
	qsort(sorted, ps->n_papers, sizeof(*sorted), cmp_paper);
	for (i = 0; i < ps->n_papers; i++) {
		if (kept && !strcmp(kept->id, sorted[i]->id))
			listing_paper_release(sorted[i]);
		else
			kept = sorted[i];
	}
	free(sorted);
}

/* Moves the parsed papers to out, all or (when out would overflow) none. */
static int move_papers(struct parser *ps, struct listing *out)
{
	size_t i, fresh = 0;

	drop_duplicates(ps);
	for (i = 0; i < ps->n_papers; i++)
		if (ps->papers[i].id && !listing_find(out, ps->papers[i].id))
			fresh++;
	if (out->n + fresh > LISTING_MAX_PAPERS)
		return errbuf_set(ps->eb, "%s: more than %d papers in the "
				  "listing", ps->name, LISTING_MAX_PAPERS);
	for (i = 0; i < ps->n_papers; i++)
		if (ps->papers[i].id)
			listing_add(out, &ps->papers[i]);
	if (!out->source)
		out->source = xstrdup(ps->name);
	return 0;
}

/* The first needle in h[0..n), or NULL (memmem is a GNU extension). */
static const char *find(const char *h, size_t n, const char *needle)
{
	size_t i, k = strlen(needle);

	for (i = 0; i + k <= n; i++)
		if (!memcmp(h + i, needle, k))
			return h + i;
	return NULL;
}

/*
 * 1 if the document is UTF-8: no XML declaration, or one without an
 * encoding or with encoding="UTF-8". Another declared encoding (or a
 * UTF-16 byte order mark) is left to expat to convert.
 */
static int is_utf8(const char *data, size_t len)
{
	const char *end, *enc;
	size_t n = len < XML_DECL_MAX ? len : XML_DECL_MAX;
	char quote;

	if (len >= 2 && ((unsigned char)data[0] == 0xFE ||
			 (unsigned char)data[0] == 0xFF))
		return 0;
	if (n < 5 || memcmp(data, "<?xml", 5))
		return 1;
	end = find(data, n, "?>");
	if (!end)
		return 1;
	enc = find(data, (size_t)(end - data), "encoding");
	if (!enc)
		return 1;
	enc += 8;
	while (enc < end && (*enc == ' ' || *enc == '=' || *enc == '\t'))
		enc++;
	if (enc >= end || (*enc != '"' && *enc != '\''))
		return 1;
	quote = *enc++;
	return end - enc >= 6 && !strncasecmp(enc, "UTF-8", 5) &&
	       enc[5] == quote;
}

/* The 1-based line of the first byte that is not UTF-8, or 0. */
static unsigned long bad_utf8_line(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	unsigned long line = 1;

	while (p < end) {
		if (*p == '\n')
			line++;
		if ((unsigned char)*p < 0x80)
			p++;
		else if (util_utf8_next(&p, end) < 0)
			return line;
	}
	return 0;
}

int arxiv_parse(const char *data, size_t len, const char *name,
		struct listing *out, struct errbuf *eb)
{
	struct parser ps;
	unsigned long line;
	int ret = -1;
	size_t i;

	if (len > ARXIV_MAX_DOCUMENT)
		return errbuf_set(eb, "%s: document is larger than the limit "
				  "of %zu bytes", name, ARXIV_MAX_DOCUMENT);
	/* Expat would stop at a NUL with "invalid token"; say what it is. */
	if ((line = nul_line(data, len)) != 0)
		return errbuf_set(eb, "%s:%lu: NUL byte in document", name,
				  line);
	/* Expat would say "not well-formed (invalid token)"; say why. */
	if (is_utf8(data, len) && (line = bad_utf8_line(data, len)) != 0)
		return errbuf_set(eb, "%s:%lu: invalid UTF-8 in a document "
				  "that is UTF-8", name, line);

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.eb = eb;
	buf_init(&ps.text, ARXIV_MAX_FIELD);
	ps.xp = XML_ParserCreateNS(NULL, NS_SEP);
	if (!ps.xp) {
		errbuf_set(eb, "%s: out of memory creating the XML parser",
			   name);
		goto out;
	}
	XML_SetUserData(ps.xp, &ps);
	XML_SetElementHandler(ps.xp, on_start, on_end);
	XML_SetCharacterDataHandler(ps.xp, on_text);
	XML_SetEntityDeclHandler(ps.xp, on_entity_decl);
	XML_SetParamEntityParsing(ps.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(
		ps.xp, ARXIV_AMPLIFICATION_THRESHOLD);
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(
		ps.xp, ARXIV_MAX_AMPLIFICATION);

	if (XML_Parse(ps.xp, data, (int)len, XML_TRUE) != XML_STATUS_OK) {
		if (!ps.failed)
			errbuf_set(eb, "%s:%lu: %s", name, cur_line(&ps),
				   XML_ErrorString(XML_GetErrorCode(ps.xp)));
		goto out;
	}
	if (ps.failed)
		goto out;
	if (move_papers(&ps, out) < 0)
		goto out;
	if (ps.date[0] && !out->date[0])
		memcpy(out->date, ps.date, sizeof(out->date));
	ret = ps.items;
out:
	if (ps.xp)
		XML_ParserFree(ps.xp);
	item_release(&ps.item);
	buf_release(&ps.text);
	for (i = 0; i < ps.n_papers; i++)
		listing_paper_release(&ps.papers[i]);
	free(ps.papers);
	return ret;
}

int arxiv_parse_file(const char *path, struct listing *out,
		     struct errbuf *eb)
{
	struct buf b;
	int ret;

	buf_init(&b, ARXIV_MAX_DOCUMENT);
	if (util_read_file(path, &b, eb) < 0) {
		buf_release(&b);
		return -1;
	}
	ret = arxiv_parse(buf_str(&b), b.len, path, out, eb);
	buf_release(&b);
	return ret;
}
