#!/bin/sh
test_description='bad input: slow clients that keep trickling bytes (paperboy serve)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && cp subscribers/alice.cfg alice.orig ||
	exit 1

# field N: the Nth word of the trickle report in trickle.out.
field() { awk -v n="$1" '{ print $n }' trickle.out; }

test_expect_success 'a request that never ends is dropped at --deadline, though never idle' '
	stop_serve &&
	start_serve --timeout 2 --deadline 4 &&
	serve_client trickle 8 10 127.0.9.1 >trickle.out &&
	cat trickle.out &&
	test "$(field 2)" = 8 && test "$(field 6)" = 8 &&
	awk "{ exit !(\$8 >= 3.5 && \$10 <= 6) }" trickle.out &&
	stop_serve
'

test_expect_success '128 trickling connections from 4 addresses: a new client is served within seconds' '
	stop_serve &&
	start_serve &&
	rm -f trickle.ready &&
	(serve_client trickle 128 12 127.0.9.1 127.0.9.2 127.0.9.3 127.0.9.4 >trickle.out &) &&
	i=0 &&
	while [ ! -e trickle.ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	sleep 0.5 &&
	t=$(token unsubscribe alice alice@example.org) &&
	serve_client timed --src 127.0.9.5 "/unsubscribe?s=alice&t=$t" >timed &&
	cat timed &&
	test "$(cut -d" " -f1 timed)" = 200 &&
	awk "{ exit !(\$2 < 5) }" timed &&
	cmp alice.orig subscribers/alice.cfg &&
	stop_serve
'

test_expect_success '40 slow connections from the proxy (127.0.0.1) do not lock out the next visitor' '
	stop_serve &&
	start_serve &&
	rm -f trickle.ready &&
	(serve_client trickle 40 8 127.0.0.1 >trickle.out &) &&
	i=0 &&
	while [ ! -e trickle.ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	t=$(token unsubscribe alice alice@example.org) &&
	serve_client timed --src 127.0.0.1 "/unsubscribe?s=alice&t=$t" >timed &&
	cat timed &&
	test "$(cut -d" " -f1 timed)" = 200 &&
	awk "{ exit !(\$2 < 1) }" timed &&
	stop_serve
'

test_done
