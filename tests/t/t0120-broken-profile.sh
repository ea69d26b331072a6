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

test_expect_success 'a header-injection attempt in a profile is refused' '
	rm subscribers/bad.cfg &&
	printf "name = \"Eve\\\\r\\\\nBcc: victim@example.org\";\nemail = \"eve@example.org\";\nauthors = [\"Yoshua Bengio\"];\n" >subscribers/eve.cfg &&
	expect_status 78 paperboy subscribers check 2>err &&
	grep_file "subscribers/eve.cfg:1: '"'"'name'"'"' must not contain a line break" err
'

test_expect_success 'an invalid address is refused with its line' '
	rm subscribers/eve.cfg &&
	printf "name = \"X\";\nemail = \"x at example.org\";\nauthors = [\"Yoshua Bengio\"];\n" >subscribers/x.cfg &&
	expect_status 78 paperboy subscribers check 2>err &&
	grep_file "subscribers/x.cfg:2: '"'"'email'"'"' is not a valid address" err
'

test_expect_success 'two profiles with the same address: the second is skipped' '
	rm subscribers/x.cfg &&
	sed "s/Alice Example/Alice Twin/" subscribers/alice.cfg >subscribers/alice2.cfg &&
	expect_status 78 paperboy subscribers check 2>err &&
	grep_file "subscribers/alice2.cfg: email alice@example.org is already used by subscribers/alice.cfg" err
'

test_done
