/*
 * bounce: reading bounces (see bounce.h).
 *
 * Design decision: a small MIME walker of its own, over slices of the one
 * copy of the message, that only looks at what a bounce is made of: the
 * delivery-status part, the returned message's headers and the text
 * parts. Everything is bounded (input, depth, parts, field lengths), and
 * nothing read is trusted: every address and Message-ID is checked for
 * shape before it is kept, so a stranger's text never reaches a log line
 * or a file name as it was written.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "buf.h"
#include "mime.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* The longest address kept: RFC 5321's path limit. */
#define MAX_ADDRESS 254
/* The server's reply is cut to this many bytes for a log line. */
#define MAX_DIAGNOSTIC 300
/* Bytes of decoded text scanned for the non-standard formats. */
#define MAX_TEXT ((size_t)256 << 10)
/* A header value (unfolded) longer than this is cut. */
#define MAX_HEADER 4096

struct slice {
	const char *p;
	size_t n;
};

/* What the walk over the MIME tree found. */
struct walk {
	int parts;
	int is_report;	 /* multipart/report; report-type=delivery-status */
	int has_dsn;	 /* a message/delivery-status part was read */
	struct buf text; /* decoded text/plain parts, in order */
	struct bounce_report *r;
	/* From the delivery-status part: the worst recipient block. */
	char *action;
};

/* ---- small string helpers ---- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *trim_dup(const char *p, size_t n)
{
	while (n && (is_blank(*p) || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	while (n &&
	       (is_blank(p[n - 1]) || p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	return xstrndup(p, n);
}

/* Case-insensitive strstr within s[0..n). */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	if (!k || k > n)
		return NULL;
	for (i = 0; i + k <= n; i++)
		if (!strncasecmp(s + i, needle, k))
			return s + i;
	return NULL;
}

/* The end of the line starting at p (the '\n' or end), within [p, end). */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* 1 if [p, e) is an empty line (nothing, or a lone CR). */
static int empty_line(const char *p, const char *e)
{
	return p == e || (e - p == 1 && *p == '\r');
}

/* ---- entities and headers ---- */

/* Splits an entity at its first empty line into headers and body. */
static void split_entity(struct slice ent, struct slice *hdr,
			 struct slice *body)
{
	const char *p = ent.p, *end = ent.p + ent.n;

	while (p < end) {
		const char *e = line_end(p, end);

		if (empty_line(p, e)) {
			hdr->p = ent.p;
			hdr->n = (size_t)(p - ent.p);
			body->p = e < end ? e + 1 : end;
			body->n = (size_t)(end - body->p);
			return;
		}
		p = e < end ? e + 1 : end;
	}
	*hdr = ent;
	body->p = end;
	body->n = 0;
}

/*
 * Calls fn for every header field of hdr with its name and its unfolded
 * value (at most MAX_HEADER bytes); stops when fn returns non-zero and
 * returns that.
 */
static int each_header(struct slice hdr,
		       int (*fn)(const char *name, size_t nlen,
				 const char *value, void *ctx),
		       void *ctx)
{
	const char *p = hdr.p, *end = hdr.p + hdr.n;
	struct buf v;
	int r = 0;

	buf_init(&v, MAX_HEADER);
	while (p < end && !r) {
		const char *e = line_end(p, end), *colon, *q;
		size_t nlen;

		colon = memchr(p, ':', (size_t)(e - p));
		if (is_blank(*p) || !colon) {
			p = e < end ? e + 1 : end;
			continue;
		}
		nlen = (size_t)(colon - p);
		buf_reset(&v);
		q = colon + 1;
		for (;;) {
			while (q < e && is_blank(*q))
				q++;
			buf_add(&v, q, (size_t)(e - q));
			while (v.len && (v.data[v.len - 1] == '\r' ||
					 is_blank(v.data[v.len - 1])))
				buf_truncate(&v, v.len - 1);
			if (e >= end || e + 1 >= end || !is_blank(e[1]))
				break;
			buf_addch(&v, ' ');
			q = e + 1;
			e = line_end(q, end);
		}
		r = fn(p, nlen, buf_str(&v), ctx);
		p = e < end ? e + 1 : end;
	}
	buf_release(&v);
	return r;
}

