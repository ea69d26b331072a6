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

/* The text part is wrapped at this width (RFC 3676's recommendation). */
#define RENDER_TEXT_WIDTH 78
/* A rendered body larger than this is refused (Gmail clips at ~102 KB;
 * this is only the safety net against runaway input). */
#define RENDER_MAX_BODY ((size_t)4 << 20)

struct render_templates {
	struct tmpl *html;
	struct tmpl *text;
};

/* Loads digest.html and digest.txt from dir. Returns 0 or -1
 * ("FILE:LINE: what"). */
int render_load(const char *dir, struct render_templates *t,
		struct errbuf *eb);
void render_release(struct render_templates *t);

/*
 * Renders d for the list described by c, with unsubscribe_url (https or
 * mailto; "" for none) in the footer. Appends the bodies to html and text
 * (UTF-8, LF line ends) and sets *subject (caller frees). Returns 0, or -1
 * with eb filled (template error).
 */
int render_digest(const struct render_templates *t, const struct conf *c,
		  const struct digest *d, const char *unsubscribe_url,
		  struct buf *html, struct buf *text, char **subject,
		  struct errbuf *eb);

/*
 * Appends in[0..len) to out with every line longer than width columns
 * (counted in code points) broken at spaces; continuation lines repeat the
 * line's leading indentation. Words longer than the width (URLs) are kept
 * whole on a line of their own.
 */
void render_wrap(const char *in, size_t len, size_t width, struct buf *out);

#endif
