/*
 * Unit tests for tmpl: every tag kind, escaping in both modes, the
 * standalone-line rule, context lookup, and every error with its
 * "name:line:" prefix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpl.h"
#include "banned.h"

/* Compiles src as "t.html", renders it with ctx; NULL on error (see eb). */
static char *render(const char *src, const struct tmpl_value *ctx,
		    enum tmpl_escape escape, struct errbuf *eb)
{
	struct buf out = BUF_INIT;
	struct tmpl *t;
	char *s = NULL;

	if (tmpl_compile(src, strlen(src), "t.html", &t, eb) < 0)
		return NULL;
	if (!tmpl_render(t, ctx, escape, &out, eb))
		s = buf_detach(&out, NULL);
	buf_release(&out);
	tmpl_free(t);
	return s;
}

static void assert_renders(const char *src, const struct tmpl_value *ctx,
			   enum tmpl_escape escape, const char *want)
{
	struct errbuf eb = ERRBUF_INIT;
	char *got = render(src, ctx, escape, &eb);

	if (!got)
		fail_msg("'%s' failed: %s", src, eb.msg);
	assert_string_equal(got, want);
	free(got);
}

static void assert_compile_error(const char *src, const char *prefix,
				 const char *what)
{
	struct errbuf eb = ERRBUF_INIT;
	struct tmpl *t = (struct tmpl *)1;

	assert_int_equal(tmpl_compile(src, strlen(src), "t.html", &t, &eb),
			 -1);
	assert_null(t);
	if (strncmp(eb.msg, prefix, strlen(prefix)) || !strstr(eb.msg, what))
		fail_msg("'%s': got \"%s\", want \"%s...%s...\"", src,
			 eb.msg, prefix, what);
}

static void assert_render_error(const char *src,
				const struct tmpl_value *ctx,
				const char *prefix, const char *what)
{
	struct errbuf eb = ERRBUF_INIT;
	char *got = render(src, ctx, TMPL_ESCAPE_HTML, &eb);

	if (got)
		fail_msg("'%s' rendered \"%s\", want an error", src, got);
	if (strncmp(eb.msg, prefix, strlen(prefix)) || !strstr(eb.msg, what))
		fail_msg("'%s': got \"%s\", want \"%s...%s...\"", src,
			 eb.msg, prefix, what);
}

static void test_variable_html_escaped(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_str(ctx, "v", "a<b & \"c\" 'd'>");
	assert_renders("[{{v}}]", ctx, TMPL_ESCAPE_HTML,
		       "[a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;]");
	assert_renders("[{{ v }}]", ctx, TMPL_ESCAPE_HTML,
		       "[a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;]");
	tmpl_value_free(ctx);
}

static void test_variable_text_mode_raw(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_str(ctx, "v", "a<b & \"c\" 'd'>");
	assert_renders("[{{v}}]", ctx, TMPL_ESCAPE_NONE,
		       "[a<b & \"c\" 'd'>]");
	tmpl_value_free(ctx);
}

static void test_xss_escaped(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_str(ctx, "title", "<script>alert(1)</script>");
	assert_renders("<h1>{{title}}</h1>", ctx, TMPL_ESCAPE_HTML,
		       "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>");
	tmpl_value_free(ctx);
}

static void test_raw_tags(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_str(ctx, "html", "<b>&amp;</b>");
	assert_renders("{{{html}}}|{{& html}}|{{{ html }}}", ctx,
		       TMPL_ESCAPE_HTML,
		       "<b>&amp;</b>|<b>&amp;</b>|<b>&amp;</b>");
	tmpl_value_free(ctx);
}

static void test_utf8_passes_through(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_str(ctx, "v", "Erd\xc5\x91s & \xe2\x80\x9c" "co\xe2\x80\x9d");
	assert_renders("{{v}}", ctx, TMPL_ESCAPE_HTML,
		       "Erd\xc5\x91s &amp; \xe2\x80\x9c" "co\xe2\x80\x9d");
	tmpl_value_free(ctx);
}

static void test_dotted_names(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *a = tmpl_set_object(ctx, "a");
	struct tmpl_value *b = tmpl_set_object(a, "b");

	tmpl_set_str(b, "c", "deep");
	tmpl_set_str(ctx, "c", "outer");
	assert_renders("{{a.b.c}} {{c}}", ctx, TMPL_ESCAPE_HTML,
		       "deep outer");
	/* a.c must not fall back to the outer c: a has no c. */
	assert_render_error("{{a.c}}", ctx, "t.html:1:",
			    "unknown variable 'a.c'");
	assert_render_error("{{a.b.c.d}}", ctx, "t.html:1:",
			    "unknown variable 'a.b.c.d'");
	tmpl_value_free(ctx);
}

