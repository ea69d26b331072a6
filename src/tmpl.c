/*
 * tmpl: compiled mustache-subset templates (see tmpl.h).
 *
 * Design decision: a template compiles to a flat array of nodes in which a
 * section's opening node and its closing node point at each other. Rendering
 * is then one loop over that array with a fixed-size stack of open sections
 * (bounded by TMPL_MAX_DEPTH at compile time): no re-parsing and no
 * recursion, whatever the template. Names are split at their dots and
 * hashed when compiling, and members carry the same hash, so a lookup
 * while rendering compares integers, and bytes only on a hash match.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/*
 * Node visits per render. Nested lists that write nothing are not stopped
 * by the output limit; this bounds their time (a digest needs ~100k).
 */
#define TMPL_MAX_STEPS ((size_t)1 << 24)
/* Bytes of an offending tag name quoted in an error message. */
#define TMPL_MAX_QUOTE 64

/* Names and strings up to this long are kept inline, not malloc'ed (a
 * digest sets thousands of numbers and short names). */
#define SMALL 24

struct member {
	char *heap_name;	/* NULL: the name is in small_name */
	char small_name[SMALL];
	size_t len;
	uint32_t hash;	/* name_hash(name, len): compared before the bytes */
	struct tmpl_value *value;
};

struct tmpl_value {
	enum tmpl_type type;
	/* TMPL_STRING, TMPL_BOOL: ints are strings that are false when 0. */
	int truth;
	char *str;	/* small, or malloc'ed */
	char small[SMALL];
	/* TMPL_LIST */
	struct tmpl_value **items;
	size_t nitems, items_alloc;
	int borrowed;	/* a list that does not own its items */
	/* TMPL_OBJECT, in insertion order */
	struct member *members;
	size_t nmembers, members_alloc;
	/* A derived object: names it lacks are looked up in base. */
	const struct tmpl_value *base;
	/* A prepared list item: its sections' bodies rendered ahead. */
	struct resid *resid;
	/* A list item: its sections' sizes, as a measuring sink counted. */
	struct memo *memo;
};

struct memo {
	const struct tmpl_prep *prep;
	size_t node;	/* the section's opening node in prep->t */
	size_t size;
	struct memo *next;
};

/*
 * Text split for a tmpl_sink: raw[0..head) up to and including the first
 * line end and raw[tail..len) after the last one go out live; the whole
 * lines between them also go out as prep[0..preplen), prepared once. The
 * first line is prepared too (head_prep), for when the output before it
 * ends with a line end: the sink then takes that instead.
 */
struct ptext {
	const char *raw;
	size_t len, head, tail;
	char *prep, *head_prep;
	size_t preplen, head_preplen;
	int owned;	/* raw is ours to free */
};

struct tmpl_prep {
	const struct tmpl *t;
	struct ptext *texts;	/* one per node; only NODE_TEXT ones used */
	struct tmpl_prep **parts;	/* one per partial of t */
	tmpl_prepare_fn fn;
	void *arg;
};

/* One step of a prepared item's section body. */
struct rop {
	int live;
	struct ptext text;	/* !live: the body's output, static values in */
	size_t from, to;	/* live: nodes [from, to) rendered each time */
	/* live: the static values entered around them, outermost first */
	const struct tmpl_value **frames;
	size_t nframes;
};

/* A section's body prepared for one item (see tmpl_prepare_item). */
struct resid {
	const struct tmpl_prep *prep;
	size_t node;	/* the section's opening node in prep->t */
	enum tmpl_escape escape;
	struct rop *ops;
	size_t nops, alloc;
	struct resid *next;
};

enum node_type {
	NODE_TEXT,
	NODE_VAR,	/* {{x}}: escaped according to the render mode */
	NODE_RAW,	/* {{{x}}} and {{& x}} */
	NODE_SECTION,	/* {{#x}} */
	NODE_INVERTED,	/* {{^x}} */
	NODE_CLOSE,	/* {{/x}} */
	NODE_PARTIAL,	/* {{> file}}: match is the index into parts */
};

/* One dot-separated part of a tag's name, hashed when compiling. */
struct seg {
	const char *s;
	size_t len;
	uint32_t hash;
};

struct node {
	enum node_type type;
	unsigned long line;
	/* NODE_TEXT: the text; other nodes: the tag's name. */
	const char *s;
	size_t len;
	/* Sections: index of their NODE_CLOSE; NODE_CLOSE: of its opener. */
	size_t match;
	/* Names: segs[seg .. seg + nseg) of the template; 0 for ".". */
	size_t seg, nseg;
};

struct tmpl {
	char *name;
	char *text;	/* the nodes point into this copy of the source */
	struct node *nodes;
	size_t n, alloc;
	struct tmpl **parts; /* the partials, compiled with this template */
	size_t nparts, parts_alloc;
	struct seg *segs;    /* the names' parts, see struct node */
	size_t nsegs, segs_alloc;
};

/* FNV-1a: names are short, so any decent hash will do. */
static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Values */

static struct tmpl_value *value_new(enum tmpl_type type)
{
	struct tmpl_value *v = xcalloc(1, sizeof(*v));

	v->type = type;
	return v;
}

struct tmpl_value *tmpl_object_new(void)
{
	return value_new(TMPL_OBJECT);
}

static void ptext_release(struct ptext *pt)
{
	free(pt->prep);
	free(pt->head_prep);
	if (pt->owned)
		free((char *)pt->raw);
}

static void resid_free(struct resid *r)
{
	while (r) {
		struct resid *next = r->next;
		size_t i;

		for (i = 0; i < r->nops; i++) {
			ptext_release(&r->ops[i].text);
			free(r->ops[i].frames);
		}
		free(r->ops);
		free(r);
		r = next;
	}
}

