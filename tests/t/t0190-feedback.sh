#!/bin/sh
test_description='paperboy feedback records votes with the papers'"'"' text; the next day'"'"'s score learns from them'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
FEEDBACK=state/feedback/alice

# Votes of the file (lines after the version line).
votes() {
	if [ -f "$FEEDBACK" ]; then tail -n +2 "$FEEDBACK" | wc -l; else echo 0; fi
}

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice
'

test_expect_success '--help names the interface' '
	paperboy feedback --help >help &&
	grep_file "paperboy feedback [-c FILE] SUBSCRIBER (--up | --down) ARXIVID..." help &&
	for o in --up --down --date --listing --help; do
		grep_file "$o" help || return 1
	done
'

test_expect_success 'up-votes from --listing: recorded with title and abstract, printed' '
	paperboy feedback alice --up 2512.21852 arXiv:2512.21917v1 \
		--date 2025-12-30 --listing "$LISTING" >out &&
	grep_file "recorded up-vote by alice on 2025-12-30: 2512.21852 A Comedy of Estimators: On KL Regularization in RL Training of LLMs" out &&
	grep_file "recorded up-vote by alice on 2025-12-30: 2512.21917 Semiparametric Preference Optimization" out &&
	head -n 1 $FEEDBACK >magic && grep_file "paperboy-feedback 1" magic &&
	test "$(votes)" = 2 &&
	grep -E "	up	cli	2025-12-30	2512.21852	A Comedy of Estimators[^	]*	[^	]*KL[^	]*	" $FEEDBACK &&
	test -f state/cache/2025-12-30/MANIFEST
'

test_expect_success 'a down-vote from the day'"'"'s cache (no --listing, no network)' '
	paperboy feedback alice --down 2512.22106 --date 2025-12-30 >out &&
	grep_file "recorded down-vote by alice on 2025-12-30: 2512.22106 Pruning as a Game" out &&
	test "$(votes)" = 3 &&
	tail -n 1 $FEEDBACK | grep -E "	down	cli	2025-12-30	2512.22106	Pruning"
'

test_expect_success 'an ID not in the listing: named, exit 65, nothing recorded (not even the others)' '
	expect_status 65 paperboy feedback alice --up 2512.23675 1234.56789 \
		--date 2025-12-30 >out 2>err &&
	grep_file "no paper 1234.56789 in the listing of 2025-12-30; nothing was recorded" err &&
	test "$(votes)" = 3 &&
	! grep -q 2512.23675 $FEEDBACK
'

test_expect_success 'usage errors: no vote, both votes, no ID, unknown subscriber' '
	expect_status 64 paperboy feedback alice 2512.22106 --date 2025-12-30 2>err &&
	expect_status 64 paperboy feedback alice --up --down 2512.22106 --date 2025-12-30 2>err &&
	expect_status 64 paperboy feedback alice --up --date 2025-12-30 2>err &&
	expect_status 64 paperboy feedback nobody --up 2512.22106 --date 2025-12-30 2>err &&
	grep_file "no subscriber '"'"'nobody'"'"'" err &&
	test "$(votes)" = 3 && test ! -e state/feedback/nobody
'

test_expect_success 'the whole loop: votes on one day, score on a later day says what it learned from' '
	paperboy score alice --date 2025-12-31 --listing "$LISTING" \
		--force-date --explain 2512.22106 >before &&
	! grep -q "learned from" before &&
	paperboy feedback alice --up 2512.22106 2512.23675 --date 2025-12-30 >out &&
	paperboy score alice --date 2025-12-31 --listing "$LISTING" \
		--force-date --explain 2512.22106 >after &&
	grep -E "^Model \(learned from your 4 up-votes: [a-z]" after &&
	test ! -e state/models/alice
'

test_expect_success 'run trains and saves the model; a new vote retrains it' '
	paperboy run --date 2025-12-31 --listing "$LISTING" --force-date >out 2>err &&
	test -s state/models/alice &&
	cp state/models/alice model.1 &&
	paperboy run --date 2025-12-31 --force-date >out 2>err &&
	cmp state/models/alice model.1 &&
	paperboy feedback alice --down 2512.21917 --date 2025-12-30 >out &&
	paperboy score alice --date 2025-12-31 --explain 2512.22106 >after &&
	grep -E "^Model \(learned from your 3 up-votes" after &&
	paperboy run --date 2025-12-31 --force-date >out 2>err &&
	! cmp -s state/models/alice model.1
'

test_done
