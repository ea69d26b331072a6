#!/bin/sh
test_description='bad input: a FIFO as the listing (--listing)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && mkfifo listing.xml || exit 1

test_expect_success 'refused as not a regular file at once (no hang); nothing sent' '
	timeout 20 "$PAPERBOY" run --date 2025-12-30 --listing listing.xml \
		>out 2>err
	rc=$? &&
	test $rc != 0 && test $rc != 124 &&
	grep_file "listing.xml: not a regular file" err &&
	mailed &&
	test ! -s state/journal/2025-12-30
'

test_done
