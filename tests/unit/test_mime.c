/*
 * Unit tests for mime: address validation, mailbox parsing,
 * quoted-printable round trips and line lengths, RFC 2047 header encoding
 * (decoded again here, independently of mime.c), header injection, and
 * whole messages as a mail reader would split them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mime.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* ---- helpers: an independent reader for what mime.c writes ---- */

/* LF not preceded by CR becomes CRLF: what the encoder does to line ends. */
static char *normalize_crlf(const char *s, size_t n, size_t *outlen)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			buf_addch(&b, '\r');
		buf_addch(&b, s[i]);
	}
	return buf_detach(&b, outlen);
}

/* Every CR is followed by LF and every LF preceded by CR; no NUL, no
 * byte over 0x7F; no line over max octets (CRLF excluded). */
static void assert_crlf_7bit(const char *s, size_t n, size_t max)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		assert_true(c != 0 && c < 0x80);
		if (c == '\r') {
			assert_true(i + 1 < n && s[i + 1] == '\n');
		} else if (c == '\n') {
			assert_true(i > 0 && s[i - 1] == '\r');
			col = 0;
			continue;
		} else {
			col++;
		}
		if (c != '\r' && col > max)
			fail_msg("line of more than %zu octets at byte %zu",
				 max, i);
	}
}

/* Checks a QP encoding: CRLF, 76 columns, no trailing whitespace, no '.'
 * or "From " at a line start, every '=' an escape or a soft break. */
static void assert_qp_shape(const char *s, size_t n)
{
	size_t i, bol = 1;

	assert_crlf_7bit(s, n, 76);
	for (i = 0; i < n; i++) {
		if (bol) {
			assert_int_not_equal(s[i], '.');
			assert_false(n - i >= 5 && !memcmp(s + i, "From ", 5));
		}
		bol = s[i] == '\n';
		if (s[i] == '\r' && i > 0)
			assert_false(s[i - 1] == ' ' || s[i - 1] == '\t');
		if (s[i] == '=') {
			assert_true(i + 2 < n);
			if (s[i + 1] == '\r')
				continue;
			assert_non_null(strchr("0123456789ABCDEF", s[i + 1]));
			assert_non_null(strchr("0123456789ABCDEF", s[i + 2]));
		}
	}
	if (n)
		assert_false(s[n - 1] == ' ' || s[n - 1] == '\t');
}

static int b64val(char c)
{
	const char *digits =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = c ? strchr(digits, c) : NULL;

	return p ? (int)(p - digits) : -1;
}

static int hexv(char c)
{
	const char *p = c ? strchr("0123456789ABCDEF", c) : NULL;

	return p ? (int)(p - "0123456789ABCDEF") : -1;
}

/* Decodes the text of one encoded word; checks it is whole UTF-8. */
static void decode_ew_text(char enc, const char *t, size_t n, struct buf *out)
{
	size_t i, start = out->len;

	if (enc == 'Q') {
		for (i = 0; i < n; i++) {
			if (t[i] == '_') {
				buf_addch(out, ' ');
			} else if (t[i] == '=') {
				assert_true(i + 2 < n);
				assert_true(hexv(t[i + 1]) >= 0 &&
					    hexv(t[i + 2]) >= 0);
				buf_addch(out, (char)(hexv(t[i + 1]) << 4 |
						      hexv(t[i + 2])));
				i += 2;
			} else {
				buf_addch(out, t[i]);
			}
		}
	} else {
		uint32_t acc = 0;
		int bits = 0;

		assert_int_equal(n % 4, 0);
		for (i = 0; i < n && t[i] != '='; i++) {
			assert_true(b64val(t[i]) >= 0);
			acc = acc << 6 | (uint32_t)b64val(t[i]);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_addch(out, (char)(acc >> bits & 0xFF));
			}
		}
	}
	/* Never a character cut in two across words. */
	assert_true(util_utf8_valid(out->data + start, out->len - start));
}

/* RFC 2047 6.2 decoding: encoded words, whitespace between two adjacent
 * ones dropped. Returns the decoded value (caller frees). */
static char *decode_words(const char *v)
{
	struct buf out = BUF_INIT;
	const char *p = v, *ws = NULL;
	int prev_ew = 0;

	buf_addstr(&out, "");
	while (*p) {
		if (p[0] == '=' && p[1] == '?' && !strncmp(p, "=?UTF-8?", 8) &&
		    (p[8] == 'Q' || p[8] == 'B') && p[9] == '?') {
			const char *t = p + 10, *e = strstr(t, "?=");

			assert_non_null(e);
			assert_true(e + 2 - p <= 75);
			if (ws && !prev_ew)
				buf_add(&out, ws, (size_t)(p - ws));
			decode_ew_text(p[8], t, (size_t)(e - t), &out);
			p = e + 2;
			ws = NULL;
			prev_ew = 1;
		} else if (*p == ' ' || *p == '\t') {
			if (!ws)
				ws = p;
			p++;
		} else {
			if (ws)
				buf_add(&out, ws, (size_t)(p - ws));
			ws = NULL;
			buf_addch(&out, *p++);
			prev_ew = 0;
		}
	}
	if (ws)
		buf_add(&out, ws, (size_t)(p - ws));
	return buf_detach(&out, NULL);
}

/* Unfolds "Name: value\r\n" (checking its shape and the folding) and
 * returns the value. */
static char *unfold_header(const char *h, const char *name)
{
	struct buf out = BUF_INIT;
	size_t n = strlen(h), nl = strlen(name), i;

	assert_crlf_7bit(h, n, 998);
	assert_true(n >= nl + 3);
	assert_memory_equal(h, name, nl);
	assert_int_equal(h[nl], ':');
	assert_memory_equal(h + n - 2, "\r\n", 2);
	i = nl + 1;
	if (h[i] == ' ')
		i++;
	buf_addstr(&out, "");
	for (; i < n - 2; i++) {
		if (h[i] == '\r') {
			/* Folding only: CRLF followed by a space. */
			assert_int_equal(h[i + 2], ' ');
			i++;
			continue;
		}
		buf_addch(&out, h[i]);
	}
	return buf_detach(&out, NULL);
}

