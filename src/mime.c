/*
 * mime: RFC 5322 / MIME message assembly (see mime.h).
 *
 * Design decision: every header is written so that decoding it gives back
 * exactly the value we were given, which the fuzz target checks byte for
 * byte. An unstructured value (a Subject) is either folded plain ASCII or
 * entirely RFC 2047 encoded words, and the plain form is used only when
 * unfolding restores it (no leading or trailing space, no "=?" a reader
 * would take for an encoded word). A display name is atoms and encoded
 * words, or a quoted-string, whichever carries it exactly.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "mime.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* RFC 2045 6.7 (5): encoded lines are at most 76 characters. */
#define QP_LINE 76
/* RFC 2047 2: an encoded word is at most 75 characters. */
#define EW_MAX 75
/* RFC 2047 2: a header line holding encoded words is at most 76. */
#define EW_LINE 76
/* Encoded words read from others may break that limit (many mailers
 * do); one longer than this is left undecoded. */
#define EW_DECODE_MAX 1024
/* strlen("=?UTF-8?Q?") + strlen("?="): what every encoded word spends. */
#define EW_OVERHEAD 12
/* Room for the widest character: 4 UTF-8 bytes, each "=XX" in Q. */
#define EW_MIN_TEXT 12
/* RFC 1035 2.3.4: a DNS label is at most 63 octets. */
#define MAX_LABEL 63
/* RFC 1035 2.3.4: a domain name is at most 253 characters in text. */
#define MAX_DOMAIN 253
/* Keeps "Name: " plus one encoded word far below MIME_MAX_LINE. */
#define MAX_HEADER_NAME 76
/* A Message-ID or List-Id longer than an address plus slack is bogus. */
#define MAX_MSG_ID 250
/* Random bytes in a Message-ID and a boundary: 128 bits, never repeats. */
#define RANDOM_BYTES 16
/* Random bytes asked of the kernel at once and handed out RANDOM_BYTES
 * at a time: one getrandom() per 16 ids instead of one per id. */
#define RANDOM_POOL (16 * RANDOM_BYTES)
/* A boundary colliding with a part is astronomically rare; give up after
 * this many draws rather than loop on a broken random source. */
#define BOUNDARY_TRIES 8
/* How much of a hostile string an error message quotes. */
#define SHOW_MAX 64

static const char hexdig[] = "0123456789ABCDEF";
static const char b64dig[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Header names we write ourselves; an extra header may not repeat them. */
static const char *const own_headers[] = {
    "Date",    "From",	       "To",
    "Subject", "Message-ID",   "MIME-Version",
    "List-Id", "Content-Type", "Content-Transfer-Encoding",
};

/* A printable excerpt of s for an error message: controls become '?'. */
static const char *show(const char *s, char *tmp, size_t size)
{
	size_t i, n = 0;

	if (!s)
		return "(null)";
	for (i = 0; s[i] && n + 4 < size && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		tmp[n++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
	}
	if (s[i] && n + 4 <= size) {
		memcpy(tmp + n, "...", 3);
		n += 3;
	}
	tmp[n] = '\0';
	return tmp;
}

/* memmem() is a GNU extension; this is the portable few lines, memchr()
 * doing the skipping on the needle's second byte (a boundary, "=_...", is
 * searched in quoted-printable bodies, full of '=' but not of '_'). */
static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
	const char *p, *end = hay + n;

	if (m == 0)
		return hay;
	if (m == 1)
		return memchr(hay, needle[0], n);
	if (n < m)
		return NULL;
	p = hay + 1;
	while ((size_t)(end - p) >= m - 1 &&
	       (p = memchr(p, needle[1], (size_t)(end - p) - (m - 1) + 1))) {
		if (p[-1] == needle[0] && !memcmp(p - 1, needle, m))
			return p - 1;
		p++;
	}
	return NULL;
}

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* RFC 5322 3.2.3 atext. */
static int is_atext(int c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 5322 3.2.3 dot-atom-text: atext runs joined by single dots. */
static int dot_atom_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Dot-separated labels of [A-Za-z0-9-], with a dot or "localhost". */
static int domain_valid(const char *s, size_t n)
{
	size_t i, label = 0, dots = 0;

	if (n == 0 || n > MAX_DOMAIN)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > MAX_LABEL ||
			    s[i - label] == '-' || s[i - 1] == '-')
				return 0;
			label = 0;
			dots += i < n;
		} else if (is_alnum((unsigned char)s[i]) || s[i] == '-') {
			label++;
		} else {
			return 0;
		}
	}
	return dots > 0 || (n == 9 && !strncasecmp(s, "localhost", 9));
}

int mime_address_valid(const char *addr)
{
	const char *at;
	size_t n;

	if (!addr)
		return 0;
	n = strlen(addr);
	if (n == 0 || n > MIME_MAX_ADDRESS)
		return 0;
	at = strchr(addr, '@');
	if (!at || strchr(at + 1, '@'))
		return 0;
	if ((size_t)(at - addr) > MIME_MAX_LOCAL_PART)
		return 0;
	return dot_atom_valid(addr, (size_t)(at - addr)) &&
	       domain_valid(at + 1, n - (size_t)(at - addr) - 1);
}