/* Iterative, so that freeing cannot recurse as deep as the tree. */
void tmpl_value_free(struct tmpl_value *v)
{
	struct tmpl_value **stack = NULL;
	size_t n = 0, alloc = 0, i;

	if (!v)
		return;
	ALLOC_GROW(stack, n + 1, alloc);
	stack[n++] = v;
	while (n) {
		v = stack[--n];
		ALLOC_GROW(stack, n + v->nitems + v->nmembers, alloc);
		for (i = 0; !v->borrowed && i < v->nitems; i++)
			stack[n++] = v->items[i];
		resid_free(v->resid);
		while (v->memo) {
			struct memo *next = v->memo->next;

			free(v->memo);
			v->memo = next;
		}
		for (i = 0; i < v->nmembers; i++) {
			stack[n++] = v->members[i].value;
			free(v->members[i].heap_name);
		}
		free(v->items);
		free(v->members);
		if (v->str != v->small)
			free(v->str);
		free(v);
	}
	free(stack);
}

/* Setting a member of something that is not an object is a caller bug. */
static void check_object(const struct tmpl_value *obj)
{
	if (!obj || obj->type != TMPL_OBJECT)
		abort();
}

static const char *member_name(const struct member *m)
{
	return m->heap_name ? m->heap_name : m->small_name;
}

/* The member named name[0..len) of obj itself, not of its base. */
static struct member *find_own(const struct tmpl_value *obj, const char *name,
			       size_t len, uint32_t hash)
{
	size_t i;

	for (i = 0; i < obj->nmembers; i++) {
		struct member *m = &obj->members[i];
		if (m->hash == hash && m->len == len &&
		    !memcmp(member_name(m), name, len))
			return m;
	}
	return NULL;
}

/* What a lookup finds: obj's own member, else its base's. */
static struct member *find_member(const struct tmpl_value *obj,
				  const char *name, size_t len, uint32_t hash)
{
	size_t i;

	if (obj->type != TMPL_OBJECT)
		return NULL;
	for (i = 0; i < obj->nmembers; i++) {
		struct member *m = &obj->members[i];
		if (m->hash == hash && m->len == len &&
		    !memcmp(member_name(m), name, len))
			return m;
	}
	return obj->base ? find_member(obj->base, name, len, hash) : NULL;
}

/* Stores v under name, replacing (and freeing) any previous value. */
static struct tmpl_value *set_member(struct tmpl_value *obj, const char *name,
				     struct tmpl_value *v)
{
	size_t len = strlen(name);
	uint32_t hash = name_hash(name, len);
	struct member *m;

	check_object(obj);
	m = find_own(obj, name, len, hash);
	if (m) {
		tmpl_value_free(m->value);
		m->value = v;
		return v;
	}
	ALLOC_GROW(obj->members, obj->nmembers + 1, obj->members_alloc);
	m = &obj->members[obj->nmembers++];
	if (len < SMALL) {
		m->heap_name = NULL;
		memcpy(m->small_name, name, len + 1);
	} else {
		m->heap_name = xstrndup(name, len);
	}
	m->len = len;
	m->hash = hash;
	m->value = v;
	return v;
}

/* Takes ownership of s. */
static struct tmpl_value *string_new(char *s, int truth)
{
	struct tmpl_value *v = value_new(TMPL_STRING);

	v->str = s;
	v->truth = truth;
	return v;
}

/* A copy of s[0..len), inline when short. */
static struct tmpl_value *string_copy(const char *s, size_t len, int truth)
{
	struct tmpl_value *v = value_new(TMPL_STRING);

	if (len < SMALL) {
		memcpy(v->small, s, len);
		v->small[len] = '\0';
		v->str = v->small;
	} else {
		v->str = xstrndup(s, len);
	}
	v->truth = truth;
	return v;
}

/* A NULL string is stored as "" so that optional fields need no check. */
void tmpl_set_str(struct tmpl_value *obj, const char *name, const char *s)
{
	if (!s)
		s = "";
	set_member(obj, name, string_copy(s, strlen(s), s[0] != '\0'));
}

void tmpl_set_strf(struct tmpl_value *obj, const char *name,
		   const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s = xstrdup("");
	} else {
		s = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	set_member(obj, name, string_new(s, s[0] != '\0'));
}

/* "%ld" without printf's machinery: numbers are set by the thousand. */
void tmpl_set_int(struct tmpl_value *obj, const char *name, long n)
{
	char num[1 + UTIL_ULONG_DEC]; /* the sign, then the digits */
	char *p = util_ulong_dec(n < 0 ? 0UL - (unsigned long)n
				       : (unsigned long)n, num + 1);

	if (n < 0)
		*--p = '-';
	set_member(obj, name, string_copy(p, strlen(p), n != 0));
}

void tmpl_set_bool(struct tmpl_value *obj, const char *name, int b)
{
	struct tmpl_value *v = value_new(TMPL_BOOL);

	v->truth = !!b;
	set_member(obj, name, v);
}

static struct tmpl_value *set_container(struct tmpl_value *obj,
					const char *name, enum tmpl_type type)
{
	size_t len = strlen(name);
	struct member *m;

	check_object(obj);
	m = find_own(obj, name, len, name_hash(name, len));
	if (m && m->value->type == type)
		return m->value;
	return set_member(obj, name, value_new(type));
}

struct tmpl_value *tmpl_set_object(struct tmpl_value *obj, const char *name)
{
	return set_container(obj, name, TMPL_OBJECT);
}

struct tmpl_value *tmpl_set_list(struct tmpl_value *obj, const char *name)
{
	return set_container(obj, name, TMPL_LIST);
}

static void list_add(struct tmpl_value *list, struct tmpl_value *v)
{
	if (!list || list->type != TMPL_LIST || list->borrowed)
		abort(); /* a caller bug, as in check_object() */
	ALLOC_GROW(list->items, list->nitems + 1, list->items_alloc);
	list->items[list->nitems++] = v;
}

