#!/bin/sh
test_description='paperboy serve: one-click unsubscribe over HTTP, refusals, limits, concurrency'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

# Fails unless reply.headers has header $1 (case-insensitive) = $2.
header_is() {
	got=$(grep -i "^$1: " reply.headers | sed "s/^[^:]*: //")
	[ "$got" = "$2" ] || {
		echo "expected $1: $2, got '$got'"
		cat reply.headers
		return 1
	}
}

# Fails unless subscriber $1's file is byte for byte $1.orig.
unchanged() {
	cmp "$1.orig" "subscribers/$1.cfg" || {
		diff "$1.orig" "subscribers/$1.cfg"
		return 1
	}
}

# Fails unless subscribers/$1.cfg says unsubscribed and differs from
# $1.orig only in the status and unsubscribed_at lines.
only_status_changed() {
	$PYTHON - "$1.orig" "subscribers/$1.cfg" <<-\PY
	import re, sys
	old = open(sys.argv[1]).read().splitlines()
	new = open(sys.argv[2]).read().splitlines()
	other = lambda ls: [l for l in ls if not re.match(r"(status|unsubscribed_at) *=", l)]
	assert other(old) == other(new), (old, new)
	status = lambda ls: [l for l in ls if l.startswith("status")]
	assert status(new) == [l.replace('"active"', '"unsubscribed"') for l in status(old)], new
	assert status(new)[0].startswith('status = "unsubscribed";'), new
	assert len([l for l in new if re.match(r'unsubscribed_at = "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ";', l)]) == 1, new
	PY
}

log_lines() {
	if [ -f state/unsubscribe.log ]; then
		wc -l <state/unsubscribe.log | tr -d " "
	else
		echo 0
	fi
}

# The site: the example readers, 50 generated ones for the concurrency
# test, and one broken profile.
setup_site && use_profiles alice bruno chen dana || exit 1
i=0
while [ $i -lt 50 ]; do
	n=$(printf %02d $i)
	cat >subscribers/s$n.cfg <<-EOF
	# Reader $n: generated for the concurrency test.
	name = "Reader $n";
	email = "reader-$n@example.org";
	status = "active";    # the server edits this line
	topics = ( { name = "Compression";   # keep me
	             keywords = ["pruning", "quantization"]; } );
	# a comment after the settings
	EOF
	i=$((i + 1))
