/*
 * fuzz_tmpl: compiles hostile template text and renders it.
 *
 * The input is template text up to its first NUL (the rest is ignored).
 * Whatever compiles is rendered, in both escape modes, against one fixed
 * context that has every kind of value, so that sections, lists and lookups
 * all run. The output buffer has a small limit to keep runs fast.
 *
 * Then the prepared path (tmpl_prepare_item, tmpl_render_sink): the same
 * context with its papers split into prepared objects (id, title,
 * authors) and objects derived from them (yes, rank) must render to what
 * tmpl_render gives for it, and a measuring sink, counting twice (the
 * second time from the sizes kept in the items), to its length.
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

/* Whole lines prepared as themselves, marked so a mix-up would show. */
static int prep_copy(const char *lines, size_t len, struct buf *out,
		     void *arg)
{
	return buf_add(out, lines, len);
}

/* A sink into a buffer that tracks whether it stands at a line start,
 * or (out NULL) only counts. */
struct fsink {
	struct tmpl_sink sk;
	struct buf *out;
	size_t size;
	int at_start;
};

static int fs_add(struct tmpl_sink *sk, const char *s, size_t n)
{
	struct fsink *f = (struct fsink *)sk;

	if (f->size + n > FUZZ_OUTPUT_LIMIT)
		return -1;
	if (f->out && buf_add(f->out, s, n) < 0)
		return -1;
	f->size += n;
	if (n)
		f->at_start = s[n - 1] == '\n';
	return 0;
}

static int fs_add_prepared(struct tmpl_sink *sk, const char *raw, size_t len,
			   const char *prep, size_t preplen)
{
	struct fsink *f = (struct fsink *)sk;

	if (!f->at_start)
		return fs_add(sk, raw, len);
	if (preplen != len || memcmp(raw, prep, len))
		abort(); /* prep_copy makes them equal */
	return fs_add(sk, prep, preplen);
}

static size_t fs_pos(struct tmpl_sink *sk, int *line_start)
{
	struct fsink *f = (struct fsink *)sk;

	*line_start = f->at_start;
	return f->size;
}

static int fs_skip(struct tmpl_sink *sk, size_t size)
{
	struct fsink *f = (struct fsink *)sk;

	if (f->size + size > FUZZ_OUTPUT_LIMIT)
		return -1;
	f->size += size;
	f->at_start = 1; /* kept sizes end at a line start */
	return 0;
}

static void fs_init(struct fsink *f, struct buf *out, int measure)
{
	memset(f, 0, sizeof(*f));
	f->sk.add = fs_add;
	f->sk.add_prepared = fs_add_prepared;
	f->sk.limit = FUZZ_OUTPUT_LIMIT;
	f->out = out;
	f->at_start = 1;
	if (measure) {
		f->sk.pos = fs_pos;
		f->sk.skip = out ? NULL : fs_skip;
	}
}

/* The prepared path against the plain one, for one escape mode. */
static void check_prepared(const struct tmpl *t, enum tmpl_escape escape)
{
	struct errbuf eb = ERRBUF_INIT;
	struct tmpl_value *ctx = make_context(), *stat[2], *dyn[2], *papers;
	struct tmpl_prep *prep;
	struct buf plain, got = BUF_INIT;
	struct fsink f;
	int i, ok;

	if (tmpl_prep_new(t, prep_copy, NULL, &prep, &eb) < 0)
		abort(); /* prep_copy never fails */
	for (i = 0; i < 2; i++) {
		struct tmpl_value *l;

		stat[i] = tmpl_object_new();
		tmpl_set_str(stat[i], "id", i ? "2512.00002" : "2512.00001");
		tmpl_set_str(stat[i], "title", i ? "" : "Mixture\nof <Experts>\n");
		l = tmpl_set_list(stat[i], "authors");
		if (!i) {
			tmpl_list_add_str(l, "Ada Lovelace");
			tmpl_list_add_str(l, "Paul Erd\xc5\x91s\n");
		}
		tmpl_prepare_item(prep, "papers", escape, stat[i]);
		dyn[i] = tmpl_derived_new(stat[i]);
		tmpl_set_bool(dyn[i], "yes", i == 0);
		tmpl_set_int(dyn[i], "rank", i + 1);
	}
	papers = tmpl_set_borrowed_list(ctx, "papers");
	tmpl_list_add_borrowed(papers, dyn[0]);
	tmpl_list_add_borrowed(papers, dyn[1]);
	tmpl_list_add_borrowed(papers, dyn[0]);

	buf_init(&plain, FUZZ_OUTPUT_LIMIT);
	ok = tmpl_render(t, ctx, escape, &plain, &eb) == 0;
	/* Writing (and keeping sizes), then counting twice. */
	fs_init(&f, &got, 1);
	if (tmpl_render_sink(prep, ctx, escape, &f.sk, &eb) < 0) {
		if (ok)
			abort();
	} else if (ok && (got.len != plain.len ||
			  memcmp(buf_str(&got), buf_str(&plain), got.len))) {
		abort();
	}
	for (i = 0; ok && i < 2; i++) {
		fs_init(&f, NULL, 1);
		if (tmpl_render_sink(prep, ctx, escape, &f.sk, &eb) < 0 ||
		    f.size != plain.len)
			abort();
	}
	buf_release(&plain);
	buf_release(&got);
	tmpl_value_free(ctx);
	for (i = 0; i < 2; i++) {
		tmpl_value_free(dyn[i]);
		tmpl_value_free(stat[i]);
	}
	tmpl_prep_free(prep);
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
	check_prepared(t, TMPL_ESCAPE_HTML);
	check_prepared(t, TMPL_ESCAPE_NONE);
	tmpl_free(t);
	return 0;
}
