/*
 * Unit tests for arxiv: the three feed formats from fixtures in
 * tests/fixtures/arxiv/ (run from the repository root), author splitting,
 * TeX in names, the abstract prefix, categories, announce types, limits and
 * hostile documents, and that a failed parse leaves the listing alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arxiv.h"
#include "buf.h"
#include "listing.h"
#include "util.h"
#include "banned.h"

#define FIXTURES "tests/fixtures/arxiv/"

/* The head and tail of an RSS feed of rss.arxiv.org, around items. */
#define RSS_HEAD \
	"<?xml version='1.0' encoding='UTF-8'?>\n" \
	"<rss xmlns:arxiv=\"http://arxiv.org/schemas/atom\" " \
	"xmlns:dc=\"http://purl.org/dc/elements/1.1/\" version=\"2.0\">\n" \
	"<channel><title>cs.LG updates on arXiv.org</title>\n"
#define RSS_TAIL "</channel></rss>\n"

static int parse_str(const char *doc, struct listing *l, struct errbuf *eb)
{
	return arxiv_parse(doc, strlen(doc), "test.xml", l, eb);
}

/* Parses a one-item RSS feed whose <dc:creator> is creators. */
static int parse_creators(const char *creators, struct listing *l)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc = BUF_INIT;
	int ret;

	buf_addf(&doc, RSS_HEAD "<item><title>T</title>"
		 "<guid>oai:arXiv.org:2512.00001v1</guid>"
		 "<dc:creator>%s</dc:creator></item>" RSS_TAIL, creators);
	ret = arxiv_parse(doc.data, doc.len, "test.xml", l, &eb);
	buf_release(&doc);
	return ret;
}

