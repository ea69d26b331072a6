/*
 * Unit tests for render with the real templates: the LLM judge's values
 * (novelty, tokens, cost, budget) as the text and HTML parts show them,
 * their absence when the judge did not run, the budget's shortening, and
 * the hanging wrap of the text part.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "banned.h"

struct fixture {
	struct conf conf;
	struct subscriber sub;
	struct paper papers[2];
	struct score_entry scores[2];
	struct digest_item items[2];
	struct digest d;
	struct render_templates t;
	struct buf html, text;
	char *subject;
};

static char title0[] = "Sparse Experts at Scale";
static char title1[] = "Quantized Attention";
static char abstract[] = "We study experts.";

static void setup(struct fixture *f)
{
	struct errbuf eb = ERRBUF_INIT;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->conf.list_name = "Daily arXiv digest";
	f->conf.from_addr = "digest@example.org";
	f->conf.contact = "digest@example.org";
	f->conf.postal = "";
	f->conf.base_url = "https://digest.example.org";
	f->conf.template_html = "templates/digest.html";
	f->conf.template_text = "templates/digest.txt";
	f->sub.id = "ada";
	f->sub.name = "Ada";
	f->sub.email = "ada@example.org";
	f->sub.path = "subscribers/ada.cfg";
	f->sub.min_relevance = 5;
	f->sub.max_papers = 30;
	f->papers[0].id = "2512.00001";
	f->papers[0].title = title0;
	f->papers[1].id = "2512.00002";
	f->papers[1].title = title1;
	for (i = 0; i < 2; i++) {
		f->papers[i].abstract = abstract;
		strv_push(&f->papers[i].authors, "Ada Lovelace");
		strv_push(&f->papers[i].categories, "cs.LG");
		f->scores[i].paper = i;
		f->scores[i].relevance = 9 - (int)i;
		f->items[i].paper = &f->papers[i];
		f->items[i].score = &f->scores[i];
	}
	f->scores[0].novelty = 8; /* the second paper's is unknown */
	f->d.sub = &f->sub;
	memcpy(f->d.date, "2025-12-30", 11);
	f->d.total = 561;
	f->d.scanned = 359;
	f->d.matched = 2;
	f->d.items = f->items;
	f->d.n = 2;
	assert_int_equal(render_load(&f->conf, &f->t, &eb), 0);
	buf_init(&f->html, RENDER_MAX_BODY);
	buf_init(&f->text, RENDER_MAX_BODY);
}

static void teardown(struct fixture *f)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		strv_release(&f->papers[i].authors);
		strv_release(&f->papers[i].categories);
	}
	render_release(&f->t);
	buf_release(&f->html);
	buf_release(&f->text);
	free(f->subject);
}

static void render(struct fixture *f, size_t budget)
{
	struct render_opts o = { "https://digest.example.org/u?t=x",
				 "https://digest.example.org/archive/a.html",
				 budget, "https://digest.example.org/p?t=y", NULL,
				 NULL };
	struct errbuf eb = ERRBUF_INIT;

	assert_int_equal(render_digest(&f->t, &f->conf, &f->d, &o, &f->html,
				       &f->text, &f->subject, &eb), 0);
}

static void assert_contains(const struct buf *b, const char *s)
{
	if (!strstr(buf_str(b), s))
		fail_msg("'%s' not in:\n%s", s, buf_str(b));
}

static void assert_lacks(const struct buf *b, const char *s)
{
	if (strstr(buf_str(b), s))
		fail_msg("'%s' unexpected in:\n%s", s, buf_str(b));
}