struct get_ctx {
	const char *name;
	char *value;
	struct strv *all;
};

static int get_one(const char *name, size_t nlen, const char *value, void *ctx)
{
	struct get_ctx *g = ctx;

	if (strlen(g->name) != nlen || strncasecmp(name, g->name, nlen))
		return 0;
	if (g->all) {
		strv_push(g->all, value);
		return 0;
	}
	g->value = xstrdup(value);
	return 1;
}

/* The first header `name` in hdr (unfolded; caller frees) or NULL. */
static char *hdr_get(struct slice hdr, const char *name)
{
	struct get_ctx g = {name, NULL, NULL};

	each_header(hdr, get_one, &g);
	return g.value;
}

/* Every header `name` in hdr, in order, appended to out. */
static void hdr_get_all(struct slice hdr, const char *name, struct strv *out)
{
	struct get_ctx g = {name, NULL, out};

	each_header(hdr, get_one, &g);
}

/* The media type of a Content-Type value, lower case (caller frees). */
static char *ct_type(const char *ct)
{
	size_t n = strcspn(ct, ";");
	char *t = trim_dup(ct, n), *p;

	for (p = t; *p; p++)
		*p = util_tolower(*p);
	return t;
}

/* A parameter of a Content-Type value (unquoted; caller frees) or NULL. */
static char *ct_param(const char *ct, const char *name)
{
	const char *p = strchr(ct, ';');
	size_t k = strlen(name);

	while (p) {
		p++;
		while (is_blank(*p))
			p++;
		if (!strncasecmp(p, name, k) && p[k] == '=') {
			const char *v = p + k + 1, *e;

			if (*v == '"') {
				e = strchr(++v, '"');
				if (!e)
					return NULL;
			} else {
				e = v + strcspn(v, "; \t");
			}
			return xstrndup(v, (size_t)(e - v));
		}
		/* Skip to the next ';' outside quotes. */
		while (*p && *p != ';') {
			if (*p == '"') {
				p = strchr(p + 1, '"');
				if (!p)
					return NULL;
			}
			p++;
		}
		p = *p ? p : NULL;
	}
	return NULL;
}

/* ---- transfer encodings ---- */

/* Decodes body by its Content-Transfer-Encoding into out (mime.h); a
 * part that does not fit leaves out empty. */
static void decode_body(struct slice body, const char *cte, struct buf *out)
{
	if (cte && !strcasecmp(cte, "base64"))
		mime_b64_decode(body.p, body.n, out);
	else if (cte && !strcasecmp(cte, "quoted-printable"))
		mime_qp_decode(body.p, body.n, out);
	else
		buf_add(out, body.p, body.n);
}

/* ---- addresses and Message-IDs ---- */

/* 1 if s looks like an addr-spec: local@domain, no blanks or controls. */
static int address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s), i;

	if (!at || at == s || !at[1] || strchr(at + 1, '@') || n > MAX_ADDRESS)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    strchr("<>()[],;:\"\\", s[i]))
			return 0;
	return 1;
}

/*
 * The first address in text: inside <...> when there are brackets, else
 * the first word with an '@'; "rfc822;" in front is skipped. NULL when
 * there is none of the right shape.
 */
static char *first_address(const char *text)
{
	const char *p = text, *lt, *gt;
	char *a;

	if (!strncasecmp(p, "rfc822;", 7))
		p += 7;
	lt = strchr(p, '<');
	if (lt && (gt = strchr(lt, '>')) != NULL) {
		a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		if (address_ok(a))
			return a;
		free(a);
	}
	while (*p) {
		size_t n;

		p += strspn(p, " \t\r\n,;<\"'(");
		n = strcspn(p, " \t\r\n,;>\"')");
		if (!n)
			break;
		a = xstrndup(p, n);
		/* A sentence's full stop is not part of the address. */
		while (n && (a[n - 1] == '.' || a[n - 1] == ':'))
			a[--n] = '\0';
		if (address_ok(a))
			return a;
		free(a);
		p += strcspn(p, " \t\r\n,;>\"')");
	}
	return NULL;
}

