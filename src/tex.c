/*
 * tex: TeX accents to UTF-8, whitespace folding (see tex.h).
 *
 * The one design decision: decode only what is certain and copy everything
 * else byte for byte. An accent command becomes a precomposed letter from
 * the table below (or the letter plus a combining mark when Unicode has no
 * precomposed form); a command, brace or dollar we do not understand is
 * left as the author typed it, because a reader can make sense of raw TeX
 * but not of a wrong guess.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tex.h"
#include "util.h"
#include "banned.h"

#define REPLACEMENT_CHAR 0xFFFD

/*
 * Precomposed letters, per accent: the base letters it composes with and
 * the results, code point for code point (generated from Unicode NFC).
 */
static const struct accent {
	char cmd;               /* the character after the backslash */
	int32_t combining;      /* the combining mark, for other letters */
	const char *bases;
	const char *composed;   /* UTF-8, one code point per base */
} accents[] = {
	{ '\'', 0x0301, "AaCcEeGgIiKkLlMmNnOoPpRrSsUuWwYyZz",
	  "ÁáĆćÉéǴǵÍíḰḱĹĺḾḿŃńÓóṔṕŔŕŚśÚúẂẃÝýŹź" },
	{ '`', 0x0300, "AaEeIiNnOoUuWwYy", "ÀàÈèÌìǸǹÒòÙùẀẁỲỳ" },
	{ '^', 0x0302, "AaCcEeGgHhIiJjOoSsUuWwYyZz",
	  "ÂâĈĉÊêĜĝĤĥÎîĴĵÔôŜŝÛûŴŵŶŷẐẑ" },
	{ '"', 0x0308, "AaEeHhIiOotUuWwXxYy", "ÄäËëḦḧÏïÖöẗÜüẄẅẌẍŸÿ" },
	{ '~', 0x0303, "AaEeIiNnOoUuVvYy", "ÃãẼẽĨĩÑñÕõŨũṼṽỸỹ" },
	{ '=', 0x0304, "AaEeGgIiOoUuYy", "ĀāĒēḠḡĪīŌōŪūȲȳ" },
	{ '.', 0x0307, "AaBbCcDdEeFfGgHhIMmNnOoPpRrSsTtWwXxYyZz",
	  "ȦȧḂḃĊċḊḋĖėḞḟĠġḢḣİṀṁṄṅȮȯṖṗṘṙṠṡṪṫẆẇẊẋẎẏŻż" },
	{ 'u', 0x0306, "AaEeGgIiOoUu", "ĂăĔĕĞğĬĭŎŏŬŭ" },
	{ 'v', 0x030C, "AaCcDdEeGgHhIijKkLlNnOoRrSsTtUuZz",
	  "ǍǎČčĎďĚěǦǧȞȟǏǐǰǨǩĽľŇňǑǒŘřŠšŤťǓǔŽž" },
	{ 'H', 0x030B, "OoUu", "ŐőŰű" },
	{ 'c', 0x0327, "CcDdEeGgHhKkLlNnRrSsTt",
	  "ÇçḐḑȨȩĢģḨḩĶķĻļŅņŖŗŞşŢţ" },
	{ 'k', 0x0328, "AaEeIiOoUu", "ĄąĘęĮįǪǫŲų" },
	{ 'r', 0x030A, "AaUuwy", "ÅåŮůẘẙ" },
};

/* Letters typed as commands: \o, \ss, ... */
static const struct letter {
	const char *cmd;
	int32_t cp;
} letters[] = {
	{ "o", 0x00F8 }, { "O", 0x00D8 }, { "l", 0x0142 }, { "L", 0x0141 },
	{ "ss", 0x00DF }, { "ae", 0x00E6 }, { "AE", 0x00C6 },
	{ "oe", 0x0153 }, { "OE", 0x0152 }, { "aa", 0x00E5 },
	{ "AA", 0x00C5 }, { "i", 0x0131 }, { "j", 0x0237 },
};

/* What one command decodes to: a letter and, rarely, a combining mark. */
struct glyph {
	int32_t cp;
	int32_t combining;      /* 0 when none */
};

struct out {
	struct buf b;
	int pending_space;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\f' || c == '\v';
}

static int is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void put_cp(struct out *o, int32_t cp)
{
	if (o->pending_space && o->b.len)
		buf_addch(&o->b, ' ');
	o->pending_space = 0;
	util_utf8_put(&o->b, cp);
}

/*
 * Copies one character (a byte of ASCII or a UTF-8 sequence) from *p,
 * folding whitespace and replacing invalid bytes, NUL and other control
 * characters, so that the output is always printable, valid UTF-8.
 */
static void copy_char(struct out *o, const char **p, const char *end)
{
	int32_t cp;

	if (is_space(**p)) {
		o->pending_space = 1;
		(*p)++;
		return;
	}
	cp = util_utf8_next(p, end);
	/* An embedding, override or isolate would reverse the text after
	 * it in the digest ("fdp.exe" shown as "exe.pdf"): dropped. */
	if (util_is_bidi_control(cp))
		return;
	if (cp < 0x20 || cp == 0x7F)
		cp = REPLACEMENT_CHAR;
	put_cp(o, cp);
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

/* The control word at p (just after a backslash): its length, 0 if none. */
static size_t word_len(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && is_letter(p[n]))
		n++;
	return n;
}

static const struct letter *find_letter(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(letters); i++)
		if (strlen(letters[i].cmd) == n &&
		    !memcmp(letters[i].cmd, w, n))
			return &letters[i];
	return NULL;
}

