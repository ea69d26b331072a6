#!/bin/sh
test_description='bad input: a billion-laughs entity attack in a listing'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice chen &&
	$PYTHON "$TEST_ROOT/tests/lib/badfeed.py" laughs bad.xml
'

test_expect_success 'refused at the first entity declaration, memory bounded; nothing sent' '
	listing_refused bad.xml "bad.xml:3: refusing entity declaration \"lol\""
'

test_done
