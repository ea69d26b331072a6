#!/bin/sh
test_description='paperboy(1): every command and option, and the exit codes the code has; a short README'
. "$(dirname "$0")/test-lib.sh"

PAGE="$TEST_ROOT/docs/paperboy.1"
SRC="$TEST_ROOT/src/cmd"
SYSEXITS=/usr/include/sysexits.h

# The commands of `paperboy --help`: the indented lines after "Commands:".
commands() {
	paperboy --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'
}

# section NAME: the rendered page's top-level section NAME (page.txt).
section() {
	awk -v s="$1" '$0 == s { on = 1; next } /^[A-Z]/ { on = 0 } on' page.txt
}

# subsection NAME: subsection NAME of the COMMANDS section.
subsection() {
	section COMMANDS | awk -v s="   $1" '
		$0 == s { on = 1; next } /^   [^ ]/ { on = 0 } on'
}

# options CMD: the long options of CMD's getopt table in src/cmd/, one a
# line, with those of CMD_DAY_OPTIONS when the table uses it.
options() {
	fn=$(sed -n "s/.*{ \"$1\", \(cmd_[a-z_]*\),.*/\1/p" "$SRC/main.c")
	[ -n "$fn" ] || { echo "no $1 in the command table" >&2; return 1; }
	awk "/^int $fn\\(/ { on = 1 } on && /^\\t};/ { exit } on" \
		"$SRC"/cmd_*.c >table &&
	test -s table &&
	sed -n 's/.*{ "\([a-z-]*\)", .*/\1/p' table &&
	if grep -q CMD_DAY_OPTIONS table; then
		sed -n 's/.*{ "\([a-z-]*\)", .*/\1/p' "$SRC/cmd.h"
	fi
}

test_expect_success 'man renders the page without a warning' '
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>warnings &&
	test ! -s warnings &&
	groff -man -ww -z "$PAGE" 2>warnings &&
	test ! -s warnings &&
	grep_file "PAPERBOY(1)" page.txt &&
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" \
		ENVIRONMENT FILES "SEE ALSO"; do
		grep -q "^$s$" page.txt || { echo "no section $s"; return 1; }
	done &&
	section "SEE ALSO" | grep -q "paperboy.cfg(5)"
'

test_expect_success 'the command list is not empty (the checks below can fail)' '
	commands >cmds &&
	test "$(wc -l <cmds)" -ge 9 &&
	grep -qx run cmds && grep -qx send-test cmds
'

test_expect_success 'every command has a subsection, and every subsection a command' '
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>/dev/null &&
	commands >cmds &&
	for c in $(cat cmds); do
		subsection "$c" >sub &&
		test -s sub || { echo "paperboy.1 has no subsection $c"; return 1; }
	done &&
	section SYNOPSIS >synopsis &&
	for c in $(cat cmds); do
		grep -q "^       paperboy $c\b" synopsis ||
			{ echo "the SYNOPSIS lacks $c"; return 1; }
	done &&
	section COMMANDS | sed -n "s/^   \([^ ].*\)$/\1/p" >subs &&
	for s in $(cat subs); do
		grep -qx -- "$s" cmds ||
			{ echo "paperboy.1 describes $s, not a command"; return 1; }
	done
'

test_expect_success 'each --help is a synopsis that points to paperboy(1)' '
	paperboy --help >help && grep_file "paperboy(1)" help &&
	for c in $(commands); do
		paperboy $c --help >help &&
		head -1 help | grep -q "^usage: paperboy $c" &&
		grep_file "See paperboy(1)." help &&
		! grep -Eiw "exit|6[4-9]|7[0-8]|80" help ||
			{ echo "$c --help:"; cat help; return 1; }
	done
'

test_expect_success 'every option of every command is in its --help and its subsection' '
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>/dev/null &&
	for c in $(commands); do
		options "$c" >opts && test -s opts &&
		paperboy $c --help >help &&
		subsection "$c" >sub &&
		for o in $(cat opts); do
			grep -q -- "--$o\\b" help ||
				{ echo "$c --help lacks --$o"; return 1; }
			case $o in config|help) continue ;; esac
			grep -q -- "--$o\\b" sub ||
				{ echo "paperboy.1: $c lacks --$o"; return 1; }
		done || return 1
	done
'

