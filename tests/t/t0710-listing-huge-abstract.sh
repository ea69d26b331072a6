#!/bin/sh
test_description='bad input: a listing with a 1 MB abstract'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice chen &&
	$PYTHON "$TEST_ROOT/tests/lib/badfeed.py" abstract 1100000 bad.xml
'

test_expect_success 'refused at ARXIV_MAX_FIELD with file and line; nothing sent, nothing cached' '
	listing_refused bad.xml "bad.xml:22: abstract is longer than 1048576 bytes"
'

test_done