struct tmpl_value *tmpl_list_add_object(struct tmpl_value *list)
{
	struct tmpl_value *v = value_new(TMPL_OBJECT);

	list_add(list, v);
	return v;
}

struct tmpl_value *tmpl_derived_new(const struct tmpl_value *base)
{
	struct tmpl_value *v = value_new(TMPL_OBJECT);

	v->base = base;
	return v;
}

struct tmpl_value *tmpl_set_borrowed_list(struct tmpl_value *obj,
					  const char *name)
{
	struct tmpl_value *v = value_new(TMPL_LIST);

	v->borrowed = 1;
	check_object(obj);
	return set_member(obj, name, v);
}

void tmpl_list_add_borrowed(struct tmpl_value *list,
			    const struct tmpl_value *v)
{
	if (!list || list->type != TMPL_LIST || !list->borrowed)
		abort(); /* a caller bug, as in check_object() */
	ALLOC_GROW(list->items, list->nitems + 1, list->items_alloc);
	list->items[list->nitems++] = (struct tmpl_value *)v;
}

void tmpl_list_clear_borrowed(struct tmpl_value *list)
{
	if (!list || list->type != TMPL_LIST || !list->borrowed)
		abort();
	list->nitems = 0;
}

void tmpl_list_add_str(struct tmpl_value *list, const char *s)
{
	if (!s)
		s = "";
	list_add(list, string_copy(s, strlen(s), s[0] != '\0'));
}

/* Compiling */

struct parser {
	struct tmpl *t;
	const char *end;
	/* Where the current source line starts, and its 1-based number. */
	const char *line_start;
	unsigned long line;
	/* The line on which the pending text starts. */
	unsigned long text_line;
	/* Indexes of the open sections' nodes, innermost last. */
	size_t open[TMPL_MAX_DEPTH];
	size_t depth;
	/* Partials: read from this folder (NULL: none allowed), nested. */
	const char *dir;
	int partial_depth;
	struct errbuf *eb;
};

static int compile(const char *text, size_t len, const char *name,
		   const char *dir, int partial_depth, struct tmpl **out,
		   struct errbuf *eb);
static int load(const char *path, int partial_depth, struct tmpl **out,
		struct errbuf *eb);

static const char *find(const char *p, const char *end, const char *needle,
			size_t nlen)
{
	for (; (size_t)(end - p) >= nlen; p++)
		if (*p == needle[0] && !memcmp(p, needle, nlen))
			return p;
	return NULL;
}

static void advance(struct parser *ps, const char *from, const char *to)
{
	for (; from < to; from++) {
		if (*from == '\n') {
			ps->line++;
			ps->line_start = from + 1;
		}
	}
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return is_blank(c) || c == '\n' || c == '\r';
}

/*
 * Scanning backwards keeps compiling linear: the scan stops at the previous
 * tag's "}}", so no byte is looked at twice however many tags a line holds.
 */
static int blank_before(const char *line_start, const char *p)
{
	while (p > line_start)
		if (!is_blank(*--p))
			return 0;
	return 1;
}

/* If only blanks follow p up to the end of its line, what follows that. */
static const char *blank_to_eol(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	if (p == end)
		return p;
	if (*p == '\n')
		return p + 1;
	if (*p == '\r' && p + 1 < end && p[1] == '\n')
		return p + 2;
	return NULL;
}

/* A name is "." or dot-separated runs of [A-Za-z0-9_-]. */
static int valid_name(const char *s, size_t len)
{
	size_t i, run = 0;

	if (len == 1 && s[0] == '.')
		return 1;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (!run)
				return 0;
			run = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '_' || c == '-') {
			run++;
		} else {
			return 0;
		}
	}
	return run > 0;
}

static size_t add_node(struct tmpl *t, enum node_type type,
		       unsigned long line, const char *s, size_t len)
{
	struct node *nd;

	ALLOC_GROW(t->nodes, t->n + 1, t->alloc);
	nd = &t->nodes[t->n];
	nd->type = type;
	nd->line = line;
	nd->s = s;
	nd->len = len;
	nd->match = 0;
	nd->seg = t->nsegs;
	nd->nseg = 0;
	if (type != NODE_TEXT && type != NODE_PARTIAL &&
	    !(len == 1 && s[0] == '.')) {
		const char *p = s, *end = s + len, *dot;

		for (; p <= end; p = dot + 1) {
			struct seg *sg;

			dot = memchr(p, '.', (size_t)(end - p));
			if (!dot)
				dot = end;
			ALLOC_GROW(t->segs, t->nsegs + 1, t->segs_alloc);
			sg = &t->segs[t->nsegs++];
			sg->s = p;
			sg->len = (size_t)(dot - p);
			sg->hash = name_hash(p, sg->len);
			nd->nseg++;
		}
	}
	return t->n++;
}

static int quote_len(size_t len)
{
	return (int)(len < TMPL_MAX_QUOTE ? len : TMPL_MAX_QUOTE);
}