# "NN (NAME)" lines of EXIT STATUS in the page's source: .BR 64 " (EX_USAGE)".
# Commands return codes; below them only xalloc and token exit (EX_OSERR).
test_expect_success 'every exit code on the page is one the commands return' '
	sed -n "/^\.SH EXIT STATUS/,/^\.SH [^E]/p" "$PAGE" |
		sed -n "s/^\.BR \([0-9]*\) \" (\([A-Z_]*\))\"$/\1 \2/p" >codes &&
	test "$(wc -l <codes)" -ge 10 &&
	while read -r num name; do
		case $name in
		CMD_EX_*) def="$SRC/cmd.h" ;;
		*) def=$SYSEXITS ;;
		esac
		grep -Eq "^#define[[:space:]]+$name[[:space:]]+$num\\b" "$def" ||
			{ echo "$name is not $num in $def"; return 1; }
		grep -lw "$name" "$SRC"/*.c "$TEST_ROOT"/src/*.c >/dev/null ||
			{ echo "no command returns $name ($num)"; return 1; }
	done <codes
'

test_expect_success 'every exit code the commands return is on the page' '
	sed -n "/^\.SH EXIT STATUS/,/^\.SH [^E]/p" "$PAGE" >exit.roff &&
	grep -ohw "EX_[A-Z]*\|CMD_EX_[A-Z_]*" "$SRC"/*.c "$TEST_ROOT"/src/*.c |
		sort -u >used &&
	grep -qx EX_USAGE used &&
	for name in $(cat used); do
		[ "$name" = EX_OK ] && continue
		grep -q "($name)" exit.roff ||
			{ echo "$name is returned but not in EXIT STATUS"; return 1; }
	done
'

test_expect_success 'a code EXIT STATUS names in passing is one it lists' '
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>/dev/null &&
	section "EXIT STATUS" >exit.txt &&
	sed -n "s/^       \([0-9][0-9]*\)\( (.*)\)*$/\1/p" exit.txt | sort -u >listed &&
	grep -qx 75 listed &&
	for n in $(grep -oEw "[0-9]{2}" exit.txt | sort -u); do
		grep -qx "$n" listed || { echo "$n is not listed"; return 1; }
	done
'

test_expect_success 'the README is under 10 KB, tells the two commands and points here' '
	README="$TEST_ROOT/README.md" &&
	test "$(wc -c <"$README")" -lt 10240 &&
	grep -q "^make demo " "$README" &&
	grep -q "^make check " "$README" &&
	grep_file "docs/paperboy.1" "$README" &&
	grep_file "docs/paperboy.cfg.5" "$README" &&
	grep_file "docs/HACKING.md" "$README" &&
	grep_file "tests/README" "$README" &&
	test -f "$TEST_ROOT/docs/HACKING.md" && test -f "$TEST_ROOT/tests/README"
'

# serve's subsection once said only /unsubscribe and /resubscribe were
# served, four routes later: every path of site.c's route table is named.
test_expect_success 'serve names every path it serves' '
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>/dev/null &&
	subsection serve >sub &&
	sed -n "s/^	{ \"\(\/[a-z]*\)\", handle_.*/\1/p" "$TEST_ROOT/src/site.c" >paths &&
	test "$(wc -l <paths)" -ge 6 &&
	for p in $(cat paths); do
		grep -q -- "$p\b" sub || { echo "serve lacks $p"; return 1; }
	done
'

# The SCORING section once described a scorer two rounds gone (exclude a
# veto, no never): the profile example must be a profile paperboy takes,
# and name every key it reads (but unsubscribed_at, which it writes).
test_expect_success 'the profile example on the page is valid and has every key' '
	setup_site &&
	sed -n "/^\.SH SUBSCRIBER PROFILES/,/^\.SH /p" "$PAGE" |
		sed -n "/^\.nf/,/^\.fi/p" | sed -e "/^\.nf/d" -e "/^\.fi/d" \
			-e "s/\\\\-/-/g" >subscribers/alice.cfg &&
	grep -q "^email = " subscribers/alice.cfg &&
	paperboy subscribers check >out 2>&1 &&
	grep -q "^1 profile (1 active), 0 broken$" out &&
	awk "/profile_keys\[\] = \{/ { on = 1; next } on { print }
	     on && /NULL/ { exit }" "$TEST_ROOT/src/subs.c" | grep -o "\"[a-z_]*\"" | tr -d "\"" >keys &&
	test "$(wc -l <keys)" -ge 17 && grep -qx never keys &&
	for k in $(cat keys); do
		[ "$k" = unsubscribed_at ] && continue
		grep -q "^$k = " subscribers/alice.cfg ||
			{ echo "the profile example lacks $k"; return 1; }
	done
'

# The README's old Layout section drifted (it missed llm.c and llmreply.c):
# the module tables of HACKING.md are checked against the tree.
test_expect_success 'docs/HACKING.md names every module and command file' '
	HACKING="$TEST_ROOT/docs/HACKING.md" &&
	for f in "$TEST_ROOT"/src/*.c "$TEST_ROOT"/src/cmd/*.c; do
		m=$(basename "$f" .c)
		case $f in */cmd/*) m=$m.c ;; esac
		grep -q "^| \`$m\` |" "$HACKING" ||
			{ echo "HACKING.md does not name $m"; return 1; }
	done
'

# Its numbering list had fallen twenty tests and a family behind.
test_expect_success 'tests/README names every shell test and test helper' '
	README="$TEST_ROOT/tests/README" &&
	for f in "$TEST_ROOT"/tests/t/t[0-9]*.sh; do
		n=$(basename "$f" | cut -c1-5)
		case $n in t07[0-3]?) continue ;; esac # "t0700-t0732"
		grep -q "\b$n\b" "$README" || { echo "no $n"; return 1; }
	done &&
	for f in "$TEST_ROOT"/tests/lib/*; do
		grep -q "^    $(basename "$f") " "$README" ||
			{ echo "no $(basename "$f")"; return 1; }
	done
'

test_done
