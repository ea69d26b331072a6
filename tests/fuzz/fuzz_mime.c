/*
 * libFuzzer target for mime: whatever the input, quoted-printable decodes
 * back to exactly the input (line ends normalised to CRLF, as the encoder
 * does), and a header written from it is 7-bit, CRLF-framed, folded only
 * by CRLF SP, and decodes (RFC 2047, by the independent decoder below)
 * back to exactly the input, or was refused for a reason the input has.
 *
 * The decoder lives here rather than in mime.c on purpose: a check that
 * shared the encoder's code would share its mistakes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* Inputs past this are cut: headers refuse more than
 * MIME_MAX_HEADER_VALUE anyway, and short inputs fuzz faster. */
#define FUZZ_MAX_INPUT 8192

static const char hexdigits[] = "0123456789ABCDEF";
static const char b64digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int digit(const char *set, char c)
{
	const char *p = c ? strchr(set, c) : NULL;

	return p ? (int)(p - set) : -1;
}

/* CR only before LF, LF only after CR, 7-bit, no NUL, lines <= max. */
static void check_crlf_7bit(const char *s, size_t n, size_t max)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		CHECK(c != 0 && c < 0x80);
		if (c == '\r') {
			CHECK(i + 1 < n && s[i + 1] == '\n');
		} else if (c == '\n') {
			CHECK(i > 0 && s[i - 1] == '\r');
			col = 0;
		} else {
			CHECK(++col <= max);
		}
	}
}

static void check_qp(const char *data, size_t len)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT, want = BUF_INIT;
	size_t i;
	int bol = 1;

	CHECK(mime_qp_encode(data, len, &enc) == 0);
	check_crlf_7bit(buf_str(&enc), enc.len, 76);
	for (i = 0; i < enc.len; i++) {
		const char *s = enc.data;

		if (bol) {
			CHECK(s[i] != '.');
			CHECK(
			    !(enc.len - i >= 5 && !memcmp(s + i, "From ", 5)));
		}
		bol = s[i] == '\n';
		if (s[i] == '\r')
			CHECK(i == 0 || (s[i - 1] != ' ' && s[i - 1] != '\t'));
		if (s[i] == '=') {
			CHECK(i + 2 < enc.len);
			CHECK(s[i + 1] == '\r' ||
			      (digit(hexdigits, s[i + 1]) >= 0 &&
			       digit(hexdigits, s[i + 2]) >= 0));
		}
	}
	if (enc.len)
		CHECK(enc.data[enc.len - 1] != ' ' &&
		      enc.data[enc.len - 1] != '\t');

	CHECK(mime_qp_decode(buf_str(&enc), enc.len, &dec) == 0);
	for (i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			buf_addch(&want, '\r');
		buf_addch(&want, data[i]);
	}
	CHECK(dec.len == want.len);
	CHECK(!memcmp(buf_str(&dec), buf_str(&want), want.len));

	/* Decoding arbitrary bytes must not crash either. */
	buf_reset(&dec);
	CHECK(mime_qp_decode(data, len, &dec) == 0);
	buf_release(&enc);
	buf_release(&dec);
	buf_release(&want);
}

/* Decodes the text of one encoded word, which must be whole UTF-8. */
static void decode_ew_text(char enc, const char *t, size_t n, struct buf *out)
{
	size_t i, start = out->len;

	if (enc == 'Q') {
		for (i = 0; i < n; i++) {
			if (t[i] == '_') {
				buf_addch(out, ' ');
			} else if (t[i] == '=') {
				CHECK(i + 2 < n);
				CHECK(digit(hexdigits, t[i + 1]) >= 0);
				CHECK(digit(hexdigits, t[i + 2]) >= 0);
				buf_addch(
				    out,
				    (char)(digit(hexdigits, t[i + 1]) << 4 |
					   digit(hexdigits, t[i + 2])));
				i += 2;
			} else {
				/* RFC 2047 5 (3): what a phrase allows. */
				CHECK(strchr("!*+-/", t[i]) ||
				      (t[i] >= '0' && t[i] <= '9') ||
				      (t[i] >= 'A' && t[i] <= 'Z') ||
				      (t[i] >= 'a' && t[i] <= 'z'));
				buf_addch(out, t[i]);
			}
		}
	} else {
		uint32_t acc = 0;
		int bits = 0;

		CHECK(n % 4 == 0);
		for (i = 0; i < n && t[i] != '='; i++) {
			CHECK(digit(b64digits, t[i]) >= 0);
			acc = acc << 6 | (uint32_t)digit(b64digits, t[i]);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_addch(out, (char)(acc >> bits & 0xFF));
			}
		}
	}
	CHECK(util_utf8_valid(out->data + start, out->len - start));
}