/* Checks a display name and unquotes a quoted-string one. */
static int parse_display(const char *p, size_t n, char **display,
			 struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (!util_utf8_valid(p, n))
		return errbuf_set(eb, "display name is not valid UTF-8");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return errbuf_set(eb, "display name contains a "
					      "control character");
	}
	if (p[0] != '"') {
		*display = xstrndup(p, n);
		return 0;
	}
	for (i = 1; i < n - 1; i++) {
		if (p[i] == '"')
			break;
		if (p[i] == '\\')
			i++;
		if (i < n - 1)
			buf_addch(&b, p[i]);
	}
	if (n < 2 || i != n - 1 || p[n - 1] != '"') {
		buf_release(&b);
		return errbuf_set(eb, "display name has an unbalanced quote");
	}
	if (b.len)
		*display = buf_detach(&b, NULL);
	buf_release(&b);
	return 0;
}

int mime_parse_mailbox(const char *s, char **display, char **addr,
		       struct errbuf *eb)
{
	const char *start, *end, *a, *a_end, *d_end;
	char tmp[SHOW_MAX + 8];
	char *copy;
	size_t n;

	*display = NULL;
	*addr = NULL;
	if (!s)
		return errbuf_set(eb, "mailbox missing");
	n = strlen(s);
	if (n > MIME_MAX_HEADER_VALUE)
		return errbuf_set(eb, "mailbox is longer than %d bytes",
				  MIME_MAX_HEADER_VALUE);
	start = s;
	end = s + n;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	a = start;
	a_end = end;
	d_end = start;
	if (end > start && end[-1] == '>') {
		for (a = end - 1; a > start && a[-1] != '<'; a--)
			;
		if (a == start)
			return errbuf_set(eb, "mailbox \"%s\": '>' without '<'",
					  show(s, tmp, sizeof(tmp)));
		a_end = end - 1;
		d_end = a - 1;
		while (d_end > start && (d_end[-1] == ' ' || d_end[-1] == '\t'))
			d_end--;
	}
	copy = xstrndup(a, (size_t)(a_end - a));
	if (!mime_address_valid(copy)) {
		errbuf_set(eb, "invalid address \"%s\"",
			   show(copy, tmp, sizeof(tmp)));
		free(copy);
		return -1;
	}
	if (d_end > start &&
	    parse_display(start, (size_t)(d_end - start), display, eb) < 0) {
		free(copy);
		return errbuf_prefix(eb, "mailbox \"%s\"",
				     show(s, tmp, sizeof(tmp)));
	}
	*addr = copy;
	return 0;
}

/*
 * The encoded form of line[i] when it would land in column col: one byte
 * as is, or "=XX". Besides RFC 2045's rules, a '.' or "From " at the start
 * of a line is encoded so that neither SMTP dot-stuffing nor an mbox
 * writer ever touches the body.
 */
static inline size_t qp_token(const char *line, size_t n, size_t i,
			      size_t col, char *tok)
{
	unsigned char c = (unsigned char)line[i];
	int enc;

	if (c == ' ' || c == '\t')
		enc = i + 1 == n;
	else if (c == '=' || c < 33 || c > 126)
		enc = 1;
	else if (col == 0 && c == '.')
		enc = 1;
	else if (col == 0 && n - i >= 5 && !memcmp(line + i, "From ", 5))
		enc = 1;
	else
		enc = 0;
	if (!enc) {
		tok[0] = (char)c;
		return 1;
	}
	tok[0] = '=';
	tok[1] = hexdig[c >> 4];
	tok[2] = hexdig[c & 15];
	return 3;
}

/* Bytes written through a stack chunk, so no buf_add per token. */
#define QP_CHUNK 4096

/* A byte that qp_token() writes as is when it is neither at a line's
 * start nor its last: printable ASCII other than '=', and blanks. */
static int qp_plain(unsigned char c)
{
	return (c >= 32 && c <= 126 && c != '=') || c == '\t';
}

/* The run of qp_plain() bytes at the start of s[0..max), found eight
 * bytes at a time: most of a digest's HTML and text is such a run (words
 * and attributes, spaces between). */
static size_t qp_plain_run(const char *s, size_t max)
{
	const uint64_t ones = 0x0101010101010101ull,
		       high = 0x8080808080808080ull;
	size_t r = 0;
	uint64_t w, eq;

	for (; r + 8 <= max; r += 8) {
		memcpy(&w, s + r, 8);
		eq = w ^ (ones * '=');
		/* Some byte below 32 (a tab too), above 126, or '=': the run
		 * ends in these eight, or goes on, one at a time below. */
		if (((w - ones * 32) & ~w & high) | (((w + ones) | w) & high) |
		    ((eq - ones) & ~eq & high))
			break;
	}
	while (r < max && qp_plain((unsigned char)s[r]))
		r++;
	return r;
}

/*
 * Encodes one line (without its line break), with soft breaks, appending
 * to out (NULL: only counts). Adds the encoded length to *size.
 */
