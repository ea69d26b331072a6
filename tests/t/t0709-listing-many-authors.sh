#!/bin/sh
test_description='bad input: a listing with 5,000 authors on one paper'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: alice, chen, and a reader of the paper that gets 5,000 authors' '
	setup_site &&
	use_profiles alice chen &&
	printf "name = \"Kim\";\nemail = \"kim@example.org\";\ntopics = ( { name = \"KL\"; keywords = [\"KL regularization\"]; } );\n" >subscribers/kim.cfg &&
	$PYTHON "$TEST_ROOT/tests/lib/badfeed.py" authors 5000 many.xml &&
	$PYTHON "$TEST_ROOT/tests/lib/badfeed.py" authors 10001 too-many.xml
'

test_expect_success '5,000 authors: everybody mailed, the message is well-formed and its lines short' '
	run_sample 0 many.xml &&
	mailed alice chen kim &&
	f=$(ls outbox/new/*,kim) &&
	grep -q "Comedy of Estimators" "$f" &&
	$PYTHON "$MIME_CHECK" "$f" >m.json &&
	$PYTHON -c "import json, sys; m = json.load(open(\"m.json\")); assert not any(m[\"defects\"]), m[\"defects\"]; t = m[\"parts\"][0][\"text\"]; assert \"Author 4999\" in t or \"more\" in t, t[:300]" &&
	test $(awk "length > 998" "$f" | wc -l) -eq 0
'

test_expect_success 'over ARXIV_MAX_AUTHORS (10,000): refused with file and line, nothing sent' '
	rm -rf outbox state &&
	listing_refused too-many.xml "too-many.xml:18: item has more than 10000 authors" alice chen kim
'

test_done
