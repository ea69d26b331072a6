/*
 * errbuf: fixed-size error messages with context (see errbuf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "banned.h"

int errbuf_set(struct errbuf *eb, const char *fmt, ...)
{
	va_list ap;

	if (!eb)
		return -1;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int errbuf_kind(struct errbuf *eb, enum errbuf_kind kind)
{
	if (eb)
		eb->kind = kind;
	return -1;
}

int errbuf_setk(struct errbuf *eb, enum errbuf_kind kind, const char *fmt,
		...)
{
	va_list ap;

	if (!eb)
		return -1;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	eb->kind = kind;
	return -1;
}

int errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
{
	char prefix[ERRBUF_SIZE];
	char old[ERRBUF_SIZE];
	va_list ap;

	if (!eb)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, eb->msg, sizeof(old));
	/* A truncated message still says what and where: ignore the length. */
	if (snprintf(eb->msg, sizeof(eb->msg), "%s: %s", prefix, old) < 0)
		eb->msg[0] = '\0';
	return -1;
}

void errbuf_clear(struct errbuf *eb)
{
	if (eb) {
		eb->msg[0] = '\0';
		eb->kind = ERRBUF_UNKNOWN;
	}
}