static int qp_line(const char *line, size_t n, struct buf *out, size_t *size)
{
	char chunk[QP_CHUNK];
	size_t i = 0, col = 0, tlen, k = 0;
	int err = 0;

	while (i < n) {
		/* The common case: a run of plain bytes in the middle of a
		 * line, up to the last column before a soft break, never the
		 * line's last byte (a blank there is encoded; before it, it
		 * is not). */
		if (col > 0 && i + 1 < n && col < QP_LINE - 1) {
			size_t max = QP_LINE - 1 - col, r;

			if (max > n - 1 - i)
				max = n - 1 - i;
			r = qp_plain_run(line + i, max);
			if (r) {
				if (k + r > QP_CHUNK - 8) {
					*size += k;
					if (out)
						err |= buf_add(out, chunk, k);
					k = 0;
				}
				memcpy(chunk + k, line + i, r);
				k += r;
				col += r;
				i += r;
				continue;
			}
		}
		{
			tlen = qp_token(line, n, i, col, chunk + k);
			/* Room for the soft break's '=' unless this token
			 * ends the line; the token itself is never split. */
			if (col + tlen > QP_LINE - 1 &&
			    !(i + 1 == n && col + tlen <= QP_LINE)) {
				chunk[k++] = '=';
				chunk[k++] = '\r';
				chunk[k++] = '\n';
				col = 0;
				tlen = qp_token(line, n, i, col, chunk + k);
			}
			k += tlen;
			col += tlen;
			i++;
		}
		if (k > QP_CHUNK - 8) {
			*size += k;
			if (out)
				err |= buf_add(out, chunk, k);
			k = 0;
		}
	}
	*size += k;
	if (out)
		err |= buf_add(out, chunk, k);
	return err;
}

void mime_qp_init(struct mime_qp *q, struct buf *out)
{
	q->out = out;
	buf_init(&q->line, BUF_DEFAULT_LIMIT);
	q->size = 0;
	q->err = 0;
}

/* Encodes the complete line data[0..len) ('\n' excluded) plus CRLF. */
static void qp_complete(struct mime_qp *q, const char *data, size_t len)
{
	if (len && data[len - 1] == '\r')
		len--;
	q->err |= qp_line(data, len, q->out, &q->size);
	q->size += 2;
	if (q->out)
		q->err |= buf_add(q->out, "\r\n", 2);
}

int mime_qp_add(struct mime_qp *q, const char *data, size_t len)
{
	const char *end = data + len, *nl;

	while (data < end && (nl = memchr(data, '\n', (size_t)(end - data)))) {
		if (q->line.len) {
			q->err |= buf_add(&q->line, data,
					  (size_t)(nl - data));
			qp_complete(q, q->line.data, q->line.len);
			buf_reset(&q->line);
		} else {
			qp_complete(q, data, (size_t)(nl - data));
		}
		data = nl + 1;
	}
	if (data < end)
		q->err |= buf_add(&q->line, data, (size_t)(end - data));
	return q->err ? -1 : 0;
}

int mime_qp_add_encoded(struct mime_qp *q, const char *enc, size_t len)
{
	if (q->line.len)
		return -1; /* a caller bug: the lines would be cut */
	q->size += len;
	if (q->out)
		q->err |= buf_add(q->out, enc, len);
	return q->err ? -1 : 0;
}

int mime_qp_at_line_start(const struct mime_qp *q)
{
	return q->line.len == 0;
}

int mime_qp_finish(struct mime_qp *q)
{
	if (q->line.len) {
		size_t n = q->line.len;

		/* As mime_qp_encode(): a last line's CR stays data. */
		q->err |= qp_line(q->line.data, n, q->out, &q->size);
		buf_reset(&q->line);
	}
	return q->err ? -1 : 0;
}

void mime_qp_release(struct mime_qp *q)
{
	buf_release(&q->line);
}

