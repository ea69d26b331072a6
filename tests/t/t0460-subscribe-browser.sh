#!/bin/sh
test_description='double opt-in in a real browser (headless Chromium): the subscribe form, then the /confirm link of the mail and its button'
. "$(dirname "$0")/test-lib.sh"

ART="$TEST_ROOT/tests/artifacts/t0460-subscribe-browser"

need_chromium

setup_site && use_profiles alice || exit 1
rm -rf "$ART" && mkdir -p "$ART" || exit 1
start_serve || exit 1
BASE="http://127.0.0.1:$PORT"
start_chromium 800,700 "$BASE/subscribe"

test_expect_success 'Chromium: fill in the form and send it; one confirmation, no profile' '
	$CDP \
		wait-target:/subscribe "wait-selector:input[name=email]" wait-load \
		screenshot:"$ART/1-form.png" \
		"eval:(document.querySelector(\"input[name=email]\").value = \"web.reader@example.org\", document.querySelector(\"input[name=name]\").value = \"Web Reader\", 1)" \
		"click:button[type=submit]" wait-selector:#sent wait-load \
		"eval:document.querySelector(\"h1\").textContent" \
		screenshot:"$ART/2-sent.png" >cdp.out &&
	cat cdp.out &&
	test "$(sed -n 2p cdp.out)" = "\"Check your inbox.\"" &&
	wait_until grep -q "confirmation sent to web.reader@example.org" serve.out &&
	test "$(ls outbox/new | grep -c ",confirm$")" = 1 &&
	! grep -l "web.reader@example.org" subscribers/*.cfg
'

test_expect_success 'Chromium: open the link of the mail, press Confirm; the profile exists and is active' '
	f=$(ls outbox/new/*,confirm) &&
	link=$($PYTHON - "$f" <<-\PY
	import email, email.policy, re, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	print(re.search(r"https://digest\.example\.org(/confirm\?\S+)", m.get_body(("plain",)).get_content()).group(1))
	PY
	) &&
	$CDP \
		"eval:(location.href = \"$BASE$link\", 1)" \
		wait-target:/confirm wait-selector:button wait-load \
		screenshot:"$ART/3-confirm.png" \
		click:button wait-selector:#done wait-load \
		"eval:document.querySelector(\"h1\").textContent" \
		screenshot:"$ART/4-done.png" >cdp.out &&
	cat cdp.out &&
	test "$(sed -n 2p cdp.out)" = "\"You are subscribed to Daily arXiv digest.\"" &&
	for n in 1-form 2-sent 3-confirm 4-done; do
		is_png "$ART/$n.png" 800 || return 1
	done &&
	grep -q "^status = \"active\";" subscribers/web.reader.cfg &&
	grep -q "^name = \"Web Reader\";" subscribers/web.reader.cfg &&
	paperboy subscribers check >out 2>err
'

test_expect_success 'the server logged the request and the subscription, and no error' '
	stop_pid_file chrome.pid &&
	grep_file "confirmation sent to web.reader@example.org (http, 127.0.0.1)" serve.out &&
	grep_file "web.reader subscribed (http, 127.0.0.1)" serve.out &&
	test ! -s serve.err
'

test_done
