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

#endif
