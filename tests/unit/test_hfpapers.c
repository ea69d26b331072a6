/*
 * Unit tests for hfpapers: a realistic day of Hugging Face daily papers
 * (tests/fixtures/hf/, run from the repository root) alone and merged into
 * an arXiv listing, TeX and whitespace in the copied arXiv text, wrongly
 * typed required and optional fields, syntax errors with their position,
 * the limits, and that every failure leaves the listing and the extras as
 * they were.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arxiv.h"
#include "buf.h"
#include "hfpapers.h"
#include "listing.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

#define HF_DAY "tests/fixtures/hf/daily-2025-12-30.json"
#define HF_EMPTY "tests/fixtures/hf/empty.json"
#define ARXIV_SMALL "tests/fixtures/listing-small.xml"
/* listing-small.xml: 8 papers, 2512.21852 and 2512.23447 among them. */
#define ARXIV_SMALL_N 8

static int parse_str(const char *doc, struct listing *l,
		     struct hfpapers_extras *x, struct errbuf *eb)
{
	return hfpapers_parse(doc, strlen(doc), "t.json", l, x, eb);
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static const struct paper *find(const struct listing *l, const char *id)
{
	const struct paper *p = listing_find(l, id);

	if (!p)
		fail_msg("paper %s is not in the listing", id);
	return p;
}

static const struct hfpapers_extra *extra(const struct hfpapers_extras *x,
					  const char *id)
{
	const struct hfpapers_extra *e = hfpapers_extras_find(x, id);

	if (!e)
		fail_msg("no Hugging Face values for %s", id);
	return e;
}

/* Folded text: no newline, tab, leading, trailing or double space. */
static void assert_folded(const char *s)
{
	size_t len = strlen(s);

	assert_null(strchr(s, '\n'));
	assert_null(strchr(s, '\t'));
	assert_null(strstr(s, "  "));
	if (len)
		assert_true(s[0] != ' ' && s[len - 1] != ' ');
}

/* The values the fixture gives, wherever its papers came from. */
static void assert_day_extras(const struct hfpapers_extras *x)
{
	const struct hfpapers_extra *e;

	assert_int_equal(x->n, 5);
	e = extra(x, "2512.23447");
	assert_int_equal(e->upvotes, 31);
	assert_string_equal(e->github_repo,
			    "https://github.com/example-lab/erc-loss");
	assert_string_equal(e->project_page,
			    "https://example-lab.github.io/erc-loss/");
	e = extra(x, "2512.21852");
	assert_int_equal(e->upvotes, 12);
	/* JSON null is "none", not the string "null". */
	assert_null(e->github_repo);
	assert_null(e->project_page);
	assert_int_equal(extra(x, "2512.90002")->upvotes, 9);
	assert_int_equal(extra(x, "2512.90021")->upvotes, 2);
	/* Zero upvotes is known, not unknown. */
	assert_int_equal(extra(x, "2512.90024")->upvotes, 0);
}

/* The three papers only Hugging Face lists. */
static void assert_hf_only_papers(const struct listing *l)
{
	const struct paper *p;

	p = find(l, "2512.90002");
	/* Hugging Face copies arXiv's two-line titles with the break. */
	assert_string_equal(p->title, "The Coverage Principle: A Framework "
			    "for Understanding Compositional Generalization");
	assert_true(starts_with(p->abstract, "Large language models excel "
				"at pattern matching, yet often fall short"));
	assert_non_null(strstr(p->abstract, "with 20x parameter scaling. "
			       "Second, for compositional tasks"));
	assert_folded(p->abstract);
	assert_int_equal(p->authors.n, 1);
	assert_string_equal(p->authors.v[0], "Unknown Author 1");
	assert_int_equal(p->categories.n, 0);
	assert_int_equal(p->announce, LISTING_ANNOUNCE_UNKNOWN);
	assert_int_equal(p->version, 0);
	assert_null(p->doi);

	p = find(l, "2512.90021");
	assert_true(starts_with(p->title, "Theoretical Foundations of Latent "
				"Posterior Factors"));
	/* A hidden author is still an author. */
	assert_int_equal(p->authors.n, 1);

	p = find(l, "2512.90024");
	assert_string_equal(p->title, "GradSign: Model Performance "
			    "Inference with Theoretical Insights");
	assert_int_equal(p->authors.n, 2);
	assert_string_equal(p->authors.v[1], "Unknown Author 2");
	/* Math-like TeX is kept as written. */
	assert_non_null(strstr(p->abstract, "a quantity {\\Psi} to analyze"));
	assert_folded(p->abstract);
}

static void test_day_alone(void **state)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	const struct paper *p;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(hfpapers_parse_file(HF_DAY, &l, &x, &eb), 5);
	assert_int_equal(l.n, 5);
	/* Feed order is kept. */
	assert_string_equal(l.papers[0].id, "2512.23447");
	assert_string_equal(l.papers[4].id, "2512.90024");
	assert_string_equal(l.source, HF_DAY);

