/*
 * llmreply: tolerant reading of an LLM judge's reply (see llmreply.h).
 *
 * The one design decision: the text is scanned once for balanced JSON
 * spans, and jansson parses each span; what a span holds is walked a few
 * levels deep for objects that carry an ID, so JSONL, a JSON array and a
 * {"papers": [...]} wrapper all read the same. A span that jansson refuses
 * (prose such as "{ARXIVID, COMMENT}") makes the scan restart one byte
 * after its opening brace, within a work budget proportional to the
 * reply's length.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "llmreply.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Wrapper objects and arrays are looked into this many levels deep: a
 * reply is at most {"papers": [{...}]}. */
#define LLMREPLY_MAX_DEPTH 3
/* Longest arXiv ID (old style "solv-int/9901001v12" is 19 bytes). */
#define LLMREPLY_MAX_ID 64
/* A key longer than this is none of ours. */
#define LLMREPLY_MAX_KEY 32

struct parse {
	const char *const *ids;
	size_t n;
	struct llmreply_score *out;
	size_t scored;
	size_t objects;
};

static int id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/';
}

int llmreply_clean_id(const char *s, char *out, size_t size)
{
	static const char *const prefixes[] = {
		"https://arxiv.org/abs/", "http://arxiv.org/abs/",
		"https://arxiv.org/pdf/", "http://arxiv.org/pdf/",
		"arxiv.org/abs/",	  "arxiv:",
	};
	size_t i, len, k;
	int digit = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);
		if (!strncasecmp(s, prefixes[i], pl)) {
			s += pl;
			break;
		}
	}
	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!len || len > LLMREPLY_MAX_ID || len >= size)
		return -1;
	for (i = 0; i < len; i++) {
		if (!id_char(s[i]))
			return -1;
		digit |= s[i] >= '0' && s[i] <= '9';
	}
	if (!digit || s[0] == '.' || s[0] == '/' || s[len - 1] == '/')
		return -1;
	/* "2512.01234v2" -> "2512.01234" */
	k = len;
	while (k && s[k - 1] >= '0' && s[k - 1] <= '9')
		k--;
	if (k < len && k >= 2 && (s[k - 1] == 'v' || s[k - 1] == 'V') &&
	    s[k - 2] >= '0' && s[k - 2] <= '9')
		len = k - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* A score: 8, 8.0, "8", " 8 ", "8/10"; -1 for anything else. */
static int score_of(json_t *v)
{
	long long x;

	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!(d >= LLMREPLY_MIN_SCORE && d <= LLMREPLY_MAX_SCORE) ||
		    floor(d) != d)
			return -1;
		x = (long long)d;
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		int digits = 0;

		while (*s == ' ')
			s++;
		x = 0;
		while (*s >= '0' && *s <= '9' && digits < 3) {
			x = x * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits)
			return -1;
		while (*s == ' ')
			s++;
		if (*s == '/') {
			s++;
			while (*s == ' ')
				s++;
			if (strncmp(s, "10", 2))
				return -1;
			s += 2;
		}
		while (*s == ' ')
			s++;
		if (*s)
			return -1;
	} else {
		return -1;
	}
	if (x < LLMREPLY_MIN_SCORE || x > LLMREPLY_MAX_SCORE)
		return -1;
	return (int)x;
}

/* The comment as one line of at most LLMREPLY_MAX_COMMENT bytes. */
static char *clean_comment(const char *s)
{
	struct buf b = BUF_INIT;
	const char *p = s, *end = s + strlen(s);

	while (p < end && b.len < LLMREPLY_MAX_COMMENT) {
		const char *start = p;
		int32_t cp = util_utf8_next(&p, end);

		if (cp < 0)
			continue; /* jansson gives UTF-8; be safe anyway */
		if (cp < 0x20 || cp == 0x7f) {
			if (b.len && b.data[b.len - 1] != ' ')
				buf_addch(&b, ' ');
			continue;
		}
		if (b.len + (size_t)(p - start) > LLMREPLY_MAX_COMMENT)
			break;
		buf_add(&b, start, (size_t)(p - start));
	}
	while (b.len && b.data[b.len - 1] == ' ')
		b.len--;
	if (b.data)
		b.data[b.len] = '\0';
	{
		char *r = buf_detach(&b, NULL);
		char *q = r;

		while (*q == ' ')
			q++;
		if (q != r)
			memmove(r, q, strlen(q) + 1);
		return r;
	}
}

/* Which of our keys `key` is: 'i' (ID), 'r', 'n', 'c', or 0. Case,
 * '_', '-' and spaces do not matter ("arxiv_id", "ArXiv ID"). */
