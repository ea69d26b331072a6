/*
 * Unit tests for listing: adding papers with duplicate detection, finding
 * them, announce type names, and arXiv ID parsing in every form feeds use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "xalloc.h"
#include "banned.h"

/* A paper with every string set, so that leaks and frees are exercised. */
static void make_paper(struct paper *p, const char *id, const char *title)
{
	memset(p, 0, sizeof(*p));
	p->id = xstrdup(id);
	p->version = 1;
	p->title = xstrdup(title);
	strv_push(&p->authors, "Marcel Rød");
	p->abstract = xstrdup("An abstract.");
	strv_push(&p->categories, "cs.LG");
	p->announce = LISTING_ANNOUNCE_NEW;
	p->doi = xstrdup("10.1000/1");
	p->journal_ref = xstrdup("J. Test 1 (2026)");
	p->comments = xstrdup("5 pages");
}

static void test_add_and_dedupe(void **state)
{
	struct listing l;
	struct paper p;

	(void)state;
	listing_init(&l);
	make_paper(&p, "2512.21852", "First");
	assert_int_equal(listing_add(&l, &p), 0);
	/* The listing took the strings; p is zeroed. */
	assert_null(p.id);
	assert_null(p.title);

	make_paper(&p, "2512.23675", "Second");
	assert_int_equal(listing_add(&l, &p), 0);

	make_paper(&p, "2512.21852", "First again");
	assert_int_equal(listing_add(&l, &p), 1);
	assert_null(p.id);

	assert_int_equal(l.n, 2);
	assert_string_equal(l.papers[0].title, "First");
	assert_string_equal(l.papers[1].title, "Second");
	assert_string_equal(listing_find(&l, "2512.21852")->title, "First");
	assert_string_equal(listing_find(&l, "2512.23675")->authors.v[0],
			    "Marcel Rød");
	assert_null(listing_find(&l, "2512.2185"));
	assert_null(listing_find(&l, "2512.99999"));
	listing_release(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.papers);
}

static void test_full_listing(void **state)
{
	struct listing l;
	struct paper p;
	char id[32];
	int i;

	(void)state;
	listing_init(&l);
	/* Filled directly: adding 50,000 one by one is a quadratic scan. */
	l.papers = xcalloc(LISTING_MAX_PAPERS, sizeof(*l.papers));
	l.alloc = LISTING_MAX_PAPERS;
	for (i = 0; i < LISTING_MAX_PAPERS; i++) {
		snprintf(id, sizeof(id), "old-%d", i);
		l.papers[i].id = xstrdup(id);
	}
	l.n = LISTING_MAX_PAPERS;
	make_paper(&p, "2601.00001", "One too many");
	assert_int_equal(listing_add(&l, &p), -1);
	assert_null(p.id);
	assert_int_equal(l.n, LISTING_MAX_PAPERS);
	listing_release(&l);
}

static void test_announce_names(void **state)
{
	static const char *const names[] = { "new", "cross", "replace",
					     "replace-cross" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum listing_announce a = listing_announce_parse(names[i]);
		assert_int_not_equal(a, LISTING_ANNOUNCE_UNKNOWN);
		assert_string_equal(listing_announce_name(a), names[i]);
	}
	assert_int_equal(listing_announce_parse("New"),
			 LISTING_ANNOUNCE_UNKNOWN);
	assert_int_equal(listing_announce_parse(""), LISTING_ANNOUNCE_UNKNOWN);
	assert_string_equal(listing_announce_name(LISTING_ANNOUNCE_UNKNOWN),
			    "unknown");
	assert_string_equal(listing_announce_name((enum listing_announce)99),
			    "unknown");
}

static void check_id(const char *s, const char *want, int want_version)
{
	int version = -1;
	char *id = listing_parse_id(s, &version);

	if (!want) {
		if (id)
			fail_msg("\"%s\": got ID \"%s\", want none", s, id);
		assert_int_equal(version, 0);
		return;
	}
	if (!id)
		fail_msg("\"%s\": no ID, want \"%s\"", s, want);
	assert_string_equal(id, want);
	assert_int_equal(version, want_version);
	free(id);
}

static void test_parse_id(void **state)
{
	(void)state;
	check_id("2512.21852v2", "2512.21852", 2);
	check_id("2512.21852", "2512.21852", 0);
	check_id("arXiv:2512.21852", "2512.21852", 0);
	check_id("arxiv:2512.21852v1", "2512.21852", 1);
	check_id("https://arxiv.org/abs/2512.21852v3", "2512.21852", 3);
	check_id("http://arxiv.org/abs/2512.21852", "2512.21852", 0);
	check_id("https://arxiv.org/pdf/2512.21852v12", "2512.21852", 12);
	check_id("oai:arXiv.org:2512.21852v1", "2512.21852", 1);
	check_id("  \n oai:arXiv.org:2512.21852v1", "2512.21852", 1);
	check_id("1501.0001v1", "1501.0001", 1);
	check_id("hep-th/9901001v1", "hep-th/9901001", 1);
	check_id("http://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001", 1);
	check_id("math.GT/0309136", "math.GT/0309136", 0);
	check_id("2512.21852vx", "2512.21852", 0);
}

static void test_parse_id_garbage(void **state)
{
	(void)state;
	check_id("", NULL, 0);
	check_id("garbage", NULL, 0);
	check_id("arXiv:", NULL, 0);
	check_id("251.21852", NULL, 0);
	check_id("2512.218", NULL, 0);
	check_id("2512.218521", NULL, 0);
	check_id("2512-21852", NULL, 0);
	check_id("hep-th/990100", NULL, 0);
	check_id("HEP-TH/9901001", NULL, 0);
	check_id("https://example.org/abs/", NULL, 0);
	check_id("http://arxiv.org/api/errors#incorrect_id_format_for_1",
		 NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_dedupe),
		cmocka_unit_test(test_full_listing),
		cmocka_unit_test(test_announce_names),
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_parse_id_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