done
for f in subscribers/*.cfg; do
	id=$(basename "$f" .cfg)
	cp "$f" "$id.orig"
done

# The server, with a short idle timeout (the slow-loris test waits for it).
start_serve --timeout 2 || exit 1

test_expect_success 'serve says where it listens and makes the secret' '
	grep_file "paperboy: serving unsubscribe links on http://127.0.0.1:$PORT (behind your HTTPS proxy as https://digest.example.org)" serve.out &&
	test "$(stat -c %a state/secret.key)" = 600 &&
	test "$(stat -c %s state/secret.key)" = 32
'

test_expect_success 'serve --help, and a bad --listen or --timeout is a usage error' '
	paperboy serve --help >out &&
	grep_file "usage: paperboy serve" out &&
	grep_file "--listen ADDR:PORT" out &&
	expect_status 64 paperboy serve --listen nonsense 2>err &&
	grep_file "is not ADDR:PORT" err &&
	expect_status 64 paperboy serve --listen 127.0.0.1:99999 2>err &&
	expect_status 64 paperboy serve --timeout 0 2>err &&
	expect_status 69 paperboy serve --listen "127.0.0.1:$PORT" 2>err &&
	grep_file "Address already in use" err &&
	expect_status 69 paperboy serve --listen localhost:8025 2>err &&
	grep_file "not an IPv4 or IPv6 address" err
'

test_expect_success 'GET shows one button and changes nothing' '
	t=$(token unsubscribe alice alice@example.org) &&
	test "$(req GET "/unsubscribe?s=alice&t=$t")" = 200 &&
	test "$(grep -c "<button" reply)" = 1 &&
	grep_file "<form method=\"post\" action=\"unsubscribe\">" reply &&
	grep_file "name=\"List-Unsubscribe\" value=\"One-Click\"" reply &&
	grep_file "value=\"$t\"" reply &&
	grep_file "a***@example.org" reply &&
	! grep -q "alice@example.org" reply &&
	grep_file "<meta name=\"color-scheme\" content=\"light dark\">" reply &&
	test "$(req HEAD "/unsubscribe?s=alice&t=$t")" = 200 &&
	test ! -s reply &&
	unchanged alice &&
	test "$(log_lines)" = 0
'

test_expect_success 'every page has the security headers and no redirect' '
	t=$(token unsubscribe alice alice@example.org) &&
	test "$(req GET "/unsubscribe?s=alice&t=$t")" = 200 &&
	header_is Content-Type "text/html; charset=utf-8" &&
	header_is Cache-Control no-store &&
	header_is X-Content-Type-Options nosniff &&
	header_is Referrer-Policy no-referrer &&
	grep -i "^Content-Security-Policy: default-src .none.; style-src .unsafe-inline.; form-action .self." reply.headers &&
	! grep -i "^Location:" reply.headers &&
	test "$(req GET "/unsubscribe?s=alice&t=bad")" = 403 &&
	header_is Cache-Control no-store &&
	test "$(req PUT /unsubscribe)" = 405 &&
	header_is X-Content-Type-Options nosniff
'

test_expect_success 'POST List-Unsubscribe=One-Click unsubscribes: 200, no Location, comments kept' '
	t=$(token unsubscribe alice alice@example.org) &&
	test "$(req --form List-Unsubscribe=One-Click POST "/unsubscribe?s=alice&t=$t")" = 200 &&
	! grep -i "^Location:" reply.headers &&
	grep_file "You are unsubscribed from Daily arXiv digest." reply &&
	grep_file "action=\"resubscribe\"" reply &&
	grep_file "value=\"$(token resubscribe alice alice@example.org)\"" reply &&
	only_status_changed alice &&
	grep -q "^# Alice follows two authors" subscribers/alice.cfg &&
	paperboy subscribers check >/dev/null &&
	test "$(log_lines)" = 1 &&
	grep -E "^20[0-9-]{8}T[0-9:]{8}Z	unsubscribe	alice	alice@example.org	http$" state/unsubscribe.log &&
	grep_file "paperboy: alice unsubscribed (http, 127.0." serve.out
'

test_expect_success 'a repeated POST is harmless: 200, nothing changes' '
	cp subscribers/alice.cfg alice.after &&
	t=$(token unsubscribe alice alice@example.org) &&
	test "$(req --form List-Unsubscribe=One-Click POST "/unsubscribe?s=alice&t=$t")" = 200 &&
	grep_file "was already unsubscribed" reply &&
	cmp alice.after subscribers/alice.cfg &&
	test "$(log_lines)" = 1
'

test_expect_success 'GET after unsubscribing shows the state and the resubscribe button' '
	t=$(token unsubscribe alice alice@example.org) &&
	test "$(req GET "/unsubscribe?s=alice&t=$t")" = 200 &&
	grep_file "You are unsubscribed" reply &&
	grep_file "action=\"resubscribe\"" reply &&
	cmp alice.after subscribers/alice.cfg
'

test_expect_success 'resubscribe with its own token makes the reader active again' '
	t=$(token resubscribe alice alice@example.org) &&
	test "$(req --form s=alice --form t=$t POST /resubscribe)" = 200 &&
	grep_file "You are subscribed to Daily arXiv digest again." reply &&
	grep_file "value=\"$(token unsubscribe alice alice@example.org)\"" reply &&
	unchanged alice &&
	test "$(log_lines)" = 2 &&
	tail -n 1 state/unsubscribe.log | grep -E "	resubscribe	alice	alice@example.org	http$" &&
	test "$(req --form s=alice --form t=$t POST /resubscribe)" = 200 &&
	grep_file "nothing has changed" reply &&
	test "$(log_lines)" = 2
'

test_expect_success 'a multipart/form-data one-click body works too' '
	t=$(token unsubscribe bruno bruno@example.org) &&
	test "$(req --multipart --form s=bruno --form t=$t --form List-Unsubscribe=One-Click POST /unsubscribe)" = 200 &&
	only_status_changed bruno
'

test_expect_success 'the confirmation page form, as a browser submits it, works' '
	t=$(token unsubscribe chen chen.wei@example.org) &&
	test "$(req GET "/unsubscribe?s=chen&t=$t")" = 200 &&
	$PYTHON - reply >form.args <<-\PY &&
	import html.parser, sys
	class P(html.parser.HTMLParser):
	    def handle_starttag(self, tag, a):
	        a = dict(a)
	        if tag == "input":
	            print("--form\n%s=%s" % (a["name"], a["value"]))
	P().feed(open(sys.argv[1]).read())
	PY
	test "$(wc -l <form.args)" = 6 &&
	args=$(tr "\n" " " <form.args) &&
	test "$(req $args POST /unsubscribe)" = 200 &&
	only_status_changed chen
'

# Every refusal: 403, the same page, nothing written.
refused() {
	code=$(req "$@") &&
	[ "$code" = 403 ] || { echo "expected 403, got $code for $*"; return 1; }
	grep_file "This link is not valid." reply &&
	cmp reply first403 || { echo "a different refusal page for $*"; return 1; }
}

test_expect_success 'bad, forged, mismatched or incomplete links: 403 and nothing changes' '
	t=$(token unsubscribe s00 reader-00@example.org) &&
	test "$(req --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=AAAA")" = 403 &&
	cp reply first403 &&
	n=$(log_lines) &&
	flipped=$(printf %s "$t" | $PYTHON -c "import sys; t = sys.stdin.read(); print(t[:10] + (\"B\" if t[10] != \"B\" else \"C\") + t[11:])") &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=$flipped" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=$(printf %s "$t" | cut -c1-42)" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=${t}A" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?t=$t" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s01&t=$t" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=$(token unsubscribe s01 reader-01@example.org)" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=$(token test s00 reader-00@example.org)" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=$(token resubscribe s00 reader-00@example.org)" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=$(token unsubscribe s00 other@example.org)" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=nobody&t=$t" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=../subscribers/s00&t=$t" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=.s00&t=$t" &&
	refused --form s=s00 --form "t=$t" POST /unsubscribe &&
	refused POST "/unsubscribe?s=s00&t=$t" &&
	refused --form List-Unsubscribe=Two-Clicks POST "/unsubscribe?s=s00&t=$t" &&
	refused --form s=s01 --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&t=$t" &&
	refused --form List-Unsubscribe=One-Click POST "/unsubscribe?s=s00&s=s01&t=$t" &&
	refused GET "/unsubscribe?s=s00&t=$flipped" &&
	refused GET "/unsubscribe?s=s00&t=$(token test s00 reader-00@example.org)" &&
	refused --form s=s00 --form "t=$t" POST /resubscribe &&
	refused --form s=dana --form "t=$(token unsubscribe dana dana@example.org)" POST /resubscribe &&
	for id in s00 s01 dana; do unchanged $id || return 1; done &&
	test "$(log_lines)" = "$n"
'

test_expect_success 'a test issue link unsubscribes nobody' '
	paperboy send-test --to tester@example.org --as s02 --date 2025-12-30 --listing "$LISTING" >out &&
	f=$(ls outbox/new/* | head -n 1) &&
	url=$($PYTHON - "$f" <<-\PY
	import email, email.policy, re, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	print(re.search(r"<https://[^/]*(/unsubscribe[^>]*)>", str(m["List-Unsubscribe"])).group(1))
	PY
	) &&
	case "$url" in /unsubscribe?s=s02\&t=*) ;; *) echo "$url"; false ;; esac &&
	refused --form List-Unsubscribe=One-Click POST "$url" &&
	unchanged s02 &&
	rm -rf outbox
'

test_expect_success 'the URL of a delivered message unsubscribes; the next run skips the reader' '
	paperboy run --date 2025-12-30 --listing "$LISTING" >out &&
	f=$(ls outbox/new/*,s03) &&
	url=$($PYTHON - "$f" <<-\PY
	import email, email.policy, re, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
	print(re.search(r"<https://digest\.example\.org(/unsubscribe\?[^>]*)>", str(m["List-Unsubscribe"])).group(1))
	PY
	) &&
	test "$(req --form List-Unsubscribe=One-Click POST "$url")" = 200 &&
	! grep -i "^Location:" reply.headers &&
	only_status_changed s03 &&
	rm -rf outbox state/journal &&
	paperboy run --date 2025-12-30 >out &&
	grep -E "^  s03 +skipped: unsubscribed" out &&
	! ls outbox/new/*,s03 2>/dev/null &&
	ls outbox/new/*,s04 &&
	rm -rf outbox state/journal
'

test_expect_success 'a broken profile: 500 page, logged on stderr, nothing written' '
	printf "name = \"Broken\";\nemail = \"broken@example.org\"\nstatus = ;\n" \
		>subscribers/broken.cfg &&
	cp subscribers/broken.cfg broken.orig &&
	test "$(req --form List-Unsubscribe=One-Click POST "/unsubscribe?s=broken&t=AAAA")" = 500 &&
	grep_file "could not be saved" reply &&
	grep_file "broken.cfg:3" serve.err &&
	unchanged broken &&
	rm subscribers/broken.cfg
'

test_expect_success 'methods other than GET, HEAD, POST: 405 with Allow' '
	for m in PUT DELETE PATCH OPTIONS; do
		test "$(req $m /unsubscribe)" = 405 &&
		header_is Allow "GET, HEAD, POST" || return 1
	done
'

test_expect_success 'unknown and odd paths: 404' '
	for p in / /etc/passwd /unsubscribe/ /UNSUBSCRIBE /unsubscribe.html \
		"//unsubscribe" /resubscribe/x; do
		test "$(req GET "$p")" = 404 || { echo "$p"; return 1; }
	done
'

test_expect_success 'request size limits: 413 for a large body, 415 for another type' '
	t=$(token unsubscribe s05 reader-05@example.org) &&
	big=$($PYTHON -c "print(\"x=\" + \"a\" * 5000)") &&
	test "$(req --body "$big" --header "Content-Type: application/x-www-form-urlencoded" POST "/unsubscribe?s=s05&t=$t")" = 413 &&
	test "$(req --body List-Unsubscribe=One-Click --header "Content-Type: text/plain" POST "/unsubscribe?s=s05&t=$t")" = 415 &&
	unchanged s05
'

test_expect_success 'per-client rate limit: 429 with Retry-After after a burst' '
	serve_client burst 127.0.0.99 14 >codes &&
	cat codes &&
	grep "^403 403 403 403 403 403 403 403 403 403 .*429.* retry-after 60$" codes &&
	test "$(req --src 127.0.0.100 GET /unsubscribe)" = 403
'

test_expect_success 'behind the proxy (loopback peer), X-Forwarded-For names the client' '
	serve_client burst 127.0.0.98 14 "198.51.100.\$i" >codes &&
	cat codes &&
	! grep 429 codes &&
	serve_client burst 127.0.0.98 14 "203.0.113.\$i, 198.51.100.200" >codes &&
	cat codes &&
	grep "^403 403 403 403 403 403 403 403 403 403 .*429" codes
'

test_expect_success 'a slow-loris client is dropped after the timeout; others are served meanwhile' '
	t=$(token unsubscribe s06 reader-06@example.org) &&
	serve_client slowloris "/unsubscribe?s=s06&t=$t"
'

test_expect_success '200 concurrent POSTs for 50 readers during runs: every file valid, none lost' '
	rm -f storm.done runs.err runs.codes &&
	(
		while [ ! -e storm.done ]; do
			"$PAPERBOY" run --dry-run --date 2025-12-30 --listing "$LISTING" >/dev/null 2>>runs.err
			echo $? >>runs.codes
		done
	) &
	runner=$! &&
	serve_client storm 50 >storm.out 2>&1
	storm=$?
	touch storm.done
	wait $runner
	cat storm.out &&
	test $storm = 0 &&
	echo "runs: $(wc -l <runs.codes)" &&
	test "$(sort -u runs.codes)" = 0 &&
	! grep "\.cfg" runs.err &&
	paperboy subscribers check >/dev/null &&
	i=0 &&
	while [ $i -lt 50 ]; do
		only_status_changed s$(printf %02d $i) || return 1
		i=$((i + 1))
	done &&
	test "$(grep -c "	unsubscribe	s[0-9][0-9]	reader-" state/unsubscribe.log)" = 50 &&
	test "$(grep "	unsubscribe	s[0-9][0-9]	" state/unsubscribe.log | cut -f3 | sort -u | wc -l)" = 50
'

test_expect_success 'the server is still up and answered nothing it should not' '
	t=$(token unsubscribe s07 reader-07@example.org) &&
	test "$(req GET "/unsubscribe?s=s07&t=$t")" = 200 &&
	! grep -v "broken.cfg" serve.err
'

# SIGTERM: a clean stop (sanitizer builds also check for leaks here).
pid=$(cat serve.pid)
rm -f serve.pid
kill -TERM "$pid"
wait "$pid"
echo $? >serve.status

test_expect_success 'SIGTERM stops the server cleanly' '
	test "$(cat serve.status)" = 0 &&
	grep_file "paperboy: stopped serving" serve.out &&
	! grep -v "broken.cfg" serve.err
'

test_done