static void test_comment(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	assert_renders("a{{! anything {{ here, even 'names' }}b", ctx,
		       TMPL_ESCAPE_HTML, "ab");
	assert_renders("a{{!\nmulti\nline\n}}b", ctx, TMPL_ESCAPE_HTML,
		       "ab");
	tmpl_value_free(ctx);
}

static void test_section_truthiness(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_bool(ctx, "yes", 1);
	tmpl_set_bool(ctx, "no", 0);
	tmpl_set_str(ctx, "full", "x");
	tmpl_set_str(ctx, "empty", "");
	tmpl_set_str(ctx, "null", NULL);
	tmpl_set_int(ctx, "zero", 0);
	tmpl_set_int(ctx, "two", 2);
	tmpl_set_list(ctx, "none");
	tmpl_set_object(ctx, "obj");
	assert_renders("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}"
		       "{{#full}}F{{/full}}{{#empty}}E{{/empty}}"
		       "{{#null}}0{{/null}}"
		       "{{#zero}}Z{{/zero}}{{#two}}T{{/two}}"
		       "{{#none}}L{{/none}}{{#obj}}O{{/obj}}",
		       ctx, TMPL_ESCAPE_HTML, "YFTO");
	tmpl_value_free(ctx);
}

static void test_section_string_pushes_itself(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_str(ctx, "doi", "10.1/x<y");
	assert_renders("{{#doi}}doi:{{.}}{{/doi}}", ctx, TMPL_ESCAPE_HTML,
		       "doi:10.1/x&lt;y");
	tmpl_value_free(ctx);
}

static void test_section_object(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *o = tmpl_set_object(ctx, "who");

	tmpl_set_str(o, "name", "Alice");
	assert_renders("{{#who}}Hi {{name}}{{/who}}", ctx, TMPL_ESCAPE_HTML,
		       "Hi Alice");
	tmpl_value_free(ctx);
}

static void test_int_values(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_int(ctx, "n", 42);
	tmpl_set_int(ctx, "neg", -7);
	tmpl_set_int(ctx, "zero", 0);
	assert_renders("{{n}} {{neg}} {{zero}}", ctx, TMPL_ESCAPE_HTML,
		       "42 -7 0");
	tmpl_value_free(ctx);
}

static void test_strf(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_strf(ctx, "score", "%d/%d (%s)", 7, 10, "<ok>");
	assert_renders("{{score}}", ctx, TMPL_ESCAPE_HTML,
		       "7/10 (&lt;ok&gt;)");
	tmpl_value_free(ctx);
}

static void test_setters_replace(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *o, *l;

	tmpl_set_str(ctx, "x", "first");
	tmpl_set_str(ctx, "x", "second");
	assert_renders("{{x}}", ctx, TMPL_ESCAPE_HTML, "second");

	/* A string replaced by a list, then the same list returned. */
	l = tmpl_set_list(ctx, "x");
	tmpl_list_add_str(l, "a");
	assert_ptr_equal(tmpl_set_list(ctx, "x"), l);
	tmpl_list_add_str(tmpl_set_list(ctx, "x"), "b");
	assert_renders("{{#x}}{{.}}{{/x}}", ctx, TMPL_ESCAPE_HTML, "ab");

	o = tmpl_set_object(ctx, "o");
	tmpl_set_str(o, "k", "v");
	assert_ptr_equal(tmpl_set_object(ctx, "o"), o);
	tmpl_set_bool(ctx, "o", 1);
	assert_renders("{{#o}}yes{{/o}}", ctx, TMPL_ESCAPE_HTML, "yes");
	assert_render_error("{{#o}}{{k}}{{/o}}", ctx, "t.html:1:",
			    "unknown variable 'k'");
	tmpl_value_free(ctx);
}

static void test_list_of_strings_dot(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *l = tmpl_set_list(ctx, "tags");

	tmpl_list_add_str(l, "cs.LG");
	tmpl_list_add_str(l, "a&b");
	tmpl_list_add_str(l, "stat.ML");
	assert_renders("{{#tags}}[{{.}}]{{/tags}}", ctx, TMPL_ESCAPE_HTML,
		       "[cs.LG][a&amp;b][stat.ML]");
	assert_renders("{{#tags}}[{{.}}]{{/tags}}", ctx, TMPL_ESCAPE_NONE,
		       "[cs.LG][a&b][stat.ML]");
	tmpl_value_free(ctx);
}