/* Adds the <...> Message-ID in value to the report, checked and once. */
static void add_message_id(struct bounce_report *r, const char *value)
{
	const char *lt = strchr(value, '<'), *gt;
	char *id;
	size_t i, n;

	if (!lt || !(gt = strchr(lt, '>')) ||
	    r->message_ids.n >= BOUNCE_MAX_IDS)
		return;
	n = (size_t)(gt - lt + 1);
	if (n < 5 || n > BOUNCE_MAX_FIELD)
		return;
	for (i = 1; i + 1 < n; i++)
		if ((unsigned char)lt[i] <= ' ' ||
		    (unsigned char)lt[i] >= 0x7f || lt[i] == '<')
			return;
	id = xstrndup(lt, n);
	if (!strchr(id, '@') || strv_contains(&r->message_ids, id)) {
		free(id);
		return;
	}
	strv_push_owned(&r->message_ids, id);
}

/* A field value as one printable line of at most MAX_DIAGNOSTIC bytes. */
static char *one_line(const char *s)
{
	struct buf b;
	const char *p = s, *end = s + strlen(s);

	buf_init(&b, MAX_DIAGNOSTIC);
	while (p < end) {
		const char *q = p;
		int32_t cp = util_utf8_next(&p, end);

		if (cp < 0x20 || cp == 0x7f) {
			if (b.len && b.data[b.len - 1] != ' ' &&
			    buf_addch(&b, ' ') < 0)
				break;
		} else if (buf_add(&b, q, (size_t)(p - q)) < 0) {
			break;
		}
	}
	while (b.len && b.data[b.len - 1] == ' ')
		buf_truncate(&b, b.len - 1);
	return buf_detach(&b, NULL);
}

/* ---- status codes ---- */

/*
 * The first enhanced status code ("5.1.1") in s[0..n) whose class is 4
 * or 5, copied into out (at most 12 bytes); 0 when there is none.
 */
static int find_enhanced(const char *s, size_t n, char out[13])
{
	size_t i, j;

	for (i = 0; i + 5 <= n; i++) {
		int d1 = 0, d2 = 0;

		if (s[i] != '4' && s[i] != '5')
			continue;
		if (i > 0 &&
		    ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '.'))
			continue;
		if (s[i + 1] != '.')
			continue;
		for (j = i + 2; j < n && s[j] >= '0' && s[j] <= '9'; j++)
			d1++;
		if (!d1 || d1 > 3 || j >= n || s[j] != '.')
			continue;
		for (j++; j < n && s[j] >= '0' && s[j] <= '9'; j++)
			d2++;
		if (!d2 || d2 > 3 ||
		    (j < n && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9'))))
			continue;
		memcpy(out, s + i, j - i);
		out[j - i] = '\0';
		return 1;
	}
	return 0;
}

/* The first basic SMTP reply code 4xx/5xx standing alone ("550 ",
 * "550-") in s[0..n): its first digit, or 0. */
static int find_basic(const char *s, size_t n, const char **at)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++) {
		if ((s[i] != '4' && s[i] != '5') ||
		    (i > 0 && s[i - 1] != ' ' && s[i - 1] != '\n' &&
		     s[i - 1] != '\t' && s[i - 1] != ';' && s[i - 1] != ':'))
			continue;
		if (s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' ||
		    s[i + 2] > '9' || (s[i + 3] != ' ' && s[i + 3] != '-'))
			continue;
		*at = s + i;
		return s[i];
	}
	return 0;
}

/* ---- RFC 3464 delivery-status ---- */

struct dsn_block {
	char *final_rcpt, *orig_rcpt, *action, *status, *diag;
};