/* A partial's file name: a plain name in the template's own folder. */
static int valid_partial(const char *s, size_t len)
{
	size_t i;

	if (!len || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* {{> file}}: compiles DIR/file now, so a missing or broken partial is an
 * error of the run's start, like any other template error. */
static int add_partial(struct parser *ps, unsigned long line, const char *s,
		       size_t len)
{
	struct tmpl *t = ps->t, *part;
	struct buf path = BUF_INIT;
	size_t i;
	int ret;

	if (!ps->dir)
		return errbuf_set(ps->eb, "%s:%lu: partials ('{{>') need a "
				  "template file", t->name, line);
	if (!valid_partial(s, len))
		return errbuf_set(ps->eb, "%s:%lu: invalid partial name "
				  "'%.*s' (a file name in %s)", t->name, line,
				  quote_len(len), s, ps->dir);
	if (ps->partial_depth >= TMPL_MAX_PARTIALS)
		return errbuf_set(ps->eb, "%s:%lu: partials nested deeper "
				  "than %d (one includes itself?)", t->name,
				  line, TMPL_MAX_PARTIALS);
	buf_addf(&path, "%s/%.*s", ps->dir, (int)len, s);
	ret = load(buf_str(&path), ps->partial_depth + 1, &part, ps->eb);
	buf_release(&path);
	if (ret < 0)
		return errbuf_prefix(ps->eb, "%s:%lu: in partial '%.*s': ",
				     t->name, line, quote_len(len), s);
	ALLOC_GROW(t->parts, t->nparts + 1, t->parts_alloc);
	t->parts[t->nparts] = part;
	i = add_node(t, NODE_PARTIAL, line, s, len);
	t->nodes[i].match = t->nparts++;
	return 0;
}

/* Adds the node for one tag whose (trimmed) name is s[0..len). */
static int add_tag(struct parser *ps, enum node_type type,
		   unsigned long line, const char *s, size_t len)
{
	struct tmpl *t = ps->t;
	const struct node *open;
	size_t i;

	if (!len)
		return errbuf_set(ps->eb, "%s:%lu: empty tag name", t->name,
				  line);
	if (type != NODE_PARTIAL && !valid_name(s, len))
		return errbuf_set(ps->eb, "%s:%lu: invalid tag name '%.*s'",
				  t->name, line, quote_len(len), s);
	switch (type) {
	case NODE_SECTION:
	case NODE_INVERTED:
		if (ps->depth == TMPL_MAX_DEPTH)
			return errbuf_set(ps->eb, "%s:%lu: sections nested "
					  "deeper than %d", t->name, line,
					  TMPL_MAX_DEPTH);
		ps->open[ps->depth++] = add_node(t, type, line, s, len);
		return 0;
	case NODE_PARTIAL:
		return add_partial(ps, line, s, len);
	case NODE_CLOSE:
		if (!ps->depth)
			return errbuf_set(ps->eb, "%s:%lu: closing tag '%.*s' "
					  "without an open section", t->name,
					  line, quote_len(len), s);
		open = &t->nodes[ps->open[ps->depth - 1]];
		if (open->len != len || memcmp(open->s, s, len))
			return errbuf_set(ps->eb, "%s:%lu: closing tag '%.*s' "
					  "does not match section '%.*s' "
					  "opened on line %lu", t->name, line,
					  quote_len(len), s,
					  quote_len(open->len), open->s,
					  open->line);
		i = add_node(t, type, line, s, len);
		t->nodes[i].match = ps->open[--ps->depth];
		t->nodes[t->nodes[i].match].match = i;
		return 0;
	default:
		add_node(t, type, line, s, len);
		return 0;
	}
}

/*
 * Parses the tag that opens at p ("{{"). Sets *next to where the text after
 * it starts, having dropped the tag's line if the tag stands alone on it.
 */
static int parse_tag(struct parser *ps, const char *p, const char **next)
{
	const char *s, *close, *after, *text_end = p;
	unsigned long line = ps->line;
	enum node_type type = NODE_VAR;
	int comment = 0;

	if (ps->end - p >= 3 && p[2] == '{') {
		s = p + 3;
		close = find(s, ps->end, "}}}", 3);
		after = close ? close + 3 : NULL;
		type = NODE_RAW;
	} else {
		s = p + 2;
		close = find(s, ps->end, "}}", 2);
		after = close ? close + 2 : NULL;
		if (close && s < close) {
			switch (*s++) {
			case '#':
				type = NODE_SECTION;
				break;
			case '^':
				type = NODE_INVERTED;
				break;
			case '/':
				type = NODE_CLOSE;
				break;
			case '&':
				type = NODE_RAW;
				break;
			case '!':
				comment = 1;
				break;
			case '>':
				type = NODE_PARTIAL;
				break;
			default:
				s--;
				break;
			}
		}
	}
	if (!close)
		return errbuf_set(ps->eb, "%s:%lu: unclosed tag: '{{' without "
				  "'}}'", ps->t->name, line);

	if (comment || type == NODE_SECTION || type == NODE_INVERTED ||
	    type == NODE_CLOSE || type == NODE_PARTIAL) {
		const char *eol = blank_to_eol(after, ps->end);
		if (eol && blank_before(ps->line_start, p)) {
			text_end = ps->line_start;
			after = eol;
		}
	}
	if (text_end > *next)
		add_node(ps->t, NODE_TEXT, ps->text_line, *next,
			 (size_t)(text_end - *next));
	advance(ps, p, after);
	*next = after;
	ps->text_line = ps->line;
	if (comment)
		return 0;
	while (s < close && is_space(*s))
		s++;
	while (close > s && is_space(close[-1]))
		close--;
	return add_tag(ps, type, line, s, (size_t)(close - s));
}

void tmpl_free(struct tmpl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nparts; i++)
		tmpl_free(t->parts[i]);
	free(t->parts);
	free(t->name);
	free(t->text);
	free(t->nodes);
	free(t->segs);
	free(t);
}

int tmpl_compile(const char *text, size_t len, const char *name,
		 struct tmpl **out, struct errbuf *eb)
{
	return compile(text, len, name, NULL, 0, out, eb);
}

static int compile(const char *text, size_t len, const char *name,
		   const char *dir, int partial_depth, struct tmpl **out,
		   struct errbuf *eb)
{
	struct parser ps;
	struct tmpl *t;
	const char *p, *tag, *next;

	*out = NULL;
	if (len > TMPL_MAX_SIZE)
		return errbuf_set(eb, "%s:1: template is larger than the limit "
				  "of %zu bytes", name, TMPL_MAX_SIZE);
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->text = xmalloc(len + 1);
	if (len)
		memcpy(t->text, text, len);
	t->text[len] = '\0';

	memset(&ps, 0, sizeof(ps));
	ps.t = t;
	ps.end = t->text + len;
	ps.line_start = t->text;
	ps.line = 1;
	ps.text_line = 1;
	ps.dir = dir;
	ps.partial_depth = partial_depth;
	ps.eb = eb;

	p = next = t->text;
	while ((tag = find(p, ps.end, "{{", 2))) {
		advance(&ps, p, tag);
		if (parse_tag(&ps, tag, &next) < 0)
			goto fail;
		p = next;
	}
	if (ps.end > next)
		add_node(t, NODE_TEXT, ps.text_line, next,
			 (size_t)(ps.end - next));
	if (ps.depth) {
		const struct node *open = &t->nodes[ps.open[ps.depth - 1]];
		errbuf_set(eb, "%s:%lu: unclosed section '%.*s'", t->name,
			   open->line, quote_len(open->len), open->s);
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tmpl_free(t);
	return -1;
}

static int load(const char *path, int partial_depth, struct tmpl **out,
		struct errbuf *eb)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path))
			  : xstrdup(".");
	struct buf b;
	int ret;

	*out = NULL;
	buf_init(&b, TMPL_MAX_SIZE);
	ret = util_read_file(path, &b, eb);
	if (!ret)
		ret = compile(buf_str(&b), b.len, path, dir, partial_depth, out,
			      eb);
	buf_release(&b);
	free(dir);
	return ret;
}

