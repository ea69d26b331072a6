#!/bin/sh
test_description='bad input: a listing with invalid UTF-8'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice chen &&
	$PYTHON "$TEST_ROOT/tests/lib/badfeed.py" utf8 bad.xml
'

test_expect_success 'refused, naming the line of the bad byte; nothing sent, nothing cached' '
	listing_refused bad.xml "bad.xml:19: invalid UTF-8 in a document that is UTF-8"
'

test_done