static int key_kind(const char *key)
{
	char k[LLMREPLY_MAX_KEY + 1];
	size_t n = 0;

	for (; *key; key++) {
		if (*key == '_' || *key == '-' || *key == ' ')
			continue;
		if (n == LLMREPLY_MAX_KEY)
			return 0;
		k[n++] = util_tolower(*key);
	}
	k[n] = '\0';
	if (!strcmp(k, "arxivid") || !strcmp(k, "id") ||
	    !strcmp(k, "paperid") || !strcmp(k, "arxiv"))
		return 'i';
	if (!strcmp(k, "relevance"))
		return 'r';
	if (!strcmp(k, "novelty"))
		return 'n';
	if (!strcmp(k, "comment") || !strcmp(k, "comments") ||
	    !strcmp(k, "reason"))
		return 'c';
	return 0;
}

static void take_object(struct parse *ps, json_t *obj, json_t *id)
{
	json_t *rel = NULL, *nov = NULL, *com = NULL, *v;
	char clean[LLMREPLY_MAX_ID + 1];
	const char *key;
	int r, nv;
	size_t i;

	json_object_foreach(obj, key, v) {
		switch (key_kind(key)) {
		case 'r':
			rel = rel ? rel : v;
			break;
		case 'n':
			nov = nov ? nov : v;
			break;
		case 'c':
			com = com ? com : v;
			break;
		}
	}
	if (!json_is_string(id) ||
	    llmreply_clean_id(json_string_value(id), clean, sizeof(clean)) < 0)
		return;
	r = rel ? score_of(rel) : -1;
	nv = nov ? score_of(nov) : -1;
	if (r < 0 || nv < 0)
		return;
	for (i = 0; i < ps->n; i++) {
		struct llmreply_score *o = &ps->out[i];

		if (o->scored || strcmp(ps->ids[i], clean))
			continue;
		o->scored = 1;
		o->relevance = r;
		o->novelty = nv;
		o->comment = clean_comment(json_is_string(com)
						   ? json_string_value(com)
						   : "");
		ps->scored++;
		return;
	}
}

static void walk(struct parse *ps, json_t *v, int depth)
{
	const char *key;
	json_t *e, *id = NULL;
	size_t i;

	if (depth > LLMREPLY_MAX_DEPTH)
		return;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			walk(ps, e, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach(v, key, e)
		if (!id && key_kind(key) == 'i')
			id = e;
	if (id) {
		ps->objects++;
		take_object(ps, v, id);
		return;
	}
	json_object_foreach(v, key, e)
		walk(ps, e, depth + 1);
}

/*
 * The end (one past the closing bracket) of the balanced span that opens
 * at text[start], or 0 when it does not close within LLMREPLY_MAX_SPAN
 * bytes or the text. *scanned gets the bytes looked at.
 */
static size_t span_end(const char *text, size_t len, size_t start,
		       size_t *scanned)
{
	size_t i, depth = 0;
	int in_string = 0;

	for (i = start; i < len && i - start < LLMREPLY_MAX_SPAN; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				*scanned = i + 1 - start;
				return i + 1;
			}
		}
	}
	*scanned = i - start;
	return 0;
}

/* Parses text[start..end) with trailing commas dropped; 1 if it was JSON. */
static int try_span(struct parse *ps, const char *text, size_t start,
		    size_t end)
{
	struct buf b;
	json_error_t err;
	json_t *v;
	size_t i, j;
	int in_string = 0;

	buf_init(&b, LLMREPLY_MAX_SPAN + 1);
	for (i = start; i < end; i++) {
		char c = text[i];

		if (in_string) {
			buf_addch(&b, c);
			if (c == '\\' && i + 1 < end)
				buf_addch(&b, text[++i]);
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		if (c == ',') {
			j = i + 1;
			while (j < end && isspace((unsigned char)text[j]))
				j++;
			if (j < end && (text[j] == '}' || text[j] == ']'))
				continue;
		}
		buf_addch(&b, c);
	}
	v = json_loadb(b.data ? b.data : "", b.len, 0, &err);
	buf_release(&b);
	if (!v)
		return 0;
	walk(ps, v, 0);
	json_decref(v);
	return 1;
}

size_t llmreply_parse(const char *reply, size_t len, const char *const *ids,
		      size_t n, struct llmreply_score *out, size_t *objects)
{
	struct parse ps = { ids, n, out, 0, 0 };
	size_t pos = 0, work = 0;
	size_t budget = len * LLMREPLY_WORK_FACTOR + LLMREPLY_MAX_SPAN;

	memset(out, 0, n * sizeof(*out));
	while (pos < len && ps.scored < n) {
		size_t start, end, scanned = 0;

		for (start = pos; start < len; start++)
			if (reply[start] == '{' || reply[start] == '[')
				break;
		if (start == len)
			break;
		end = span_end(reply, len, start, &scanned);
		work += scanned;
		if (end && try_span(&ps, reply, start, end)) {
			pos = end;
			continue;
		}
		if (work > budget)
			break;
		pos = start + 1;
	}
	if (objects)
		*objects = ps.objects;
	return ps.scored;
}

void llmreply_release(struct llmreply_score *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(out[i].comment);
		out[i].comment = NULL;
	}
}