/* Writes a header, checks every line fits, and decodes it back. */
static void check_header_roundtrip(const char *name, const char *value,
				   size_t width)
{
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	char *unfolded, *decoded;
	const char *line, *nl;

	assert_int_equal(mime_add_header(&out, name, value, &eb), 0);
	for (line = out.data; (nl = strstr(line, "\r\n")); line = nl + 2)
		if ((size_t)(nl - line) > width)
			fail_msg("line of %zu > %zu: %s", (size_t)(nl - line),
				 width, out.data);
	unfolded = unfold_header(out.data, name);
	decoded = decode_words(unfolded);
	assert_string_equal(decoded, value);
	free(unfolded);
	free(decoded);
	buf_release(&out);
}

/* ---- addresses ---- */

static void test_address_valid(void **state)
{
	static const char *const good[] = {
	    "alice@example.org",
	    "a@localhost",
	    "first.last+tag@sub.example.co.uk",
	    "x@a-b.org",
	    "o'brien@example.ie",
	    "digest@EXAMPLE.ORG",
	    "a@xn--rd-zia.example",
	};
	static const char *const bad[] = {
	    "no-domain",
	    "a b@example.org",
	    "a@b@c.org",
	    "x@-bad.org",
	    "x@bad-.org",
	    "alice@example.org\r\nBcc: x@evil.org",
	    "ali\rce@example.org",
	    "alice@exam\nple.org",
	    "",
	    "@example.org",
	    "alice@",
	    "alice@example",
	    "alice@example..org",
	    "alice@.example.org",
	    "alice@example.org.",
	    ".alice@example.org",
	    "alice.@example.org",
	    "al..ice@example.org",
	    "\"a b\"@example.org",
	    "alice@exam_ple.org",
	    "j\xc3\xbcrgen@example.org",
	    "alice@example.org ",
	    "<alice@example.org>",
	    "al\tice@example.org",
	    "alice@[127.0.0.1]",
	};
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!mime_address_valid(good[i]))
			fail_msg("refused good address \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mime_address_valid(bad[i]))
			fail_msg("accepted bad address \"%s\"", bad[i]);
	assert_false(mime_address_valid(NULL));

	/* 400 characters. */
	memset(buf, 'a', 388);
	memcpy(buf + 388, "@example.org", 13);
	assert_int_equal(strlen(buf), 400);
	assert_false(mime_address_valid(buf));

	/* Local part: 64 is the limit. */
	memset(buf, 'l', 64);
	memcpy(buf + 64, "@example.org", 13);
	assert_true(mime_address_valid(buf));
	memset(buf, 'l', 65);
	memcpy(buf + 65, "@example.org", 13);
	assert_false(mime_address_valid(buf));

	/* Label: 63 is the limit. */
	memcpy(buf, "a@", 2);
	memset(buf + 2, 'd', 63);
	memcpy(buf + 65, ".org", 5);
	assert_true(mime_address_valid(buf));
	memset(buf + 2, 'd', 64);
	memcpy(buf + 66, ".org", 5);
	assert_false(mime_address_valid(buf));

	/* Whole address: 254 is the limit ("ll@" + a 251-octet domain). */
	memcpy(buf, "ll@", 3);
	for (i = 3; i < 251; i += 62) {
		memset(buf + i, 'd', 61);
		buf[i + 61] = '.';
	}
	memcpy(buf + 251, "org", 4);
	assert_int_equal(strlen(buf), 254);
	assert_true(mime_address_valid(buf));
	memmove(buf + 1, buf, 255);
	assert_int_equal(strlen(buf), 255);
	assert_false(mime_address_valid(buf));
}

static void check_mailbox(const char *s, const char *display, const char *addr)
{
	struct errbuf eb = ERRBUF_INIT;
	char *d, *a;

	if (mime_parse_mailbox(s, &d, &a, &eb) < 0)
		fail_msg("\"%s\": %s", s, eb.msg);
	if (display)
		assert_string_equal(d, display);
	else
		assert_null(d);
	assert_string_equal(a, addr);
	free(d);
	free(a);
}

static void check_mailbox_bad(const char *s, const char *why)
{
	struct errbuf eb = ERRBUF_INIT;
	char *d = (char *)"x", *a = (char *)"x";

	assert_int_equal(mime_parse_mailbox(s, &d, &a, &eb), -1);
	assert_null(d);
	assert_null(a);
	if (!strstr(eb.msg, why))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", s, eb.msg, why);
}

static void test_parse_mailbox(void **state)
{
	(void)state;
	check_mailbox("Paperboy <digest@example.org>", "Paperboy",
		      "digest@example.org");
	check_mailbox("alice@example.org", NULL, "alice@example.org");
	check_mailbox("  <alice@example.org>  ", NULL, "alice@example.org");
	check_mailbox("\"Doe, Jane\" <jane@example.org>", "Doe, Jane",
		      "jane@example.org");
	check_mailbox("\"Say \\\"hi\\\" \\\\o/\" <a@example.org>",
		      "Say \"hi\" \\o/", "a@example.org");
	check_mailbox("Marcel R\xc3\xb8"
		      "d <marcel@example.org>",
		      "Marcel R\xc3\xb8"
		      "d",
		      "marcel@example.org");
	check_mailbox("\"a <b>\" <c@example.org>", "a <b>", "c@example.org");
	check_mailbox("Daily arXiv digest<digest@localhost>",
		      "Daily arXiv digest", "digest@localhost");

	check_mailbox_bad("Paperboy <digest@example.org", "invalid address");
	check_mailbox_bad("Paperboy digest@example.org>", "without '<'");
	check_mailbox_bad("Paperboy <no-domain>", "no-domain");
	check_mailbox_bad("", "invalid address");
	check_mailbox_bad("Evil\r\nBcc: x@evil.org <a@example.org>",
			  "control character");
	check_mailbox_bad("\"unterminated <a@example.org>", "unbalanced");
	check_mailbox_bad("\"a\" b\" <a@example.org>", "unbalanced");
	check_mailbox_bad("\"a\\\" <a@example.org>", "unbalanced");
	check_mailbox_bad("R\xf8"
			  "d <a@example.org>",
			  "UTF-8");
	check_mailbox_bad("<a@example.org> trailing", "invalid address");
	check_mailbox_bad(NULL, "missing");
}

