#!/bin/sh
test_description='a broken subscriber file is reported and skipped; the others still get mail'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

test_expect_success 'setup: two good profiles and one with a syntax error on line 7' '
	setup_site &&
	use_profiles alice chen &&
	cat >subscribers/bad.cfg <<-\EOF
	# A profile with a missing closing bracket.
	name = "Broken Profile";
	email = "broken@example.org";
	topics = ( { name = "MoE";
	             keywords = ["MoE"]; } );
	exclude = ["reinforcement learning"
	min_relevance = 5;
	EOF
'

test_expect_success 'run names the file and line, writes the others, exits 78' '
	expect_status 78 paperboy run --date 2025-12-30 --listing "$LISTING" >out 2>err &&
	grep_file "subscribers/bad.cfg:7: " err &&
	ls outbox/new/*,alice && ls outbox/new/*,chen &&
	! ls outbox/new/*,bad 2>/dev/null &&
	test $(ls outbox/new | wc -l) -eq 2 &&
	grep -E "broken-profiles +1" out
'

test_expect_success 'subscribers check reports it and fails' '
	expect_status 78 paperboy subscribers check >out 2>err &&
	grep_file "subscribers/bad.cfg:7: " err &&
	grep_file "2 profiles (2 active), 1 broken" out
'

# Header injection, bad addresses and duplicates: t0700-t0706.

test_done
