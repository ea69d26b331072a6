#!/bin/sh
test_description='a broken listing sends nothing; an empty one says there was no announcement'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice chen seed-criteria
'

test_expect_success 'a truncated listing: clear error, exit 65, no message at all' '
	head -c 40000 "$LISTING" >truncated.xml &&
	expect_status 65 paperboy run --date 2025-12-30 --listing truncated.xml >out 2>err &&
	grep_file "truncated.xml:" err &&
	grep_file "nothing was sent" err &&
	test ! -d outbox/new -o -z "$(ls outbox/new 2>/dev/null)" &&
	test ! -e state/cache/2025-12-30/arxiv.xml
'

test_expect_success 'a missing listing file: exit 66 naming it' '
	expect_status 66 paperboy run --date 2025-12-30 --listing nope.xml 2>err &&
	grep_file "nope.xml" err
'

test_expect_success 'no cache and arXiv unreachable: exit 75, nothing sent' '
	expect_status 75 paperboy run --date 2025-12-29 >out 2>err &&
	grep_file "fetching the listing of 2025-12-29: " err &&
	grep_file "127.0.0.1:9" err &&
	grep_file "nothing was sent" err &&
	test -z "$(ls outbox/new 2>/dev/null)" &&
	test ! -e state/cache/2025-12-29/MANIFEST
'

test_expect_success 'an empty feed: one line, exit 0, nothing written' '
	expect_status 0 paperboy run --date 2025-12-31 --listing "$FIXTURES/empty.xml" >out 2>err &&
	grep_file "no arXiv announcement for 2025-12-31 (Wednesday)" out &&
	test $(wc -l <out) -eq 1 &&
	test -z "$(ls outbox/new 2>/dev/null)"
'

# An HTML page, hostile listings and broken templates: t0707-t0714.

test_done