static void test_nested_lists(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *papers = tmpl_set_list(ctx, "papers");
	struct tmpl_value *p, *authors;

	p = tmpl_list_add_object(papers);
	tmpl_set_str(p, "id", "2512.00001");
	authors = tmpl_set_list(p, "authors");
	tmpl_list_add_str(authors, "Ada");
	tmpl_list_add_str(authors, "Bob");
	p = tmpl_list_add_object(papers);
	tmpl_set_str(p, "id", "2512.00002");
	tmpl_set_list(p, "authors");
	p = tmpl_list_add_object(papers);
	tmpl_set_str(p, "id", "2512.00003");
	tmpl_list_add_str(tmpl_set_list(p, "authors"), "Cy");

	assert_renders("{{#papers}}{{id}}:"
		       "{{#authors}} {{.}}{{/authors}}"
		       "{{^authors}} (none){{/authors}};"
		       "{{/papers}}",
		       ctx, TMPL_ESCAPE_HTML,
		       "2512.00001: Ada Bob;2512.00002: (none);"
		       "2512.00003: Cy;");
	tmpl_value_free(ctx);
}

static void test_inverted(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_list(ctx, "empty");
	tmpl_list_add_str(tmpl_set_list(ctx, "full"), "x");
	tmpl_set_bool(ctx, "no", 0);
	tmpl_set_str(ctx, "blank", "");
	assert_renders("{{^empty}}no papers{{/empty}}", ctx,
		       TMPL_ESCAPE_HTML, "no papers");
	assert_renders("{{^full}}hidden{{/full}}", ctx, TMPL_ESCAPE_HTML,
		       "");
	assert_renders("{{^no}}N{{/no}}{{^blank}}B{{/blank}}", ctx,
		       TMPL_ESCAPE_HTML, "NB");
	tmpl_value_free(ctx);
}

static void test_outer_name_inside_section(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *l = tmpl_set_list(ctx, "items");
	struct tmpl_value *o;

	tmpl_set_str(ctx, "site", "arXiv");
	tmpl_set_str(ctx, "name", "outer");
	o = tmpl_list_add_object(l);
	tmpl_set_str(o, "name", "one");
	o = tmpl_list_add_object(l);
	tmpl_set_str(o, "name", "two");
	/* site comes from the root; the inner name shadows the outer one. */
	assert_renders("{{#items}}{{name}}@{{site}} {{/items}}{{name}}", ctx,
		       TMPL_ESCAPE_HTML, "one@arXiv two@arXiv outer");
	tmpl_value_free(ctx);
}

static void test_standalone_lines(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *l = tmpl_set_list(ctx, "items");

	tmpl_list_add_str(l, "a");
	tmpl_list_add_str(l, "b");
	tmpl_set_bool(ctx, "no", 0);
	assert_renders("Papers:\n"
		       "{{#items}}\n"
		       "  - {{.}}\n"
		       "{{/items}}\n"
		       "  {{! indented comment }}  \n"
		       "\t{{^items}}\n"
		       "none\n"
		       "\t{{/items}}\n"
		       "end\n",
		       ctx, TMPL_ESCAPE_NONE,
		       "Papers:\n  - a\n  - b\nend\n");
	/* CRLF line ends, and a last line with no newline at all. */
	assert_renders("x\r\n{{#no}}\r\ny\r\n{{/no}}\r\nz\r\n  {{! end }}  ",
		       ctx, TMPL_ESCAPE_NONE, "x\r\nz\r\n");
	/* A section tag sharing its line with text is not standalone. */
	assert_renders("a {{#items}}{{.}}{{/items}}\nb\n", ctx,
		       TMPL_ESCAPE_NONE, "a ab\nb\n");
	/* Nor are two tags on one line... */
	assert_renders("{{#no}}{{/no}} {{#no}}\n{{/no}}\nz", ctx,
		       TMPL_ESCAPE_NONE, " z");
	/* ...and a variable alone on its line keeps the line. */
	assert_renders("{{#items}}\n{{.}}\n{{/items}}\n", ctx,
		       TMPL_ESCAPE_NONE, "a\nb\n");
	tmpl_value_free(ctx);
}