static void assert_strv(const struct strv *sv, const char *const *want,
			size_t n)
{
	size_t i;

	assert_int_equal(sv->n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(sv->v[i], want[i]);
	assert_null(sv->v[n]);
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void test_rss(void **state)
{
	static const char *const cats0[] = { "cs.LG", "cs.AI" };
	static const char *const cats1[] = { "cs.CL", "cs.LG" };
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	const struct paper *p;

	(void)state;
	listing_init(&l);
	/* Three items, one of them a repeat of the first. */
	assert_int_equal(arxiv_parse_file(FIXTURES "rss.xml", &l, &eb), 3);
	assert_int_equal(l.n, 2);

	p = &l.papers[0];
	assert_string_equal(p->id, "2512.21852");
	assert_int_equal(p->version, 1);
	assert_string_equal(p->title, "A Comedy of Estimators: On KL "
			    "Regularization in RL Training of LLMs");
	/* The first copy wins: the repeat has only two authors. */
	assert_int_equal(p->authors.n, 13);
	assert_string_equal(p->authors.v[0], "Vedant Shah");
	assert_string_equal(p->authors.v[8], "Yoshua Bengio");
	assert_string_equal(p->authors.v[12], "Aaron Courville");
	assert_true(starts_with(p->abstract, "The reasoning performance of "
				"large language models"));
	assert_non_null(strstr(p->abstract, "fine-tuning \\texttt{Qwen2.5-7B}, "
			       "\\texttt{Llama-3.1-8B-Instruct}"));
	assert_strv(&p->categories, cats0, 2);
	assert_int_equal(p->announce, LISTING_ANNOUNCE_NEW);
	assert_null(p->doi);
	assert_null(p->journal_ref);
	assert_null(p->comments);

	p = &l.papers[1];
	assert_string_equal(p->id, "2512.23675");
	assert_int_equal(p->version, 2);
	assert_int_equal(p->announce, LISTING_ANNOUNCE_CROSS);
	/* A cross-list: its primary category is not the feed's. */
	assert_strv(&p->categories, cats1, 2);
	assert_int_equal(p->authors.n, 14);
	assert_string_equal(p->authors.v[4], "Marcel Rød");
	assert_string_equal(p->authors.v[12], "Yejin Choi");
	assert_string_equal(p->authors.v[13], "Yu Sun");
	assert_string_equal(p->abstract, "We formulate long-context language "
			    "modeling as a problem in continual learning "
			    "rather than architecture design. Under this "
			    "formulation, we only use a standard architecture "
			    "-- a Transformer with sliding-window attention.");
	assert_string_equal(p->doi, "10.48550/arXiv.2512.23675");
	assert_string_equal(p->journal_ref, "Proc. ICML 2026, pp. 1--12");
	assert_string_equal(l.source, FIXTURES "rss.xml");
	listing_release(&l);
}

static void test_atom(void **state)
{
	static const char *const names0[] = { "Vedant Shah",
					      "Johan Obando-Ceron",
					      "Aaron Courville" };
	static const char *const names1[] = { "Jong-Ik Park",
					      "Carlee Joe-Wong",
					      "José M. F. Moura" };
	static const char *const cats1[] = { "cs.CL", "cs.LG" };
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	const struct paper *p;

	(void)state;
	listing_init(&l);
	assert_int_equal(arxiv_parse_file(FIXTURES "atom.xml", &l, &eb), 2);
	assert_int_equal(l.n, 2);

	p = &l.papers[0];
	assert_string_equal(p->id, "2512.21852");
	assert_int_equal(p->version, 1);
	assert_int_equal(p->announce, LISTING_ANNOUNCE_NEW);
	assert_strv(&p->authors, names0, 3);
	assert_true(starts_with(p->abstract, "The reasoning performance"));

	p = &l.papers[1];
	assert_string_equal(p->id, "2512.20012");
	assert_int_equal(p->version, 3);
	assert_string_equal(p->title,
			    "GLUE: Gradient-free Learning to Unify Experts");
	/* No <arxiv:announce_type>: the summary's prefix says it. */
	assert_int_equal(p->announce, LISTING_ANNOUNCE_REPLACE_CROSS);
	assert_strv(&p->authors, names1, 3);
	assert_strv(&p->categories, cats1, 2);
	assert_string_equal(p->abstract, "Mixture-of-experts models route "
			    "each token to a few experts; we show how to "
			    "merge experts without gradients.");
	listing_release(&l);
}

static void test_api(void **state)
{
	static const char *const names0[] = { "Bor-Yiing Su", "Peter Dykas",
					      "Mike Chrzanowski",
					      "Jatin Chhugani" };
	/* primary_category first, although <category> lists cs.AR first;
	 * cs.LG, listed again, only once. */
	static const char *const cats0[] = { "cs.LG", "cs.AR", "C.1.4" };
	static const char *const cats1[] = { "hep-th" };
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	const struct paper *p;

	(void)state;
	listing_init(&l);
	assert_int_equal(arxiv_parse_file(FIXTURES "api.xml", &l, &eb), 2);
	assert_int_equal(l.n, 2);

	p = &l.papers[0];
	assert_string_equal(p->id, "2512.22804");
	assert_int_equal(p->version, 2);
	assert_string_equal(p->title, "MoR: Mixture Of Representations For "
			    "Mixed-Precision Training");
	assert_string_equal(p->abstract, "Mixed-precision training is a "
			    "crucial technique for scaling deep learning "
			    "models. Our initial findings show that this "
			    "approach can achieve state-of-the-art results "
			    "with 98.38% of tensors quantized to the FP8 "
			    "format when $x<y$.");
	assert_strv(&p->authors, names0, 4);
	assert_strv(&p->categories, cats0, 3);
	assert_int_equal(p->announce, LISTING_ANNOUNCE_NEW);
	assert_string_equal(p->doi, "10.1000/xyz123");
	assert_string_equal(p->journal_ref, "MLSys 2026");
	assert_string_equal(p->comments,
			    "12 pages, 5 figures; accepted at MLSys 2026");

	p = &l.papers[1];
	assert_string_equal(p->id, "hep-th/9901001");
	assert_int_equal(p->version, 1);
	assert_string_equal(p->title, "Quantum Groups and Jürgen's Conjecture");
	assert_int_equal(p->authors.n, 1);
	assert_string_equal(p->authors.v[0], "Jürgen Müller");
	assert_strv(&p->categories, cats1, 1);
	assert_null(p->doi);
	listing_release(&l);
}

static void test_api_error(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(arxiv_parse_file(FIXTURES "api-error.xml", &l, &eb),
			 -1);
	assert_true(starts_with(eb.msg, FIXTURES "api-error.xml:10: "));
	assert_non_null(strstr(eb.msg, "incorrect id format for "
			       "1234.12345v12345"));
	assert_int_equal(l.n, 0);
	listing_release(&l);
}

static void test_empty_channel(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(arxiv_parse_file(FIXTURES "empty.xml", &l, &eb), 0);
	assert_int_equal(l.n, 0);
	listing_release(&l);
}

/* A listing holding rss.xml's two papers, to check a failure leaves it. */
static void load_rss(struct listing *l)
{
	struct errbuf eb = ERRBUF_INIT;

	listing_init(l);
	assert_int_equal(arxiv_parse_file(FIXTURES "rss.xml", l, &eb), 3);
	assert_int_equal(l->n, 2);
}

static void assert_rss_unchanged(const struct listing *l)
{
	assert_int_equal(l->n, 2);
	assert_string_equal(l->papers[0].id, "2512.21852");
	assert_int_equal(l->papers[0].authors.n, 13);
	assert_string_equal(l->papers[1].id, "2512.23675");
	assert_string_equal(l->papers[1].authors.v[4], "Marcel Rød");
	assert_string_equal(l->source, FIXTURES "rss.xml");
}

/* Parses a broken fixture into a loaded listing: -1, message, no change. */
static void check_broken_file(const char *file, const char *want_prefix,
			      const char *want)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	load_rss(&l);
	assert_int_equal(arxiv_parse_file(file, &l, &eb), -1);
	if (!starts_with(eb.msg, want_prefix) || !strstr(eb.msg, want))
		fail_msg("%s: got \"%s\"", file, eb.msg);
	assert_rss_unchanged(&l);
	listing_release(&l);
}

static void test_truncated(void **state)
{
	(void)state;
	check_broken_file(FIXTURES "truncated.xml",
			  FIXTURES "truncated.xml:22: ", "unclosed token");
}

static void test_html(void **state)
{
	(void)state;
	check_broken_file(FIXTURES "html.xml", FIXTURES "html.xml:2: ",
			  "not an RSS or Atom feed: the document is <html>");
}

static void test_billion_laughs(void **state)
{
	clock_t start = clock();

	(void)state;
	check_broken_file(FIXTURES "billion-laughs.xml",
			  FIXTURES "billion-laughs.xml:3: ",
			  "refusing entity declaration \"lol\"");
	/* Refused before any expansion: well under a second of CPU. */
	assert_true(clock() - start < CLOCKS_PER_SEC);
}

static void test_broken_strings(void **state)
{
	static const struct {
		const char *doc;
		const char *want;
	} cases[] = {
		{ "Rate exceeded.", "test.xml:1: syntax error" },
		{ "", "test.xml:1: no element found" },
		{ RSS_HEAD "<item><title>T</title></item>" RSS_TAIL,
		  "test.xml:4: item has no arXiv ID" },
		{ RSS_HEAD "<item><title>T</title><link>https://example.org/"
		  "</link></item>" RSS_TAIL,
		  "test.xml:4: item has no arXiv ID" },
		{ RSS_HEAD "\n<item><guid>oai:arXiv.org:2512.00001v1</guid>"
		  "<title> \n</title></item>" RSS_TAIL,
		  "test.xml:5: item 2512.00001 has no title" },
		{ RSS_HEAD "<item><title>\xff</title></item>" RSS_TAIL,
		  "test.xml:4: invalid UTF-8 in a document that is UTF-8" },
		{ "<?xml version=\"1.0\" encoding='utf-8'?>\n<rss>\n\xc3(\n"
		  "</rss>",
		  "test.xml:3: invalid UTF-8 in a document that is UTF-8" },
		{ RSS_HEAD "<item><title>&nbsp;</title></item>" RSS_TAIL,
		  "test.xml:4: undefined entity" },
		{ "<feed xmlns=\"http://example.org/not-atom\"/>",
		  "test.xml:1: not an RSS or Atom feed: the document is "
		  "<feed>" },
		{ "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/"
		  "22-rdf-syntax-ns#\"/>",
		  "test.xml:1: not an RSS or Atom feed: the document is "
		  "<RDF>" },
		{ "<?xml version=\"1.0\"?>\n<!DOCTYPE rss SYSTEM "
		  "\"file:///etc/passwd\" [\n<!ENTITY x SYSTEM "
		  "\"file:///etc/passwd\">]>\n<rss><channel><item><title>&x;"
		  "</title></item></channel></rss>",
		  "test.xml:3: refusing entity declaration \"x\" (feeds have "
		  "none; entity expansion can exhaust memory)" },
	};
	struct errbuf eb;
	struct listing l;
	size_t i;

	(void)state;
	load_rss(&l);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		errbuf_clear(&eb);
		assert_int_equal(parse_str(cases[i].doc, &l, &eb), -1);
		if (strcmp(eb.msg, cases[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
				 eb.msg, cases[i].want);
		assert_rss_unchanged(&l);
	}
	listing_release(&l);
}

static void test_author_splitting(void **state)
{
	static const struct {
		const char *creators;
		const char *want[4];
	} cases[] = {
		{ "Zubair Shah and Noaman Khan",
		  { "Zubair Shah", "Noaman Khan" } },
		{ "Naman Aggarwal, Siddhartha R. Dalal and Vishal Misra",
		  { "Naman Aggarwal", "Siddhartha R. Dalal",
		    "Vishal Misra" } },
		{ "Naman Aggarwal, Siddhartha R. Dalal, and Vishal Misra",
		  { "Naman Aggarwal", "Siddhartha R. Dalal",
		    "Vishal Misra" } },
		{ "Deniz Akdemir", { "Deniz Akdemir" } },
		/* "and" inside a name is not a separator. */
		{ "Alexander Sandberg, Fernando Andersen",
		  { "Alexander Sandberg", "Fernando Andersen" } },
		/* Nor are commas and "and" inside an affiliation. */
		{ "Ann Lee (MIT, Cambridge and Boston), Bo Li",
		  { "Ann Lee (MIT, Cambridge and Boston)", "Bo Li" } },
		{ "Martin Luther King, Jr., Jane Doe",
		  { "Martin Luther King, Jr.", "Jane Doe" } },
		/* Wrapped lines and stray separators. */
		{ "  Louis B\\'ethune,\n    Dan Busbridge ,, Michal\n Klein,",
		  { "Louis Béthune", "Dan Busbridge", "Michal Klein" } },
		{ "Ole J{\\o}rgensen and\nS\\o ren Kierkegaard",
		  { "Ole Jørgensen", "Søren Kierkegaard" } },
	};
	struct listing l;
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		listing_init(&l);
		assert_int_equal(parse_creators(cases[i].creators, &l), 1);
		for (n = 0; n < 4 && cases[i].want[n]; n++)
			;
		assert_strv(&l.papers[0].authors, cases[i].want, n);
		listing_release(&l);
	}
}

static void test_escaped_title(void **state)
{
	static const char doc[] = RSS_HEAD
		"<item><title>Bounds for $x&lt;y$ &amp; Q&amp;A &lt;fast&gt;"
		" &#x2014; &quot;ok&quot;</title>"
		"<guid>oai:arXiv.org:2512.00002v1</guid>"
		"<description>arXiv:2512.00002v1 Announce Type: new \n"
		"Abstract: If $a&lt;b$ then R&amp;D.</description>"
		"</item>" RSS_TAIL;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(parse_str(doc, &l, &eb), 1);
	assert_string_equal(l.papers[0].title,
			    "Bounds for $x<y$ & Q&A <fast> — \"ok\"");
	assert_string_equal(l.papers[0].abstract, "If $a<b$ then R&D.");
	listing_release(&l);
}

static void test_prefix_and_announce(void **state)
{
	static const struct {
		const char *item;
		const char *id;
		int version;
		enum listing_announce announce;
		const char *abstract;
	} cases[] = {
		/* The element wins over the prefix. */
		{ "<guid>oai:arXiv.org:2501.00001v2</guid><description>"
		  "arXiv:2501.00001v2 Announce Type: replace \nAbstract: Text"
		  "</description><arxiv:announce_type>replace-cross"
		  "</arxiv:announce_type>",
		  "2501.00001", 2, LISTING_ANNOUNCE_REPLACE_CROSS, "Text" },
		{ "<guid>oai:arXiv.org:2501.00001v2</guid><description>"
		  "arXiv:2501.00001v2 Announce Type: replace \nAbstract: Text"
		  "</description>",
		  "2501.00001", 2, LISTING_ANNOUNCE_REPLACE, "Text" },
		/* Only a link (no version); the prefix gives the version. */
		{ "<link>https://arxiv.org/abs/2501.00003</link><description>"
		  "arXiv:2501.00003v4 Announce Type: new Abstract: Text"
		  "</description>",
		  "2501.00003", 4, LISTING_ANNOUNCE_NEW, "Text" },
		/* Only the prefix names the paper. */
		{ "<description>arXiv:2501.00004v1 Announce Type: cross "
		  "Abstract: Text</description>",
		  "2501.00004", 1, LISTING_ANNOUNCE_CROSS, "Text" },
		/* Text that merely starts with "arXiv:" is kept. */
		{ "<guid>oai:arXiv.org:2501.00005v1</guid><description>"
		  "arXiv:2401.00001 showed that</description>",
		  "2501.00005", 1, LISTING_ANNOUNCE_UNKNOWN,
		  "arXiv:2401.00001 showed that" },
		{ "<guid>oai:arXiv.org:2501.00006v1</guid>"
		  "<arxiv:announce_type> new\n</arxiv:announce_type>",
		  "2501.00006", 1, LISTING_ANNOUNCE_NEW, "" },
		{ "<guid>oai:arXiv.org:2501.00007v1</guid>"
		  "<arxiv:announce_type>weird</arxiv:announce_type>",
		  "2501.00007", 1, LISTING_ANNOUNCE_UNKNOWN, "" },
	};
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc = BUF_INIT;
	struct listing l;
	const struct paper *p;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		listing_init(&l);
		buf_reset(&doc);
		buf_addf(&doc, RSS_HEAD "<item><title>T</title>%s</item>"
			 RSS_TAIL, cases[i].item);
		if (arxiv_parse(doc.data, doc.len, "t", &l, &eb) != 1)
			fail_msg("case %zu: %s", i, eb.msg);
		p = &l.papers[0];
		assert_string_equal(p->id, cases[i].id);
		assert_int_equal(p->version, cases[i].version);
		assert_int_equal(p->announce, cases[i].announce);
		assert_string_equal(p->abstract, cases[i].abstract);
		listing_release(&l);
	}
	buf_release(&doc);
}