/* RFC 2047 6.2: encoded words decoded, whitespace between two adjacent
 * encoded words dropped, everything else as it is. */
static void decode_words(const char *v, size_t n, struct buf *out)
{
	const char *p = v, *end = v + n, *ws = NULL;
	int prev_ew = 0;

	while (p < end) {
		if (end - p >= 10 && !memcmp(p, "=?UTF-8?", 8) &&
		    (p[8] == 'Q' || p[8] == 'B') && p[9] == '?') {
			const char *t = p + 10, *e = t;

			while (e + 1 < end && !(e[0] == '?' && e[1] == '='))
				e++;
			CHECK(e + 1 < end);
			CHECK(e + 2 - p <= 75);
			if (ws && !prev_ew)
				buf_add(out, ws, (size_t)(p - ws));
			decode_ew_text(p[8], t, (size_t)(e - t), out);
			p = e + 2;
			ws = NULL;
			prev_ew = 1;
		} else if (*p == ' ' || *p == '\t') {
			if (!ws)
				ws = p;
			p++;
		} else {
			/* No encoded word glued to other text. */
			CHECK(!(p[0] == '=' && p + 1 < end && p[1] == '?'));
			if (ws)
				buf_add(out, ws, (size_t)(p - ws));
			ws = NULL;
			buf_addch(out, *p++);
			prev_ew = 0;
		}
	}
	if (ws)
		buf_add(out, ws, (size_t)(p - ws));
}

/* Checks "Name: ...\r\n" framing and returns the unfolded value. */
static void unfold(const struct buf *h, const char *name, struct buf *value)
{
	size_t nl = strlen(name), i, bol = 0;

	check_crlf_7bit(buf_str(h), h->len, 998);
	CHECK(h->len >= nl + 3);
	CHECK(!memcmp(h->data, name, nl) && h->data[nl] == ':');
	CHECK(!memcmp(h->data + h->len - 2, "\r\n", 2));
	for (i = 0; i < h->len; i++) {
		if (h->data[i] == '\r') {
			const char *line = h->data + bol;
			size_t len = i - bol, j;
			int text = 0;

			/* A line holding encoded words stays within 76
			 * (RFC 2047 2). */
			for (j = 0; j + 1 < len; j++)
				if (line[j] == '=' && line[j + 1] == '?')
					CHECK(len <= 76);
			/* A folded line is never whitespace only. */
			for (j = 0; j < len; j++)
				text |= line[j] != ' ' && line[j] != '\t';
			CHECK(bol == 0 || (line[0] == ' ' && text));
			bol = i + 2;
		}
	}
	i = nl + 1;
	if (i < h->len - 2 && h->data[i] == ' ')
		i++;
	for (; i < h->len - 2; i++) {
		if (h->data[i] == '\r') {
			i++;
			continue;
		}
		buf_addch(value, h->data[i]);
	}
}

/* 1 if mime.c must accept s as a header value or display name. */
static int acceptable(const char *s)
{
	size_t n = strlen(s);

	return n <= MIME_MAX_HEADER_VALUE && !strpbrk(s, "\r\n") &&
	       util_utf8_valid(s, n);
}

static void check_header(const char *name, const char *value)
{
	struct buf out = BUF_INIT, unfolded = BUF_INIT, dec = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	int ret = mime_add_header(&out, name, value, &eb);

	if (!acceptable(value)) {
		CHECK(ret == -1 && out.len == 0);
		CHECK(strstr(eb.msg, name));
		return;
	}
	CHECK(ret == 0);
	unfold(&out, name, &unfolded);
	decode_words(buf_str(&unfolded), unfolded.len, &dec);
	CHECK(dec.len == strlen(value));
	CHECK(!memcmp(buf_str(&dec), value, dec.len));
	buf_release(&out);
	buf_release(&unfolded);
	buf_release(&dec);
}

