#!/bin/sh
test_description='bad input: bidirectional overrides (U+202E...) in titles, authors and names'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen || exit 1

# Every title and author list of the sample gets U+202E (RIGHT-TO-LEFT
# OVERRIDE) and U+2066 (LEFT-TO-RIGHT ISOLATE) in front; alice's name gets
# U+202E and U+202A.
test_expect_success 'setup' '
	sed -e "s/<title>/<title>\xe2\x80\xae/" \
	    -e "s/<dc:creator>/<dc:creator>\xe2\x81\xa6Q\xe2\x80\xaeR, /" \
		"$SAMPLE_LISTING" >bidi.xml &&
	test "$(grep -c "$(printf "\342\200\256")" bidi.xml)" -gt 100 &&
	sed -e "s/^name = \"Alice/name = \"\xe2\x80\xaeAlice\xe2\x80\xaa/" \
		subscribers/alice.cfg >a && mv a subscribers/alice.cfg &&
	grep -q "$(printf "\342\200\256")Alice" subscribers/alice.cfg
'

test_expect_success 'none of them reaches a digest: headers, text and HTML' '
	run_sample 0 bidi.xml &&
	mailed alice chen &&
	$PYTHON - outbox/new/* <<-\PY
	import email, email.policy, sys
	bad = [chr(c) for c in list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A))]
	for path in sys.argv[1:]:
	    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
	    texts = ["%s: %s" % (k, v) for k, v in msg.items()]
	    texts += [part.get_content() for part in msg.walk() if not part.is_multipart()]
	    text = "\n".join(texts)
	    found = sorted({"U+%04X" % ord(c) for c in bad if c in text})
	    assert not found, (path, found)
	    assert "QR, " in text, path   # the authors are there, cleaned
	    if path.endswith(",alice"):
	        assert "Alice Example <alice@example.org>" in str(msg["To"]), msg["To"]
	print("clean")
	PY
'

test_done
