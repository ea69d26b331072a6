#!/bin/sh
test_description='bad input: an HTTP request with a 1 MB header (paperboy serve)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && cp subscribers/alice.cfg alice.orig &&
start_serve || exit 1

# big SIZE: a GET whose X-Big header holds SIZE bytes, in big.req.
big() {
	$PYTHON -c "import sys; sys.stdout.write(\"GET /unsubscribe HTTP/1.1\\r\\nHost: x\\r\\nX-Big: \" + \"a\" * $1 + \"\\r\\n\\r\\n\")" >big.req
}

test_expect_success 'a 1 MB header: 431, and the server goes on serving' '
	big 1048576 &&
	test "$(wc -c <big.req)" -gt 1048576 &&
	code=$(raw --file big.req) &&
	test "$code" = 431 &&
	t=$(token unsubscribe alice alice@example.org) &&
	test "$(req GET "/unsubscribe?s=alice&t=$t")" = 200 &&
	cmp alice.orig subscribers/alice.cfg
'

test_expect_success 'the limit is HTTP_MAX_HEADER (16 KiB): 24 KiB refused, 8 KiB served' '
	big 24576 &&
	test "$(raw --file big.req)" = 431 &&
	big 8192 &&
	test "$(raw --file big.req)" = 403
'

test_expect_success 'nothing on the server side but the refusals' '
	! grep -i "error\|sanitizer" serve.err
'

test_done