static void test_judged(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	f.d.cost.judged = 1;
	f.d.cost.model = "gpt-5";
	f.d.cost.prompt_tokens = 54533;
	f.d.cost.completion_tokens = 46142;
	f.d.cost.usd = 0.53;
	render(&f, RENDER_HTML_BUDGET);
	assert_contains(&f.text, "Relevance: 9 Novelty: 8");
	assert_contains(&f.text, "Relevance: 8\n");
	assert_contains(&f.text, "Prompt tokens: 54533");
	assert_contains(&f.text, "Completion tokens: 46142");
	assert_contains(&f.text, "Total tokens: 100675");
	assert_contains(&f.text, "Cost: $0.5300");
	assert_contains(&f.text, "gpt-5");
	assert_lacks(&f.text, "budget");
	assert_contains(&f.html, "Novelty 8/10");
	assert_contains(&f.html, "Relevance 9/10");
	assert_contains(&f.html, ">54533<");
	assert_contains(&f.html, ">100675<");
	assert_contains(&f.html, ">$0.5300<");
	assert_contains(&f.html, "Judge: gpt-5");
	teardown(&f);
}

static void test_budget_reached(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	f.d.cost.judged = 1;
	f.d.cost.budget_reached = 1;
	f.d.cost.model = "m";
	render(&f, RENDER_HTML_BUDGET);
	assert_contains(&f.text, "budget for the language-model judge ran out");
	assert_contains(&f.html, "budget for the language-model judge ran out");
	teardown(&f);
}

static void test_not_judged(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	f.scores[0].novelty = 0;
	render(&f, RENDER_HTML_BUDGET);
	assert_contains(&f.text, "Relevance: 9\n");
	assert_lacks(&f.text, "Novelty");
	assert_lacks(&f.text, "tokens");
	assert_lacks(&f.text, "Cost:");
	assert_lacks(&f.html, "Novelty");
	assert_lacks(&f.html, "Judge:");
	assert_contains(&f.text, "[1] https://arxiv.org/abs/2512.00001\n");
	assert_contains(&f.text, "2 papers for you today: top: Sparse Experts");
	teardown(&f);
}

static void rerender(struct fixture *f, size_t budget)
{
	buf_truncate(&f->html, 0);
	buf_truncate(&f->text, 0);
	free(f->subject);
	f->subject = NULL;
	render(f, budget);
}

/* Over the budget, abstracts are cut first, then cards become titles. */
static void test_budget(void **state)
{
	struct fixture f;
	struct buf long_abstract = BUF_INIT;
	size_t full;

	(void)state;
	setup(&f);
	while (long_abstract.len < 2000)
		buf_addstr(&long_abstract, "We study sparse experts. ");
	f.papers[0].abstract = long_abstract.data;
	f.papers[1].abstract = long_abstract.data;
	render(&f, 0);
	full = f.html.len;
	assert_lacks(&f.html, "Read on arXiv");

	rerender(&f, full - 100);
	assert_true(f.html.len <= full - 100);
	assert_contains(&f.html, "Read on arXiv");
	assert_lacks(&f.html, "more papers on the archive");

	rerender(&f, 1);
	assert_contains(&f.html, "2 more papers on the archive");
	assert_contains(&f.html, "href=\"https://digest.example.org/archive/"
				 "a.html\"");
	/* The text part is never cut. */
	assert_contains(&f.text, "2. Quantized Attention\n\narXiv:2512.00002");
	assert_contains(&f.text, "sparse experts. We study");
	f.papers[0].abstract = abstract;
	f.papers[1].abstract = abstract;
	buf_release(&long_abstract);
	teardown(&f);
}

static void assert_wraps(const char *in, const char *want)
{
	struct buf out = BUF_INIT;

	render_wrap(in, strlen(in), 20, &out);
	assert_string_equal(buf_str(&out), want);
	buf_release(&out);
}

static void test_wrap_hangs(void **state)
{
	(void)state;
	assert_wraps("12. one two three four five six",
		     "12. one two three\n    four five six");
	assert_wraps("Authors: aa bb cc dd ee ff",
		     "Authors: aa bb cc dd\n         ee ff");
	assert_wraps("[81] https://example.org/a/very/long/url",
		     "[81] https://example.org/a/very/long/url");
	assert_wraps("plain words that go on and on",
		     "plain words that go\non and on");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judged),
		cmocka_unit_test(test_budget_reached),
		cmocka_unit_test(test_not_judged),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_wrap_hangs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
