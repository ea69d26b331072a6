#!/bin/sh
test_description='bad input: a chunked POST body over the limit (paperboy serve)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && cp subscribers/alice.cfg alice.orig &&
start_serve || exit 1

# chunked SIZE PATH: a POST of PATH whose form body (List-Unsubscribe=
# One-Click, then padding to SIZE bytes) comes in 1 KiB chunks, in req.
chunked() {
	$PYTHON - "$1" "$2" <<-\PY
	import sys
	size, path = int(sys.argv[1]), sys.argv[2]
	body = b"List-Unsubscribe=One-Click"
	body += b"&x=" + b"a" * max(0, size - len(body) - 3)
	out = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
	       b"Content-Type: application/x-www-form-urlencoded\r\n"
	       b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
	for i in range(0, len(body), 1024):
	    c = body[i:i + 1024]
	    out += b"%x\r\n" % len(c) + c + b"\r\n"
	open("req", "wb").write(out + b"0\r\n\r\n")
	PY
}

test_expect_success 'a 20 KiB chunked body: 413, and alice stays subscribed' '
	t=$(token unsubscribe alice alice@example.org) &&
	chunked 20480 "/unsubscribe?s=alice&t=$t" &&
	test "$(raw --file req)" = 413 &&
	cmp alice.orig subscribers/alice.cfg
'

test_expect_success 'the same request within the limit (2 KiB) unsubscribes' '
	t=$(token unsubscribe alice alice@example.org) &&
	chunked 2048 "/unsubscribe?s=alice&t=$t" &&
	test "$(raw --file req)" = 200 &&
	grep -q "^status = \"unsubscribed\";" subscribers/alice.cfg
'

test_done