/* ---- quoted-printable ---- */

/* Encodes, checks the shape, decodes, compares with the normalised input;
 * returns the encoding for further checks (caller frees). */
static char *qp_roundtrip(const char *s, size_t n)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT;
	char *want;
	size_t wantlen;

	assert_int_equal(mime_qp_encode(s, n, &enc), 0);
	assert_qp_shape(buf_str(&enc), enc.len);
	assert_int_equal(mime_qp_decode(buf_str(&enc), enc.len, &dec), 0);
	want = normalize_crlf(s, n, &wantlen);
	assert_int_equal(dec.len, wantlen);
	assert_memory_equal(buf_str(&dec), want, wantlen);
	free(want);
	buf_release(&dec);
	return buf_detach(&enc, NULL);
}

static void check_qp(const char *s, const char *want)
{
	char *got = qp_roundtrip(s, strlen(s));

	assert_string_equal(got, want);
	free(got);
}

static void test_qp_encode_rules(void **state)
{
	(void)state;
	check_qp("", "");
	check_qp("plain text", "plain text");
	check_qp("R\xc3\xb8"
		 "d Jos\xc3\xa9 J\xc3\xbcrgen",
		 "R=C3=B8d Jos=C3=A9 J=C3=BCrgen");
	check_qp("a=b == c", "a=3Db =3D=3D c");
	check_qp("trailing  \nspace", "trailing =20\r\nspace");
	check_qp("tab\t\r\nend\t", "tab=09\r\nend=09");
	check_qp("line one\nline two\r\n", "line one\r\nline two\r\n");
	check_qp(".\n.hidden\n..", "=2E\r\n=2Ehidden\r\n=2E.");
	check_qp("From me\nFrom\nFromage\n From x",
		 "=46rom me\r\nFrom\r\nFromage\r\n From x");
	check_qp("bare\rcr\r", "bare=0Dcr=0D");
	check_qp("\n\n", "\r\n\r\n");
	check_qp("ctl\x01\x7f", "ctl=01=7F");
}

static void test_qp_long_lines(void **state)
{
	char line[5001], *enc;
	size_t i;

	(void)state;
	/* 200 characters: soft breaks, none inside an escape. */
	for (i = 0; i < 200; i++)
		line[i] = "abc=\xc3\xb8 ."[i % 8];
	line[199] = 'z';
	line[200] = '\0';
	line[198] = (char)0xc3;
	line[197] = 'y';
	enc = qp_roundtrip(line, strlen(line));
	assert_non_null(strstr(enc, "=\r\n"));
	free(enc);

	/* Exactly 76 fits on one line; 77 does not. */
	memset(line, 'x', 76);
	line[76] = '\0';
	enc = qp_roundtrip(line, 76);
	assert_null(strstr(enc, "=\r\n"));
	free(enc);
	memset(line, 'x', 77);
	line[77] = '\0';
	enc = qp_roundtrip(line, 77);
	assert_non_null(strstr(enc, "=\r\n"));
	free(enc);

	/* A '.' or "From " landing at the start of a continuation line. */
	memset(line, 'x', 75);
	memcpy(line + 75, ".From x", 8);
	enc = qp_roundtrip(line, strlen(line));
	assert_non_null(strstr(enc, "=\r\n=2E"));
	free(enc);
	memset(line, 'x', 75);
	memcpy(line + 75, "From x", 7);
	enc = qp_roundtrip(line, strlen(line));
	assert_non_null(strstr(enc, "=\r\n=46rom"));
	free(enc);

	/* Escapes and spaces at every offset around the 76th column. */
	for (i = 60; i < 80; i++) {
		memset(line, 'x', i);
		memcpy(line + i, "\xc3\xb8 = \n", 6);
		enc = qp_roundtrip(line, strlen(line));
		free(enc);
	}

	for (i = 0; i < 5000; i++)
		line[i] = (char)('a' + i % 26);
	line[5000] = '\0';
	enc = qp_roundtrip(line, 5000);
	free(enc);
}

/* The encoding spelled out a byte at a time: what mime_qp_encode() must
 * give whatever shortcut it takes (76 columns, soft breaks "=", an escape
 * never split, '.' and "From " escaped at a line's start, a blank escaped
 * at its end). */
static void qp_reference(const char *s, size_t n, struct buf *out)
{
	size_t i, col = 0, end;

	for (; n; s += end + 1, n -= end + 1) {
		const char *nl = memchr(s, '\n', n);

		end = nl ? (size_t)(nl - s) : n;
		col = 0;
		for (i = 0; i < end; i++) {
			unsigned char c = (unsigned char)s[i];
			size_t cend = end;
			int enc, last;
			char tok[4];

			if (nl && end && s[end - 1] == '\r')
				cend = end - 1;
			if (i >= cend)
				break;
			last = i + 1 == cend;
			for (;;) {
				if (c == ' ' || c == '\t')
					enc = last;
				else
					enc = c == '=' || c < 33 || c > 126 ||
					      (col == 0 && c == '.') ||
					      (col == 0 && cend - i >= 5 &&
					       !memcmp(s + i, "From ", 5));
				if (enc)
					snprintf(tok, sizeof(tok), "=%02X", c);
				else
					snprintf(tok, sizeof(tok), "%c", c);
				if (col + strlen(tok) > 75 &&
				    !(last && col + strlen(tok) <= 76)) {
					buf_addstr(out, "=\r\n");
					col = 0;
					continue;
				}
				break;
			}
			buf_addstr(out, tok);
			col += strlen(tok);
		}
		if (!nl)
			break;
		buf_addstr(out, "\r\n");
		if (end + 1 > n)
			break;
	}
}

