/*
 * inbound: finds an unsubscribe request in a raw mail message, as `paperboy
 * inbound` receives it on stdin from the MTA.
 *
 * Also: the copy of a reply forwarded to the list's owner.
 *
 * Design decision: the message is a stranger's, so this only reads headers
 * and extracts the two strings a request is made of; it never trusts them
 * (the caller verifies the token) and decodes no MIME body: a request is
 * the mailto link of List-Unsubscribe, plain ASCII, though a mail client
 * may send its Subject RFC 2047 encoded, which is decoded.
 */
#ifndef PAPERBOY_INBOUND_H
#define PAPERBOY_INBOUND_H

#include <stddef.h>

#include "buf.h"
#include "errbuf.h"

/* An id or token longer than this in a Subject is not one of ours
 * (ids are at most SUBS_MAX_ID, tokens well under 100 characters). */
#define INBOUND_MAX_WORD 127
/* A decoded Subject longer than this is cut (ours is about 90 bytes). */
#define INBOUND_MAX_SUBJECT ((size_t)16 << 10)

/*
 * Looks for "unsubscribe ID TOKEN" anywhere in the Subject (any case; RFC
 * 2047 encoded words decoded), then
 * for a recipient LOCAL+ID.TOKEN@DOMAIN in Delivered-To, X-Original-To and
 * To, in that order; an id or token with a character ids or tokens never
 * have (whitespace, a line break, '<') does not count. msg is the message
 * text up to its first NUL. Returns 1 with *id and *token set (the caller
 * frees both), or 0 with both NULL when the message holds no request.
 */
int inbound_find_request(const char *msg, char **id, char **token);

/* The header paperboy puts on what it forwards: a message that has it
 * came back to us and is not forwarded again (no mail loop). */
#define INBOUND_FORWARDED_HEADER "X-Paperboy-Forwarded"

/*
 * A copy of msg (len bytes) to forward to the list's owner: a first
 * header "X-Paperboy-Forwarded: WHY" (why: one line, e.g. "a reply"),
 * then the message as it came, with CRLF line ends for the wire. Returns
 * 0, or -1 with eb filled when msg already carries that header (it was
 * forwarded by us once) or the copy would exceed out's limit.
 */
int inbound_forward_copy(const char *msg, size_t len, const char *why,
			 struct buf *out, struct errbuf *eb);

#endif