int tmpl_load(const char *path, struct tmpl **out, struct errbuf *eb)
{
	return load(path, 0, out, eb);
}

/* Rendering */

/*
 * Walks the context stack from the innermost value outwards, comparing the
 * hashes computed when compiling before any byte of a name.
 */
static const struct tmpl_value *lookup_at(const struct tmpl *t,
					  const struct tmpl_value *const *ctx,
					  size_t depth, const struct node *nd,
					  size_t *level)
{
	const struct seg *sg, *end;
	const struct member *m = NULL;
	size_t i;

	*level = depth;
	if (!nd->nseg)
		return ctx[depth]; /* "." (t->segs may even be NULL) */
	sg = t->segs + nd->seg;
	end = sg + nd->nseg;
	for (i = depth + 1; i-- > 0;)
		if ((m = find_member(ctx[i], sg->s, sg->len, sg->hash))) {
			*level = i;
			break;
		}
	/* Standard mustache: a.b does not look further out if a has no b. */
	while (m && ++sg < end)
		m = find_member(m->value, sg->s, sg->len, sg->hash);
	return m ? m->value : NULL;
}

static const struct tmpl_value *lookup(const struct tmpl *t,
				       const struct tmpl_value *const *ctx,
				       size_t depth, const struct node *nd)
{
	size_t level;

	return lookup_at(t, ctx, depth, nd, &level);
}

static int truthy(const struct tmpl_value *v)
{
	switch (v->type) {
	case TMPL_LIST:
		return v->nitems > 0;
	case TMPL_OBJECT:
		return 1;
	default:
		return v->truth;
	}
}

static const char *type_name(enum tmpl_type type)
{
	switch (type) {
	case TMPL_BOOL:
		return "a bool";
	case TMPL_LIST:
		return "a list";
	case TMPL_OBJECT:
		return "an object";
	default:
		return "a string";
	}
}

/* Where render() writes: a plain buffer, or a sink with prepared text. */
struct out {
	struct buf *buf;
	struct tmpl_sink *sink;
	/* Measuring a list item: its stack level (SIZE_MAX: none), where
	 * the sink stood when it began, and whether its output depends on
	 * values outside it (looked up below that level). */
	size_t floor, mark;
	int outer;
};

/* The render-time lookup, noting a look outside a measured item. */
static const struct tmpl_value *lookup_out(struct out *o, const struct tmpl *t,
					   const struct tmpl_value *const *ctx,
					   size_t depth, const struct node *nd)
{
	size_t level;
	const struct tmpl_value *v = lookup_at(t, ctx, depth, nd, &level);

	if (level < o->floor)
		o->outer = 1;
	return v;
}

static const struct memo *find_memo(const struct tmpl_value *item,
				    const struct tmpl_prep *prep, size_t node)
{
	const struct memo *m;

	for (m = item->memo; m; m = m->next)
		if (m->prep == prep && m->node == node)
			return m;
	return NULL;
}

static int out_add(struct out *o, const char *s, size_t n)
{
	if (o->buf)
		return buf_add(o->buf, s, n);
	return n ? o->sink->add(o->sink, s, n) : 0;
}

static size_t out_limit(const struct out *o)
{
	return o->buf ? o->buf->limit : o->sink->limit;
}

static int out_ptext(struct out *o, const struct ptext *pt)
{
	if (o->buf)
		return buf_add(o->buf, pt->raw, pt->len);
	if (pt->head_prep) {
		if (o->sink->add_prepared(o->sink, pt->raw, pt->head,
					  pt->head_prep,
					  pt->head_preplen) < 0)
			return -1;
	} else if (out_add(o, pt->raw, pt->head) < 0) {
		return -1;
	}
	if (pt->tail > pt->head &&
	    o->sink->add_prepared(o->sink, pt->raw + pt->head,
				  pt->tail - pt->head, pt->prep,
				  pt->preplen) < 0)
		return -1;
	return out_add(o, pt->raw + pt->tail, pt->len - pt->tail);
}

static int add_html(struct out *out, const char *s)
{
	const char *run = s;

	/* strcspn skips the plain runs a vector at a time. */
	for (; *(s += strcspn(s, "&<>\"'")); s++) {
		const char *ent;
		switch (*s) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		default: /* '\'': strcspn stops at these five only */
			ent = "&#39;";
			break;
		}
		if (out_add(out, run, (size_t)(s - run)) < 0 ||
		    out_add(out, ent, strlen(ent)) < 0)
			return -1;
		run = s + 1;
	}
	return out_add(out, run, (size_t)(s - run));
}

/* Context stack entries: the outer values, one per entered section per
 * template (partials and prepared items' live parts nest). */
