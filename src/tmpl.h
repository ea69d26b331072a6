/*
 * tmpl: a small mustache-subset template engine.
 *
 * Supports {{name}} (escaped), {{{name}}} and {{& name}} (raw), dotted
 * names, {{#section}}...{{/section}} (lists repeat, true/non-empty values
 * show once), {{^inverted}}...{{/inverted}}, {{! comments }}, {{.}} for
 * the current string in a list of strings, and {{> file}}, a partial: the
 * template FILE from the including template's folder, compiled with it
 * and rendered in the context where it stands. It knows nothing of papers: the
 * caller builds a tree of values (struct tmpl_value) and renders a compiled
 * template with it.
 *
 * Design decision: templates are compiled once and checked strictly. An
 * unclosed or mismatched section is a compile error, and a name that is
 * not found in the context at render time is a render error, both naming
 * the template file and line, because a silently empty field in a mail sent
 * to hundreds of people is worse than a run that stops and says why.
 */
#ifndef PAPERBOY_TMPL_H
#define PAPERBOY_TMPL_H

#include <stddef.h>

#include "buf.h"
#include "errbuf.h"

/* A template larger than this is refused (ours are a few KB). */
#define TMPL_MAX_SIZE ((size_t)1 << 20)
/* Sections nested deeper than this are refused (ours nest 3 deep). */
#define TMPL_MAX_DEPTH 32
/* Partials included through more partials than this are refused (a
 * partial that includes itself would never end). */
#define TMPL_MAX_PARTIALS 4
/* A prepared item's static output larger than this is left to render
 * time (a digest's card is a few KB). */
#define TMPL_MAX_PREPARED ((size_t)4 << 20)

enum tmpl_escape {
	TMPL_ESCAPE_HTML, /* {{x}} escapes & < > " ' */
	TMPL_ESCAPE_NONE, /* {{x}} is written as is (text/plain templates) */
};

enum tmpl_type {
	TMPL_STRING,
	TMPL_BOOL,
	TMPL_LIST,
	TMPL_OBJECT,
};

struct tmpl_value;

/* Objects map names to values; they own their values and copy strings. */
struct tmpl_value *tmpl_object_new(void);
void tmpl_value_free(struct tmpl_value *v);