int mime_qp_encode(const char *data, size_t len, struct buf *out)
{
	struct mime_qp q;
	size_t start = out->len;
	int err;

	mime_qp_init(&q, out);
	err = mime_qp_add(&q, data, len) | mime_qp_finish(&q);
	mime_qp_release(&q);
	if (err) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

size_t mime_qp_encoded_len(const char *data, size_t len)
{
	struct mime_qp q;
	size_t size;

	mime_qp_init(&q, NULL);
	mime_qp_add(&q, data, len);
	mime_qp_finish(&q);
	size = q.size;
	mime_qp_release(&q);
	return size;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Base64 data[0..len) onto out, up to a '=' (padding). strict: any other
 * character outside the alphabet is an error (an encoded word); else it
 * is skipped (a body: RFC 2045 6.8, line breaks among them). Returns 0,
 * or -1 (strict and a stray character, or out's limit) with out as it
 * was.
 */
static int b64_decode(const char *data, size_t len, int strict,
		      struct buf *out)
{
	size_t start = out->len, i;
	unsigned acc = 0;
	int bits = 0, err = 0;

	for (i = 0; i < len && !err && data[i] != '='; i++) {
		int v = b64val(data[i]);

		if (v < 0) {
			err = strict;
			continue;
		}
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			err = buf_addch(out, (char)(acc >> bits & 0xff)) < 0;
		}
	}
	if (err) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int mime_b64_decode(const char *data, size_t len, struct buf *out)
{
	return b64_decode(data, len, 0, out);
}

/*
 * One encoded word "=?charset?E?text?=" at s (RFC 2047 2), decoded onto
 * out. Returns its length, or 0 when s does not start one (nothing added).
 */
static size_t decode_word(const char *s, struct buf *out)
{
	const char *cs = s + 2, *q, *text, *end;
	size_t start = out->len;
	int err = 0;
	char enc;

	if (s[0] != '=' || s[1] != '?')
		return 0;
	for (q = cs; *q && *q != '?' && *q > ' ' && *q < 0x7f; q++)
		;
	if (*q != '?' || q == cs)
		return 0;
	enc = q[1];
	if (!enc || q[2] != '?')
		return 0;
	text = q + 3;
	end = strstr(text, "?=");
	if (!end || (size_t)(end - s) > EW_DECODE_MAX)
		return 0;
	for (q = text; q < end; q++)
		if (*q <= ' ' || *q >= 0x7f)
			return 0;
	if (enc == 'Q' || enc == 'q') {
		for (q = text; q < end && !err; q++) {
			int hi, lo;

			if (*q == '_')
				err = buf_addch(out, ' ');
			else if (*q == '=' && q + 2 < end &&
				 (hi = hexval(q[1])) >= 0 &&
				 (lo = hexval(q[2])) >= 0) {
				err = buf_addch(out, (char)(hi << 4 | lo));
				q += 2;
			} else
				err = buf_addch(out, *q);
		}
	} else if (enc == 'B' || enc == 'b') {
		err = b64_decode(text, (size_t)(end - text), 1, out) < 0;
	} else {
		return 0;
	}
	if (err) {
		buf_truncate(out, start);
		return 0;
	}
	return (size_t)(end + 2 - s);
}

int mime_decode_words(const char *s, struct buf *out)
{
	const char *p = s;
	int after_word = 0;

	while (*p) {
		size_t n = decode_word(p, out), blanks;

		if (n) {
			p += n;
			after_word = 1;
			continue;
		}
		blanks = strspn(p, " \t\r\n");
		/* RFC 2047 6.2: blanks between two encoded words go. */
		if (blanks && after_word && p[blanks] == '=' &&
		    p[blanks + 1] == '?') {
			size_t at = out->len, m = decode_word(p + blanks, out);

			if (m) {
				p += blanks + m;
				continue;
			}
			buf_truncate(out, at);
		}
		if (blanks) {
			if (buf_add(out, p, blanks) < 0)
				return -1;
			p += blanks;
		} else {
			if (buf_addch(out, *p) < 0)
				return -1;
			p++;
		}
		after_word = 0;
	}
	return 0;
}

int mime_qp_decode(const char *data, size_t len, struct buf *out)
{
	size_t start = out->len, i = 0, j, eol, end;
	int err = 0, soft;

	while (i < len && !err) {
		for (eol = i; eol < len && data[eol] != '\n'; eol++)
			;
		end = eol;
		if (eol < len && end > i && data[end - 1] == '\r')
			end--;
		/* RFC 2045 6.7 (3): trailing whitespace is transport
		 * padding, never data. */
		while (end > i &&
		       (data[end - 1] == ' ' || data[end - 1] == '\t'))
			end--;
		soft = end > i && data[end - 1] == '=';
		if (soft)
			end--;
		for (j = i; j < end; j++) {
			int hi, lo;

			if (data[j] == '=' && j + 2 < end &&
			    (hi = hexval(data[j + 1])) >= 0 &&
			    (lo = hexval(data[j + 2])) >= 0) {
				err |= buf_addch(out, (char)(hi << 4 | lo));
				j += 2;
			} else {
				/* RFC 2045 6.7 (1): keep a stray '='. */
				err |= buf_addch(out, data[j]);
			}
		}
		if (eol < len && !soft)
			err |= buf_add(out, "\r\n", 2);
		i = eol < len ? eol + 1 : len;
	}
	if (err) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

static int header_name_valid(const char *name)
{
	size_t i;

	if (!name || !name[0])
		return 0;
	for (i = 0; name[i]; i++)
		if (i >= MAX_HEADER_NAME || name[i] < 33 || name[i] > 126 ||
		    name[i] == ':')
			return 0;
	return 1;
}

/* Checks a header value or display name before any of it is written. */
static int value_check(const char *name, const char *what, const char *v,
		       struct errbuf *eb)
{
	size_t n;

	if (!v)
		return errbuf_set(eb, "%s: %s missing", name, what);
	n = strlen(v);
	if (n > MIME_MAX_HEADER_VALUE)
		return errbuf_set(eb, "%s: %s is longer than %d bytes", name,
				  what, MIME_MAX_HEADER_VALUE);
	if (strpbrk(v, "\r\n"))
		return errbuf_set(eb, "%s: %s contains a line break (CR or LF)",
				  name, what);
	if (!util_utf8_valid(v, n))
		return errbuf_set(eb, "%s: %s is not valid UTF-8", name, what);
	return 0;
}

/* 1 if v can be written as is: printable ASCII that unfolds to itself. */
static int value_is_plain(const char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (v[0] == ' ' || v[n - 1] == ' ' || find(v, n, "=?", 2))
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7E)
			return 0;
	return 1;
}

/*
 * Appends v folded before a run of spaces when a line would pass
 * MIME_FOLD_WIDTH; *col is the current column. Returns the longest line
 * written, or (size_t)-1 when out is full.
 */
static size_t fold_plain(struct buf *out, size_t *col, const char *v, size_t n)
{
	size_t p = 0, q, longest = *col;
	int err = 0;

	while (p < n) {
		for (q = p + 1; q < n && !(v[q] == ' ' && v[q - 1] != ' '); q++)
			;
		if (p > 0 && *col + (q - p) > MIME_FOLD_WIDTH) {
			err |= buf_add(out, "\r\n", 2);
			*col = 0;
		}
		err |= buf_add(out, v + p, q - p);
		*col += q - p;
		if (*col > longest)
			longest = *col;
		p = q;
	}
	return err ? (size_t)-1 : longest;
}

/* Characters Q encoding may leave as they are, even in a phrase
 * (RFC 2047 5 (3)). */
static int q_literal(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!*+-/", c));
}

static size_t q_len(unsigned char c)
{
	return (q_literal(c) || c == ' ') ? 1 : 3;
}

static size_t b_len(size_t bytes)
{
	return (bytes + 2) / 3 * 4;
}

static int b64_put(struct buf *out, const unsigned char *s, size_t n)
{
	char q[4];
	size_t i;
	int err = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64dig[v >> 18 & 63];
		q[1] = b64dig[v >> 12 & 63];
		q[2] = i + 1 < n ? b64dig[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64dig[v & 63] : '=';
		err |= buf_add(out, q, 4);
	}
	return err;
}

static int q_put(struct buf *out, const unsigned char *s, size_t n)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ') {
			err |= buf_addch(out, '_');
		} else if (q_literal(s[i])) {
			err |= buf_addch(out, (char)s[i]);
		} else {
			char e[3] = {'=', hexdig[s[i] >> 4], hexdig[s[i] & 15]};
			err |= buf_add(out, e, 3);
		}
	}
	return err;
}

