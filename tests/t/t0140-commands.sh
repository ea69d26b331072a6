#!/bin/sh
test_description='render, score and subscribers: what an operator uses to tune and check'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

test_expect_success 'setup: a run caches the listing' '
	setup_site &&
	use_profiles alice bruno dana &&
	paperboy run --date 2025-12-30 --listing "$LISTING" >out
'

test_expect_success 'subscribers list shows every profile with its status' '
	paperboy subscribers list >list &&
	grep -E "^alice +active +alice@example.org +2 topics, 2 authors" list &&
	grep -E "^dana +unsubscribed" list &&
	grep_file "3 profiles (2 active), 0 broken" list
'

test_expect_success 'subscribers check passes on good profiles' '
	paperboy subscribers check >out &&
	grep_file "0 broken" out
'

test_expect_success 'score shows ranked papers with relevance and reasons' '
	paperboy score alice --date 2025-12-30 >score &&
	grep_file "alice on 2025-12-30:" score &&
	grep -E "^ +1\. +10  2512\.23675 +End-to-End Test-Time Training" score &&
	grep_file "Author match: Tatsunori Hashimoto" score &&
	grep_file "Matches Mixture of Experts: mixture of experts, MoE" score
'

test_expect_success 'score explains what was left out and why' '
	grep_file "left out: never: mentions \"reinforcement learning\"" score &&
	grep -A1 "2512.21852" score | grep -F "never"
'

test_expect_success 'render --text is wrapped at 78 columns' '
	paperboy render alice --date 2025-12-30 --text >digest.txt &&
	grep_file "Author match: Tatsunori Hashimoto" digest.txt &&
	test $(awk "length > 78 && !/https:/" digest.txt | wc -l) -eq 0
'

test_expect_success 'render --eml prints the whole message' '
	paperboy render alice --date 2025-12-30 --eml >m.eml &&
	$PYTHON "$MIME_CHECK" m.eml >m.json &&
	grep_file "\"to_addr\": \"alice@example.org\"" m.json
'

test_expect_success 'an unknown subscriber is a usage error naming it' '
	expect_status 64 paperboy render nobody --date 2025-12-30 2>err &&
	grep_file "no subscriber '"'"'nobody'"'"' in " err &&
	expect_status 64 paperboy score nobody --date 2025-12-30 2>err &&
	grep_file "no subscriber '"'"'nobody'"'"' in " err &&
	expect_status 64 paperboy send-test --to t@example.org --as nobody --date 2025-12-30 2>err &&
	grep_file "no subscriber '"'"'nobody'"'"' in " err &&
	grep_file "subscribers list" err
'

test_done