static void check_address_header(const char *display)
{
	static const char suffix[] = " <reader@example.org>";
	struct buf out = BUF_INIT, unfolded = BUF_INIT, dec = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	const char *v;
	size_t n, sl = sizeof(suffix) - 1, i;
	int ret;

	ret = mime_add_address_header(&out, "To", display, "reader@example.org",
				      &eb);
	if (!acceptable(display)) {
		CHECK(ret == -1 && out.len == 0);
		return;
	}
	CHECK(ret == 0);
	unfold(&out, "To", &unfolded);
	v = buf_str(&unfolded);
	n = unfolded.len;
	if (!display[0]) {
		CHECK(!strcmp(v, "reader@example.org"));
		goto out;
	}
	CHECK(n > sl && !memcmp(v + n - sl, suffix, sl));
	n -= sl;
	if (v[0] == '"') {
		/* A quoted-string: unescape. */
		CHECK(n >= 2 && v[n - 1] == '"');
		for (i = 1; i < n - 1; i++) {
			CHECK(v[i] != '"');
			if (v[i] == '\\')
				i++;
			buf_addch(&dec, v[i]);
		}
		CHECK(i == n - 1);
	} else {
		/* Atoms and encoded words: no specials left bare. */
		for (i = 0; i < n; i++)
			CHECK(!strchr("\"(),:;<>@[\\]", v[i]));
		decode_words(v, n, &dec);
	}
	CHECK(dec.len == strlen(display));
	CHECK(!memcmp(buf_str(&dec), display, dec.len));
out:
	buf_release(&out);
	buf_release(&unfolded);
	buf_release(&dec);
}

static void check_mailbox(const char *s)
{
	struct errbuf eb = ERRBUF_INIT;
	char *display, *addr;

	if (mime_address_valid(s)) {
		CHECK(strlen(s) <= MIME_MAX_ADDRESS);
		CHECK(!strpbrk(s, "\r\n \t\"<>"));
		CHECK(strchr(s, '@') && strchr(s, '@') == strrchr(s, '@'));
	}
	if (mime_parse_mailbox(s, &display, &addr, &eb) == 0) {
		CHECK(mime_address_valid(addr));
		if (display) {
			CHECK(!strpbrk(display, "\r\n"));
			CHECK(util_utf8_valid(display, strlen(display)));
		}
		free(display);
		free(addr);
	} else {
		CHECK(!display && !addr && eb.msg[0]);
	}
}

static void check_build(const char *data, size_t len)
{
	struct mime_message m;
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	const char *b, *e;
	char boundary[80];
	size_t blen;

	memset(&m, 0, sizeof(m));
	m.from_addr = "digest@example.org";
	m.to_addr = "reader@example.org";
	m.subject = "digest";
	m.date = 1767074400;
	m.message_id = "<1.2@example.org>";
	m.text = data;
	m.text_len = len;
	m.html = data;
	m.html_len = len;
	if (mime_build(&m, &out, &eb) < 0) {
		CHECK(!util_utf8_valid(data, len));
		CHECK(out.len == 0);
		return;
	}
	CHECK(util_utf8_valid(data, len));
	check_crlf_7bit(buf_str(&out), out.len, 998);
	b = strstr(out.data, "boundary=\"");
	CHECK(b);
	b += 10;
	e = strchr(b, '"');
	CHECK(e && (size_t)(e - b) < sizeof(boundary));
	blen = (size_t)(e - b);
	memcpy(boundary, b, blen);
	boundary[blen] = '\0';
	/* The boundary occurs exactly three times after the header: two
	 * delimiters and the close. */
	b = strstr(e, "\r\n\r\n");
	CHECK(b);
	for (len = 0; (b = strstr(b, boundary)); b += blen)
		len++;
	CHECK(len == 3);
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	check_qp((const char *)data, size);
	/* The string APIs see the input up to its first NUL. */
	s = xstrndup((const char *)data, size);
	check_header("Subject", s);
	check_header("X-Paperboy-Criteria-Explanation", s);
	check_address_header(s);
	check_mailbox(s);
	if (size <= 2048)
		check_build((const char *)data, size);
	free(s);
	return 0;
}
