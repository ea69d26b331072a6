/*
 * Unit tests for paperboy.cfg (conf.c): the settings table gives every
 * default, refuses unknown names and wrong types with file and line,
 * resolves paths against the file's folder, and conf_check_for_smtp()
 * refuses a config that never named the list.
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

#include "conf.h"
#include "util.h"

static char dir[] = "/tmp/paperboy-conf-XXXXXX";

/* The four settings that name the list, set as an operator would. */
#define LIST_NAMED                                                        \
	"list = { name = \"Lab digest\"; id = \"digest.lab.example\";\n"  \
	"         from = \"Lab <digest@lab.example>\";\n"                 \
	"         contact = \"ops@lab.example\"; };\n"

static char *write_cfg(const char *text)
{
	struct errbuf eb = ERRBUF_INIT;
	char *path = util_path_join(dir, "paperboy.cfg");

	assert_int_equal(util_write_atomic(path, text, strlen(text), 0644,
					   &eb), 0);
	return path;
}

/* Loads text as paperboy.cfg into *c, failing the test on an error. */
static void load_ok(const char *text, struct conf *c)
{
	struct errbuf eb = ERRBUF_INIT;
	char *path = write_cfg(text);

	if (conf_load(path, c, &eb) < 0)
		fail_msg("%s", eb.msg);
	unlink(path);
	free(path);
}

static void expect_error(const char *text, const char *want)
{
	struct errbuf eb = ERRBUF_INIT;
	struct conf c;
	char *path = write_cfg(text);

	assert_int_equal(conf_load(path, &c, &eb), -1);
	if (!strstr(eb.msg, want))
		fail_msg("expected \"%s\" in \"%s\"", want, eb.msg);
	unlink(path);
	free(path);
}

static void test_empty_file_gets_every_default(void **state)
{
	struct conf c;

	(void)state;
	load_ok("", &c);
	assert_string_equal(c.list_id, "digest.example.org");
	assert_string_equal(c.from_addr, "digest@example.org");
	assert_string_equal(c.contact, "digest@example.org");
	assert_string_equal(c.smtp_tls, "starttls");
	assert_int_equal(c.smtp_port, 587);
	assert_int_equal(c.smtp_tls_verify, 1);
	assert_int_equal(c.arxiv_api_page, 2000);
	assert_true(c.llm_daily_budget_usd == 1.0);
	assert_int_equal(c.announce_types.n, 2);
	assert_string_equal(c.announce_types.v[1], "cross");
	assert_int_equal(c.holidays.n, 0);
	assert_int_equal(c.holidays_set, 0);
	assert_string_equal(c.smtp_helo, "");
	assert_int_equal(c.smtp_connections, 1);
	assert_int_equal(conf_given(&c, "list.name"), 0);
	conf_release(&c);
}

static void test_values_and_paths(void **state)
{
	struct conf c;

	(void)state;
	load_ok(LIST_NAMED
		"paths = { state = \"var\"; templates = \"/opt/t\"; };\n"
		"sources = { arxiv = { holidays = [\"2026-11-26\"]; }; };\n"
		"delivery = { method = \"smtp\";\n"
		"  smtp = { helo = \"mx.lab.example\"; connections = 4;\n"
		"           password_file = \"smtp.pw\"; tls_verify = false;"
		" }; };\n"
		"llm = { daily_budget_usd = 2; };\n",
		&c);
	assert_string_equal(c.list_name, "Lab digest");
	assert_string_equal(c.from_display, "Lab");
	assert_string_equal(c.contact, "ops@lab.example");
	assert_string_equal(c.delivery_method, "smtp");
	assert_string_equal(c.smtp_helo, "mx.lab.example");
	assert_int_equal(c.smtp_connections, 4);
	assert_int_equal(c.smtp_tls_verify, 0);
	assert_true(c.llm_daily_budget_usd == 2.0);
	assert_int_equal(c.holidays_set, 1);
	assert_string_equal(c.holidays.v[0], "2026-11-26");
	/* Relative paths hang off the file's folder, absolute ones stay;
	 * the templates follow paths.templates; "" stays "". */
	assert_true(strstr(c.state_dir, dir) == c.state_dir);
	assert_true(util_ends_with(c.state_dir, "/var"));
	assert_true(util_ends_with(c.smtp_password_file, "/smtp.pw"));
	assert_string_equal(c.templates_dir, "/opt/t");
	assert_string_equal(c.template_html, "/opt/t/digest.html");
	assert_string_equal(c.smtp_ca_file, "");
	assert_int_equal(conf_given(&c, "delivery.smtp.helo"), 1);
	assert_int_equal(conf_given(&c, "delivery.smtp.host"), 0);
	conf_release(&c);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("list = {\n  nmae = \"x\";\n};\n",
		     "paperboy.cfg:2: unknown setting 'nmae'");
	expect_error("\n\nmailing = { };\n",
		     "paperboy.cfg:3: unknown setting 'mailing'");
	expect_error("delivery = { smtp = {\n port = 25; helo_name = \"a\";"
		     " }; };\n",
		     "paperboy.cfg:2: unknown setting 'helo_name'");
	expect_error("list = \"x\";\n", "paperboy.cfg:1: 'list' must be a "
					"group");
	expect_error("delivery = {\n smtp = {\n  connections = 17; }; };\n",
		     "paperboy.cfg:3: 'connections' must be between 1 and 16 "
		     "(is 17)");
	expect_error("delivery = {\n smtp = {\n  connections = 0; }; };\n",
		     "'connections' must be between 1 and 16 (is 0)");
	expect_error("delivery = { smtp = {\n helo = 5; }; };\n",
		     "paperboy.cfg:2: 'helo' must be a string");
	expect_error("delivery = { smtp = {\n helo = \"a\\nb\"; }; };\n",
		     "paperboy.cfg:2: 'helo' must not contain a line break");
	expect_error("delivery = { smtp = { tls = \"ssl\"; }; };\n",
		     "'tls' must be one of the documented values "
		     "(got \"ssl\")");
	expect_error("sources = { arxiv = {\n announce_types = [\"old\"];"
		     " }; };\n",
		     "'announce_types' must be one of the documented values");
	expect_error("archive = {\n enabled = 1; };\n",
		     "paperboy.cfg:2: 'enabled' must be true or false");
	expect_error("llm = {\n daily_budget_usd = -1.0; };\n",
		     "paperboy.cfg:2: 'daily_budget_usd' must be between 0");
	expect_error("llm = { prices = ( { model = \"m\"; } ); };\n",
		     "llm.prices: a row needs model");
}

