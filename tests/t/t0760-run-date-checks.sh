#!/bin/sh
test_description='--date is checked against the listing and arXiv'"'"'s calendar'
. "$(dirname "$0")/test-lib.sh"

# The sample listing says it is of Tuesday 2025-12-30 (its channel
# pubDate); undated.xml is the same listing without a date of its own.
test_expect_success 'setup' '
	setup_site && use_profiles alice chen &&
	sed "/<channel>/,/<item>/{/<pubDate>/d}" "$SAMPLE_LISTING" >undated.xml &&
	! sed -n "/<channel>/,/<item>/p" undated.xml | grep -q pubDate
'

test_expect_success 'a listing of another day is refused, nothing sent or cached' '
	expect_status 64 paperboy run --date 2025-12-31 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "this listing is of 2025-12-30, not of 2025-12-31" err &&
	grep_file "nothing was sent" err && mailed &&
	test ! -e state/cache/2025-12-31 && test ! -e state/journal/2025-12-31
'

test_expect_success 'render and score refuse it too' '
	expect_status 64 paperboy render alice --date 2025-12-31 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "not of 2025-12-31" err &&
	expect_status 64 paperboy score alice --date 2025-12-31 \
		--listing "$SAMPLE_LISTING" >out 2>err
'

test_expect_success 'a Saturday is refused' '
	expect_status 64 paperboy run --date 2026-01-03 --listing undated.xml \
		>out 2>err &&
	grep_file "arXiv announces nothing on 2026-01-03 (Saturday)" err &&
	mailed
'

test_expect_success 'the day after an arXiv holiday is refused' '
	expect_status 64 paperboy run --date 2025-11-28 --listing undated.xml \
		>out 2>err &&
	grep_file "arXiv announces nothing on 2025-11-28" err && mailed
'

test_expect_success 'a day not announced yet (9999-12-31) is refused' '
	expect_status 64 paperboy run --date 9999-12-31 --listing undated.xml \
		>out 2>err &&
	grep_file "9999-12-31 is not announced yet" err && mailed
'

test_expect_success '--force-date sends the listing as that day anyway' '
	expect_status 0 paperboy run --date 2025-12-31 --force-date \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	mailed alice chen
'

test_expect_success 'the right day is accepted, and an undated listing too' '
	rm -rf outbox state &&
	expect_status 0 paperboy run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	mailed alice chen &&
	rm -rf outbox state &&
	expect_status 0 paperboy run --date 2025-12-30 --listing undated.xml \
		>out 2>err &&
	mailed alice chen
'

test_done