	p = find(&l, "2512.21852");
	assert_int_equal(p->authors.n, 13);
	assert_string_equal(p->authors.v[8], "Yoshua Bengio");
	assert_true(starts_with(p->abstract, "The reasoning performance of "
				"large language models (LLMs)"));
	assert_non_null(strstr(p->abstract, "fine-tuning \\texttt{Qwen2.5-7B}, "
			       "\\texttt{Llama-3.1-8B-Instruct}"));
	/* Hugging Face knows no categories or announce types. */
	assert_int_equal(p->categories.n, 0);
	assert_int_equal(p->announce, LISTING_ANNOUNCE_UNKNOWN);

	assert_hf_only_papers(&l);
	assert_day_extras(&x);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

/* listing-small.xml with the Hugging Face day merged in. */
static void load_merged(struct listing *l, struct hfpapers_extras *x)
{
	struct errbuf eb = ERRBUF_INIT;

	listing_init(l);
	assert_int_equal(arxiv_parse_file(ARXIV_SMALL, l, &eb),
			 ARXIV_SMALL_N);
	assert_int_equal(l->n, ARXIV_SMALL_N);
	if (hfpapers_parse_file(HF_DAY, l, x, &eb) != 5)
		fail_msg("%s", eb.msg);
}

static void test_merge_into_arxiv(void **state)
{
	static const char *const cats[] = { "cs.LG", "cs.AI", "cs.CL" };
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	const struct paper *p;
	struct listing l;
	size_t i, j;

	(void)state;
	load_merged(&l, &x);
	/* Two papers were on arXiv already; three are added, at the end. */
	assert_int_equal(l.n, ARXIV_SMALL_N + 3);
	assert_string_equal(l.papers[ARXIV_SMALL_N].id, "2512.90002");
	assert_string_equal(l.papers[ARXIV_SMALL_N + 2].id, "2512.90024");
	for (i = 0; i < l.n; i++)
		for (j = 0; j < i; j++)
			assert_string_not_equal(l.papers[i].id,
						l.papers[j].id);
	assert_string_equal(l.source, ARXIV_SMALL);

	/* arXiv's fields win: version, categories, announce type. */
	p = find(&l, "2512.21852");
	assert_int_equal(p->version, 1);
	assert_int_equal(p->announce, LISTING_ANNOUNCE_NEW);
	assert_int_equal(p->categories.n, 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(p->categories.v[i], cats[i]);
	assert_int_equal(p->authors.n, 13);
	p = find(&l, "2512.23447");
	assert_int_equal(p->announce, LISTING_ANNOUNCE_NEW);
	assert_int_equal(p->categories.n, 2);
	assert_string_equal(p->authors.v[0], "Ang Lv");

	assert_hf_only_papers(&l);
	assert_day_extras(&x);
	/* arXiv papers Hugging Face did not list get no values. */
	assert_null(hfpapers_extras_find(&x, "2512.21487"));
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_merge_twice(void **state)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	load_merged(&l, &x);
	/* A rerun adds nothing and keeps one entry per paper. */
	assert_int_equal(hfpapers_parse_file(HF_DAY, &l, &x, &eb), 5);
	assert_int_equal(l.n, ARXIV_SMALL_N + 3);
	assert_day_extras(&x);
	/* Newer counts replace older ones. */
	assert_int_equal(parse_str("[{\"paper\": {\"id\": \"2512.23447\", "
				   "\"title\": \"T\", \"upvotes\": 40}}]",
				   &l, &x, &eb), 1);
	assert_int_equal(x.n, 5);
	assert_int_equal(extra(&x, "2512.23447")->upvotes, 40);
	assert_null(extra(&x, "2512.23447")->github_repo);
	assert_string_equal(find(&l, "2512.23447")->title, "Coupling Experts "
			    "and Routers in Mixture-of-Experts via an "
			    "Auxiliary Loss");
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_empty_day(void **state)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(hfpapers_parse_file(HF_EMPTY, &l, &x, &eb), 0);
	assert_int_equal(parse_str(" [ ] ", &l, &x, &eb), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(x.n, 0);
	listing_release(&l);
}

/* A failed parse left the merged listing and its extras as they were. */
static void assert_merged_unchanged(const struct listing *l,
				    const struct hfpapers_extras *x)
{
	assert_int_equal(l->n, ARXIV_SMALL_N + 3);
	assert_string_equal(l->papers[ARXIV_SMALL_N + 2].id, "2512.90024");
	assert_string_equal(l->papers[ARXIV_SMALL_N + 2].title, "GradSign: "
			    "Model Performance Inference with Theoretical "
			    "Insights");
	assert_day_extras(x);
}

/* doc fails with exactly `want` and changes nothing. */
static void check_broken(const char *doc, size_t len, const char *want)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	load_merged(&l, &x);
	assert_int_equal(hfpapers_parse(doc, len, "t.json", &l, &x, &eb), -1);
	if (strcmp(eb.msg, want))
		fail_msg("%s: got \"%s\", want \"%s\"", doc, eb.msg, want);
	assert_merged_unchanged(&l, &x);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

#define OK_PAPER(id) "{\"paper\": {\"id\": \"" id "\", \"title\": \"T\"}}"

static void test_wrong_required_types(void **state)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{ "{\"paper\": {\"id\": \"2512.00001\", \"title\": \"T\"}}",
		  "t.json: expected a JSON array of papers" },
		{ "\"2512.00001\"", "t.json: expected a JSON array of papers" },
		{ "null", "t.json: expected a JSON array of papers" },
		{ "[1, \"two\", null]", "t.json: paper 0: expected an object" },
		{ "[" OK_PAPER("2512.00001") ", [] ]",
		  "t.json: paper 1: expected an object" },
		{ "[{\"title\": \"T\"}]",
		  "t.json: paper 0: 'paper' must be an object" },
		{ "[{\"paper\": \"2512.00001\"}]",
		  "t.json: paper 0: 'paper' must be an object" },
		{ "[" OK_PAPER("2512.00001") ", " OK_PAPER("2512.00002") ", "
		  OK_PAPER("2512.00003") ", {\"paper\": {\"id\": 2512.00004,"
		  " \"title\": \"T\"}}]",
		  "t.json: paper 3: 'id' must be a string" },
		{ "[{\"paper\": {\"title\": \"T\"}}]",
		  "t.json: paper 0: 'id' must be a string" },
		{ "[{\"paper\": {\"id\": \"not an\\tid\\u00e9\", "
		  "\"title\": \"T\"}}]",
		  "t.json: paper 0: 'id' is not an arXiv ID: "
		  "\"not?an?id??\"" },
		{ "[{\"paper\": {\"id\": \"2512.00001\"}}]",
		  "t.json: paper 0: 'title' must be a string" },
		{ "[{\"paper\": {\"id\": \"2512.00001\", \"title\": 7}, "
		  "\"title\": [\"T\"]}]",
		  "t.json: paper 0: 'title' must be a string" },
		{ "[{\"paper\": {\"id\": \"2512.00001\", "
		  "\"title\": \" \\n \"}}]",
		  "t.json: paper 0: 'title' is empty" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_broken(cases[i].doc, strlen(cases[i].doc),
			     cases[i].want);
}

static void test_wrong_optional_types(void **state)
{
	static const char doc[] = "["
		/* 0: every optional field of the wrong type */
		"{\"paper\": {\"id\": \"2512.00001\", \"title\": \"A\", "
		"\"upvotes\": \"12\", \"githubRepo\": 5, \"projectPage\": {}, "
		"\"summary\": null, \"authors\": \"Alice\"}},"
		/* 1: an integer as a real, a negative count, bad URLs */
		"{\"paper\": {\"id\": \"2512.00002\", \"title\": \"B\", "
		"\"upvotes\": 12.0, \"githubRepo\": \"javascript:alert(1)\", "
		"\"projectPage\": \"https://example.org/a b\", "
		"\"authors\": [1, {\"name\": 2}, {\"name\": \"Bob\"}, "
		"{\"nom\": \"Eve\"}, {\"name\": \" \"}, null]}},"
		/* 2: the outer object's values when the paper has none */
		"{\"paper\": {\"id\": \"2512.00003\", \"title\": 3, "
		"\"upvotes\": -4}, \"title\": \"C\", \"summary\": \"S\", "
		"\"projectPage\": \"HTTPS://example.org/c\"},"
		/* 3: URLs without a host or with a quote */
		"{\"paper\": {\"id\": \"2512.00004\", \"title\": \"D\", "
		"\"githubRepo\": \"https://\", "
		"\"projectPage\": \"http://x.org/\\\"onmouseover\"}}"
		"]";
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	const struct hfpapers_extra *e;
	const struct paper *p;
	struct listing l;

	(void)state;
	listing_init(&l);
	if (parse_str(doc, &l, &x, &eb) != 4)
		fail_msg("%s", eb.msg);
	assert_int_equal(l.n, 4);

	p = find(&l, "2512.00001");
	assert_string_equal(p->abstract, "");
	assert_int_equal(p->authors.n, 0);
	e = extra(&x, "2512.00001");
	assert_int_equal(e->upvotes, -1);
	assert_null(e->github_repo);
	assert_null(e->project_page);

	p = find(&l, "2512.00002");
	assert_int_equal(p->authors.n, 1);
	assert_string_equal(p->authors.v[0], "Bob");
	e = extra(&x, "2512.00002");
	assert_int_equal(e->upvotes, -1);
	assert_null(e->github_repo);
	assert_null(e->project_page);

	p = find(&l, "2512.00003");
	assert_string_equal(p->title, "C");
	assert_string_equal(p->abstract, "S");
	e = extra(&x, "2512.00003");
	assert_int_equal(e->upvotes, -1);
	assert_string_equal(e->project_page, "HTTPS://example.org/c");

	e = extra(&x, "2512.00004");
	assert_null(e->github_repo);
	assert_null(e->project_page);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_tex_and_ids(void **state)
{
	static const char doc[] = "["
		"{\"paper\": {\"id\": \"2512.00001v3\", "
		"\"title\": \"R{\\\\o}d and "
		"J\\\\\\\"urgen:\\n  a\\t  title \", "
		"\"summary\": \"  We use \\\\texttt{x} and\\n$a  <  b$.\\n\", "
		"\"authors\": [{\"name\": \"Jos\\\\'e Garc\\\\'{\\\\i}a\"}, "
		"{\"name\": \"Zo\\u00eb \\u00c5ngstr\\u00f6m\"}], "
		"\"upvotes\": 3}},"
		"{\"paper\": {\"id\": \"arXiv:hep-th/9901001v1\", "
		"\"title\": \"Old\"}}"
		"]";
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	const struct paper *p;
	struct listing l;

	(void)state;
	listing_init(&l);
	if (parse_str(doc, &l, &x, &eb) != 2)
		fail_msg("%s", eb.msg);
	p = find(&l, "2512.00001");
	assert_int_equal(p->version, 3);
	assert_string_equal(p->title, "Rød and Jürgen: a title");
	assert_string_equal(p->abstract, "We use \\texttt{x} and $a < b$.");
	assert_int_equal(p->authors.n, 2);
	assert_string_equal(p->authors.v[0], "José García");
	assert_string_equal(p->authors.v[1], "Zoë Ångström");
	assert_int_equal(extra(&x, "2512.00001")->upvotes, 3);
	p = find(&l, "hep-th/9901001");
	assert_int_equal(p->version, 1);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_duplicate_in_document(void **state)
{
	static const char doc[] = "["
		"{\"paper\": {\"id\": \"2512.00001\", \"title\": \"First\", "
		"\"upvotes\": 5}},"
		"{\"paper\": {\"id\": \"2512.00001v2\", \"title\": \"Again\", "
		"\"upvotes\": 50}}"
		"]";
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	/* Both elements count; the paper is there once, as first given. */
	assert_int_equal(parse_str(doc, &l, &x, &eb), 2);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.papers[0].title, "First");
	assert_int_equal(x.n, 1);
	assert_int_equal(x.v[0].upvotes, 5);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_syntax_errors(void **state)
{
	static const char cut[] = "[\n  {\"paper\": {\n    \"id\": "
		"\"2512.00001\",\n    \"title\": \"Coupling Exp";
	static const char dup[] = "[{\"paper\": {\"id\": \"2512.00001\", "
		"\"title\": \"T\", \"id\": \"2512.00002\"}}]";
	static const char nul[] = "[{\"paper\": {\"id\": \"2512.00001\", "
		"\"title\": \"T\\u0000x\"}}]";
	static const char raw_nul[] = "[{\"paper\": {\"id\": \"2512.00001\","
		" \"title\": \"T\0x\"}}]";
	static const char trailing[] = "[]\n[]";
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	size_t i;

	(void)state;
	load_merged(&l, &x);
	/* A truncated download: line and column of the end. */
	assert_int_equal(hfpapers_parse(cut, sizeof(cut) - 1, "cut.json", &l,
					&x, &eb), -1);
	if (!starts_with(eb.msg, "cut.json:4:"))
		fail_msg("got \"%s\"", eb.msg);
	assert_merged_unchanged(&l, &x);
	/* A truncated copy of the real fixture fails the same way. */
	for (i = 1; i < 5; i++) {
		struct buf day = BUF_INIT;
		struct errbuf eb2 = ERRBUF_INIT;

		assert_int_equal(util_read_file(HF_DAY, &day, &eb2), 0);
		assert_int_equal(hfpapers_parse(day.data, day.len * i / 5,
						"part.json", &l, &x, &eb2),
				 -1);
		if (!starts_with(eb2.msg, "part.json:") || eb2.msg[10] < '1' ||
		    eb2.msg[10] > '9')
			fail_msg("got \"%s\"", eb2.msg);
		buf_release(&day);
	}
	assert_merged_unchanged(&l, &x);

	assert_int_equal(hfpapers_parse(dup, sizeof(dup) - 1, "dup.json", &l,
					&x, &eb), -1);
	assert_true(starts_with(eb.msg, "dup.json:1:"));
	assert_non_null(strstr(eb.msg, "duplicate object key"));
	assert_int_equal(hfpapers_parse(nul, sizeof(nul) - 1, "nul.json", &l,
					&x, &eb), -1);
	assert_true(starts_with(eb.msg, "nul.json:1:"));
	assert_int_equal(hfpapers_parse(raw_nul, sizeof(raw_nul) - 1,
					"nul.json", &l, &x, &eb), -1);
	assert_true(starts_with(eb.msg, "nul.json:1:"));
	assert_int_equal(hfpapers_parse(trailing, sizeof(trailing) - 1,
					"two.json", &l, &x, &eb), -1);
	assert_true(starts_with(eb.msg, "two.json:2:"));
	assert_int_equal(hfpapers_parse("", 0, "none.json", &l, &x, &eb), -1);
	assert_true(starts_with(eb.msg, "none.json"));
	assert_merged_unchanged(&l, &x);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_document_limit(void **state)
{
	size_t len = (size_t)50 << 20;
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	char *big;

	(void)state;
	load_merged(&l, &x);
	/* Valid JSON, so only the size check can refuse it. */
	big = malloc(len);
	assert_non_null(big);
	memset(big, ' ', len);
	big[0] = '[';
	big[len - 1] = ']';
	assert_int_equal(hfpapers_parse(big, len, "big.json", &l, &x, &eb),
			 -1);
	assert_string_equal(eb.msg, "big.json: document is larger than the "
			    "limit of 16777216 bytes");
	assert_merged_unchanged(&l, &x);
	free(big);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_json_memory_limit(void **state)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc;
	struct listing l;

	(void)state;
	load_merged(&l, &x);
	/* 12 MiB of empty objects would cost jansson about 900 MB. */
	buf_init(&doc, HFPAPERS_MAX_DOCUMENT);
	buf_addch(&doc, '[');
	while (doc.len < ((size_t)12 << 20))
		buf_add(&doc, "{},{},{},{},{},{},{},{},", 24);
	buf_addstr(&doc, "{}]");
	assert_int_equal(hfpapers_parse(doc.data, doc.len, "objs.json", &l,
					&x, &eb), -1);
	assert_string_equal(eb.msg, "objs.json: the JSON document needs more "
			    "than 256 MiB of memory");
	assert_merged_unchanged(&l, &x);
	/* The budget was given back: the next document parses. */
	assert_int_equal(hfpapers_parse_file(HF_DAY, &l, &x, &eb), 5);
	buf_release(&doc);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_paper_limit(void **state)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc = BUF_INIT;
	struct listing l;
	int i;

	(void)state;
	listing_init(&l);
	buf_addch(&doc, '[');
	for (i = 0; i < HFPAPERS_MAX_PAPERS; i++)
		buf_addf(&doc, "%s{\"paper\": {\"id\": \"2512.%05d\", "
			 "\"title\": \"T\"}}", i ? "," : "", i);
	buf_addch(&doc, ']');
	/* The limit itself is fine... */
	assert_int_equal(hfpapers_parse(doc.data, doc.len, "t.json", &l, &x,
					&eb), HFPAPERS_MAX_PAPERS);
	assert_int_equal(l.n, HFPAPERS_MAX_PAPERS);
	/* ...one more is not. */
	buf_truncate(&doc, doc.len - 1);
	buf_addstr(&doc, ",{\"paper\": {\"id\": \"2512.99999\", "
		   "\"title\": \"T\"}}]");
	assert_int_equal(hfpapers_parse(doc.data, doc.len, "t.json", &l, &x,
					&eb), -1);
	assert_string_equal(eb.msg, "t.json: more than 1000 papers");
	assert_int_equal(l.n, HFPAPERS_MAX_PAPERS);
	assert_null(listing_find(&l, "2512.99999"));
	buf_release(&doc);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_field_and_author_limits(void **state)
{
	struct buf doc = BUF_INIT;
	size_t i;

	(void)state;
	buf_addstr(&doc, "[" OK_PAPER("2512.00001") ", {\"paper\": {\"id\": "
		   "\"2512.00002\", \"title\": \"T\", \"summary\": \"");
	for (i = 0; i <= HFPAPERS_MAX_FIELD; i++)
		buf_addch(&doc, 'a');
	buf_addstr(&doc, "\"}}]");
	check_broken(doc.data, doc.len, "t.json: paper 1: 'summary' is "
		     "longer than the limit of 1048576 bytes");

	buf_reset(&doc);
	buf_addstr(&doc, "[{\"paper\": {\"id\": \"2512.00001\", \"title\": "
		   "\"T\", \"authors\": [");
	for (i = 0; i <= HFPAPERS_MAX_AUTHORS; i++)
		buf_addf(&doc, "%s{\"name\": \"A\"}", i ? "," : "");
	buf_addstr(&doc, "]}}]");
	check_broken(doc.data, doc.len,
		     "t.json: paper 0: more than 10000 authors");
	buf_release(&doc);
}

static void test_listing_full(void **state)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	struct paper p;
	char id[32];
	int i;

	(void)state;
	listing_init(&l);
	for (i = 0; i < LISTING_MAX_PAPERS; i++) {
		memset(&p, 0, sizeof(p));
		snprintf(id, sizeof(id), "%d.%05d", 2000 + i / 10000,
			 i % 10000);
		p.id = xstrdup(id);
		p.title = xstrdup("T");
		assert_int_equal(listing_add(&l, &p), 0);
	}
	assert_int_equal(parse_str("[" OK_PAPER("2000.00001") ", "
				   OK_PAPER("2512.00001") "]", &l, &x, &eb),
			 -1);
	assert_string_equal(eb.msg, "t.json: more than 50000 papers in the "
			    "listing");
	assert_int_equal(l.n, LISTING_MAX_PAPERS);
	assert_int_equal(x.n, 0);
	/* Values for papers already there still fit. */
	assert_int_equal(parse_str("[" OK_PAPER("2000.00001") "]", &l, &x,
				   &eb), 1);
	assert_int_equal(x.n, 1);
	hfpapers_extras_release(&x);
	listing_release(&l);
}

static void test_missing_file(void **state)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(hfpapers_parse_file("tests/fixtures/hf/no-such.json",
					     &l, &x, &eb), -1);
	assert_true(starts_with(eb.msg, "tests/fixtures/hf/no-such.json: "));
	assert_int_equal(l.n, 0);
	listing_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_alone),
		cmocka_unit_test(test_merge_into_arxiv),
		cmocka_unit_test(test_merge_twice),
		cmocka_unit_test(test_empty_day),
		cmocka_unit_test(test_wrong_required_types),
		cmocka_unit_test(test_wrong_optional_types),
		cmocka_unit_test(test_tex_and_ids),
		cmocka_unit_test(test_duplicate_in_document),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_document_limit),
		cmocka_unit_test(test_json_memory_limit),
		cmocka_unit_test(test_paper_limit),
		cmocka_unit_test(test_field_and_author_limits),
		cmocka_unit_test(test_listing_full),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