/* Lines of every length up to 300 mixing plain runs with each byte the
 * encoder stops at (' ', '=', controls, DEL, bytes over 127), at every
 * offset: the encoder's output is the reference's. */
static void test_qp_matches_reference(void **state)
{
	static const char stops[] = " =\t\x01\x1f\x20\x21\x3c\x3e\x7e\x7f"
				    "\x80\xc3\xff.";
	char line[301];
	unsigned long seed = 12345;
	size_t len, i, round;

	(void)state;
	for (round = 0; round < 4; round++) {
		for (len = 0; len <= 300; len++) {
			struct buf got = BUF_INIT, want = BUF_INIT;

			for (i = 0; i < len; i++) {
				seed = seed * 6364136223846793005ull + 1;
				if ((seed >> 33) % (round + 3) == 0)
					line[i] = stops[(seed >> 40) %
							(sizeof(stops) - 1)];
				else
					line[i] = (char)('!' + (seed >> 45) %
								   94);
			}
			line[len] = '\0';
			assert_int_equal(mime_qp_encode(line, len, &got), 0);
			qp_reference(line, len, &want);
			if (got.len != want.len ||
			    (got.len && memcmp(got.data, want.data, got.len)))
				fail_msg("length %zu, round %zu: got\n%s\nwant\n%s",
					 len, round, buf_str(&got),
					 buf_str(&want));
			buf_release(&got);
			buf_release(&want);
		}
	}
}

/* Ids drawn from one pool of random bytes: many in a row all differ, and
 * a forked child does not draw the parent's next bytes again. */
static void test_message_ids_never_repeat(void **state)
{
	char *ids[100], *mine, child[128];
	int fds[2], status;
	size_t i, k;
	ssize_t n;
	pid_t pid;

	(void)state;
	for (i = 0; i < 100; i++) {
		ids[i] = mime_new_message_id("example.org");
		for (k = 0; k < i; k++)
			assert_string_not_equal(ids[i], ids[k]);
	}
	for (i = 0; i < 100; i++)
		free(ids[i]);
	free(mime_new_message_id("example.org"));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *id = mime_new_message_id("example.org");

		n = write(fds[1], id, strlen(id));
		_exit(n > 0 ? 0 : 1);
	}
	close(fds[1]);
	mine = mime_new_message_id("example.org");
	n = read(fds[0], child, sizeof(child) - 1);
	close(fds[0]);
	assert_true(n > 0);
	child[n] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_string_not_equal(mine, child);
	free(mine);
}

static void test_qp_decode_lenient(void **state)
{
	struct buf out = BUF_INIT;
	const char *in;

	(void)state;
	/* Lower-case hex, LF-only soft breaks, transport padding, a stray
	 * '=' kept as it is. */
	in = "R=c3=b8d=\nfoo   \na = b=\r\n";
	assert_int_equal(mime_qp_decode(in, strlen(in), &out), 0);
	assert_string_equal(buf_str(&out), "R\xc3\xb8"
					   "dfoo\r\na = b");
	buf_reset(&out);
	in = "end=4";
	assert_int_equal(mime_qp_decode(in, strlen(in), &out), 0);
	assert_string_equal(buf_str(&out), "end=4");
	buf_release(&out);

	/* A full buffer is -1 and leaves it as it was. */
	buf_init(&out, 8);
	buf_addstr(&out, "keep");
	assert_int_equal(mime_qp_encode("0123456789", 10, &out), -1);
	assert_string_equal(buf_str(&out), "keep");
	assert_int_equal(mime_qp_decode("0123456789", 10, &out), -1);
	assert_string_equal(buf_str(&out), "keep");
	buf_release(&out);
}

/* Base64 bodies (bounces): line breaks and other strays skipped, the
 * padding ends the data, a full buffer is -1 and left as it was. */
static void test_b64_decode_body(void **state)
{
	struct buf out = BUF_INIT;
	const char *in = "SGVs\r\nbG8s\nIHd*vcmxk\r\nIQ==\r\nQUJD";

	(void)state;
	assert_int_equal(mime_b64_decode(in, strlen(in), &out), 0);
	assert_string_equal(buf_str(&out), "Hello, world!");
	buf_release(&out);

	buf_init(&out, 8);
	buf_addstr(&out, "keep");
	assert_int_equal(mime_b64_decode("SGVsbG8s", 8, &out), -1);
	assert_string_equal(buf_str(&out), "keep");
	buf_release(&out);
}

/* ---- headers ---- */