static void test_reuse_compiled(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf out = BUF_INIT;
	struct tmpl_value *ctx = tmpl_object_new();
	const char *src = "<p>{{v}}</p>";
	struct tmpl *t;

	assert_int_equal(tmpl_compile(src, strlen(src), "t.html", &t, &eb), 0);
	tmpl_set_str(ctx, "v", "1");
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_HTML, &out, &eb), 0);
	tmpl_set_str(ctx, "v", "&");
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_NONE, &out, &eb), 0);
	assert_string_equal(buf_str(&out), "<p>1</p><p>&</p>");
	buf_release(&out);
	tmpl_free(t);
	tmpl_value_free(ctx);
}

static void test_error_unclosed_tag(void **state)
{
	assert_compile_error("line one\nhello {{name\n", "t.html:2:",
			     "unclosed tag");
	assert_compile_error("a\nb\n{{{raw}}\n", "t.html:3:",
			     "unclosed tag");
	assert_compile_error("{{! never closed", "t.html:1:",
			     "unclosed tag");
}

static void test_error_unclosed_section(void **state)
{
	assert_compile_error("<html>\n<body>\n{{#items}}\n<p>x</p>\n",
			     "t.html:3:", "unclosed section 'items'");
	/* Lines inside a multi-line comment count too. */
	assert_compile_error("{{!\n\n}}\n{{^none}}\n", "t.html:4:",
			     "unclosed section 'none'");
}

static void test_error_mismatched_close(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	const char *src = "{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}\n";
	struct tmpl *t;

	assert_compile_error(src, "t.html:3:", "closing tag 'a'");
	assert_int_equal(tmpl_compile(src, strlen(src), "t.html", &t, &eb),
			 -1);
	assert_non_null(strstr(eb.msg, "section 'b'"));
	assert_non_null(strstr(eb.msg, "line 2"));
}

static void test_error_close_without_open(void **state)
{
	assert_compile_error("ok\n\n\n{{/items}}\n", "t.html:4:",
			     "closing tag 'items' without an open section");
	assert_compile_error("{{#a}}{{/a}}{{/a}}", "t.html:1:",
			     "without an open section");
}

static void test_error_empty_name(void **state)
{
	assert_compile_error("a\n{{}}", "t.html:2:", "empty tag name");
	assert_compile_error("{{#  }}{{/ }}", "t.html:1:", "empty tag name");
	assert_compile_error("{{{ }}}", "t.html:1:", "empty tag name");
	assert_compile_error("{{&}}", "t.html:1:", "empty tag name");
}

static void test_error_invalid_name(void **state)
{
	assert_compile_error("{{> partial}}", "t.html:1:",
			     "partials ('{{>') need a template file");
	assert_compile_error("{{=<% %>=}}", "t.html:1:", "invalid tag name");
	assert_compile_error("{{a..b}}", "t.html:1:", "invalid tag name");
	assert_compile_error("{{a b}}", "t.html:1:", "invalid tag name");
}

static void test_error_nesting_depth(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct buf src = BUF_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct tmpl *t;
	int i;

	tmpl_set_bool(ctx, "s", 1);
	for (i = 0; i < TMPL_MAX_DEPTH; i++)
		buf_addstr(&src, "{{#s}}\n");
	buf_addstr(&src, "deep\n");
	for (i = 0; i < TMPL_MAX_DEPTH; i++)
		buf_addstr(&src, "{{/s}}\n");
	assert_renders(buf_str(&src), ctx, TMPL_ESCAPE_NONE, "deep\n");

	buf_reset(&src);
	for (i = 0; i <= TMPL_MAX_DEPTH; i++)
		buf_addstr(&src, "{{#s}}\n");
	assert_int_equal(tmpl_compile(src.data, src.len, "t.html", &t, &eb),
			 -1);
	assert_string_equal(eb.msg, "t.html:33: sections nested deeper "
				    "than 32");
	buf_release(&src);
	tmpl_value_free(ctx);
}

static void test_error_too_large(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	char *big = malloc(TMPL_MAX_SIZE + 1);
	struct tmpl *t;

	memset(big, 'x', TMPL_MAX_SIZE + 1);
	assert_int_equal(tmpl_compile(big, TMPL_MAX_SIZE + 1, "t.html", &t,
				      &eb), -1);
	assert_non_null(strstr(eb.msg, "t.html:1: template is larger"));
	assert_int_equal(tmpl_compile(big, TMPL_MAX_SIZE, "t.html", &t, &eb),
			 0);
	tmpl_free(t);
	free(big);
}

