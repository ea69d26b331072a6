/*
 * Unit tests for llmreply: the shapes real models answer in (fences,
 * prose, numbering, trailing commas, string numbers, versioned IDs,
 * wrappers), and what must never become a score (out of range, IDs not
 * asked about, missing fields, garbage).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "llmreply.h"
#include "banned.h"

static const char *const ids[] = { "2512.00001", "2512.00002",
				   "2512.00003", "hep-th/9901001" };
#define NIDS (sizeof(ids) / sizeof(ids[0]))

static size_t parse(const char *text, struct llmreply_score *out,
		    size_t *objects)
{
	return llmreply_parse(text, strlen(text), ids, NIDS, out, objects);
}

static void test_fenced_jsonl(void **state)
{
	struct llmreply_score out[NIDS];
	size_t objects;
	const char *reply =
		"Here are my picks:\n```json\n"
		"{\"ARXIVID\": \"2512.00001\", \"COMMENT\": \"MoE routing.\", "
		"\"RELEVANCE\": 9, \"NOVELTY\": 7}\n"
		"{\"ARXIVID\": \"2512.00002\", \"COMMENT\": \"Off topic\", "
		"\"RELEVANCE\": 2, \"NOVELTY\": 3}\n```\nHope this helps!";

	(void)state;
	assert_int_equal(parse(reply, out, &objects), 2);
	assert_int_equal(objects, 2);
	assert_true(out[0].scored);
	assert_int_equal(out[0].relevance, 9);
	assert_int_equal(out[0].novelty, 7);
	assert_string_equal(out[0].comment, "MoE routing.");
	assert_int_equal(out[1].relevance, 2);
	assert_false(out[2].scored);
	assert_null(out[2].comment);
	llmreply_release(out, NIDS);
}

static void test_numbered_commas_strings_versions(void **state)
{
	struct llmreply_score out[NIDS];
	const char *reply =
		"1. {\"ARXIVID\": \"arXiv:2512.00001v2\", \"COMMENT\": "
		"\"a\\nb\", \"RELEVANCE\": \"8\", \"NOVELTY\": \"6/10\",}\n"
		"2. {\"arxiv_id\": \"https://arxiv.org/abs/2512.00003v11\", "
		"\"relevance\": 10.0, \"novelty\": \" 5 \", }\n"
		"3. {\"ID\": \"hep-th/9901001v1\", \"Relevance\": 4, "
		"\"Novelty\": 4}\n";

	(void)state;
	assert_int_equal(parse(reply, out, NULL), 3);
	assert_int_equal(out[0].relevance, 8);
	assert_int_equal(out[0].novelty, 6);
	assert_string_equal(out[0].comment, "a b");
	assert_int_equal(out[2].relevance, 10);
	assert_int_equal(out[2].novelty, 5);
	assert_string_equal(out[2].comment, "");
	assert_true(out[3].scored);
	assert_int_equal(out[3].relevance, 4);
	llmreply_release(out, NIDS);
}

static void test_wrappers(void **state)
{
	struct llmreply_score out[NIDS];
	const char *array =
		"[{\"ARXIVID\": \"2512.00002\", \"RELEVANCE\": 7, "
		"\"NOVELTY\": 7}, {\"ARXIVID\": \"2512.00003\", "
		"\"RELEVANCE\": 3, \"NOVELTY\": 2},]";
	const char *object =
		"{\"papers\": [{\"ARXIVID\": \"2512.00001\", "
		"\"RELEVANCE\": 6, \"NOVELTY\": 5}]}";

	(void)state;
	assert_int_equal(parse(array, out, NULL), 2);
	assert_int_equal(out[1].relevance, 7);
	assert_int_equal(out[2].novelty, 2);
	llmreply_release(out, NIDS);
	assert_int_equal(parse(object, out, NULL), 1);
	assert_int_equal(out[0].relevance, 6);
	llmreply_release(out, NIDS);
}

static void test_never_invented(void **state)
{
	struct llmreply_score out[NIDS];
	size_t objects;
	const char *reply =
		/* out of range, both ways */
		"{\"ARXIVID\": \"2512.00001\", \"RELEVANCE\": 11, "
		"\"NOVELTY\": 5}\n"
		"{\"ARXIVID\": \"2512.00001\", \"RELEVANCE\": 0, "
		"\"NOVELTY\": 5}\n"
		/* not a whole number, not a number */
		"{\"ARXIVID\": \"2512.00002\", \"RELEVANCE\": 7.5, "
		"\"NOVELTY\": 5}\n"
		"{\"ARXIVID\": \"2512.00002\", \"RELEVANCE\": \"high\", "
		"\"NOVELTY\": 5}\n"
		/* novelty missing */
		"{\"ARXIVID\": \"2512.00003\", \"RELEVANCE\": 9}\n"
		/* a paper nobody asked about */
		"{\"ARXIVID\": \"2512.99999\", \"RELEVANCE\": 9, "
		"\"NOVELTY\": 9}\n"
		/* an ID that is not one */
		"{\"ARXIVID\": \"see above\", \"RELEVANCE\": 9, "
		"\"NOVELTY\": 9}\n";

	(void)state;
	assert_int_equal(parse(reply, out, &objects), 0);
	assert_int_equal(objects, 7);
	assert_false(out[0].scored || out[1].scored || out[2].scored ||
		     out[3].scored);
	llmreply_release(out, NIDS);
}

