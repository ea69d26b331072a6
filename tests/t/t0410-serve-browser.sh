#!/bin/sh
test_description='a real browser (headless Chromium) unsubscribes with the button and resubscribes'
. "$(dirname "$0")/test-lib.sh"

# Debian's chromium (make deps installs it). The screenshots survive the
# run in tests/artifacts/, for a person to look at.
ART="$TEST_ROOT/tests/artifacts/t0410-serve-browser"

need_chromium

setup_site && use_profiles alice || exit 1
cp subscribers/alice.cfg alice.orig
rm -rf "$ART" && mkdir -p "$ART" || exit 1
start_serve
URL="http://127.0.0.1:$PORT/unsubscribe?s=alice&t=$(token unsubscribe alice alice@example.org)"

test_expect_success 'Chromium shows the confirmation page, and loading it changes nothing' '
	grep -q serving serve.out &&
	timeout 90 "$CHROMIUM" $CHROME_FLAGS --window-size=800,600 \
		--screenshot="$ART/1-confirm.png" "$URL" >chrome1.log 2>&1 &&
	is_png "$ART/1-confirm.png" 800 &&
	cmp alice.orig subscribers/alice.cfg &&
	test ! -e state/unsubscribe.log
'

start_chromium 800,600 "$URL"

test_expect_success 'clicking the button unsubscribes; the result page is captured' '
	$CDP \
		wait-target:/unsubscribe wait-selector:button wait-load \
		"eval:document.querySelectorAll(\"button\").length" \
		screenshot:"$ART/2-confirm-cdp.png" \
		click:button wait-title:Unsubscribed wait-load \
		"eval:document.querySelector(\"h1\").textContent" \
		"eval:location.pathname" \
		screenshot:"$ART/3-unsubscribed.png" \
		dark screenshot:"$ART/4-unsubscribed-dark.png" \
		size:390x844 screenshot:"$ART/5-unsubscribed-phone.png" \
		light size:800x600 >cdp.out &&
	cat cdp.out &&
	test "$(sed -n 1p cdp.out)" = 1 &&
	test "$(sed -n 2p cdp.out)" = "\"You are unsubscribed from Daily arXiv digest.\"" &&
	test "$(sed -n 3p cdp.out)" = "\"/unsubscribe\"" &&
	for f in 2-confirm-cdp 3-unsubscribed 4-unsubscribed-dark; do
		is_png "$ART/$f.png" 800 || return 1
	done &&
	is_png "$ART/5-unsubscribed-phone.png" 390 &&
	grep -q "^status = \"unsubscribed\";" subscribers/alice.cfg &&
	grep -q "^# Alice follows two authors" subscribers/alice.cfg &&
	grep -E "	unsubscribe	alice	alice@example.org	http$" state/unsubscribe.log
'

test_expect_success 'the result page offers to resubscribe, and its button works' '
	$CDP \
		wait-target:/unsubscribe wait-selector:button \
		click:button wait-title:Subscribed wait-load \
		"eval:document.querySelector(\"h1\").textContent" \
		screenshot:"$ART/6-resubscribed.png" >cdp.out &&
	cat cdp.out &&
	test "$(cat cdp.out)" = "\"You are subscribed to Daily arXiv digest again.\"" &&
	is_png "$ART/6-resubscribed.png" 800 &&
	cmp alice.orig subscribers/alice.cfg &&
	test "$(wc -l <state/unsubscribe.log)" = 2
'

test_expect_success 'the server logged no error' '
	stop_pid_file chrome.pid &&
	grep_file "alice unsubscribed (http, 127.0.0.1)" serve.out &&
	grep_file "alice resubscribed (http, 127.0.0.1)" serve.out &&
	test ! -s serve.err
'

test_done