static void test_error_unknown_name(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *l = tmpl_set_list(ctx, "items");

	tmpl_list_add_object(l);
	assert_render_error("a\nb\n\n{{foo}}\n", ctx, "t.html:4:",
			    "unknown variable 'foo'");
	assert_render_error("\n{{#foo}}x{{/foo}}", ctx, "t.html:2:",
			    "unknown variable 'foo'");
	assert_render_error("\n\n{{^foo}}x{{/foo}}", ctx, "t.html:3:",
			    "unknown variable 'foo'");
	assert_render_error("{{#items}}\n{{{title}}}{{/items}}", ctx,
			    "t.html:2:", "unknown variable 'title'");
	/* A name that is unused because its section is skipped is fine. */
	assert_renders("{{^items}}{{foo}}{{/items}}", ctx, TMPL_ESCAPE_HTML,
		       "");
	tmpl_value_free(ctx);
}

static void test_error_not_a_string(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();

	tmpl_set_list(ctx, "l");
	tmpl_set_bool(ctx, "b", 1);
	assert_render_error("{{l}}", ctx, "t.html:1:", "'l' is a list");
	assert_render_error("\n{{b}}", ctx, "t.html:2:", "'b' is a bool");
	assert_render_error("{{.}}", ctx, "t.html:1:", "is an object");
	tmpl_value_free(ctx);
}

static void test_error_output_limit(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct errbuf eb = ERRBUF_INIT;
	const char *src = "0123456789\n{{v}}";
	struct buf out;
	struct tmpl *t;

	tmpl_set_str(ctx, "v", "<<<<");
	assert_int_equal(tmpl_compile(src, strlen(src), "t.html", &t, &eb), 0);
	buf_init(&out, 20);
	buf_addstr(&out, "kept");
	/* 4 + 11 + 4 raw bytes fit; escaped they do not. */
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_HTML, &out, &eb),
			 -1);
	assert_non_null(strstr(eb.msg, "t.html:2: output is larger"));
	assert_string_equal(buf_str(&out), "kept");
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_NONE, &out, &eb), 0);
	assert_string_equal(buf_str(&out), "kept0123456789\n<<<<");
	buf_release(&out);
	tmpl_free(t);
	tmpl_value_free(ctx);
}

static void test_error_too_much_work(void **state)
{
	struct tmpl_value *ctx = tmpl_object_new();
	struct tmpl_value *l = tmpl_set_list(ctx, "l");
	struct buf src = BUF_INIT;
	int i;

	for (i = 0; i < 10; i++)
		tmpl_list_add_str(l, "");
	/* 10^8 empty iterations: nothing is written, yet it must stop. */
	for (i = 0; i < 8; i++)
		buf_addstr(&src, "{{#l}}");
	for (i = 0; i < 8; i++)
		buf_addstr(&src, "{{/l}}");
	assert_render_error(buf_str(&src), ctx, "t.html:1:",
			    "rendering takes more than");
	buf_release(&src);
	tmpl_value_free(ctx);
}