#define STACK_MAX (TMPL_MAX_DEPTH * (TMPL_MAX_PARTIALS + 2) + 1)

static int render(const struct tmpl *t, const struct tmpl_prep *prep,
		  size_t from, size_t to, const struct tmpl_value *const *outer,
		  size_t nouter, enum tmpl_escape escape, struct out *out,
		  struct errbuf *eb);

/* The end of a measured item: keeps its size if it can be added up. */
static void end_measure(struct out *out, const struct tmpl_value *item,
			const struct tmpl_prep *prep, size_t node)
{
	int at_start;
	size_t pos = out->sink->pos(out->sink, &at_start);

	if (at_start && !out->outer && pos >= out->mark &&
	    !find_memo(item, prep, node)) {
		struct memo *m = xcalloc(1, sizeof(*m));
		struct tmpl_value *v = (struct tmpl_value *)item;

		m->prep = prep;
		m->node = node;
		m->size = pos - out->mark;
		m->next = v->memo;
		v->memo = m;
	}
	out->floor = SIZE_MAX;
}

static const struct resid *find_resid(const struct tmpl_value *item,
				      const struct tmpl_prep *prep,
				      size_t node, enum tmpl_escape escape)
{
	const struct resid *r;

	if (!prep || !item->base)
		return NULL;
	for (r = item->base->resid; r; r = r->next)
		if (r->prep == prep && r->node == node && r->escape == escape)
			return r;
	return NULL;
}

/* Writes a prepared item's body: stack[0..depth] ends with the item. */
static int render_resid(const struct resid *r,
			const struct tmpl_value *const *stack, size_t depth,
			enum tmpl_escape escape, struct out *out,
			struct errbuf *eb)
{
	const struct tmpl_value *st[STACK_MAX];
	size_t i, n;

	for (i = 0; i < r->nops; i++) {
		const struct rop *op = &r->ops[i];

		if (!op->live) {
			if (out_ptext(out, &op->text) < 0)
				return errbuf_set(eb, "%s:%lu: output is larger "
						  "than the limit of %zu bytes",
						  r->prep->t->name,
						  r->prep->t->nodes[r->node].line,
						  out_limit(out));
			continue;
		}
		n = depth + 1 + op->nframes;
		if (n + TMPL_MAX_DEPTH > STACK_MAX)
			return errbuf_set(eb, "%s:%lu: sections nested too deep",
					  r->prep->t->name,
					  r->prep->t->nodes[op->from].line);
		memcpy(st, stack, (depth + 1) * sizeof(*st));
		if (op->nframes)
			memcpy(st + depth + 1, op->frames,
			       op->nframes * sizeof(*st));
		if (render(r->prep->t, r->prep, op->from, op->to, st, n, escape,
			   out, eb) < 0)
			return -1;
	}
	return 0;
}

/*
 * Renders nodes [from, to) of t in the context outer[0..nouter) (the root,
 * then the values of the sections entered around a partial), innermost
 * last. With prep, text goes out split as prepared, and list items
 * derived from a prepared item are written from its prepared body.
 */
static int render(const struct tmpl *t, const struct tmpl_prep *prep,
		  size_t from, size_t to, const struct tmpl_value *const *outer,
		  size_t nouter, enum tmpl_escape escape, struct out *out,
		  struct errbuf *eb)
{
	/* ctx stack: the outer values, then one per entered section. */
	const struct tmpl_value *stack[STACK_MAX];
	struct {
		const struct tmpl_value *list;	/* NULL: shown once */
		size_t idx;
	} frames[TMPL_MAX_DEPTH];
	size_t depth, base = nouter - 1, i = from, steps = 0;
	size_t start = out->buf ? out->buf->len : 0;
	const struct tmpl_value *v;
	const struct node *nd = NULL;
	const struct resid *r;
	int ret;