/* Names are matched by namespace URI: prefixes are the document's choice. */
static void test_namespaces(void **state)
{
	static const char odd_prefixes[] =
		"<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\" "
		"xmlns:x=\"http://arxiv.org/schemas/atom\" "
		"xmlns:d=\"http://purl.org/dc/elements/1.1/\">"
		"<a:entry><a:id>oai:arXiv.org:2512.22106v1</a:id>"
		"<a:title>Pruning as a Game</a:title>"
		"<a:category term=\"cs.LG\"/>"
		"<x:announce_type>cross</x:announce_type>"
		"<d:creator>Zubair Shah, Noaman Khan</d:creator>"
		"</a:entry></a:feed>";
	/* "arxiv:" and "dc:" bound to other URIs are not arXiv's fields;
	 * neither is an Atom <title> outside an entry, nor an RSS <item>
	 * outside <channel>. */
	static const char wrong_uris[] = RSS_HEAD
		"<item xmlns:arxiv=\"http://example.org/\" "
		"xmlns:dc=\"http://example.org/dc\">"
		"<guid>oai:arXiv.org:2512.22106v1</guid><title>T</title>"
		"<arxiv:announce_type>new</arxiv:announce_type>"
		"<dc:creator>Someone Else</dc:creator>"
		"<title>Second title</title></item>" RSS_TAIL;
	static const char stray_item[] =
		"<rss><item><title>T</title>"
		"<guid>oai:arXiv.org:2512.22106v1</guid></item>"
		"<channel><extra><item><title>U</title>"
		"<guid>oai:arXiv.org:2512.22107v1</guid></item></extra>"
		"</channel></rss>";
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	const struct paper *p;

	(void)state;
	listing_init(&l);
	assert_int_equal(parse_str(odd_prefixes, &l, &eb), 1);
	p = &l.papers[0];
	assert_string_equal(p->id, "2512.22106");
	assert_string_equal(p->title, "Pruning as a Game");
	assert_int_equal(p->announce, LISTING_ANNOUNCE_CROSS);
	assert_int_equal(p->authors.n, 2);
	assert_string_equal(p->categories.v[0], "cs.LG");
	listing_release(&l);

	listing_init(&l);
	assert_int_equal(parse_str(wrong_uris, &l, &eb), 1);
	p = &l.papers[0];
	assert_string_equal(p->title, "T");
	assert_int_equal(p->announce, LISTING_ANNOUNCE_UNKNOWN);
	assert_int_equal(p->authors.n, 0);
	listing_release(&l);

	listing_init(&l);
	assert_int_equal(parse_str(stray_item, &l, &eb), 0);
	assert_int_equal(l.n, 0);
	listing_release(&l);
}