static int dsn_field(const char *name, size_t nlen, const char *value,
		     void *ctx)
{
	struct dsn_block *b = ctx;
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
	    {"Final-Recipient", offsetof(struct dsn_block, final_rcpt)},
	    {"Original-Recipient", offsetof(struct dsn_block, orig_rcpt)},
	    {"Action", offsetof(struct dsn_block, action)},
	    {"Status", offsetof(struct dsn_block, status)},
	    {"Diagnostic-Code", offsetof(struct dsn_block, diag)},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		char **slot = (char **)((char *)b + fields[i].off);

		if (strlen(fields[i].name) == nlen &&
		    !strncasecmp(name, fields[i].name, nlen) && !*slot)
			*slot = xstrdup(value);
	}
	return 0;
}

static void dsn_block_release(struct dsn_block *b)
{
	free(b->final_rcpt);
	free(b->orig_rcpt);
	free(b->action);
	free(b->status);
	free(b->diag);
	memset(b, 0, sizeof(*b));
}

/* Rank of a recipient block: failed over delayed over anything else. */
static int action_rank(const char *action)
{
	if (!action)
		return 0;
	if (!strncasecmp(action, "failed", 6))
		return 3;
	if (!strncasecmp(action, "delayed", 7))
		return 2;
	return 1;
}

/* Reads a delivery-status body: the per-recipient block that failed
 * (else the one delayed, else the first) fills the report. */
static void read_dsn(struct walk *w, struct slice body)
{
	const char *end = body.p + body.n, *start = body.p;
	struct dsn_block best = {0}, cur = {0};
	int best_rank = -1;

	w->has_dsn = 1;
	while (start < end) {
		struct slice blk;
		const char *q = start;

		/* A block runs to the next empty line. */
		while (q < end) {
			const char *e = line_end(q, end);

			if (empty_line(q, e))
				break;
			q = e < end ? e + 1 : end;
		}
		blk.p = start;
		blk.n = (size_t)(q - start);
		each_header(blk, dsn_field, &cur);
		if ((cur.final_rcpt || cur.action) &&
		    action_rank(cur.action) > best_rank) {
			dsn_block_release(&best);
			best = cur;
			best_rank = action_rank(cur.action);
			memset(&cur, 0, sizeof(cur));
		}
		dsn_block_release(&cur);
		start = q < end ? line_end(q, end) + 1 : end;
	}
	if (best_rank < 0)
		return;
	if (best.final_rcpt)
		w->r->recipient = first_address(best.final_rcpt);
	if (!w->r->recipient && best.orig_rcpt)
		w->r->recipient = first_address(best.orig_rcpt);
	if (best.status) {
		char code[13];

		if (find_enhanced(best.status, strlen(best.status), code))
			w->r->status = xstrdup(code);
	}
	if (best.diag) {
		const char *d = strchr(best.diag, ';');

		w->r->diagnostic = one_line(d ? d + 1 : best.diag);
		if (w->r->diagnostic[0] == ' ') {
			char *t = trim_dup(w->r->diagnostic,
					   strlen(w->r->diagnostic));
			free(w->r->diagnostic);
			w->r->diagnostic = t;
		}
	}
	free(w->action);
	w->action = best.action ? xstrdup(best.action) : xstrdup("");
	dsn_block_release(&best);
}

/* ---- the MIME walk ---- */

static void walk_entity(struct walk *w, struct slice ent, int depth);

static void walk_multipart(struct walk *w, struct slice body,
			   const char *boundary, int depth)
{
	const char *p = body.p, *end = body.p + body.n, *part = NULL;
	size_t bl = strlen(boundary);

	if (!bl || bl > 70 || depth >= BOUNCE_MAX_DEPTH)
		return;
	while (p < end) {
		const char *e = line_end(p, end);
		int delim = e - p >= (ptrdiff_t)(bl + 2) && p[0] == '-' &&
			    p[1] == '-' && !memcmp(p + 2, boundary, bl);

		if (delim) {
			int close = e - p >= (ptrdiff_t)(bl + 4) &&
				    p[bl + 2] == '-' && p[bl + 3] == '-';

			if (part) {
				struct slice s = {part, (size_t)(p - part)};

				walk_entity(w, s, depth + 1);
			}
			if (close)
				return;
			part = e < end ? e + 1 : end;
		}
		p = e < end ? e + 1 : end;
	}
	/* A last part without its closing delimiter still counts. */
	if (part && part < end) {
		struct slice s = {part, (size_t)(end - part)};

		walk_entity(w, s, depth + 1);
	}
}