static void test_header_plain(void **state)
{
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	char longv[1200];
	size_t i;

	(void)state;
	assert_int_equal(mime_add_header(&out, "Subject", "Hello world", &eb),
			 0);
	assert_string_equal(buf_str(&out), "Subject: Hello world\r\n");
	buf_reset(&out);
	assert_int_equal(mime_add_header(&out, "X-Empty", "", &eb), 0);
	assert_string_equal(buf_str(&out), "X-Empty:\r\n");
	buf_reset(&out);
	assert_int_equal(mime_add_header(&out, "List-Unsubscribe-Post",
					 "List-Unsubscribe=One-Click", &eb),
			 0);
	assert_string_equal(buf_str(&out), "List-Unsubscribe-Post: "
					   "List-Unsubscribe=One-Click\r\n");
	buf_release(&out);

	/* Long ASCII: folded at spaces, within 78, unfolds exactly. */
	check_header_roundtrip("Subject",
			       "Your daily arXiv digest: 30 papers "
			       "on mixture of experts, pruning, quantization, "
			       "low-rank adaptation and  sparsity  (Tuesday)",
			       78);
	/* Values a plain writer would corrupt go through encoding. */
	check_header_roundtrip("Subject", " leading space", 76);
	check_header_roundtrip("Subject", "trailing space ", 76);
	check_header_roundtrip("Subject",
			       "looks =?UTF-8?Q?encoded?= but is not", 76);
	check_header_roundtrip("Subject", "tab\there", 76);
	/* A word no line can hold: encoded words cut it. */
	for (i = 0; i < sizeof(longv) - 1; i++)
		longv[i] = (char)('a' + i % 26);
	longv[sizeof(longv) - 1] = '\0';
	check_header_roundtrip("Subject", longv, 76);
	/* A URL longer than 78 stays plain (structured headers must). */
	memset(longv, 'u', 100);
	memcpy(longv, "<https://", 9);
	memcpy(longv + 100, ">, <mailto:u@example.org>", 26);
	buf_init(&out, BUF_DEFAULT_LIMIT);
	assert_int_equal(mime_add_header(&out, "List-Unsubscribe", longv, &eb),
			 0);
	assert_null(strstr(buf_str(&out), "=?"));
	assert_non_null(strstr(buf_str(&out), ",\r\n <mailto:"));
	buf_release(&out);
}

static void test_header_encoded(void **state)
{
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	char subject[400];
	size_t n = 0;

	(void)state;
	/* "Rød" and 150 characters. */
	memcpy(subject,
	       "R\xc3\xb8"
	       "d: ",
	       6);
	n = 6;
	while (util_utf8_width(subject, n) < 150) {
		memcpy(subject + n, "mixture of experts, ", 20);
		n += 20;
	}
	subject[n] = '\0';
	check_header_roundtrip("Subject", subject, 76);
	assert_int_equal(mime_add_header(&out, "Subject", subject, &eb), 0);
	assert_non_null(
	    strstr(buf_str(&out), "Subject: =?UTF-8?Q?R=C3=B8d=3A_"));
	assert_non_null(strstr(buf_str(&out), "?=\r\n =?UTF-8?Q?"));
	buf_release(&out);

	/* Dense accents: B is shorter, and still round-trips. */
	n = 0;
	while (util_utf8_width(subject, n) < 150) {
		memcpy(subject + n, "J\xc3\xbcrgen Jos\xc3\xa9 ", 14);
		n += 14;
	}
	subject[n] = '\0';
	check_header_roundtrip("Subject", subject, 76);

	/* Mostly non-Latin text is shorter in B. */
	check_header_roundtrip("Subject",
			       "\xe6\xb7\xb7\xe5\x90\x88\xe4\xb8\x93"
			       "\xe5\xae\xb6\xe6\xa8\xa1\xe5\x9e\x8b",
			       76);
	assert_int_equal(mime_add_header(&out, "Subject",
					 "\xd0\x9c\xd0\xbe"
					 "\xd0\xb4\xd0\xb5\xd0\xbb\xd1\x8c",
					 &eb),
			 0);
	assert_non_null(strstr(buf_str(&out), "=?UTF-8?B?"));
	buf_release(&out);

	/* 4-byte characters never split, whatever the word boundary. */
	n = 0;
	while (n < 300) {
		memcpy(subject + n, "\xf0\x9f\x93\xb0", 4);
		n += 4;
		subject[n] = (char)('a' + n % 26);
		n++;
	}
	subject[n] = '\0';
	check_header_roundtrip("Subject", subject, 76);
	check_header_roundtrip("X-A-Rather-Long-Header-Name-For-Testing",
			       subject, 76);
	check_header_roundtrip("Subject", "ctl\x01 and \x7f", 76);
}

static void check_header_refused(const char *name, const char *value,
				 const char *why)
{
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;

	buf_addstr(&out, "Before: x\r\n");
	assert_int_equal(mime_add_header(&out, name, value, &eb), -1);
	assert_string_equal(buf_str(&out), "Before: x\r\n");
	if (!strstr(eb.msg, why))
		fail_msg("message \"%s\" lacks \"%s\"", eb.msg, why);
	buf_release(&out);
}

static void test_header_refused(void **state)
{
	char big[MIME_MAX_HEADER_VALUE + 2];

	(void)state;
	check_header_refused("Subject", "Hi\r\nBcc: x@evil.org", "Subject");
	check_header_refused("Subject", "Hi\r\nBcc: x@evil.org", "line break");
	check_header_refused("Subject", "Hi\nBcc: x@evil.org", "line break");
	check_header_refused("Subject", "Hi\rBcc: x@evil.org", "line break");
	check_header_refused("Subject",
			     "R\xf8"
			     "d",
			     "Subject: header value "
			     "is not valid UTF-8");
	check_header_refused("Subject", "\xc3", "UTF-8");
	check_header_refused("Subject", NULL, "missing");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	check_header_refused("Subject", big, "longer than");
	check_header_refused("Sub ject", "x", "invalid header name");
	check_header_refused("Subject:", "x", "invalid header name");
	check_header_refused("", "x", "invalid header name");
	check_header_refused("S\xc3\xbc"
			     "bject",
			     "x", "invalid header name");
	check_header_refused("Bcc\r\nX", "x", "Bcc??X");
	check_header_refused(NULL, "x", "invalid header name");
	/* Exactly the limit is fine. */
	big[MIME_MAX_HEADER_VALUE] = '\0';
	check_header_roundtrip("Subject", big, 998);
}