static void test_latin1_document(void **state)
{
	static const char doc[] =
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		"<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>"
		"<item><title>Caf\xe9</title>"
		"<guid>oai:arXiv.org:2512.00003v1</guid>"
		"<dc:creator>J\xfcrgen M\\\"uller</dc:creator></item>"
		"</channel></rss>";
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(parse_str(doc, &l, &eb), 1);
	assert_string_equal(l.papers[0].title, "Café");
	assert_string_equal(l.papers[0].authors.v[0], "Jürgen Müller");
	listing_release(&l);
}

static void test_merge_and_dedupe(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	load_rss(&l);
	/* atom.xml repeats 2512.21852 and adds 2512.20012. */
	assert_int_equal(arxiv_parse_file(FIXTURES "atom.xml", &l, &eb), 2);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.papers[2].id, "2512.20012");
	assert_int_equal(l.papers[0].authors.n, 13);
	assert_non_null(listing_find(&l, "2512.23675"));
	assert_string_equal(l.source, FIXTURES "rss.xml");
	listing_release(&l);
}

static void test_field_limit(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc = BUF_INIT;
	struct listing l;
	size_t i;

	(void)state;
	load_rss(&l);
	buf_addstr(&doc, RSS_HEAD "<item><guid>oai:arXiv.org:2512.00001v1"
		   "</guid><title>");
	for (i = 0; i <= ARXIV_MAX_FIELD; i++)
		buf_addch(&doc, 'a');
	buf_addstr(&doc, "</title></item>" RSS_TAIL);
	assert_int_equal(arxiv_parse(doc.data, doc.len, "big.xml", &l, &eb),
			 -1);
	assert_string_equal(eb.msg, "big.xml:4: title is longer than 1048576 "
			    "bytes");
	assert_rss_unchanged(&l);
	/* Exactly at the limit is fine. */
	buf_reset(&doc);
	buf_addstr(&doc, RSS_HEAD "<item><guid>oai:arXiv.org:2512.00001v1"
		   "</guid><title>");
	for (i = 0; i < ARXIV_MAX_FIELD; i++)
		buf_addch(&doc, 'a');
	buf_addstr(&doc, "</title></item>" RSS_TAIL);
	assert_int_equal(arxiv_parse(doc.data, doc.len, "big.xml", &l, &eb),
			 1);
	assert_int_equal(strlen(l.papers[2].title), ARXIV_MAX_FIELD);
	buf_release(&doc);
	listing_release(&l);
}

