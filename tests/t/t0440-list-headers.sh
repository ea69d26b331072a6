#!/bin/sh
test_description='RFC 2369 headers (List-Help, List-Owner, List-Archive), Reply-To the owner, and the signed "change your topics" link in both parts of every digest'
. "$(dirname "$0")/test-lib.sh"

# check_message FILE ARCHIVE: the headers of FILE, with List-Archive
# when ARCHIVE is 1 and without it when 0.
check_message() {
	$PYTHON - "$1" "$2" <<-\PY
	import email, email.policy, re, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	one = lambda h: (lambda v: (len(v) == 1 or sys.exit("%s: %r" % (h, v))) and str(v[0]))(m.get_all(h) or [])
	assert one("List-Owner") == "<mailto:editor@example.org>", m["List-Owner"]
	assert one("List-Help") == "<https://digest.example.org/subscribe>, <mailto:editor@example.org?subject=help>", m["List-Help"]
	assert one("Reply-To") == "editor@example.org", m["Reply-To"]
	if sys.argv[2] == "1":
	    assert one("List-Archive") == "<https://digest.example.org/archive>", m["List-Archive"]
	else:
	    assert m.get_all("List-Archive") is None, m["List-Archive"]
	text = m.get_body(("plain",)).get_content()
	html = m.get_body(("html",)).get_content()
	pat = r"https://digest\.example\.org/profile\?s=alice&(?:amp;)?t=[A-Za-z0-9_-]{43}"
	assert re.search(pat, text), text[-2000:]
	assert re.search(pat, html), html[-3000:]
	assert "replies go to editor@example.org" in text
	assert "replies go to editor@example.org" in html
	print(re.search(pat, text).group(0).split("t=")[1])
	PY
}

setup_site && use_profiles alice &&
sed -i 's|owner = "owner@example.org"|owner = "editor@example.org"|' paperboy.cfg &&
grep -q 'owner = "editor@example.org"' paperboy.cfg || exit 1

test_expect_success 'without the archive: List-Help, List-Owner, Reply-To, no List-Archive, a profile link' '
	run_sample 0 &&
	check_message outbox/new/*,alice 0 >t &&
	echo 1 >serve.port &&
	test "$(token profile alice alice@example.org)" = "$(cat t)" || {
		echo "the profile token is not the TOKEN_PROFILE of alice" &&
		false
	}
'

test_expect_success 'with the archive on: List-Archive is its URL' '
	printf "archive = { enabled = true; };\n" >>paperboy.cfg &&
	rm -rf outbox &&
	paperboy send-test --as alice --to alice@example.org --date 2025-12-30 >out 2>err &&
	check_message outbox/new/* 1 >t &&
	test "$(token test alice alice@example.org)" = "$(cat t)" || {
		echo "a test issue must carry an inert TOKEN_TEST profile link" &&
		false
	}
'

test_done
