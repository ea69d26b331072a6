/*
 * site: the web pages of `paperboy serve`: one-click unsubscribe and
 * resubscribe (RFC 8058), the subscribe form and its confirmation (double
 * opt-in), and the self-service profile page. http.c carries the bytes;
 * this module decides what each request means.
 *
 * Design decision: a small route table (path, handler, body limit) is the
 * whole site, so a page is added by one row and one function. A GET never
 * changes anything (mail scanners and link previews fetch every URL in a
 * message); every change is a POST carrying a signed token that names its
 * purpose, and every refusal of a link looks the same (403, or 410 for an
 * expired one), so the site tells a stranger nothing about who subscribes.
 */
#ifndef PAPERBOY_SITE_H
#define PAPERBOY_SITE_H

#include <stddef.h>

#include "conf.h"
#include "errbuf.h"
#include "http.h"

enum site_level {
	SITE_INFO,  /* a change was made ("alice unsubscribed (http, ...)") */
	SITE_WARN,  /* something went wrong that the reader did not see */
	SITE_ERROR, /* a request failed on our side (500) */
};

/* Where the site's lines go; the command prints them (INFO on stdout,
 * the others on stderr). line may be NULL for silence. */
struct site_log {
	void (*line)(void *ctx, enum site_level level, const char *line);
	void *ctx;
};

struct site;

/*
 * Loads the list's secret (creating it, see token_load_key) and the page
 * templates from c->templates_dir. c and log must outlive the site.
 * Returns 0 and *out, or -1 with eb filled (ERRBUF_CONFIG).
 */
int site_open(const struct conf *c, const struct site_log *log,
	      struct site **out, struct errbuf *eb);
/* Frees the site and wipes its secret (NULL is fine). */
void site_free(struct site *site);

/*
 * Fills hc's paths, per-path body limits and form fields with the site's
 * routes (the arrays belong to the site).
 */
void site_http_config(const struct site *site, struct http_config *hc);

/* The http_handler for http_start (ctx is the struct site). */
void site_handle(void *ctx, const struct http_request *req,
		 struct http_reply *reply);

#endif