static const struct accent *find_accent(char cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(accents); i++)
		if (accents[i].cmd == cmd)
			return &accents[i];
	return NULL;
}

/*
 * The base of an accent at *p: an ASCII letter, or \i / \j (the dotless
 * letters TeX wants under an accent, which compose like i and j). Returns
 * the letter, or 0 when there is none.
 */
static char parse_base(const char **p, const char *end, int *dotless)
{
	const char *q = *p;

	*dotless = 0;
	if (q < end && is_letter(*q)) {
		*p = q + 1;
		return *q;
	}
	if (q + 1 < end && *q == '\\' && (q[1] == 'i' || q[1] == 'j') &&
	    word_len(q + 1, end) == 1) {
		*p = q + 2;
		*dotless = 1;
		return q[1];
	}
	return 0;
}

static void compose(const struct accent *a, char base, int dotless,
		    struct glyph *g)
{
	const char *hit = strchr(a->bases, base);
	const char *s = a->composed;
	const char *end = s + strlen(s);
	size_t i;

	if (hit) {
		for (i = 0; i < (size_t)(hit - a->bases); i++)
			util_utf8_next(&s, end);
		g->cp = util_utf8_next(&s, end);
		g->combining = 0;
		return;
	}
	if (dotless)
		g->cp = base == 'i' ? 0x0131 : 0x0237;
	else
		g->cp = (unsigned char)base;
	g->combining = a->combining;
}

/*
 * Decodes the command at p (a backslash). Returns the number of bytes it
 * spans, with the result in *g, or 0 when it is not one we decode.
 */
static size_t decode_command(const char *p, const char *end,
			     struct glyph *g)
{
	const struct accent *a;
	const struct letter *l;
	const char *q = p + 1;
	int dotless;
	char base;
	size_t n;

	if (q >= end)
		return 0;
	n = word_len(q, end);
	if (n <= 1 && *q && (a = find_accent(*q)) != NULL) {
		q++;
	} else if ((l = find_letter(q, n)) != NULL) {
		/* TeX swallows the spaces after a control word, and "{}"
		 * is the usual way to end one without a space. */
		q += n;
		if (q + 1 < end && q[0] == '{' && q[1] == '}')
			q += 2;
		else
			q = skip_spaces(q, end);
		g->cp = l->cp;
		g->combining = 0;
		return (size_t)(q - p);
	} else {
		return 0;
	}

	q = skip_spaces(q, end);
	if (q < end && *q == '{') {
		q = skip_spaces(q + 1, end);
		base = parse_base(&q, end, &dotless);
		q = skip_spaces(q, end);
		if (!base || q >= end || *q != '}')
			return 0;
		q++;
	} else {
		/* Like TeX, "\'ab" accents the a only. */
		base = parse_base(&q, end, &dotless);
		if (!base)
			return 0;
	}
	compose(a, base, dotless, g);
	return (size_t)(q - p);
}

static void put_glyph(struct out *o, const struct glyph *g)
{
	put_cp(o, g->cp);
	if (g->combining)
		util_utf8_put(&o->b, g->combining);
}

/*
 * The end of the math that starts at p ("$" or "$$"): the position just
 * past its closing delimiter, or NULL when it is never closed. Escaped
 * dollars ("\$") do not close it.
 */
static const char *math_end(const char *p, const char *end)
{
	size_t delim = (p + 1 < end && p[1] == '$') ? 2 : 1;
	const char *q = p + delim;

	while (q < end) {
		if (*q == '\\' && q + 1 < end) {
			q += 2;
		} else if (*q == '$') {
			if (delim == 1)
				return q + 1;
			if (q + 1 < end && q[1] == '$')
				return q + 2;
			return NULL;
		} else {
			q++;
		}
	}
	return NULL;
}

static void out_init(struct out *o)
{
	/* Output is at most three times the input (an invalid byte becomes a
	 * three-byte U+FFFD), and the input is bounded by the caller. */
	buf_init(&o->b, SIZE_MAX);
	o->pending_space = 0;
}

char *tex_decode(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *m;
	struct glyph g;
	struct out o;
	size_t n;

	out_init(&o);
	while (p < end) {
		if (*p == '$' && (m = math_end(p, end)) != NULL) {
			while (p < m)
				copy_char(&o, &p, m);
		} else if (*p == '\\') {
			n = decode_command(p, end, &g);
			if (n) {
				put_glyph(&o, &g);
				p += n;
				continue;
			}
			copy_char(&o, &p, end);
			/* Keep a control symbol whole, so that "\$" and "\{"
			 * stay text and do not open math or a group. */
			if (p < end && !is_letter(*p) && !is_space(*p) &&
			    (unsigned char)*p < 0x80)
				copy_char(&o, &p, end);
		} else if (*p == '{' && p + 1 < end && p[1] == '\\' &&
			   (n = decode_command(p + 1, end, &g)) != 0 &&
			   (m = skip_spaces(p + 1 + n, end)) < end &&
			   *m == '}') {
			/* A group that only holds an accent: "{\'e}". */
			put_glyph(&o, &g);
			p = m + 1;
		} else {
			copy_char(&o, &p, end);
		}
	}
	return buf_detach(&o.b, NULL);
}

char *tex_fold_space(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	struct out o;

	out_init(&o);
	while (p < end)
		copy_char(&o, &p, end);
	return buf_detach(&o.b, NULL);
}
