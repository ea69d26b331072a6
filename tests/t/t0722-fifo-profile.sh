#!/bin/sh
test_description='bad input: a FIFO as a profile (subscribers/x.cfg)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && mkfifo subscribers/fifo.cfg || exit 1

test_expect_success 'refused as not a regular file at once (no hang); the others are mailed' '
	expect_status 78 timeout 20 "$PAPERBOY" subscribers check >out 2>err &&
	grep_file "subscribers/fifo.cfg: not a regular file" err &&
	expect_status 78 timeout 20 "$PAPERBOY" run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "subscribers/fifo.cfg: not a regular file" err &&
	mailed alice chen &&
	test -p subscribers/fifo.cfg
'

test_done
