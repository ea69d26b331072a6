/*
 * mime: building RFC 5322 / MIME messages.
 *
 * A digest is a multipart/alternative message, text/plain first and
 * text/html last, both UTF-8 quoted-printable, with CRLF line ends and no
 * line over 998 octets. Headers are RFC 2047 encoded where they are not
 * plain ASCII, and folded at 78 columns.
 *
 * Design decision: this module is the only place that writes header text,
 * and it refuses (returns -1) any header value that contains CR, LF or NUL
 * and any address that does not validate, so nothing from a feed or a
 * profile can inject a header, whatever the caller forgot to check.
 */
#ifndef PAPERBOY_MIME_H
#define PAPERBOY_MIME_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "errbuf.h"

/* RFC 5321: a forward path is at most 256 octets, a local part 64. */
#define MIME_MAX_ADDRESS 254
#define MIME_MAX_LOCAL_PART 64
/* RFC 5322 line limit, CRLF excluded. */
#define MIME_MAX_LINE 998
/* Header fields are folded to stay within this width (RFC 5322 2.1.1). */
#define MIME_FOLD_WIDTH 78
/* A header value (before encoding) longer than this is refused. */
#define MIME_MAX_HEADER_VALUE 4096
/* At most this many extra headers per message. */
#define MIME_MAX_EXTRA_HEADERS 16

/*
 * 1 if addr is an acceptable addr-spec for us: local@domain, printable
 * ASCII, no spaces or controls, local part within RFC 5321 limits, domain
 * of dot-separated labels [A-Za-z0-9-] with at least one dot (or
 * "localhost"), total at most MIME_MAX_ADDRESS.
 */
int mime_address_valid(const char *addr);

/*
 * Parses a mailbox "Display Name <local@domain>" or a bare "local@domain"
 * into a newly allocated display name (NULL if none) and address.
 * Returns 0, or -1 with the reason in eb.
 */
int mime_parse_mailbox(const char *s, char **display, char **addr,
		       struct errbuf *eb);

/* Appends data[0..len) quoted-printable encoded (RFC 2045 6.7), lines
 * ending in CRLF, soft breaks keeping every line within 76 characters.
 * Input line ends (LF or CRLF) become hard CRLF breaks. */
int mime_qp_encode(const char *data, size_t len, struct buf *out);

/* The length mime_qp_encode() would append, without writing it. */
size_t mime_qp_encoded_len(const char *data, size_t len);

/*
 * The same encoding fed in pieces, for bodies assembled from parts encoded
 * ahead of time: the encoded output is the same as mime_qp_encode() of
 * the concatenated input, however the input is cut. Lines are encoded
 * when their line end arrives (the last one by mime_qp_finish).
 */
struct mime_qp {
	struct buf *out; /* the encoded output; NULL: only counted */
	size_t size;     /* bytes of encoded output so far */
	struct buf line; /* the current line, not yet ended */
	int err;
};
void mime_qp_init(struct mime_qp *q, struct buf *out);
/* Appends raw input. Returns 0, or -1 when out is full. */
int mime_qp_add(struct mime_qp *q, const char *data, size_t len);
/*
 * Appends enc[0..len), the output of mime_qp_encode() for input made of
 * whole lines (ending with '\n'), at a line start. Returns 0, or -1 when
 * out is full or the current line is not empty.
 */
int mime_qp_add_encoded(struct mime_qp *q, const char *enc, size_t len);
/* 1 if the input so far ends with a line end (or is empty). */
int mime_qp_at_line_start(const struct mime_qp *q);
/* Encodes the last line if it has no line end. Returns 0 or -1. */
int mime_qp_finish(struct mime_qp *q);
void mime_qp_release(struct mime_qp *q);

/* Decodes quoted-printable (for tests and inbound mail). */
int mime_qp_decode(const char *data, size_t len, struct buf *out);
/*
 * Appends base64 data[0..len) decoded, skipping what is outside the
 * alphabet (line breaks) as RFC 2045 6.8 says, up to the padding.
 * Returns 0, or -1 when out's limit was reached (out as it was).
 */
int mime_b64_decode(const char *data, size_t len, struct buf *out);

/*
 * Appends the header text s with its RFC 2047 encoded words
 * ("=?UTF-8?Q?unsubscribe_alice?=", Q or B) decoded, the blanks between
 * two adjacent encoded words dropped (RFC 2047 6.2), and anything that is
 * not a well-formed encoded word kept as it is. The charset is not
 * converted: the bytes are the sender's (inbound looks for ASCII words in
 * them). Returns 0, or -1 when out's limit was reached.
 */
int mime_decode_words(const char *s, struct buf *out);

/*
 * Appends "Name: value\r\n" with value RFC 2047 encoded (UTF-8, Q or B
 * encoding, encoded words of at most 75 characters) when it is not plain
 * printable ASCII, and folded to MIME_FOLD_WIDTH. Returns -1 with eb filled
 * if the value contains CR, LF or NUL or is too long.
 */
int mime_add_header(struct buf *out, const char *name, const char *value,
		    struct errbuf *eb);

/* Appends "Name: Display <addr>\r\n", the display name RFC 2047 encoded
 * or quoted as needed. Validates addr. Returns 0 or -1. */
int mime_add_address_header(struct buf *out, const char *name,
			    const char *display, const char *addr,
			    struct errbuf *eb);

/* Writes an RFC 5322 date ("Tue, 30 Dec 2025 06:00:00 +0000"). */
void mime_format_date(time_t t, char *out, size_t size);

/* A new unique Message-ID "<TIME.RANDOM@domain>" (with the brackets);
 * caller frees. */
char *mime_new_message_id(const char *domain);

struct mime_header {
	const char *name;
	const char *value;
};

struct mime_message {
	const char *from_display; /* may be NULL */
	const char *from_addr;
	const char *to_display;   /* may be NULL */
	const char *to_addr;
	const char *subject;      /* UTF-8 */
	time_t date;
	const char *message_id;   /* "<...@...>" */
	const char *list_id;      /* "Name <id>" value; NULL for none */
	struct mime_header extra[MIME_MAX_EXTRA_HEADERS];
	size_t nextra;
	const char *text;         /* UTF-8 text/plain body, LF or CRLF */
	size_t text_len;
	const char *html;         /* UTF-8 text/html body */
	size_t html_len;
	/* Instead of text and html: the bodies already quoted-printable
	 * encoded (mime_qp_*), written as they are. Both or none. */
	const struct buf *text_qp;
	const struct buf *html_qp;
};

/*
 * Appends the complete message (headers, multipart/alternative body with a
 * boundary that occurs in neither part) to out. Returns 0, or -1 with eb
 * filled (invalid address, CR/LF in a header value, invalid UTF-8).
 */
int mime_build(const struct mime_message *msg, struct buf *out,
	       struct errbuf *eb);

#endif