static void walk_entity(struct walk *w, struct slice ent, int depth)
{
	struct slice hdr, body;
	char *ct, *type, *cte;
	struct buf dec;

	if (++w->parts > BOUNCE_MAX_PARTS)
		return;
	split_entity(ent, &hdr, &body);
	ct = hdr_get(hdr, "Content-Type");
	type = ct_type(ct ? ct : "text/plain");
	cte = hdr_get(hdr, "Content-Transfer-Encoding");
	buf_init(&dec, BOUNCE_MAX_INPUT);
	if (!strncmp(type, "multipart/", 10)) {
		char *boundary = ct_param(ct, "boundary");
		char *rt = ct_param(ct, "report-type");

		if (!strcmp(type, "multipart/report") && rt &&
		    !strcasecmp(rt, "delivery-status"))
			w->is_report = 1;
		if (boundary)
			walk_multipart(w, body, boundary, depth);
		free(boundary);
		free(rt);
	} else if (!strcmp(type, "message/delivery-status") ||
		   !strcmp(type, "message/global-delivery-status")) {
		struct slice s;

		decode_body(body, cte, &dec);
		s.p = dec.data ? dec.data : "";
		s.n = dec.len;
		if (!w->has_dsn)
			read_dsn(w, s);
	} else if (!strcmp(type, "message/rfc822") ||
		   !strcmp(type, "message/global") ||
		   !strcmp(type, "text/rfc822-headers") ||
		   !strcmp(type, "message/rfc822-headers")) {
		struct slice s, h, b;
		char *mid;

		decode_body(body, cte, &dec);
		s.p = dec.data ? dec.data : "";
		s.n = dec.len;
		split_entity(s, &h, &b);
		mid = hdr_get(h, "Message-ID");
		if (mid)
			add_message_id(w->r, mid);
		free(mid);
	} else if (!strcmp(type, "text/plain") && w->text.len < MAX_TEXT) {
		decode_body(body, cte, &dec);
		buf_add(&w->text, dec.data ? dec.data : "",
			dec.len < MAX_TEXT - w->text.len
			    ? dec.len
			    : MAX_TEXT - w->text.len);
		buf_addch(&w->text, '\n');
	}
	buf_release(&dec);
	free(ct);
	free(type);
	free(cte);
}

/* ---- the non-standard formats ---- */

/* Where a copy of the returned message starts in a text bounce. */
static const char *const copy_markers[] = {
    "------ This is a copy of the message",	    /* Exim */
    "--- Below this line is a copy of the message", /* qmail */
    "----- Original message -----",
    "------ The body of the message is",
    "Original message headers:", /* Exchange */
    "----- Original Message -----",
};

/* Text that follows only a delivery failure report. */
static const struct {
	const char *text;
	const char *format;
} body_markers[] = {
    {"This message was created automatically by mail delivery software",
     "exim"},
    {"I'm afraid I wasn't able to deliver your message", "qmail"},
    {"This is the mail system at host", "postfix"},
    {"Your message did not reach some or all of the intended recipients",
     "exchange"},
    {"Delivery has failed to these recipients or groups", "exchange"},
    {"The following recipient(s) cannot be reached", "exchange"},
    {"Your message wasn't delivered to", "gmail"},
    {"Address not found", "gmail"},
    {"Delivery to the following recipient failed permanently", "gmail"},
    {"The following address(es) failed", "exim"},
    {"could not be delivered to one or more of its", "exim"},
    {"Message delivery has been delayed", "text"},
    {"Delivery to the following recipients failed", "text"},
    {"The original message was received at", "text"},
};

