/*
 * Unit tests for tex: accents and special letters as arXiv authors type
 * them, math left alone, whitespace folding, invalid UTF-8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tex.h"
#include "util.h"
#include "banned.h"

/* Decodes s and checks the result is want. */
static void check(const char *s, const char *want)
{
	char *got = tex_decode(s, strlen(s));

	assert_string_equal(got, want);
	assert_true(util_utf8_valid(got, strlen(got)));
	free(got);
}

static void test_real_names(void **state)
{
	(void)state;
	/* As they appear in the 2025-12-30 listing. */
	check("Marcel R{\\o}d", "Marcel Rød");
	check("Jos\\'e M. F. Moura", "José M. F. Moura");
	check("Louis B\\'ethune", "Louis Béthune");
	check("J\\\"urgen Schmidhuber", "Jürgen Schmidhuber");
}

static void test_accent_forms(void **state)
{
	(void)state;
	check("\\'e \\'{e} {\\'e} {\\' e} \\' e", "é é é é é");
	check("{\\\"u} \\\"{u} \\\"u", "ü ü ü");
	check("\\\"{\\i} \\'\\i \\^{\\i}", "ï í î");
	check("\\v{s} \\v s \\v{S}", "š š Š");
	check("\\c{c} \\c c \\c{C}", "ç ç Ç");
	check("\\`a \\^o \\~n \\=a \\.z \\u{g} \\H{o} \\k{a} \\r{u}",
	      "à ô ñ ā ż ğ ő ą ů");
	check("Erd\\H{o}s, Dvo\\v{r}\\'ak, \\L{}ukasz, Pawe\\l",
	      "Erdős, Dvořák, Łukasz, Paweł");
}

static void test_special_letters(void **state)
{
	(void)state;
	check("Stra\\ss e", "Straße");
	check("{\\ss}", "ß");
	check("\\o \\O \\l \\L \\ae \\AE \\oe \\OE", "øØłŁæÆœŒ");
	check("\\aa{}ngstr\\\"om {\\AA}", "ångström Å");
	check("S\\o ren Kierkegaard", "Søren Kierkegaard");
	check("\\i\\j", "ıȷ");
}

static void test_no_precomposed_form(void **state)
{
	(void)state;
	/* x with an acute has no precomposed letter: x + U+0301. */
	check("\\'x", "x\xcc\x81");
}

static void test_unknown_left_alone(void **state)
{
	(void)state;
	check("\\texttt{Qwen2.5-7B} and {\\em emph}",
	      "\\texttt{Qwen2.5-7B} and {\\em emph}");
	check("{BERT} {GPT}-style", "{BERT} {GPT}-style");
	check("Q\\&A, 50\\% of \\$5", "Q\\&A, 50\\% of \\$5");
	check("\\'{ab} \\'1 \\'{} \\vs \\Huge",
	      "\\'{ab} \\'1 \\'{} \\vs \\Huge");
	check("trailing \\", "trailing \\");
	check("open { brace", "open { brace");
}

static void test_dashes_kept(void **state)
{
	(void)state;
	check("in- and out-of-distribution -- a study --- really",
	      "in- and out-of-distribution -- a study --- really");
}

static void test_math_untouched(void **state)
{
	(void)state;
	check("for $x<y$ and $\\'e$", "for $x<y$ and $\\'e$");
	check("$$\\\"a$$ \\\"a", "$$\\\"a$$ ä");
	check("costs \\$5 and \\'e", "costs \\$5 and é");
	/* An unclosed dollar is just a dollar. */
	check("$5 for \\'e", "$5 for é");
	/* An escaped dollar inside math does not close it. */
	check("$a\\$\\'b$ \\'e", "$a\\$\\'b$ é");
	/* Whitespace inside math folds too: lines wrap there as well. */
	check("$a +\n  b$", "$a + b$");
}

static void test_fold_space(void **state)
{
	char *got;

	(void)state;
	check("  Title that\n  wraps\tover   lines \n",
	      "Title that wraps over lines");
	check("", "");
	check(" \n\t ", "");
	got = tex_fold_space(" a\n\n b\\'e ", 10);
	assert_string_equal(got, "a b\\'e");
	free(got);
}

static void test_invalid_utf8(void **state)
{
	static const char bad[] = "a\xff" "b\xc3" " c\xe2\x82";
	static const char nul[] = { 'a', '\0', 'b' };
	char *got;

	(void)state;
	got = tex_decode(bad, sizeof(bad) - 1);
	assert_string_equal(got, "a\xef\xbf\xbd" "b\xef\xbf\xbd c\xef\xbf\xbd"
			    "\xef\xbf\xbd");
	assert_true(util_utf8_valid(got, strlen(got)));
	free(got);
	got = tex_decode(nul, sizeof(nul));
	assert_string_equal(got, "a\xef\xbf\xbd" "b");
	free(got);
	/* Valid UTF-8 passes through. */
	check("Zürich, 東京, 🙂", "Zürich, 東京, 🙂");
}

/* Bidirectional overrides and isolates are dropped, in math too;
 * other non-ASCII text is kept. */
static void test_bidi_dropped(void **state)
{
	static const char in[] = "\xe2\x80\xae"
				 "exe.pdf \xe2\x81\xa6R{\\o}d\xe2\x81\xa9 "
				 "$x\xe2\x80\xaay$ \xe2\x80\x8f";
	char *out;

	(void)state;
	out = tex_decode(in, strlen(in));
	assert_string_equal(out, "exe.pdf R\xc3\xb8"
				 "d $xy$ \xe2\x80\x8f");
	free(out);
	out = tex_fold_space(in, strlen(in));
	assert_string_equal(out, "exe.pdf R{\\o}d $xy$ \xe2\x80\x8f");
	free(out);
}

static void test_accent_at_end(void **state)
{
	(void)state;
	check("a\\'", "a\\'");
	check("a\\'{", "a\\'{");
	check("a\\'{e", "a\\'{e");
	check("{\\'e", "{é");
	check("\\c", "\\c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_names),
		cmocka_unit_test(test_accent_forms),
		cmocka_unit_test(test_special_letters),
		cmocka_unit_test(test_no_precomposed_form),
		cmocka_unit_test(test_unknown_left_alone),
		cmocka_unit_test(test_dashes_kept),
		cmocka_unit_test(test_math_untouched),
		cmocka_unit_test(test_fold_space),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_accent_at_end),
		cmocka_unit_test(test_bidi_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
