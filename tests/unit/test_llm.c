/*
 * Unit tests for llm's wire format: the chat completions request it sends
 * and the responses it reads (with usage, without, an API error).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llm.h"
#include "banned.h"

static void test_request(void **state)
{
	char *s = llm_request_json("gpt-4o", "sys \"q\"", "user\nline");
	json_error_t err;
	json_t *doc, *msgs;

	(void)state;
	assert_non_null(s);
	doc = json_loads(s, 0, &err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "model")),
			    "gpt-4o");
	assert_int_equal(json_integer_value(json_object_get(doc,
							    "temperature")),
			 0);
	msgs = json_object_get(doc, "messages");
	assert_int_equal(json_array_size(msgs), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(msgs, 0), "role")),
			    "system");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(msgs, 0), "content")),
			    "sys \"q\"");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(msgs, 1), "content")),
			    "user\nline");
	json_decref(doc);
	free(s);
}

static void test_response(void **state)
{
	const char *ok = "{\"choices\": [{\"message\": {\"role\": "
			 "\"assistant\", \"content\": \"hi\"}}], \"usage\": "
			 "{\"prompt_tokens\": 120, \"completion_tokens\": 7}}";
	const char *no_usage = "{\"choices\": [{\"message\": {\"content\": "
			       "\"x\"}}]}";
	const char *error = "{\"error\": {\"message\": \"model not found\"}}";
	struct errbuf eb = ERRBUF_INIT;
	char *content;
	long pt, ct;

	(void)state;
	assert_int_equal(llm_response_parse(ok, strlen(ok), &content, &pt,
					    &ct, &eb), 0);
	assert_string_equal(content, "hi");
	assert_int_equal(pt, 120);
	assert_int_equal(ct, 7);
	free(content);
	assert_int_equal(llm_response_parse(no_usage, strlen(no_usage),
					    &content, &pt, &ct, &eb), 0);
	assert_int_equal(pt, -1);
	assert_int_equal(ct, -1);
	free(content);
	assert_int_equal(llm_response_parse(error, strlen(error), &content,
					    &pt, &ct, &eb), -1);
	assert_null(content);
	assert_non_null(strstr(eb.msg, "model not found"));
	assert_int_equal(llm_response_parse("<html>", 6, &content, &pt, &ct,
					    &eb), -1);
	assert_non_null(strstr(eb.msg, "not JSON"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
