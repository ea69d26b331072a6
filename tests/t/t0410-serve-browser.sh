#!/bin/sh
test_description='a real browser (headless Chromium) unsubscribes with the button and resubscribes'
. "$(dirname "$0")/test-lib.sh"

# Debian's chromium (make deps installs it). The screenshots survive the
# run in tests/artifacts/, for a person to look at.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
ART="$TEST_ROOT/tests/artifacts/t0410-serve-browser"

if [ ! -x "$CHROMIUM" ]; then
	if [ "$PAPERBOY_SKIP_BROWSER" = 1 ]; then
		echo "ok 1 # skip $CHROMIUM is not installed (PAPERBOY_SKIP_BROWSER=1)"
		echo "# passed 0 of 0"
		exit 0
	fi
	echo "not ok 1 - $CHROMIUM is installed (run make deps, or set PAPERBOY_SKIP_BROWSER=1 to skip)"
	echo "# passed 0 of 1"
	echo "# failed 1"
	exit 1
fi

CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic
	--no-first-run --no-default-browser-check --disable-background-networking
	--disable-component-update --disable-sync --disable-dev-shm-usage
	--hide-scrollbars --user-data-dir=$TRASH/chrome"

# Stops the process whose pid is in file $1: SIGTERM, a bounded wait,
# then SIGKILL.
stop_pid_file() {
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	rm -f "$1"
	kill "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}
trap 'stop_pid_file "$TRASH/chrome.pid"; stop_pid_file "$TRASH/serve.pid"; [ -n "$KEEP_TRASH" ] || rm -rf "$TRASH"' EXIT

free_port() {
	$PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The token of token.h, computed here without paperboy's C code.
token() {
	$PYTHON - "$@" <<-\PY
	import base64, hashlib, hmac, sys
	purpose, sid, email = sys.argv[1:]
	key = open("state/secret.key", "rb").read()
	msg = b"paperboy-v1\0" + purpose.encode() + b"\0" + sid.encode() + b"\0" + email.encode().lower()
	print(base64.urlsafe_b64encode(hmac.new(key, msg, hashlib.sha256).digest()).rstrip(b"=").decode())
	PY
}

# Fails unless file $1 is a PNG at least $2 pixels wide.
is_png() {
	$PYTHON - "$1" "$2" <<-\PY
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
	w, h = struct.unpack("!II", data[16:24])
	assert w >= int(sys.argv[2]) and h > 100, (w, h)
	PY
}

setup_site && use_profiles alice || exit 1
cp subscribers/alice.cfg alice.orig
rm -rf "$ART" && mkdir -p "$ART" || exit 1
PORT=$(free_port)
"$PAPERBOY" serve --listen "127.0.0.1:$PORT" >serve.out 2>serve.err &
echo $! >serve.pid
i=0
while ! grep -q "serving" serve.out 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
URL="http://127.0.0.1:$PORT/unsubscribe?s=alice&t=$(token unsubscribe alice alice@example.org)"

test_expect_success 'Chromium shows the confirmation page, and loading it changes nothing' '
	grep -q serving serve.out &&
	timeout 90 "$CHROMIUM" $CHROME_FLAGS --window-size=800,600 \
		--screenshot="$ART/1-confirm.png" "$URL" >chrome1.log 2>&1 &&
	is_png "$ART/1-confirm.png" 800 &&
	cmp alice.orig subscribers/alice.cfg &&
	test ! -e state/unsubscribe.log
'

DEVPORT=$(free_port)
"$CHROMIUM" $CHROME_FLAGS --window-size=800,600 \
	--remote-debugging-port="$DEVPORT" "$URL" >chrome.log 2>&1 &
echo $! >chrome.pid

test_expect_success 'clicking the button unsubscribes; the result page is captured' '
	$PYTHON "$TEST_ROOT/tests/lib/cdp.py" "$DEVPORT" \
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
	$PYTHON "$TEST_ROOT/tests/lib/cdp.py" "$DEVPORT" \
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