/* The recipient follows these (next word with an '@'). */
static const char *const rcpt_markers[] = {
    "The following address(es) failed:",
    "Delivery has failed to these recipients or groups:",
    "The following recipient(s) cannot be reached:",
    "Your message wasn't delivered to ",
    "Delivery to the following recipient failed permanently:",
    "Delivery to the following recipient has been delayed:",
    "Delivery to the following recipients failed.",
    "wasn't able to deliver your message to the following addresses.",
};

/* Subjects of failure reports. */
static const char *const bounce_subjects[] = {
    "Undelivered Mail Returned to Sender",
    "Mail delivery failed",
    "Undeliverable:",
    "Undeliverable mail",
    "Delivery Status Notification",
    "failure notice",
    "Returned mail:",
    "Delivery failure",
    "Mail System Error",
    "Warning: message",
    "Delayed Mail",
    "Delivery delayed",
    "Non remis",
    "Unzustellbar",
};

/* Subjects of auto-replies (RFC 3834 replies of people who are away). */
static const char *const autoreply_subjects[] = {
    "Out of Office", "Out of the Office", "Automatic reply",	 "Auto:",
    "Autoreply",     "Auto-Reply",	  "Auto Response",	 "Away from",
    "Vacation",	     "Abwesenheitsnotiz", "Réponse automatique",
};

/* Words that make a report without a status permanent or temporary. */
static const char *const permanent_words[] = {
    "This is a permanent error",
    "failed permanently",
    "I've given up",
    "address couldn't be found",
    "does not exist",
    "User unknown",
    "No such user",
    "unknown user",
    "mailbox unavailable",
    "Recipient address rejected",
    "email account that you tried to reach does not exist",
};
static const char *const temporary_words[] = {
    "has been delayed", "will retry", "will be retried",
    "temporary",	"delayed",    "still trying",
};

static int subject_has(const char *subject, const char *const *list, size_t n)
{
	size_t i;

	if (!subject)
		return 0;
	for (i = 0; i < n; i++)
		if (find_ci(subject, strlen(subject), list[i]))
			return 1;
	return 0;
}

static int any_of(const char *s, size_t n, const char *const *list,
		  size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (find_ci(s, n, list[i]))
			return 1;
	return 0;
}

/* "<addr>:" at the start of a line (Postfix's and qmail's text). */
static char *bracket_line_address(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		const char *e = line_end(p, end), *gt;

		if (*p == '<' && (gt = memchr(p, '>', (size_t)(e - p))) &&
		    gt + 1 < e && gt[1] == ':') {
			char *a = xstrndup(p + 1, (size_t)(gt - p - 1));

			if (address_ok(a))
				return a;
			free(a);
		}
		p = e < end ? e + 1 : end;
	}
	return NULL;
}

/* The first address on the first non-empty line from p on. */
static char *address_after(const char *p, const char *end)
{
	char *line, *a;

	while (p < end && (is_blank(*p) || *p == '\r' || *p == '\n'))
		p++;
	line = xstrndup(p, (size_t)(line_end(p, end) - p));
	a = first_address(line);
	free(line);
	return a;
}

