#!/bin/sh
test_description='bad input: a listing with a NUL byte'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice chen &&
	$PYTHON "$TEST_ROOT/tests/lib/badfeed.py" nul bad.xml
'

test_expect_success 'refused, naming the line of the NUL; nothing sent, nothing cached' '
	listing_refused bad.xml "bad.xml:19: NUL byte in document"
'

test_done
