#!/bin/sh
test_description='bad input: a FIFO as a template (templates/digest.txt)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && rm templates/digest.txt &&
	mkfifo templates/digest.txt || exit 1

test_expect_success 'refused as not a regular file at once (no hang); nothing sent' '
	expect_status 78 timeout 20 "$PAPERBOY" run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "templates/digest.txt: not a regular file" err &&
	grep_file "nothing was sent" err &&
	mailed &&
	test ! -s state/journal/2025-12-30
'

test_done
