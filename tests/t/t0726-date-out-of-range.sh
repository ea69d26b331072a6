#!/bin/sh
test_description='bad input: --date 1900-01-01 (a real date, out of range)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen || exit 1

test_expect_success 'said to be out of range, with the range, not "not in the form"' '
	expect_status 64 paperboy run --date 1900-01-01 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "--date: '"'"'1900-01-01'"'"' is out of range: dates from 1991-01-01 to 9999-12-31 are supported" err &&
	! grep "YYYY-MM-DD" err &&
	mailed
'

test_expect_success 'a malformed date is still called that' '
	expect_status 64 paperboy run --date 2025-1-3 >out 2>err &&
	grep_file "is not a date in the form YYYY-MM-DD" err
'

test_done
