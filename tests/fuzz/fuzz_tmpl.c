/*
 * fuzz_tmpl: compiles hostile template text and renders it.
 *
 * The input is template text up to its first NUL (the rest is ignored).
 * Whatever compiles is rendered, in both escape modes, against one fixed
 * context that has every kind of value, so that sections, lists and lookups
 * all run. The output buffer has a small limit to keep runs fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"
#include "banned.h"

/* Keeps a run fast; the limit path itself is part of what is fuzzed. */
#define FUZZ_OUTPUT_LIMIT ((size_t)64 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tmpl_value *make_context(void)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *papers, *p, *l;

	tmpl_set_str(ctx, "name", "Alice <alice@example.org>");
	tmpl_set_str(ctx, "title", "<script>alert(1)</script> & 'q'");
	tmpl_set_str(ctx, "empty", "");
	tmpl_set_bool(ctx, "yes", 1);
	tmpl_set_bool(ctx, "no", 0);
	tmpl_set_int(ctx, "count", 3);
	tmpl_set_int(ctx, "zero", 0);
	tmpl_set_str(tmpl_set_object(ctx, "list"), "id", "digest.example.org");

	papers = tmpl_set_list(ctx, "papers");
	p = tmpl_list_add_object(papers);
	tmpl_set_str(p, "id", "2512.00001");
	tmpl_set_str(p, "title", "Mixture of \"Experts\"");
	l = tmpl_set_list(p, "authors");
	tmpl_list_add_str(l, "Ada Lovelace");
	tmpl_list_add_str(l, "Paul Erd\xc5\x91s");
	p = tmpl_list_add_object(papers);
	tmpl_set_str(p, "id", "2512.00002");
	tmpl_set_bool(p, "yes", 0);
	tmpl_set_list(p, "authors");

	l = tmpl_set_list(ctx, "tags");
	tmpl_list_add_str(l, "cs.LG");
	tmpl_list_add_str(l, "");
	tmpl_list_add_str(l, "a&b");
	tmpl_set_list(ctx, "none");
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tmpl_value *ctx;
	const char *text = (const char *)data;
	const char *nul = memchr(data, '\0', size);
	struct errbuf eb = ERRBUF_INIT;
	struct tmpl *t;
	struct buf out;

	if (!ctx)
		ctx = make_context();
	if (nul)
		size = (size_t)(nul - text);
	if (tmpl_compile(text, size, "fuzz.html", &t, &eb) < 0) {
		if (strncmp(eb.msg, "fuzz.html:", 10))
			abort();
		return 0;
	}
	buf_init(&out, FUZZ_OUTPUT_LIMIT);
	if (tmpl_render(t, ctx, TMPL_ESCAPE_HTML, &out, &eb) < 0 &&
	    (out.len || strncmp(eb.msg, "fuzz.html:", 10)))
		abort();
	buf_reset(&out);
	if (tmpl_render(t, ctx, TMPL_ESCAPE_NONE, &out, &eb) < 0 &&
	    (out.len || strncmp(eb.msg, "fuzz.html:", 10)))
		abort();
	buf_release(&out);
	tmpl_free(t);
	return 0;
}