static void test_author_limit(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc = BUF_INIT;
	struct listing l;
	int i;

	(void)state;
	load_rss(&l);
	buf_addstr(&doc, RSS_HEAD "<item><guid>oai:arXiv.org:2512.00001v1"
		   "</guid><title>T</title><dc:creator>");
	for (i = 0; i <= ARXIV_MAX_AUTHORS; i++)
		buf_addf(&doc, "%sA%d B", i ? ", " : "", i);
	buf_addstr(&doc, "</dc:creator></item>" RSS_TAIL);
	assert_int_equal(arxiv_parse(doc.data, doc.len, "t", &l, &eb), -1);
	assert_string_equal(eb.msg, "t:4: item has more than 10000 authors");
	assert_rss_unchanged(&l);
	buf_release(&doc);

	/* The same limit for Atom <author> elements. */
	buf_addstr(&doc, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
		   "<id>http://arxiv.org/abs/2512.00001v1</id><title>T</title>"
		   "\n");
	for (i = 0; i <= ARXIV_MAX_AUTHORS; i++)
		buf_addstr(&doc, "<author><name>A B</name></author>");
	buf_addstr(&doc, "</entry></feed>");
	assert_int_equal(arxiv_parse(doc.data, doc.len, "t", &l, &eb), -1);
	assert_string_equal(eb.msg, "t:2: item has more than 10000 authors");
	assert_rss_unchanged(&l);
	buf_release(&doc);
	listing_release(&l);
}

