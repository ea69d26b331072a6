#!/bin/sh
test_description='paperboy.cfg(5) is generated from the settings table'
. "$(dirname "$0")/test-lib.sh"

GEN="$TEST_ROOT/build/tools/gen-cfg-man"
PAGE="$TEST_ROOT/docs/paperboy.cfg.5"

test_expect_success 'the committed page is what the table generates' '
	test -x "$GEN" || { echo "$GEN is not built (run make)"; return 1; }
	"$GEN" >generated.5 &&
	diff -u "$PAGE" generated.5 || {
		echo "docs/paperboy.cfg.5 is stale: run make docs"
		return 1
	}
'

test_expect_success 'man renders the page without a warning' '
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>warnings &&
	test ! -s warnings &&
	groff -man -ww -z "$PAGE" 2>warnings &&
	test ! -s warnings &&
	grep_file "PAPERBOY.CFG(5)" page.txt &&
	grep_file "SEE ALSO" page.txt &&
	grep -q "^ *delivery.smtp.port$" page.txt &&
	grep_file "A whole number from 1 to 65535; default 587." page.txt
'

test_expect_success 'every setting of the example config is on the page' '
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>/dev/null &&
	for name in list.name list.contact paths.state \
		sources.arxiv.announce_types sources.huggingface.url \
		delivery.outbox delivery.smtp.password_file llm.prices; do
		grep -q "^ *$name$" page.txt || {
			echo "$name is not on the page"; return 1; }
	done
'

# delivery.smtp.helo and .connections were added as one table row each:
# the binary knows them with the bounds the page gives.
test_expect_success 'the settings on the page are the ones paperboy reads' '
	setup_site &&
	sed -e "s|user = \"\";|& helo = \"mx.example.org\"; connections = 16;|" \
		.site.cfg >paperboy.cfg &&
	grep_file "connections = 16" paperboy.cfg &&
	paperboy subscribers check >out 2>err &&
	sed -i "s/connections = 16/connections = 17/" paperboy.cfg &&
	expect_status 78 paperboy subscribers check 2>err &&
	grep_file "paperboy.cfg:" err &&
	grep_file "'"'"'connections'"'"' must be between 1 and 16 (is 17)" err &&
	MANWIDTH=80 man -l "$PAGE" >page.txt 2>/dev/null &&
	grep -q "^ *delivery.smtp.connections$" page.txt &&
	grep_file "A whole number from 1 to 16; default 1." page.txt
'

test_done
