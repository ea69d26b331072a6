/*
 * inbound: unsubscribe requests in raw mail (see inbound.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "inbound.h"
#include "mime.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Unfolded value of the first header `name` in the message, or NULL. */
static char *header_value(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *p = msg;
	struct buf v = BUF_INIT;

	while (*p && *p != '\n' && !(*p == '\r' && p[1] == '\n')) {
		const char *eol = strchr(p, '\n');
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *q = p + n + 1;
			for (;;) {
				const char *end = eol ? eol : q + strlen(q);
				while (q < end && (*q == ' ' || *q == '\t'))
					q++;
				buf_add(&v, q, (size_t)(end - q));
				while (v.len && (v.data[v.len - 1] == '\r'))
					buf_truncate(&v, v.len - 1);
				if (!eol || (eol[1] != ' ' && eol[1] != '\t'))
					break;
				buf_addch(&v, ' ');
				q = eol + 1;
				eol = strchr(q, '\n');
			}
			return buf_detach(&v, NULL);
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	buf_release(&v);
	return NULL;
}

/* What a subscriber id and a token are made of (subs.c, token.c). */
#define ID_CHARS                                                               \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
#define TOKEN_CHARS                                                            \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/*
 * 1 if both words are made only of what ids and tokens are made of:
 * anything else cannot be a request of ours, and must not reach a log
 * line (a CR in a recipient header, say).
 */
static int plausible(const char *id, const char *token)
{
	return id[0] && token[0] && !id[strspn(id, ID_CHARS)] &&
	       !token[strspn(token, TOKEN_CHARS)];
}

/* "unsubscribe ID TOKEN" anywhere in the subject (any case). */
static int from_subject(const char *subject, char **id, char **token)
{
	const char *p = subject;
	char a[INBOUND_MAX_WORD + 1], b[INBOUND_MAX_WORD + 1];

	for (; *p; p++) {
		if (strncasecmp(p, "unsubscribe ", 12))
			continue;
		if (sscanf(p + 12,
			   "%" STR(INBOUND_MAX_WORD) "s %" STR(
				   INBOUND_MAX_WORD) "s",
			   a, b) == 2 && plausible(a, b)) {
			*id = xstrdup(a);
			*token = xstrdup(b);
			return 1;
		}
	}
	return 0;
}

/* LOCAL+ID.TOKEN@domain in a recipient header. */
static int from_extension(const char *rcpt, char **id, char **token)
{
	const char *plus = strchr(rcpt, '+'), *at, *dot;

	if (!plus || !(at = strchr(plus, '@')))
		return 0;
	for (dot = at; dot > plus && *dot != '.'; dot--)
		;
	if (dot <= plus + 1 || at - dot < 2)
		return 0;
	*id = xstrndup(plus + 1, (size_t)(dot - plus - 1));
	*token = xstrndup(dot + 1, (size_t)(at - dot - 1));
	if (plausible(*id, *token))
		return 1;
	free(*id);
	free(*token);
	*id = *token = NULL;
	return 0;
}

int inbound_find_request(const char *msg, char **id, char **token)
{
	static const char *const rcpt_headers[] = { "Delivered-To",
						    "X-Original-To", "To" };
	char *v;
	size_t i;
	int found = 0;

	*id = *token = NULL;
	v = header_value(msg, "Subject");
	if (v) {
		/* Mail clients may encode the whole subject (RFC 2047). */
		struct buf subject;

		buf_init(&subject, INBOUND_MAX_SUBJECT);
		if (mime_decode_words(v, &subject) == 0)
			found = from_subject(buf_str(&subject), id, token);
		if (!found)
			found = from_subject(v, id, token);
		buf_release(&subject);
	}
	free(v);
	for (i = 0; !found && i < ARRAY_SIZE(rcpt_headers); i++) {
		v = header_value(msg, rcpt_headers[i]);
		if (v)
			found = from_extension(v, id, token);
		free(v);
	}
	return found;
}

int inbound_forward_copy(const char *msg, size_t len, const char *why,
			 struct buf *out, struct errbuf *eb)
{
	char *seen;
	size_t i;

	/* header_value reads up to the first NUL: the headers come first. */
	seen = header_value(msg, INBOUND_FORWARDED_HEADER);
	if (seen) {
		free(seen);
		return errbuf_setk(eb, ERRBUF_DATA,
				   "the message was forwarded by paperboy "
				   "before (" INBOUND_FORWARDED_HEADER "): not "
				   "again, or mail would loop");
	}
	buf_addf(out, INBOUND_FORWARDED_HEADER ": %s\r\n", why);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			buf_addch(out, '\r');
		buf_addch(out, msg[i]);
	}
	if (len && msg[len - 1] != '\n')
		buf_addstr(out, "\r\n");
	if (buf_failed(out))
		return errbuf_setk(eb, ERRBUF_DATA,
				   "the message is too large to forward");
	return 0;
}