/* Reads the recipient, status and Message-IDs a text report names. */
static void read_text(struct walk *w, const char **format)
{
	struct bounce_report *r = w->r;
	const char *s = buf_str(&w->text), *end = s + w->text.len, *m;
	size_t expl = w->text.len, i;
	char code[13];

	for (i = 0; i < ARRAY_SIZE(copy_markers); i++) {
		m = find_ci(s, w->text.len, copy_markers[i]);
		if (m && (size_t)(m - s) < expl)
			expl = (size_t)(m - s);
	}
	for (i = 0; i < ARRAY_SIZE(body_markers) && !*format; i++)
		if (find_ci(s, expl, body_markers[i].text))
			*format = body_markers[i].format;
	for (i = 0; i < ARRAY_SIZE(rcpt_markers) && !r->recipient; i++) {
		m = find_ci(s, expl, rcpt_markers[i]);
		if (m)
			r->recipient =
			    address_after(m + strlen(rcpt_markers[i]), end);
	}
	if (!r->recipient)
		r->recipient = bracket_line_address(s, expl);
	if (!r->status && find_enhanced(s, expl, code))
		r->status = xstrdup(code);
	if (!r->diagnostic) {
		const char *at = NULL;

		if (r->status)
			at = find_ci(s, expl, r->status);
		if (!at && !find_basic(s, expl, &at))
			at = NULL;
		if (at) {
			const char *b = at;
			char *line;

			while (b > s && b[-1] != '\n')
				b--;
			line = xstrndup(b, (size_t)(line_end(at, end) - b));
			r->diagnostic = one_line(line);
			free(line);
			if (!r->diagnostic[0] || r->diagnostic[0] == ' ') {
				char *t = trim_dup(r->diagnostic,
						   strlen(r->diagnostic));
				free(r->diagnostic);
				r->diagnostic = t;
			}
		}
	}
	/* The returned message's own Message-ID line(s). */
	for (m = s; m < end;) {
		const char *e = line_end(m, end), *q = m;

		while (q < e && is_blank(*q))
			q++;
		if ((size_t)(e - q) > 11 &&
		    !strncasecmp(q, "Message-ID:", 11)) {
			char *v = xstrndup(q + 11, (size_t)(e - q - 11));

			add_message_id(r, v);
			free(v);
		}
		m = e < end ? e + 1 : end;
	}
}

/* The kind a text report's status, reply code and words say. */
static enum bounce_kind text_kind(const struct walk *w)
{
	const struct bounce_report *r = w->r;
	const char *s = buf_str(&w->text), *at;
	size_t n = w->text.len;
	int basic;

	if (r->status)
		return r->status[0] == '5' ? BOUNCE_HARD : BOUNCE_SOFT;
	basic = find_basic(s, n, &at);
	if (basic)
		return basic == '5' ? BOUNCE_HARD : BOUNCE_SOFT;
	if (any_of(s, n, temporary_words, ARRAY_SIZE(temporary_words)))
		return BOUNCE_SOFT;
	if (any_of(s, n, permanent_words, ARRAY_SIZE(permanent_words)))
		return BOUNCE_HARD;
	return BOUNCE_SOFT;
}

/* The more telling name for a standard report, from who wrote it. */
static const char *report_format(const char *from, const char *subject)
{
	if (subject && find_ci(subject, strlen(subject),
			       "Undelivered Mail Returned to Sender"))
		return "postfix";
	if (subject && find_ci(subject, strlen(subject),
			       "Delayed Mail (still being retried)"))
		return "postfix";
	if (subject && find_ci(subject, strlen(subject), "Undeliverable"))
		return "exchange";
	if ((subject && find_ci(subject, strlen(subject),
				"Delivery Status Notification")) ||
	    (from && find_ci(from, strlen(from), "google")))
		return "gmail";
	if (subject &&
	    find_ci(subject, strlen(subject), "Mail delivery failed"))
		return "exim";
	return "rfc3464";
}

static void envelope_candidates(struct slice hdr, struct bounce_report *r)
{
	static const char *const names[] = {"Delivered-To", "X-Original-To",
					    "Envelope-To", "To"};
	struct strv all = STRV_INIT;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		hdr_get_all(hdr, names[i], &all);
		for (j = 0; j < all.n; j++) {
			char *a = first_address(all.v[j]);

			if (a && !strv_contains(&r->envelope_to, a))
				strv_push_owned(&r->envelope_to, a);
			else
				free(a);
		}
		strv_release(&all);
	}
}