static void check_addr_header(const char *display, const char *addr,
			      const char *want)
{
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;

	if (mime_add_address_header(&out, "From", display, addr, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_string_equal(buf_str(&out), want);
	assert_crlf_7bit(out.data, out.len, 78);
	buf_release(&out);
}

static void test_address_header(void **state)
{
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	char *value, *decoded;

	(void)state;
	check_addr_header("Paperboy", "digest@example.org",
			  "From: Paperboy <digest@example.org>\r\n");
	check_addr_header("Daily arXiv digest", "digest@example.org",
			  "From: Daily arXiv digest <digest@example.org>\r\n");
	check_addr_header(NULL, "alice@example.org",
			  "From: alice@example.org\r\n");
	check_addr_header("", "alice@example.org",
			  "From: alice@example.org\r\n");
	check_addr_header("Doe, Jane", "jane@example.org",
			  "From: \"Doe, Jane\" <jane@example.org>\r\n");
	check_addr_header(
	    "J. \"JJ\" Doe\\", "jj@example.org",
	    "From: \"J. \\\"JJ\\\" Doe\\\\\" <jj@example.org>\r\n");
	/* A long name: the address goes on a line of its own. */
	check_addr_header(
	    "Daily arXiv digest of Machine Learning and "
	    "Computation and Language",
	    "digest@example.org",
	    "From: Daily arXiv digest of Machine Learning and "
	    "Computation and Language\r\n <digest@example.org>\r\n");
	check_addr_header("Marcel R\xc3\xb8"
			  "d",
			  "marcel@example.org",
			  "From: Marcel =?UTF-8?Q?R=C3=B8d?= "
			  "<marcel@example.org>\r\n");
	/* Only runs of words that need it are encoded, as one word. */
	check_addr_header("Jos\xc3\xa9 Garc\xc3\xad"
			  "a (MIT) and Marcel",
			  "jose@example.org",
			  "From: =?UTF-8?B?Sm9zw6kgR2FyY8OtYSAoTUlUKQ==?= and "
			  "Marcel <jose@example.org>\r\n");
	/* A long encoded name: the address goes on its own line. */
	assert_int_equal(
	    mime_add_address_header(&out, "To",
				    "Jos\xc3\xa9 J\xc3\xbcrgen R\xc3\xb8"
				    "d-Bj\xc3\xb8rnsen von Wissenschaftlichen",
				    "jose@example.org", &eb),
	    0);
	assert_crlf_7bit(out.data, out.len, 76);
	value = unfold_header(buf_str(&out), "To");
	assert_true(util_ends_with(value, " <jose@example.org>"));
	value[strlen(value) - 19] = '\0';
	decoded = decode_words(value);
	assert_string_equal(decoded,
			    "Jos\xc3\xa9 J\xc3\xbcrgen R\xc3\xb8"
			    "d-Bj\xc3\xb8rnsen von Wissenschaftlichen");
	free(value);
	free(decoded);
	buf_reset(&out);

	assert_int_equal(
	    mime_add_address_header(&out, "To", "Eve", "a@b@c.org", &eb), -1);
	assert_non_null(strstr(eb.msg, "To: invalid address"));
	assert_int_equal(mime_add_address_header(&out, "To", "Eve\r\nBcc: x",
						 "eve@example.org", &eb),
			 -1);
	assert_non_null(strstr(eb.msg, "line break"));
	assert_int_equal(mime_add_address_header(&out, "To", NULL,
						 "eve@example.org\r\nBcc: x@"
						 "evil.org",
						 &eb),
			 -1);
	assert_int_equal(mime_add_address_header(&out, "To", NULL, NULL, &eb),
			 -1);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void test_date_and_message_id(void **state)
{
	char date[64];
	char *a, *b;

	(void)state;
	mime_format_date(1767074400, date, sizeof(date));
	assert_string_equal(date, "Tue, 30 Dec 2025 06:00:00 +0000");
	mime_format_date(0, date, sizeof(date));
	assert_string_equal(date, "Thu, 01 Jan 1970 00:00:00 +0000");
	mime_format_date(951782400 + 86399, date, sizeof(date));
	assert_string_equal(date, "Tue, 29 Feb 2000 23:59:59 +0000");

	a = mime_new_message_id("example.org");
	b = mime_new_message_id("example.org");
	assert_string_not_equal(a, b);
	assert_int_equal(a[0], '<');
	assert_true(util_ends_with(a, "@example.org>"));
	/* "<TIME." + 32 hex digits + "@" */
	assert_int_equal(strchr(a, '@') - strchr(a, '.'), 33);
	assert_int_equal(strspn(strchr(a, '.') + 1, "0123456789ABCDEF"), 32);
	free(a);
	free(b);
	a = mime_new_message_id("bad domain\r\n");
	assert_true(util_ends_with(a, "@paperboy.invalid>"));
	assert_null(strpbrk(a, "\r\n "));
	free(a);
}

/* ---- whole messages ---- */

struct parsed {
	char *names[32];
	size_t nnames;
	char boundary[128];
	const char *part[2];
	size_t part_len[2];
	char *part_type[2];
	char *part_cte[2];
};

static void parsed_release(struct parsed *p)
{
	size_t i;

	for (i = 0; i < p->nnames; i++)
		free(p->names[i]);
	for (i = 0; i < 2; i++) {
		free(p->part_type[i]);
		free(p->part_cte[i]);
	}
}

/* The value of header `name` in the block [h, end), unfolded. */
static char *header_value(const char *h, const char *end, const char *name)
{
	size_t nl = strlen(name);
	const char *p;

	for (p = h; p < end; p = strstr(p, "\r\n") + 2) {
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *e = p;
			struct buf b = BUF_INIT;
			char *raw, *v;

			while ((e = strstr(e, "\r\n")) && e + 2 < end &&
			       e[2] == ' ')
				e += 2;
			buf_add(&b, p, (size_t)(e - p + 2));
			raw = buf_detach(&b, NULL);
			v = unfold_header(raw, name);
			free(raw);
			return v;
		}
	}
	return NULL;
}

/* Splits a message as a reader would; checks the multipart framing. */
static void parse_message(const char *m, size_t n, struct parsed *p)
{
	const char *hend = strstr(m, "\r\n\r\n"), *line, *b, *close;
	char delim[160], *ct;
	size_t i;

	memset(p, 0, sizeof(*p));
	assert_non_null(hend);
	for (line = m; line < hend + 2; line = strstr(line, "\r\n") + 2) {
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		assert_true(p->nnames < 32);
		p->names[p->nnames++] =
		    xstrndup(line, (size_t)(strchr(line, ':') - line));
	}
	ct = header_value(m, hend + 2, "Content-Type");
	assert_non_null(ct);
	assert_true(!strncmp(ct, "multipart/alternative; boundary=\"", 33));
	assert_true(strlen(ct + 33) < sizeof(p->boundary));
	memcpy(p->boundary, ct + 33, strlen(ct + 33) - 1);
	assert_int_equal(ct[strlen(ct) - 1], '"');
	free(ct);
	assert_true(strlen(p->boundary) >= 20 && strlen(p->boundary) <= 70);

	snprintf(delim, sizeof(delim), "\r\n--%s", p->boundary);
	b = strstr(hend, delim);
	assert_non_null(b);
	for (i = 0; i < 2; i++) {
		const char *ph, *body, *next;

		assert_memory_equal(b + strlen(delim), "\r\n", 2);
		ph = b + strlen(delim) + 2;
		body = strstr(ph, "\r\n\r\n");
		assert_non_null(body);
		p->part_type[i] = header_value(ph, body + 2, "Content-Type");
		p->part_cte[i] =
		    header_value(ph, body + 2, "Content-Transfer-Encoding");
		body += 4;
		next = strstr(body, delim);
		assert_non_null(next);
		p->part[i] = body;
		p->part_len[i] = (size_t)(next - body);
		b = next;
	}
	close = b + strlen(delim);
	assert_string_equal(close, "--\r\n");
	assert_int_equal(close + 4 - m, n);
}

static int contains(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return 1;
	return 0;
}

static void check_part(const struct parsed *p, size_t i, const char *body,
		       size_t len)
{
	struct buf dec = BUF_INIT;
	char *want;
	size_t wantlen;

	assert_qp_shape(p->part[i], p->part_len[i]);
	assert_false(contains(p->part[i], p->part_len[i], p->boundary));
	assert_int_equal(mime_qp_decode(p->part[i], p->part_len[i], &dec), 0);
	want = normalize_crlf(body, len, &wantlen);
	assert_int_equal(dec.len, wantlen);
	assert_memory_equal(buf_str(&dec), want, wantlen);
	free(want);
	buf_release(&dec);
}

static struct mime_message sample_message(void)
{
	static const char text[] =
	    "Good morning Marcel R\xc3\xb8"
	    "d,\n\n"
	    "1. Jos\xc3\xa9 J\xc3\xbcrgen et al. = a paper\n"
	    ".\nFrom here on, trailing space \n"
	    "--=_paperboy_ not a boundary\n";
	static const char html[] =
	    "<html><body><p>Jos\xc3\xa9 &amp; J\xc3\xbcrgen</p>\r\n"
	    "<a href=\"https://digest.example.org/u?t=abc\">unsubscribe"
	    "</a></body></html>\r\n";
	struct mime_message m;

	memset(&m, 0, sizeof(m));
	m.from_display = "Paperboy";
	m.from_addr = "digest@example.org";
	m.to_display = "Marcel R\xc3\xb8"
		       "d";
	m.to_addr = "marcel@example.org";
	m.subject = "arXiv digest for Marcel R\xc3\xb8"
		    "d: 12 papers";
	m.date = 1767074400;
	m.message_id = "<1767074400.abc@example.org>";
	m.list_id = "Daily arXiv digest <digest.example.org>";
	m.extra[0].name = "List-Unsubscribe";
	m.extra[0].value = "<https://digest.example.org/u?t=abc>, "
			   "<mailto:digest@example.org?subject=unsubscribe>";
	m.extra[1].name = "List-Unsubscribe-Post";
	m.extra[1].value = "List-Unsubscribe=One-Click";
	m.nextra = 2;
	m.text = text;
	m.text_len = sizeof(text) - 1;
	m.html = html;
	m.html_len = sizeof(html) - 1;
	return m;
}

static void test_build(void **state)
{
	static const char *const order[] = {
	    "Date",
	    "From",
	    "To",
	    "Subject",
	    "Message-ID",
	    "MIME-Version",
	    "List-Id",
	    "List-Unsubscribe",
	    "List-Unsubscribe-Post",
	    "Content-Type",
	};
	struct mime_message m = sample_message();
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct parsed p;
	char *v, *d;
	size_t i;

	(void)state;
	if (mime_build(&m, &out, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_crlf_7bit(out.data, out.len, 998);
	parse_message(out.data, out.len, &p);
	assert_int_equal(p.nnames, sizeof(order) / sizeof(order[0]));
	for (i = 0; i < p.nnames; i++)
		assert_string_equal(p.names[i], order[i]);
	assert_string_equal(p.part_type[0], "text/plain; charset=utf-8");
	assert_string_equal(p.part_type[1], "text/html; charset=utf-8");
	assert_string_equal(p.part_cte[0], "quoted-printable");
	assert_string_equal(p.part_cte[1], "quoted-printable");
	check_part(&p, 0, m.text, m.text_len);
	check_part(&p, 1, m.html, m.html_len);

	v = header_value(out.data, strstr(out.data, "\r\n\r\n") + 2, "Subject");
	d = decode_words(v);
	assert_string_equal(d, m.subject);
	free(v);
	free(d);
	assert_true(!strncmp(out.data,
			     "Date: Tue, 30 Dec 2025 06:00:00 "
			     "+0000\r\n",
			     39));
	assert_non_null(strstr(out.data, "\r\nFrom: Paperboy "
					 "<digest@example.org>\r\n"));
	assert_non_null(strstr(out.data, "\r\nTo: Marcel =?UTF-8?Q?R=C3=B8d?= "
					 "<marcel@example.org>\r\n"));
	assert_non_null(strstr(out.data, "\r\nMessage-ID: "
					 "<1767074400.abc@example.org>\r\n"));
	assert_non_null(strstr(out.data, "\r\nList-Id: Daily arXiv digest "
					 "<digest.example.org>\r\n"));
	assert_non_null(strstr(out.data, "\r\nMIME-Version: 1.0\r\n"));
	parsed_release(&p);

	/* Two builds draw two boundaries. */
	{
		struct buf out2 = BUF_INIT;
		struct parsed p2;

		assert_int_equal(mime_build(&m, &out2, &eb), 0);
		parse_message(out2.data, out2.len, &p2);
		parse_message(out.data, out.len, &p);
		assert_string_not_equal(p.boundary, p2.boundary);
		parsed_release(&p);
		parsed_release(&p2);
		buf_release(&out2);
	}
	buf_release(&out);
}

static void test_build_long_line(void **state)
{
	struct mime_message m = sample_message();
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct parsed p;
	char *text = xmalloc(5100), *id;
	size_t i, n = 0;

	(void)state;
	memcpy(text, "Abstract: ", 10);
	n = 10;
	for (i = 0; i < 5000; i++)
		text[n++] = (i % 97 == 96) ? '=' : (char)('a' + i % 26);
	memcpy(text + n,
	       "\nR\xc3\xb8"
	       "d\n",
	       6);
	n += 6;
	m.text = text;
	m.text_len = n;
	m.html = text;
	m.html_len = n;
	m.message_id = NULL;
	m.list_id = NULL;
	m.nextra = 0;
	assert_int_equal(mime_build(&m, &out, &eb), 0);
	assert_crlf_7bit(out.data, out.len, 998);
	parse_message(out.data, out.len, &p);
	check_part(&p, 0, text, n);
	check_part(&p, 1, text, n);
	assert_string_equal(p.names[4], "Message-ID");
	assert_string_equal(p.names[5], "MIME-Version");
	assert_string_equal(p.names[6], "Content-Type");
	id = header_value(out.data, strstr(out.data, "\r\n\r\n"), "Message-ID");
	assert_non_null(id);
	assert_true(util_ends_with(id, "@example.org>"));
	free(id);
	parsed_release(&p);
	buf_release(&out);

	/* Empty bodies are still two parts. */
	m.text = NULL;
	m.text_len = 0;
	m.html = "";
	m.html_len = 0;
	assert_int_equal(mime_build(&m, &out, &eb), 0);
	parse_message(out.data, out.len, &p);
	assert_int_equal(p.part_len[0], 0);
	assert_int_equal(p.part_len[1], 0);
	parsed_release(&p);
	buf_release(&out);
	free(text);
}

static void check_build_refused(struct mime_message *m, const char *why)
{
	struct buf out = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;

	buf_addstr(&out, "kept");
	assert_int_equal(mime_build(m, &out, &eb), -1);
	assert_string_equal(buf_str(&out), "kept");
	if (!strstr(eb.msg, why))
		fail_msg("message \"%s\" lacks \"%s\"", eb.msg, why);
	buf_release(&out);
}

static void test_build_refused(void **state)
{
	struct mime_message m;
	struct buf small;
	struct errbuf eb = ERRBUF_INIT;

	(void)state;
	m = sample_message();
	m.text = "R\xf8"
		 "d";
	m.text_len = 3;
	check_build_refused(&m, "text/plain part is not valid UTF-8");
	m = sample_message();
	m.html = "a\0b";
	m.html_len = 3;
	check_build_refused(&m, "text/html part is not valid UTF-8");
	m = sample_message();
	m.subject = "Hi\r\nBcc: x@evil.org";
	check_build_refused(&m, "Subject");
	m = sample_message();
	m.to_addr = "victim@example.org\r\nBcc: x@evil.org";
	check_build_refused(&m, "To: invalid address");
	m = sample_message();
	m.from_addr = "no-domain";
	check_build_refused(&m, "From: invalid address");
	m = sample_message();
	m.message_id = "<x@example.org>\r\nBcc: x@evil.org";
	check_build_refused(&m, "Message-ID");
	m = sample_message();
	m.list_id = "Digest <not an id>";
	check_build_refused(&m, "List-Id");
	m = sample_message();
	m.extra[1].name = "Content-Type";
	m.extra[1].value = "text/plain";
	check_build_refused(&m, "Content-Type");
	m = sample_message();
	m.extra[1].name = "X-Evil";
	m.extra[1].value = "a\nBcc: x@evil.org";
	check_build_refused(&m, "X-Evil");
	m = sample_message();
	m.nextra = MIME_MAX_EXTRA_HEADERS + 1;
	check_build_refused(&m, "extra headers");

	m = sample_message();
	buf_init(&small, 600);
	assert_int_equal(mime_build(&m, &small, &eb), -1);
	assert_int_equal(small.len, 0);
	assert_non_null(strstr(eb.msg, "limit"));
	buf_release(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address_valid),
	    cmocka_unit_test(test_parse_mailbox),
	    cmocka_unit_test(test_qp_encode_rules),
	    cmocka_unit_test(test_qp_long_lines),
	    cmocka_unit_test(test_qp_matches_reference),
	    cmocka_unit_test(test_message_ids_never_repeat),
	    cmocka_unit_test(test_qp_decode_lenient),
	    cmocka_unit_test(test_b64_decode_body),
	    cmocka_unit_test(test_header_plain),
	    cmocka_unit_test(test_header_encoded),
	    cmocka_unit_test(test_header_refused),
	    cmocka_unit_test(test_address_header),
	    cmocka_unit_test(test_date_and_message_id),
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_build_long_line),
	    cmocka_unit_test(test_build_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