static void test_category_limit(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc = BUF_INIT;
	struct listing l;
	int i;

	(void)state;
	listing_init(&l);
	buf_addstr(&doc, RSS_HEAD "<item><guid>oai:arXiv.org:2512.00001v1"
		   "</guid><title>T</title>");
	for (i = 0; i < 1000; i++)
		buf_addf(&doc, "<category>c%d</category>", i);
	buf_addstr(&doc, "</item>" RSS_TAIL);
	assert_int_equal(arxiv_parse(doc.data, doc.len, "t", &l, &eb), -1);
	assert_string_equal(eb.msg, "t:4: item has more than 100 categories");
	assert_int_equal(l.n, 0);
	buf_release(&doc);
	listing_release(&l);
}

static void test_item_limit(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf doc = BUF_INIT;
	struct listing l;
	int i;

	(void)state;
	load_rss(&l);
	buf_addstr(&doc, RSS_HEAD);
	for (i = 0; i <= LISTING_MAX_PAPERS; i++)
		buf_addf(&doc, "<item><title>T</title><guid>%d.%05d</guid>"
			 "</item>", 2000 + i / 10000, i % 10000);
	buf_addstr(&doc, RSS_TAIL);
	assert_int_equal(arxiv_parse(doc.data, doc.len, "t", &l, &eb), -1);
	assert_string_equal(eb.msg, "t:4: more than 50000 items");
	assert_rss_unchanged(&l);
	buf_release(&doc);
	listing_release(&l);
}