static void test_table_is_well_formed(void **state)
{
	const struct conf_setting *t;
	size_t i, j, n;

	(void)state;
	t = conf_settings(&n);
	assert_true(n > 50 && n <= CONF_MAX_SETTINGS);
	for (i = 0; i < n; i++) {
		const char *dot = strrchr(t[i].name, '.');

		assert_true(strlen(t[i].name) < CONF_MAX_NAME);
		assert_non_null(t[i].doc);
		/* Every setting's group has a row before it. */
		if (dot) {
			for (j = 0; j < i; j++)
				if (t[j].type == CONF_GROUP &&
				    strlen(t[j].name) ==
					    (size_t)(dot - t[i].name) &&
				    !strncmp(t[j].name, t[i].name,
					     (size_t)(dot - t[i].name)))
					break;
			if (j == i)
				fail_msg("%s has no group row before it",
					 t[i].name);
		} else {
			assert_int_equal(t[i].type, CONF_GROUP);
		}
		for (j = 0; j < i; j++)
			if (!strcmp(t[i].name, t[j].name))
				fail_msg("%s has two rows", t[i].name);
	}
}

static void test_smtp_needs_the_list_named(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct conf c;

	(void)state;
	/* Nothing set: every one of them is named, with the file. */
	load_ok("", &c);
	assert_int_equal(conf_check_for_smtp(&c, &eb), -1);
	assert_non_null(strstr(eb.msg, "/paperboy.cfg: set "));
	assert_non_null(strstr(eb.msg, "list.name"));
	assert_non_null(strstr(eb.msg, "list.id"));
	assert_non_null(strstr(eb.msg, "list.from"));
	assert_non_null(strstr(eb.msg, "list.contact"));
	conf_release(&c);

	/* Only the contact missing: only it is named. */
	load_ok("list = { name = \"L\"; id = \"l.example\";"
		" from = \"l@l.example\"; };\n", &c);
	errbuf_clear(&eb);
	assert_int_equal(conf_check_for_smtp(&c, &eb), -1);
	assert_non_null(strstr(eb.msg, "set list.contact before"));
	assert_null(strstr(eb.msg, "list.name"));
	conf_release(&c);

	/* An empty name is not a name. */
	load_ok("list = { name = \"\"; id = \"l.example\";"
		" from = \"l@l.example\"; contact = \"l@l.example\"; };\n", &c);
	assert_int_equal(conf_check_for_smtp(&c, &eb), -1);
	assert_non_null(strstr(eb.msg, "set list.name before"));
	conf_release(&c);

	load_ok(LIST_NAMED, &c);
	errbuf_clear(&eb);
	assert_int_equal(conf_check_for_smtp(&c, &eb), 0);
	conf_release(&c);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file_gets_every_default),
		cmocka_unit_test(test_values_and_paths),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_table_is_well_formed),
		cmocka_unit_test(test_smtp_needs_the_list_named),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
