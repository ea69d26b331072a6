#!/bin/sh
test_description='bad input: path traversal attempts (paperboy serve)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen &&
mkdir elsewhere &&
printf "name = \"Victim\";\nemail = \"victim@example.org\";\nauthors = [\"Yoshua Bengio\"];\n" >elsewhere/victim.cfg &&
cp elsewhere/victim.cfg victim.orig &&
start_serve || exit 1

test_expect_success 'dot-dot and encoded paths in the URL: 404, no file served' '
	for p in "/../etc/passwd" "/unsubscribe/../../etc/passwd" \
		"/%2e%2e/%2e%2e/etc/passwd" "/%2E%2E%2Fetc%2Fpasswd" \
		"/unsubscribe%00" "/subscribers/alice.cfg" \
		"/..%5c..%5cetc%5cpasswd" "http://x/../../etc/passwd"; do
		test "$(raw "GET $p HTTP/1.1\r\nHost: x\r\n\r\n")" = 404 || { echo "$p"; return 1; }
	done &&
	test "$(req GET "/unsubscribe/../../paperboy.cfg")" = 404 &&
	! grep -q "secret_file\|root:" reply
'

test_expect_success 'a subscriber id that climbs out of subscribers/, with a valid token: 403, the file outside untouched' '
	t=$(token unsubscribe victim victim@example.org) &&
	for s in ../elsewhere/victim ..%2Felsewhere%2Fvictim "$PWD/elsewhere/victim"; do
		code=$(req --form List-Unsubscribe=One-Click POST "/unsubscribe?s=$s&t=$t") &&
		test "$code" = 403 || { echo "$s: $code"; return 1; }
	done &&
	cmp victim.orig elsewhere/victim.cfg &&
	test ! -e state/unsubscribe.log
'

test_done