/* Each setter replaces an existing value of the same name. */
void tmpl_set_str(struct tmpl_value *obj, const char *name, const char *s);
void tmpl_set_strf(struct tmpl_value *obj, const char *name,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tmpl_set_int(struct tmpl_value *obj, const char *name, long n);
void tmpl_set_bool(struct tmpl_value *obj, const char *name, int b);
/* Creates (or returns the existing) nested object / list under name. */
struct tmpl_value *tmpl_set_object(struct tmpl_value *obj, const char *name);
struct tmpl_value *tmpl_set_list(struct tmpl_value *obj, const char *name);
/* Appends a new object (or string) to a list; returns the new object. */
struct tmpl_value *tmpl_list_add_object(struct tmpl_value *list);
void tmpl_list_add_str(struct tmpl_value *list, const char *s);

/*
 * A new object whose lookups fall back to base for the names it lacks
 * (free with tmpl_value_free; base is borrowed and must outlive it). It
 * must not repeat base's names: rendered, it reads as their union, and a
 * prepared base (tmpl_prepare_item) is written from what was prepared.
 */
struct tmpl_value *tmpl_derived_new(const struct tmpl_value *base);
/* A list (under name) of borrowed items: freeing it leaves them alone;
 * tmpl_list_add_object() and tmpl_list_add_str() refuse it. */
struct tmpl_value *tmpl_set_borrowed_list(struct tmpl_value *obj,
					  const char *name);
void tmpl_list_add_borrowed(struct tmpl_value *list,
			    const struct tmpl_value *v);
/* Empties a borrowed list, keeping its memory. */
void tmpl_list_clear_borrowed(struct tmpl_value *list);

struct tmpl;

/*
 * Compiles text[0..len); `name` (the file name) is used in messages.
 * Returns 0 and *out (free with tmpl_free), or -1 with "NAME:LINE: what".
 * Partials are refused: they are read from a template file's folder.
 */
int tmpl_compile(const char *text, size_t len, const char *name,
		 struct tmpl **out, struct errbuf *eb);
/* Reads and compiles the file at path, and the partials it names. */
int tmpl_load(const char *path, struct tmpl **out, struct errbuf *eb);
void tmpl_free(struct tmpl *t);

/*
 * Renders t with the context ctx (an object) and appends the result to out.
 * Returns 0, or -1 with "NAME:LINE: what" (unknown name, output limit).
 */
int tmpl_render(const struct tmpl *t, const struct tmpl_value *ctx,
		enum tmpl_escape escape, struct buf *out, struct errbuf *eb);

/*
 * Rendering many times with most of the output the same: text prepared
 * once (for a mail, quoted-printable encoded), written through a sink.
 *
 * A prepare function turns input made of whole lines (each ending in
 * '\n') into their prepared form, appended to out; the form must not
 * depend on what comes before or after the lines. Returns 0 or -1.
 */
typedef int (*tmpl_prepare_fn)(const char *lines, size_t len,
			       struct buf *out, void *arg);

/*
 * Where tmpl_render_sink() writes. add() takes output as it is rendered;
 * add_prepared() takes whole lines raw[0..len) together with their
 * prepared form, to be used if the output so far ends with a line end
 * (else raw is to be taken as add() would). Both return 0, or -1 when the
 * output is full (limit is named in the error).
 */
struct tmpl_sink {
	int (*add)(struct tmpl_sink *sk, const char *s, size_t n);
	int (*add_prepared)(struct tmpl_sink *sk, const char *raw, size_t len,
			    const char *prep, size_t preplen);
	size_t limit;
	/*
	 * Optional. pos() returns the size so far and sets *line_start when
	 * the output so far ends with a line end; with it, the size of a list
	 * item's section body that starts and ends at a line start and reads
	 * no value outside the item is kept in the item (which must then not
	 * change, nor be rendered by two threads at once). skip(), for a sink
	 * that only measures, adds size without output: with it, an item
	 * whose size is kept is counted, not rendered.
	 */
	size_t (*pos)(struct tmpl_sink *sk, int *line_start);
	int (*skip)(struct tmpl_sink *sk, size_t size);
};

/* t with the whole lines of its text (and of its partials') prepared by
 * fn. Borrows t. Returns 0 and *out (free with tmpl_prep_free), or -1. */
struct tmpl_prep;
int tmpl_prep_new(const struct tmpl *t, tmpl_prepare_fn fn, void *arg,
		  struct tmpl_prep **out, struct errbuf *eb);
void tmpl_prep_free(struct tmpl_prep *p);

/*
 * Renders ahead of time, for every section named `section` of p's
 * template (not of its partials), its body as it renders for the list
 * item `item`, except the tags whose values are not in item (nor in the
 * values it holds): those are kept to render at render time, in the
 * context of an object derived from item (tmpl_derived_new). The result
 * is kept in item, which must not change afterwards; rendering derived
 * objects in that section then writes the prepared text. Reading a
 * prepared item from several threads at once is safe. Returns 0, or -1
 * when some section could not be prepared (it then renders live, which
 * gives the same output, only slower).
 */
int tmpl_prepare_item(const struct tmpl_prep *p, const char *section,
		      enum tmpl_escape escape, struct tmpl_value *item);

/* Renders like tmpl_render(), into sink, with p's prepared text and
 * prepared items. On error the sink holds part of the output. */
int tmpl_render_sink(const struct tmpl_prep *p, const struct tmpl_value *ctx,
		     enum tmpl_escape escape, struct tmpl_sink *sink,
		     struct errbuf *eb);

#endif