static void test_first_wins_and_garbage(void **state)
{
	struct llmreply_score out[NIDS];
	size_t objects = 99;
	const char *dup =
		"{\"ARXIVID\": \"2512.00001\", \"RELEVANCE\": 8, "
		"\"NOVELTY\": 8}{\"ARXIVID\": \"2512.00001\", "
		"\"RELEVANCE\": 1, \"NOVELTY\": 1}";
	const char *garbage =
		"I cannot help with {ARXIVID, COMMENT, RELEVANCE} today. "
		"{ \"unterminated [[[ {{{ ";

	(void)state;
	assert_int_equal(parse(dup, out, NULL), 1);
	assert_int_equal(out[0].relevance, 8);
	llmreply_release(out, NIDS);
	assert_int_equal(parse(garbage, out, &objects), 0);
	assert_int_equal(objects, 0);
	assert_int_equal(parse("", out, &objects), 0);
	assert_int_equal(objects, 0);
}

static void test_brace_inside_string_and_prose(void **state)
{
	struct llmreply_score out[NIDS];
	const char *reply =
		"Note { this brace never closes\n"
		"{\"ARXIVID\": \"2512.00001\", \"COMMENT\": \"uses {x} and "
		"\\\"quotes\\\"\", \"RELEVANCE\": 9, \"NOVELTY\": 8}";

	(void)state;
	assert_int_equal(parse(reply, out, NULL), 1);
	assert_string_equal(out[0].comment, "uses {x} and \"quotes\"");
	llmreply_release(out, NIDS);
}

static void test_clean_id(void **state)
{
	char id[32];

	(void)state;
	assert_int_equal(llmreply_clean_id("2512.01234v2", id, sizeof(id)),
			 0);
	assert_string_equal(id, "2512.01234");
	assert_int_equal(llmreply_clean_id(" ArXiv:2512.01234 ", id,
					   sizeof(id)), 0);
	assert_string_equal(id, "2512.01234");
	assert_int_equal(llmreply_clean_id("math.GT/0309136v1", id,
					   sizeof(id)), 0);
	assert_string_equal(id, "math.GT/0309136");
	assert_int_equal(llmreply_clean_id("", id, sizeof(id)), -1);
	assert_int_equal(llmreply_clean_id("paper one", id, sizeof(id)), -1);
	assert_int_equal(llmreply_clean_id("<script>", id, sizeof(id)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fenced_jsonl),
		cmocka_unit_test(test_numbered_commas_strings_versions),
		cmocka_unit_test(test_wrappers),
		cmocka_unit_test(test_never_invented),
		cmocka_unit_test(test_first_wins_and_garbage),
		cmocka_unit_test(test_brace_inside_string_and_prose),
		cmocka_unit_test(test_clean_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