/*
 * Appends a space and v (valid UTF-8, n > 0) as encoded words joined by
 * CRLF SP, whole characters per word, the first word fitting after column
 * *col. With may_fold, folds before the first word when that keeps v in
 * one word. B is used when it is shorter than Q overall (text that is
 * mostly not Latin).
 */
static int encode_words(struct buf *out, size_t *col, const char *v, size_t n,
			int may_fold)
{
	size_t p = 0, q, qlen = 0, i, room;
	int use_b, err = 0;

	for (i = 0; i < n; i++)
		qlen += q_len((unsigned char)v[i]);
	use_b = b_len(n) < qlen;
	room = *col + 1 < EW_LINE ? EW_LINE - *col - 1 : 0;
	if (room > EW_MAX)
		room = EW_MAX;
	if (may_fold && room < EW_MAX &&
	    EW_OVERHEAD + (use_b ? b_len(n) : qlen) > room) {
		err |= buf_add(out, "\r\n ", 3);
		*col = 1;
		room = EW_MAX;
	} else {
		/* Too little room left on the line: a longer line beats a
		 * word that cannot hold one character. */
		if (room < EW_OVERHEAD + EW_MIN_TEXT)
			room = EW_MAX;
		err |= buf_addch(out, ' ');
		*col += 1;
	}
	while (p < n) {
		size_t budget = room - EW_OVERHEAD, used = 0;
		size_t at_space = p, used_at_space = 0;

		for (q = p; q < n;) {
			const char *s = v + q;
			size_t clen, cost = 0;

			util_utf8_next(&s, v + n);
			clen = (size_t)(s - (v + q));
			if (use_b) {
				cost = b_len(q - p + clen) - used;
			} else {
				for (i = 0; i < clen; i++)
					cost += q_len((unsigned char)v[q + i]);
			}
			if (used + cost > budget)
				break;
			used += cost;
			q += clen;
			if (v[q - 1] == ' ') {
				at_space = q;
				used_at_space = used;
			}
		}
		/* Cut after a space rather than inside a word when that does
		 * not waste much: readers that wrongly put a space between
		 * encoded words then show a doubled space, not a split word. */
		if (q < n && at_space > p && used_at_space * 2 >= budget) {
			q = at_space;
			used = used_at_space;
		}
		if (p > 0) {
			err |= buf_add(out, "\r\n ", 3);
			*col = 1;
		}
		err |= buf_addstr(out, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (use_b)
			err |=
			    b64_put(out, (const unsigned char *)v + p, q - p);
		else
			err |= q_put(out, (const unsigned char *)v + p, q - p);
		err |= buf_add(out, "?=", 2);
		*col += EW_OVERHEAD + used;
		p = q;
		room = EW_MAX;
	}
	return err;
}

static int too_large(struct buf *out, size_t start, const char *name,
		     struct errbuf *eb)
{
	buf_truncate(out, start);
	return errbuf_set(eb,
			  "%s: message is larger than its limit of %zu "
			  "bytes",
			  name, out->limit);
}

int mime_add_header(struct buf *out, const char *name, const char *value,
		    struct errbuf *eb)
{
	size_t start = out->len, n, col, longest;
	char tmp[SHOW_MAX + 8];
	int err = 0;

	if (!header_name_valid(name))
		return errbuf_set(eb, "invalid header name \"%s\"",
				  show(name, tmp, sizeof(tmp)));
	if (value_check(name, "header value", value, eb) < 0)
		return -1;
	n = strlen(value);
	err |= buf_addf(out, "%s:", name);
	col = strlen(name) + 1;
	if (n && value_is_plain(value, n)) {
		size_t mark = out->len;

		err |= buf_addch(out, ' ');
		col++;
		longest = fold_plain(out, &col, value, n);
		if (longest == (size_t)-1)
			return too_large(out, start, name, eb);
		/* A word too long for any line: encoded words can be cut
		 * anywhere. */
		if (longest > MIME_MAX_LINE) {
			buf_truncate(out, mark);
			col = strlen(name) + 1;
			err |= encode_words(out, &col, value, n, 0);
		}
	} else if (n) {
		err |= encode_words(out, &col, value, n, 0);
	}
	err |= buf_add(out, "\r\n", 2);
	if (err)
		return too_large(out, start, name, eb);
	return 0;
}

/* 1 if w can stand in a phrase as it is: an atom that no reader would
 * take for an encoded word, short enough to fold around. */
static int word_is_atom(const char *w, size_t n)
{
	size_t i;

	if (n == 0 || n > EW_MAX || find(w, n, "=?", 2))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_atext((unsigned char)w[i]))
			return 0;
	return 1;
}

