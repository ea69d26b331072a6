#!/bin/sh
test_description='bad input: a feed that is an HTML page instead of XML'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice chen &&
	$PYTHON "$TEST_ROOT/tests/lib/badfeed.py" html bad.xml
'

test_expect_success 'refused with file and line; nothing sent, nothing cached' '
	listing_refused bad.xml "bad.xml:2: not an RSS or Atom feed: the document is <html>"
'

test_done