	if (nouter + TMPL_MAX_DEPTH > STACK_MAX) {
		errbuf_set(eb, "%s:%lu: partials and sections nested too deep",
			   t->name, t->n ? t->nodes[from < t->n ? from : 0].line
					 : 1UL);
		goto fail;
	}
	memcpy(stack, outer, nouter * sizeof(*stack));
	depth = base;
	while (i < to) {
		nd = &t->nodes[i];
		if (++steps > TMPL_MAX_STEPS) {
			errbuf_set(eb, "%s:%lu: rendering takes more than %zu "
				   "steps (lists nested too deep?)", t->name,
				   nd->line, TMPL_MAX_STEPS);
			goto fail;
		}
		switch (nd->type) {
		case NODE_TEXT:
			if (prep ? out_ptext(out, &prep->texts[i]) < 0
				 : out_add(out, nd->s, nd->len) < 0)
				goto too_big;
			i++;
			break;
		case NODE_VAR:
		case NODE_RAW:
			if (!(v = lookup_out(out, t, stack, depth, nd)))
				goto unknown;
			if (v->type != TMPL_STRING) {
				errbuf_set(eb, "%s:%lu: '%.*s' is %s, not a "
					   "string", t->name, nd->line,
					   quote_len(nd->len), nd->s,
					   type_name(v->type));
				goto fail;
			}
			if (nd->type == NODE_VAR && escape == TMPL_ESCAPE_HTML)
				ret = add_html(out, v->str);
			else
				ret = out_add(out, v->str, strlen(v->str));
			if (ret < 0)
				goto too_big;
			i++;
			break;
		case NODE_SECTION:
			if (!(v = lookup_out(out, t, stack, depth, nd)))
				goto unknown;
			if (!truthy(v)) {
				i = nd->match + 1;
				break;
			}
			frames[depth - base].list =
				v->type == TMPL_LIST ? v : NULL;
			frames[depth - base].idx = 0;
			depth++;
			stack[depth] = v->type == TMPL_LIST ? v->items[0] : v;
			i++;
			goto body;
		case NODE_INVERTED:
			if (!(v = lookup_out(out, t, stack, depth, nd)))
				goto unknown;
			i = truthy(v) ? nd->match + 1 : i + 1;
			break;
		case NODE_CLOSE:
			/* Reached only if the section was entered. */
			if (t->nodes[nd->match].type == NODE_SECTION) {
				if (out->floor == depth)
					end_measure(out, stack[depth], prep,
						    nd->match);
				v = frames[depth - base - 1].list;
				if (v && ++frames[depth - base - 1].idx <
					     v->nitems) {
					stack[depth] = v->items
						[frames[depth - base - 1].idx];
					i = nd->match + 1;
					goto body;
				}
				depth--;
			}
			i++;
			break;
		case NODE_PARTIAL:
			if (render(t->parts[nd->match],
				   prep ? prep->parts[nd->match] : NULL, 0,
				   t->parts[nd->match]->n, stack, depth + 1,
				   escape, out, eb) < 0)
				goto fail;
			i++;
			break;
		}
		continue;
body:
		/* i is the first node of a section's body, stack[depth] the
		 * value it renders with: a list item measured before is
		 * counted, a prepared item's is written whole. */
		if (prep && out->sink && out->sink->pos &&
		    out->floor == SIZE_MAX && frames[depth - base - 1].list) {
			const struct memo *m =
				find_memo(stack[depth], prep, i - 1);
			int at_start;
			size_t pos = out->sink->pos(out->sink, &at_start);

			if (m && at_start && out->sink->skip) {
				if (out->sink->skip(out->sink, m->size) < 0)
					goto too_big;
				i = t->nodes[i - 1].match;
				continue;
			}
			if (at_start && !m) {
				out->floor = depth;
				out->mark = pos;
				out->outer = 0;
			}
		}
		if ((r = find_resid(stack[depth], prep, i - 1, escape))) {
			if (render_resid(r, stack, depth, escape, out, eb) < 0)
				goto fail;
			i = t->nodes[i - 1].match;
		}
	}
	return 0;
unknown:
	errbuf_set(eb, "%s:%lu: unknown variable '%.*s'", t->name, nd->line,
		   quote_len(nd->len), nd->s);
	goto fail;
too_big:
	errbuf_set(eb, "%s:%lu: output is larger than the limit of %zu bytes",
		   t->name, nd->line, out_limit(out));
fail:
	if (out->buf)
		buf_truncate(out->buf, start);
	return -1;
}

int tmpl_render(const struct tmpl *t, const struct tmpl_value *ctx,
		enum tmpl_escape escape, struct buf *out, struct errbuf *eb)
{
	struct out o = { out, NULL, SIZE_MAX, 0, 0 };

	return render(t, NULL, 0, t->n, &ctx, 1, escape, &o, eb);
}

int tmpl_render_sink(const struct tmpl_prep *p, const struct tmpl_value *ctx,
		     enum tmpl_escape escape, struct tmpl_sink *sink,
		     struct errbuf *eb)
{
	struct out o = { NULL, sink, SIZE_MAX, 0, 0 };

	return render(p->t, p, 0, p->t->n, &ctx, 1, escape, &o, eb);
}

/* Preparing */

/* Splits raw[0..len) for a sink and prepares its whole lines with fn. */
static int ptext_init(struct ptext *pt, const char *raw, size_t len,
		      tmpl_prepare_fn fn, void *arg)
{
	const char *first = memchr(raw, '\n', len), *last = NULL;
	struct buf b = BUF_INIT;
	size_t i;

	memset(pt, 0, sizeof(*pt));
	pt->raw = raw;
	pt->len = len;
	pt->head = pt->tail = len;
	if (!first)
		return 0;
	for (i = len; i > 0; i--)
		if (raw[i - 1] == '\n') {
			last = raw + i - 1;
			break;
		}
	pt->head = (size_t)(first - raw) + 1;
	pt->tail = (size_t)(last - raw) + 1;
	if (fn(raw, pt->head, &b, arg) < 0) {
		buf_release(&b);
		return -1;
	}
	pt->head_prep = buf_detach(&b, &pt->head_preplen);
	if (pt->tail > pt->head) {
		if (fn(raw + pt->head, pt->tail - pt->head, &b, arg) < 0) {
			buf_release(&b);
			return -1;
		}
		pt->prep = buf_detach(&b, &pt->preplen);
	}
	return 0;
}

void tmpl_prep_free(struct tmpl_prep *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->t->nparts; i++)
		tmpl_prep_free(p->parts[i]);
	for (i = 0; p->texts && i < p->t->n; i++)
		ptext_release(&p->texts[i]);
	free(p->parts);
	free(p->texts);
	free(p);
}

int tmpl_prep_new(const struct tmpl *t, tmpl_prepare_fn fn, void *arg,
		  struct tmpl_prep **out, struct errbuf *eb)
{
	struct tmpl_prep *p = xcalloc(1, sizeof(*p));
	size_t i;

	*out = NULL;
	p->t = t;
	p->fn = fn;
	p->arg = arg;
	p->texts = xcalloc(t->n ? t->n : 1, sizeof(*p->texts));
	p->parts = xcalloc(t->nparts ? t->nparts : 1, sizeof(*p->parts));
	for (i = 0; i < t->n; i++)
		if (t->nodes[i].type == NODE_TEXT &&
		    ptext_init(&p->texts[i], t->nodes[i].s, t->nodes[i].len,
			       fn, arg) < 0)
			goto fail;
	for (i = 0; i < t->nparts; i++)
		if (tmpl_prep_new(t->parts[i], fn, arg, &p->parts[i], eb) < 0)
			goto fail;
	*out = p;
	return 0;
fail:
	tmpl_prep_free(p);
	return errbuf_set(eb, "%s: cannot prepare the template's text",
			  t->name);
}