/* 1 if v is words separated by single spaces (no leading, trailing or
 * doubled space), which is what a phrase keeps of its whitespace. */
static int phrase_is_simple(const char *v, size_t n)
{
	size_t i;

	if (v[0] == ' ' || v[n - 1] == ' ')
		return 0;
	for (i = 0; i + 1 < n; i++)
		if (v[i] == ' ' && v[i + 1] == ' ')
			return 0;
	return 1;
}

/* 1 if every word of the simple phrase v is an atom. */
static int phrase_is_atoms(const char *v, size_t n)
{
	size_t p = 0, q;

	while (p < n) {
		for (q = p; q < n && v[q] != ' '; q++)
			;
		if (!word_is_atom(v + p, q - p))
			return 0;
		p = q + 1;
	}
	return 1;
}

/* 1 if v is printable ASCII that a quoted-string carries exactly. */
static int phrase_is_quotable(const char *v, size_t n)
{
	size_t i;

	if (find(v, n, "=?", 2))
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7E)
			return 0;
	return 1;
}

/*
 * Appends the simple phrase v as Python's email package and most mailers
 * write one: atoms as they are, each run of other words as encoded words,
 * folding between words. Readers that join adjacent encoded words with a
 * space (Python does, in phrases) then only see a run cut if it is longer
 * than one encoded word.
 */
static int phrase_mixed(struct buf *out, size_t *col, const char *v, size_t n)
{
	size_t p = 0, q, r;
	int first = 1, err = 0;

	while (p < n) {
		for (q = p; q < n && v[q] != ' '; q++)
			;
		if (word_is_atom(v + p, q - p)) {
			if (!first && *col + 1 + (q - p) > EW_LINE) {
				err |= buf_add(out, "\r\n ", 3);
				*col = 1;
			} else {
				err |= buf_addch(out, ' ');
				*col += 1;
			}
			err |= buf_add(out, v + p, q - p);
			*col += q - p;
		} else {
			/* Extend the run over the following non-atoms. */
			for (r = q; r < n;) {
				size_t s;

				for (s = r + 1; s < n && v[s] != ' '; s++)
					;
				if (word_is_atom(v + r + 1, s - r - 1))
					break;
				r = s;
			}
			err |= encode_words(out, col, v + p, r - p, !first);
			q = r;
		}
		first = 0;
		p = q + 1;
	}
	return err;
}

/*
 * Appends "Name: phrase <id>\r\n" (or "Name: <id>" / "Name: id" without a
 * phrase, depending on `brackets`), the phrase as atoms and encoded words,
 * or as a quoted-string, whichever carries it exactly.
 */
static int add_phrase_header(struct buf *out, const char *name,
			     const char *phrase, const char *id, int brackets,
			     struct errbuf *eb)
{
	size_t start = out->len, n = phrase ? strlen(phrase) : 0, col, i;
	size_t idlen = strlen(id) + (brackets ? 2 : 0);
	int err = 0;

	err |= buf_addf(out, "%s:", name);
	col = strlen(name) + 1;
	if (!n) {
		/* Only the id follows. */
	} else if (phrase_is_simple(phrase, n) && phrase_is_atoms(phrase, n)) {
		err |= phrase_mixed(out, &col, phrase, n);
	} else if (phrase_is_quotable(phrase, n) &&
		   col + 2 * n + 4 + idlen <= MIME_MAX_LINE) {
		err |= buf_add(out, " \"", 2);
		for (i = 0; i < n; i++) {
			if (phrase[i] == '"' || phrase[i] == '\\')
				err |= buf_addch(out, '\\');
			err |= buf_addch(out, phrase[i]);
		}
		err |= buf_addch(out, '"');
		col = out->len - start;
	} else if (phrase_is_simple(phrase, n)) {
		err |= phrase_mixed(out, &col, phrase, n);
	} else {
		err |= encode_words(out, &col, phrase, n, 0);
	}
	if (n && col + 1 + idlen > EW_LINE) {
		err |= buf_add(out, "\r\n ", 3);
		col = 1;
	} else {
		err |= buf_addch(out, ' ');
		col++;
	}
	err |= buf_addf(out, brackets ? "<%s>\r\n" : "%s\r\n", id);
	if (err)
		return too_large(out, start, name, eb);
	return 0;
}

