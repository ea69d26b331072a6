/*
 * render: a digest as the HTML and plain-text bodies and the subject line.
 *
 * Design decision: all wording and layout live in templates/digest.html and
 * templates/digest.txt; this module only builds the values the templates
 * see (documented in templates/README.md) and wraps the text part at 78
 * columns after rendering, so template authors never count columns.
 */
#ifndef PAPERBOY_RENDER_H
#define PAPERBOY_RENDER_H

#include "buf.h"
#include "conf.h"
#include "digest.h"
#include "errbuf.h"
#include "tmpl.h"

/* An encoded part larger than this is refused: quoted-printable takes at
 * most three bytes per byte, plus soft line breaks. */
#define RENDER_MAX_ENCODED (RENDER_MAX_BODY * 4)
/* The text part is wrapped at this width (RFC 3676's recommendation). */
#define RENDER_TEXT_WIDTH 78
/* A rendered body larger than this is refused (Gmail clips at ~102 KB;
 * this is only the safety net against runaway input). */
#define RENDER_MAX_BODY ((size_t)4 << 20)
/* The mailed HTML part is kept under this many bytes as sent, that is
 * quoted-printable encoded: Gmail clips a message whose HTML passes
 * ~102 KB; 2 KB stay free for its own markup. */
#define RENDER_HTML_BUDGET ((size_t)100000)
/* Abstracts are cut to about this many characters when the full ones do
 * not fit the budget (about five lines on a phone). */
#define RENDER_SHORT_ABSTRACT 420
/* Authors shown on a card; the rest are counted ("and 40 more"), except
 * followed authors, who are always shown. */
#define RENDER_MAX_AUTHORS 12

struct render_templates {
	struct tmpl *html;
	struct tmpl *text;
};

/* Loads the digest templates the config names (templates.html and
 * templates.text, by default digest.html and digest.txt in
 * paths.templates). Returns 0 or -1 ("FILE:LINE: what"). */
int render_load(const struct conf *c, struct render_templates *t,
		struct errbuf *eb);
void render_release(struct render_templates *t);

struct render_opts {
	const char *unsubscribe_url; /* https; "" for none (web pages) */
	const char *archive_url;     /* where all of today's papers are;
					"" when there is no archive */
	size_t html_budget;          /* RENDER_HTML_BUDGET; 0: no limit */
	const char *profile_url;     /* the "change your topics" page; NULL
					or "" for none */
	/* Per digest item: its "More like this" / "Fewer like this" URL
	 * (issue.c), or NULL for none. A per-subscriber part: the links
	 * are signed for this reader. */
	char *const *more_urls;
	char *const *fewer_urls;
};

/*
 * Renders d for the list described by c. Appends the bodies to html and
 * text (UTF-8, LF line ends) and sets *subject (caller frees). The text
 * part always holds every selected paper in full; when the HTML part,
 * quoted-printable encoded, would pass o->html_budget, its abstracts are
 * shortened, then the papers that still do not fit are listed by title
 * only, with a link to o->archive_url.
 * Returns 0, or -1 with eb filled (template error).
 */
int render_digest(const struct render_templates *t, const struct conf *c,
		  const struct digest *d, const struct render_opts *o,
		  struct buf *html, struct buf *text, char **subject,
		  struct errbuf *eb);

/*
 * The composing of a whole day, one digest after another: what every
 * digest shares is rendered once.
 *
 * render_day_new() prepares, for every paper of listing l, its card in
 * both templates of t (HTML escaped; text wrapped), quoted-printable
 * encoded, with the reader's values (rank, relevance, why-line, reference
 * numbers) left to fill in. It borrows t, c and l, which must outlive it.
 * Once built it is only read: threads may share it. Returns 0 and *out
 * (free with render_day_free), or -1 with eb filled.
 */
struct render_day;
int render_day_new(const struct render_templates *t, const struct conf *c,
		   const struct listing *l, struct render_day **out,
		   struct errbuf *eb);
void render_day_free(struct render_day *day);

/* One digest's parts, ready for mime_build() (mime_message.text_qp and
 * .html_qp): quoted-printable with CRLF line ends. */
struct render_parts {
	struct buf text_qp, html_qp;
	struct buf text, html; /* decoded (LF), if asked for; else empty */
	char *subject;         /* as render_digest() sets it */
};
void render_parts_init(struct render_parts *p);
void render_parts_release(struct render_parts *p);

/*
 * Assembles d (whose papers should be from day's listing; others are
 * rendered whole) into out, which must have been initialized: exactly
 * what render_digest() and mime_qp_encode() give, the same budget plan
 * included, found by adding up encoded sizes instead of re-rendering.
 * keep_decoded also fills out->text and out->html. Returns 0, or -1 with
 * eb filled (template error, invalid UTF-8, a part too large).
 */
int render_digest_day(const struct render_day *day, const struct digest *d,
		      const struct render_opts *o, int keep_decoded,
		      struct render_parts *out, struct errbuf *eb);

/*
 * Appends in[0..len) to out with every line longer than width columns
 * (counted in code points) broken at spaces; continuation lines repeat the
 * line's leading indentation, and hang under the text of a list item
 * ("12. ", "[3] ", "- "). Words longer than the width (URLs) are kept
 * whole on a line of their own.
 */
void render_wrap(const char *in, size_t len, size_t width, struct buf *out);

#endif