static void spew_in(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* {{> file}}: from the including template's folder, in the context where
 * it stands; every error names the file it is in. */
static void test_partials(void **state)
{
	char dir[] = "/tmp/test_tmpl_partials_XXXXXX", path[256], want[512];
	struct tmpl_value *ctx = tmpl_object_new(), *list;
	struct errbuf eb = ERRBUF_INIT;
	struct buf out = BUF_INIT;
	struct tmpl *t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	spew_in(dir, "page.html",
		"<h1>{{title}}</h1>\n{{> head.html}}\n"
		"{{#items}}\n  {{> item.html}}\n{{/items}}\nend\n");
	spew_in(dir, "head.html", "<p>{{title}} & co</p>\n");
	spew_in(dir, "item.html", "<li>{{name}} of {{title}}</li>\n");
	tmpl_set_str(ctx, "title", "T<");
	list = tmpl_set_list(ctx, "items");
	tmpl_set_str(tmpl_list_add_object(list), "name", "a");
	tmpl_set_str(tmpl_list_add_object(list), "name", "b");
	snprintf(path, sizeof(path), "%s/page.html", dir);
	if (tmpl_load(path, &t, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_HTML, &out, &eb), 0);
	assert_string_equal(buf_str(&out),
			    "<h1>T&lt;</h1>\n<p>T&lt; & co</p>\n"
			    "<li>a of T&lt;</li>\n<li>b of T&lt;</li>\nend\n");
	tmpl_free(t);

	/* An unknown name inside a partial names the partial's line. */
	spew_in(dir, "item.html", "<li>\n{{nickname}}</li>\n");
	assert_int_equal(tmpl_load(path, &t, &eb), 0);
	buf_truncate(&out, 0);
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_HTML, &out, &eb), -1);
	snprintf(want, sizeof(want), "%s/item.html:2: unknown variable "
		 "'nickname'", dir);
	assert_string_equal(eb.msg, want);
	tmpl_free(t);

	/* Missing, outside the folder, including itself. */
	spew_in(dir, "page.html", "x\n{{> nothere.html}}\n");
	assert_int_equal(tmpl_load(path, &t, &eb), -1);
	snprintf(want, sizeof(want), "%s:2: in partial 'nothere.html': ",
		 path);
	assert_true(!strncmp(eb.msg, want, strlen(want)));
	spew_in(dir, "page.html", "{{> ../etc/passwd}}\n");
	assert_int_equal(tmpl_load(path, &t, &eb), -1);
	assert_non_null(strstr(eb.msg, ":1: invalid partial name"));
	spew_in(dir, "page.html", "{{> page.html}}\n");
	assert_int_equal(tmpl_load(path, &t, &eb), -1);
	assert_non_null(strstr(eb.msg, "partials nested deeper than 4"));

	buf_release(&out);
	tmpl_value_free(ctx);
	snprintf(want, sizeof(want), "rm -rf '%s'", dir);
	assert_int_equal(system(want), 0);
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_tmpl_XXXXXX";
	const char *src = "Hello\n{{#who}}\n{{name}}\n{{/who}}\n{{missing}}\n";
	struct tmpl_value *ctx = tmpl_object_new();
	struct errbuf eb = ERRBUF_INIT;
	struct buf out = BUF_INIT;
	char want[128];
	struct tmpl *t;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, src, strlen(src)), (ssize_t)strlen(src));
	close(fd);
	tmpl_set_str(tmpl_set_object(ctx, "who"), "name", "Bo");

	assert_int_equal(tmpl_load(path, &t, &eb), 0);
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_NONE, &out, &eb),
			 -1);
	snprintf(want, sizeof(want), "%s:5: unknown variable 'missing'",
		 path);
	assert_string_equal(eb.msg, want);
	tmpl_set_str(ctx, "missing", "!");
	assert_int_equal(tmpl_render(t, ctx, TMPL_ESCAPE_NONE, &out, &eb), 0);
	assert_string_equal(buf_str(&out), "Hello\nBo\n!\n");

	buf_release(&out);
	tmpl_free(t);
	tmpl_value_free(ctx);
	unlink(path);
}

static void test_load_missing(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct tmpl *t = (struct tmpl *)1;

	assert_int_equal(tmpl_load("/nonexistent/digest.html", &t, &eb), -1);
	assert_null(t);
	assert_string_equal(eb.msg, "/nonexistent/digest.html: No such file "
				    "or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variable_html_escaped),
		cmocka_unit_test(test_variable_text_mode_raw),
		cmocka_unit_test(test_xss_escaped),
		cmocka_unit_test(test_raw_tags),
		cmocka_unit_test(test_utf8_passes_through),
		cmocka_unit_test(test_dotted_names),
		cmocka_unit_test(test_comment),
		cmocka_unit_test(test_section_truthiness),
		cmocka_unit_test(test_section_string_pushes_itself),
		cmocka_unit_test(test_section_object),
		cmocka_unit_test(test_int_values),
		cmocka_unit_test(test_strf),
		cmocka_unit_test(test_setters_replace),
		cmocka_unit_test(test_list_of_strings_dot),
		cmocka_unit_test(test_nested_lists),
		cmocka_unit_test(test_inverted),
		cmocka_unit_test(test_outer_name_inside_section),
		cmocka_unit_test(test_standalone_lines),
		cmocka_unit_test(test_reuse_compiled),
		cmocka_unit_test(test_error_unclosed_tag),
		cmocka_unit_test(test_error_unclosed_section),
		cmocka_unit_test(test_error_mismatched_close),
		cmocka_unit_test(test_error_close_without_open),
		cmocka_unit_test(test_error_empty_name),
		cmocka_unit_test(test_error_invalid_name),
		cmocka_unit_test(test_error_nesting_depth),
		cmocka_unit_test(test_error_too_large),
		cmocka_unit_test(test_error_unknown_name),
		cmocka_unit_test(test_error_not_a_string),
		cmocka_unit_test(test_error_output_limit),
		cmocka_unit_test(test_error_too_much_work),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