int mime_add_address_header(struct buf *out, const char *name,
			    const char *display, const char *addr,
			    struct errbuf *eb)
{
	char tmp[SHOW_MAX + 8];

	if (!header_name_valid(name))
		return errbuf_set(eb, "invalid header name \"%s\"",
				  show(name, tmp, sizeof(tmp)));
	if (!mime_address_valid(addr))
		return errbuf_set(eb, "%s: invalid address \"%s\"", name,
				  show(addr, tmp, sizeof(tmp)));
	if (display && value_check(name, "display name", display, eb) < 0)
		return -1;
	if (!display || !display[0])
		return add_phrase_header(out, name, NULL, addr, 0, eb);
	return add_phrase_header(out, name, display, addr, 1, eb);
}

void mime_format_date(time_t t, char *out, size_t size)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	/* strftime's %a and %b follow the locale; RFC 5322 wants English. */
	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A 64-bit mixer (splitmix64) for the fallback below. */
static uint64_t mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Each thread's unused random bytes: pool[RANDOM_POOL - pool_left ..). */
static __thread unsigned char pool[RANDOM_POOL];
static __thread size_t pool_left;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* In a forked child: the parent's unused bytes are not to be used twice. */
static void pool_forget(void)
{
	pool_left = 0;
}

static void pool_init(void)
{
	pthread_atfork(NULL, NULL, pool_forget);
}

static void random_bytes(unsigned char *p, size_t n)
{
	static uint64_t counter;
	struct timespec ts;
	size_t got = 0, i;

	pthread_once(&pool_once, pool_init);
	if (pool_left < n) {
		while (got < RANDOM_POOL) {
			ssize_t r = getrandom(pool + got, RANDOM_POOL - got, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			got += (size_t)r;
		}
		pool_left = got == RANDOM_POOL ? got : 0;
	}
	if (pool_left >= n) {
		memcpy(p, pool + RANDOM_POOL - pool_left, n);
		pool_left -= n;
		return;
	}
	/* No getrandom() (seccomp, old kernel): clock, pid and a counter
	 * still make ids unique, which is all they need to be. */
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < n; i++) {
		uint64_t z = mix64((uint64_t)ts.tv_sec * 1000000000ull +
				   (uint64_t)ts.tv_nsec) ^
			     mix64((uint64_t)getpid() << 32 | ++counter);
		p[i] = (unsigned char)mix64(z + i);
	}
}

static void add_random_hex(struct buf *b)
{
	unsigned char rnd[RANDOM_BYTES];
	size_t i;

	random_bytes(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		buf_addch(b, hexdig[rnd[i] >> 4]);
		buf_addch(b, hexdig[rnd[i] & 15]);
	}
}

char *mime_new_message_id(const char *domain)
{
	struct buf b = BUF_INIT;

	if (!domain || !domain_valid(domain, strlen(domain)))
		domain = "paperboy.invalid";
	buf_addf(&b, "<%lld.", (long long)time(NULL));
	add_random_hex(&b);
	buf_addf(&b, "@%s>", domain);
	return buf_detach(&b, NULL);
}

/* "<left@right>" with dot-atom-text on both sides (RFC 5322 3.6.4). */
static int message_id_valid(const char *id)
{
	const char *at;
	size_t n = strlen(id);

	if (n < 5 || n > MAX_MSG_ID || id[0] != '<' || id[n - 1] != '>')
		return 0;
	at = memchr(id, '@', n);
	return at && dot_atom_valid(id + 1, (size_t)(at - id - 1)) &&
	       dot_atom_valid(at + 1, (size_t)(id + n - 1 - at - 1));
}

/* Splits "Name <id>" (or a bare "id") and writes the List-Id header. */
static int add_list_id(struct buf *out, const char *list_id, struct errbuf *eb)
{
	const char *lt, *id;
	char *phrase = NULL, *idcopy;
	char tmp[SHOW_MAX + 8];
	size_t n, pn;
	int ret;

	if (value_check("List-Id", "header value", list_id, eb) < 0)
		return -1;
	n = strlen(list_id);
	lt = strrchr(list_id, '<');
	if (n && list_id[n - 1] == '>' && lt) {
		id = lt + 1;
		idcopy = xstrndup(id, (size_t)(list_id + n - 1 - id));
		for (pn = (size_t)(lt - list_id); pn && list_id[pn - 1] == ' ';
		     pn--)
			;
		if (pn)
			phrase = xstrndup(list_id, pn);
	} else {
		idcopy = xstrdup(list_id);
	}
	if (strlen(idcopy) > MAX_MSG_ID ||
	    !dot_atom_valid(idcopy, strlen(idcopy))) {
		ret = errbuf_set(eb, "List-Id: invalid list id \"%s\"",
				 show(idcopy, tmp, sizeof(tmp)));
	} else {
		ret = add_phrase_header(out, "List-Id", phrase, idcopy, 1, eb);
	}
	free(phrase);
	free(idcopy);
	return ret;
}

