#!/bin/sh
test_description='bad input: a FIFO as paperboy.cfg'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && rm paperboy.cfg && mkfifo paperboy.cfg ||
	exit 1

test_expect_success 'refused as not a regular file at once (no hang); nothing sent' '
	expect_status 78 timeout 20 "$PAPERBOY" run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "paperboy.cfg: not a regular file" err &&
	mailed &&
	expect_status 78 timeout 20 "$PAPERBOY" -c paperboy.cfg subscribers check >out 2>err &&
	grep_file "paperboy.cfg: not a regular file" err
'

test_done