/* Building a prepared item's section body: the output so far. */
struct builder {
	struct resid *r;
	struct buf acc;	/* static output not yet in an op */
	tmpl_prepare_fn fn;
	void *arg;
	int err;
};

static struct rop *add_op(struct builder *bd)
{
	struct resid *r = bd->r;
	struct rop *op;

	ALLOC_GROW(r->ops, r->nops + 1, r->alloc);
	op = &r->ops[r->nops++];
	memset(op, 0, sizeof(*op));
	return op;
}

static void flush_text(struct builder *bd)
{
	struct rop *op;
	size_t len;
	char *raw;

	if (!bd->acc.len)
		return;
	raw = buf_detach(&bd->acc, &len);
	op = add_op(bd);
	if (ptext_init(&op->text, raw, len, bd->fn, bd->arg) < 0)
		bd->err = 1;
	op->text.owned = 1;
}

/* Nodes [from, to) are left to render time, inside the static values
 * stack[1..depth] (stack[0] is the item itself). */
static void add_live(struct builder *bd, size_t from, size_t to,
		     const struct tmpl_value *const *stack, size_t depth)
{
	struct rop *op;

	flush_text(bd);
	op = add_op(bd);
	op->live = 1;
	op->from = from;
	op->to = to;
	op->nframes = depth;
	if (depth) {
		op->frames = xcalloc(depth, sizeof(*op->frames));
		memcpy(op->frames, stack + 1, depth * sizeof(*op->frames));
	}
}

/*
 * What a lookup of nd finds among the static values stack[0..depth] (the
 * item, then the values entered in its body), or NULL when it must wait
 * for render time: not found there, or the item itself ("." at depth 0),
 * which at render time is the derived object.
 */
static const struct tmpl_value *static_lookup(const struct tmpl *t,
					      const struct tmpl_value *const *stack,
					      size_t depth,
					      const struct node *nd)
{
	if (!nd->nseg && depth == 0)
		return NULL;
	return lookup(t, stack, depth, nd);
}

/* Renders the body of section `open` for item as far as it is static. */
static void build_resid(struct builder *bd, const struct tmpl *t,
			size_t open, const struct tmpl_value *item,
			enum tmpl_escape escape)
{
	const struct tmpl_value *stack[TMPL_MAX_DEPTH + 1];
	struct {
		const struct tmpl_value *list;
		size_t idx;
	} frames[TMPL_MAX_DEPTH];
	struct out o = { &bd->acc, NULL, SIZE_MAX, 0, 0 };
	size_t depth = 0, i = open + 1, end = t->nodes[open].match;
	size_t steps = 0;
	const struct tmpl_value *v;

	stack[0] = item;
	while (i < end && !bd->err) {
		const struct node *nd = &t->nodes[i];

		if (++steps > TMPL_MAX_STEPS) {
			bd->err = 1;
			break;
		}
		switch (nd->type) {
		case NODE_TEXT:
			bd->err |= buf_add(&bd->acc, nd->s, nd->len) < 0;
			i++;
			break;
		case NODE_VAR:
		case NODE_RAW:
			v = static_lookup(t, stack, depth, nd);
			if (!v || v->type != TMPL_STRING)
				add_live(bd, i, i + 1, stack, depth);
			else if (nd->type == NODE_VAR &&
				 escape == TMPL_ESCAPE_HTML)
				bd->err |= add_html(&o, v->str) < 0;
			else
				bd->err |= buf_addstr(&bd->acc, v->str) < 0;
			i++;
			break;
		case NODE_SECTION:
			if (!(v = static_lookup(t, stack, depth, nd))) {
				add_live(bd, i, nd->match + 1, stack, depth);
				i = nd->match + 1;
			} else if (!truthy(v)) {
				i = nd->match + 1;
			} else {
				frames[depth].list =
					v->type == TMPL_LIST ? v : NULL;
				frames[depth].idx = 0;
				depth++;
				stack[depth] = v->type == TMPL_LIST
						       ? v->items[0] : v;
				i++;
			}
			break;
		case NODE_INVERTED:
			if (!(v = static_lookup(t, stack, depth, nd))) {
				add_live(bd, i, nd->match + 1, stack, depth);
				i = nd->match + 1;
			} else {
				i = truthy(v) ? nd->match + 1 : i + 1;
			}
			break;
		case NODE_CLOSE:
			if (t->nodes[nd->match].type == NODE_SECTION) {
				v = frames[depth - 1].list;
				if (v && ++frames[depth - 1].idx < v->nitems) {
					stack[depth] =
						v->items[frames[depth - 1].idx];
					i = nd->match + 1;
					break;
				}
				depth--;
			}
			i++;
			break;
		case NODE_PARTIAL:
			add_live(bd, i, i + 1, stack, depth);
			i++;
			break;
		}
	}
	flush_text(bd);
}

int tmpl_prepare_item(const struct tmpl_prep *p, const char *section,
		      enum tmpl_escape escape, struct tmpl_value *item)
{
	const struct tmpl *t = p->t;
	size_t i, len = strlen(section);
	int err = 0;

	for (i = 0; i < t->n; i++) {
		const struct node *nd = &t->nodes[i];
		struct builder bd;

		if (nd->type != NODE_SECTION || nd->len != len ||
		    memcmp(nd->s, section, len))
			continue;
		memset(&bd, 0, sizeof(bd));
		bd.r = xcalloc(1, sizeof(*bd.r));
		bd.r->prep = p;
		bd.r->node = i;
		bd.r->escape = escape;
		buf_init(&bd.acc, TMPL_MAX_PREPARED);
		bd.fn = p->fn;
		bd.arg = p->arg;
		build_resid(&bd, t, i, item, escape);
		buf_release(&bd.acc);
		if (bd.err) {
			/* Rendered live instead, which is slower, not wrong. */
			resid_free(bd.r);
			err = -1;
			continue;
		}
		bd.r->next = item->resid;
		item->resid = bd.r;
	}
	return err;
}