/* 1 if name is a header mime_build() writes itself. */
static int is_own_header(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(own_headers); i++)
		if (!strcasecmp(name, own_headers[i]))
			return 1;
	return 0;
}

/* Draws a boundary that occurs in neither encoded part. The "=_" prefix
 * already cannot occur in quoted-printable; the check makes it certain. */
static int make_boundary(struct buf *b, const struct buf *text,
			 const struct buf *html)
{
	int i;

	for (i = 0; i < BOUNDARY_TRIES; i++) {
		buf_reset(b);
		buf_addstr(b, "=_paperboy_");
		add_random_hex(b);
		if (!find(text->data ? text->data : "", text->len, b->data,
			  b->len) &&
		    !find(html->data ? html->data : "", html->len, b->data,
			  b->len))
			return 0;
	}
	return -1;
}

static int add_part(struct buf *out, const char *boundary, const char *type,
		    const struct buf *body)
{
	int err = 0;

	err |= buf_addf(out, "\r\n--%s\r\n", boundary);
	err |= buf_addf(out, "Content-Type: %s; charset=utf-8\r\n", type);
	err |= buf_addstr(out, "Content-Transfer-Encoding: "
			       "quoted-printable\r\n\r\n");
	err |= buf_add(out, buf_str(body), body->len);
	return err;
}

int mime_build(const struct mime_message *msg, struct buf *out,
	       struct errbuf *eb)
{
	struct buf text, html, boundary = BUF_INIT;
	const struct buf *enc_text = &text, *enc_html = &html;
	size_t start = out->len, i;
	char date[64];
	char *msgid = NULL;
	const char *at;
	int ret = -1, err = 0;

	buf_init(&text, out->limit);
	buf_init(&html, out->limit);
	if (msg->nextra > MIME_MAX_EXTRA_HEADERS) {
		errbuf_set(eb, "more than %d extra headers",
			   MIME_MAX_EXTRA_HEADERS);
		goto out;
	}
	if (msg->text_qp && msg->html_qp) {
		enc_text = msg->text_qp;
		enc_html = msg->html_qp;
	} else if ((msg->text_len && !msg->text) ||
		   (msg->html_len && !msg->html)) {
		errbuf_set(eb, "message body missing");
		goto out;
	} else if (!util_utf8_valid(msg->text ? msg->text : "",
				    msg->text_len)) {
		errbuf_set(eb, "text/plain part is not valid UTF-8");
		goto out;
	} else if (!util_utf8_valid(msg->html ? msg->html : "",
				    msg->html_len)) {
		errbuf_set(eb, "text/html part is not valid UTF-8");
		goto out;
	} else if (mime_qp_encode(msg->text, msg->text_len, &text) < 0 ||
		   mime_qp_encode(msg->html, msg->html_len, &html) < 0) {
		errbuf_set(eb, "message is larger than its limit of %zu bytes",
			   out->limit);
		goto out;
	}
	if (make_boundary(&boundary, enc_text, enc_html) < 0) {
		errbuf_set(eb, "could not draw a MIME boundary");
		goto out;
	}

	mime_format_date(msg->date, date, sizeof(date));
	if (mime_add_header(out, "Date", date, eb) < 0 ||
	    mime_add_address_header(out, "From", msg->from_display,
				    msg->from_addr, eb) < 0 ||
	    mime_add_address_header(out, "To", msg->to_display, msg->to_addr,
				    eb) < 0 ||
	    mime_add_header(out, "Subject", msg->subject ? msg->subject : "",
			    eb) < 0)
		goto out;
	if (!msg->message_id) {
		at = strchr(msg->from_addr, '@');
		msgid = mime_new_message_id(at + 1);
	} else if (!message_id_valid(msg->message_id)) {
		char tmp[SHOW_MAX + 8];

		errbuf_set(eb, "Message-ID: invalid message id \"%s\"",
			   show(msg->message_id, tmp, sizeof(tmp)));
		goto out;
	}
	err |= buf_addf(out, "Message-ID: %s\r\n",
			msgid ? msgid : msg->message_id);
	err |= buf_addstr(out, "MIME-Version: 1.0\r\n");
	if (msg->list_id && add_list_id(out, msg->list_id, eb) < 0)
		goto out;
	for (i = 0; i < msg->nextra; i++) {
		const char *name = msg->extra[i].name;

		if (is_own_header(name)) {
			errbuf_set(eb, "%s: header is written by mime_build",
				   name);
			goto out;
		}
		if (mime_add_header(out, name, msg->extra[i].value, eb) < 0)
			goto out;
	}
	err |= buf_addf(out,
			"Content-Type: multipart/alternative;\r\n"
			" boundary=\"%s\"\r\n\r\n",
			buf_str(&boundary));
	err |= buf_addstr(out, "This is a multi-part message in MIME format.");
	err |= add_part(out, buf_str(&boundary), "text/plain", enc_text);
	err |= add_part(out, buf_str(&boundary), "text/html", enc_html);
	err |= buf_addf(out, "\r\n--%s--\r\n", buf_str(&boundary));
	if (err) {
		errbuf_set(eb, "message is larger than its limit of %zu bytes",
			   out->limit);
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		buf_truncate(out, start);
	buf_release(&text);
	buf_release(&html);
	buf_release(&boundary);
	free(msgid);
	return ret;
}