static void test_document_limit(void **state)
{
	size_t len = ARXIV_MAX_DOCUMENT + 1;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	char *big;

	(void)state;
	load_rss(&l);
	big = calloc(len, 1);
	assert_non_null(big);
	assert_int_equal(arxiv_parse(big, len, "huge.xml", &l, &eb), -1);
	assert_string_equal(eb.msg, "huge.xml: document is larger than the "
			    "limit of 67108864 bytes");
	assert_rss_unchanged(&l);
	free(big);
	listing_release(&l);
}

static void test_nul_byte(void **state)
{
	static const char doc[] = RSS_HEAD "<item><title>T\0x</title>"
		"<guid>oai:arXiv.org:2512.00001v1</guid></item>" RSS_TAIL;
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	load_rss(&l);
	assert_int_equal(arxiv_parse(doc, sizeof(doc) - 1, "nul.xml", &l,
				     &eb), -1);
	assert_string_equal(eb.msg, "nul.xml:4: NUL byte in document");
	assert_rss_unchanged(&l);
	listing_release(&l);
}

static void test_missing_file(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;

	(void)state;
	listing_init(&l);
	assert_int_equal(arxiv_parse_file(FIXTURES "no-such.xml", &l, &eb),
			 -1);
	assert_true(starts_with(eb.msg, FIXTURES "no-such.xml: "));
	assert_int_equal(l.n, 0);
	listing_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss),
		cmocka_unit_test(test_atom),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_api_error),
		cmocka_unit_test(test_empty_channel),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_broken_strings),
		cmocka_unit_test(test_author_splitting),
		cmocka_unit_test(test_escaped_title),
		cmocka_unit_test(test_prefix_and_announce),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_latin1_document),
		cmocka_unit_test(test_merge_and_dedupe),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_author_limit),
		cmocka_unit_test(test_category_limit),
		cmocka_unit_test(test_item_limit),
		cmocka_unit_test(test_document_limit),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