int bounce_parse(const char *msg, size_t len, struct bounce_report *out)
{
	struct walk w;
	struct slice ent, hdr, body;
	char *copy, *from = NULL, *subject = NULL, *rp = NULL, *xfr = NULL,
		    *autoreply = NULL, *mid = NULL;
	const char *format = NULL;
	int sender_signal, ret = 0;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.r = out;
	buf_init(&w.text, MAX_TEXT + 2);
	if (len > BOUNCE_MAX_INPUT)
		len = BOUNCE_MAX_INPUT;
	copy = xstrndup(msg, len);
	ent.p = copy;
	ent.n = strlen(copy);
	split_entity(ent, &hdr, &body);
	from = hdr_get(hdr, "From");
	subject = hdr_get(hdr, "Subject");
	rp = hdr_get(hdr, "Return-Path");
	xfr = hdr_get(hdr, "X-Failed-Recipients");
	autoreply = hdr_get(hdr, "X-Autoreply");
	if (!autoreply)
		autoreply = hdr_get(hdr, "X-Autorespond");
	mid = hdr_get(hdr, "Message-ID");
	if (mid) {
		struct bounce_report tmp;

		memset(&tmp, 0, sizeof(tmp));
		add_message_id(&tmp, mid);
		if (tmp.message_ids.n)
			out->bounce_id = xstrdup(tmp.message_ids.v[0]);
		strv_release(&tmp.message_ids);
	}
	envelope_candidates(hdr, out);
	walk_entity(&w, ent, 0);

	if (w.action) {
		int rank = action_rank(w.action);

		if (rank < 2) {
			out->reason = "a delivery report of success, not a "
				      "failure";
			goto not_bounce;
		}
		if (out->status)
			out->kind =
			    out->status[0] == '5' ? BOUNCE_HARD : BOUNCE_SOFT;
		else
			out->kind = BOUNCE_SOFT;
		if (rank == 2)
			out->kind = BOUNCE_SOFT;
		out->format = report_format(from, subject);
		/* A report's text may name Message-IDs it did not return. */
		if (!out->message_ids.n)
			read_text(&w, &format);
		out->reason = "RFC 3464 delivery status report";
		ret = 1;
		goto out;
	}
	if (autoreply || subject_has(subject, autoreply_subjects,
				     ARRAY_SIZE(autoreply_subjects))) {
		out->reason = "an auto-reply, not a bounce";
		goto not_bounce;
	}
	sender_signal =
	    xfr != NULL || (rp && !strcmp(rp, "<>")) ||
	    (from && (find_ci(from, strlen(from), "mailer-daemon") ||
		      find_ci(from, strlen(from), "postmaster@") ||
		      find_ci(from, strlen(from), "Mail Delivery"))) ||
	    subject_has(subject, bounce_subjects, ARRAY_SIZE(bounce_subjects));
	if (!sender_signal) {
		out->reason = "not from a mail system and no failure report";
		goto not_bounce;
	}
	read_text(&w, &format);
	if (xfr && !out->recipient)
		out->recipient = first_address(xfr);
	if (!format && !xfr) {
		out->reason = "no delivery failure report in the text";
		goto not_bounce;
	}
	if (!out->recipient && !out->status) {
		out->reason = "a failure report naming neither a recipient "
			      "nor a status";
		goto not_bounce;
	}
	out->format = format ? format : "text";
	out->kind = text_kind(&w);
	out->reason = "a mail system's failure report";
	ret = 1;
	goto out;
not_bounce:
	/* Nothing of a non-bounce is kept but its addressing. */
	out->kind = BOUNCE_NONE;
	out->format = NULL;
	free(out->recipient);
	free(out->status);
	free(out->diagnostic);
	out->recipient = out->status = out->diagnostic = NULL;
	strv_release(&out->message_ids);
out:
	free(w.action);
	buf_release(&w.text);
	free(copy);
	free(from);
	free(subject);
	free(rp);
	free(xfr);
	free(autoreply);
	free(mid);
	return ret;
}

void bounce_report_release(struct bounce_report *r)
{
	free(r->recipient);
	free(r->status);
	free(r->diagnostic);
	strv_release(&r->message_ids);
	strv_release(&r->envelope_to);
	free(r->bounce_id);
	memset(r, 0, sizeof(*r));
}

const char *bounce_kind_name(enum bounce_kind k)
{
	switch (k) {
	case BOUNCE_HARD:
		return "hard";
	case BOUNCE_SOFT:
		return "soft";
	default:
		return "none";
	}
}
