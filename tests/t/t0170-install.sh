#!/bin/sh
test_description='make install: the binary, man pages and templates'
. "$(dirname "$0")/test-lib.sh"

DEST="$TRASH/dest"
P="$DEST/usr/local"

# The tree's binary is installed as built: -o keeps make from rebuilding it
# (a sanitizer build under test stays as it is), and the outer make's
# flags are not passed on.
test_expect_success 'make install DESTDIR=... installs every piece' '
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$TEST_ROOT" -o paperboy install \
		PREFIX=/usr/local DESTDIR="$DEST" >out 2>err &&
	test -x "$P/bin/paperboy" &&
	cmp "$TEST_ROOT/paperboy" "$P/bin/paperboy" &&
	cmp "$TEST_ROOT/docs/paperboy.cfg.5" "$P/share/man/man5/paperboy.cfg.5" &&
	if [ -e "$TEST_ROOT/docs/paperboy.1" ]; then
		cmp "$TEST_ROOT/docs/paperboy.1" "$P/share/man/man1/paperboy.1"
	fi &&
	for t in "$TEST_ROOT"/templates/*; do
		cmp "$t" "$P/share/paperboy/templates/${t##*/}" || return 1
	done &&
	test "$(find "$DEST" -type f | wc -l)" -eq \
		"$(($(ls "$TEST_ROOT"/templates | wc -l) + 2 + \
		$(ls "$TEST_ROOT"/docs/paperboy.1 2>/dev/null | wc -l)))"
'

test_expect_success 'man finds the installed settings page' '
	MANWIDTH=80 man -M "$P/share/man" 5 paperboy.cfg >page.txt 2>err &&
	test ! -s err &&
	grep_file "delivery.smtp.port" page.txt
'

test_expect_success 'the installed binary runs a day from the installed templates' '
	setup_site &&
	use_profiles alice chen &&
	rm -rf templates &&
	sed -e "s|\(templates = \"\)templates\";|\1$P/share/paperboy/templates\";|" \
		.site.cfg >paperboy.cfg &&
	grep_file "$P/share/paperboy/templates" paperboy.cfg &&
	"$P/bin/paperboy" run --date 2025-12-30 --listing "$SAMPLE_LISTING" \
		>out 2>err &&
	mailed alice chen
'

test_done
