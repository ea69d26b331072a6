#!/bin/sh
test_description='newcomer hints: make demo says what to look at next; a command without --date says on stderr that it is fetching, before it waits on the network'
. "$(dirname "$0")/test-lib.sh"

PAPERBOY_TEST_NOW=$(date -u -d 2025-12-30T12:00:00Z +%s)
export PAPERBOY_TEST_NOW

# A server that accepts connections and never answers: what a dead
# network looks like to a command that waits.
start_silent() {
	HANG=$(free_port) || return 1
	$PYTHON - "$HANG" <<-\PY &
	import socket, sys, time
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", int(sys.argv[1])))
	s.listen(16)
	held = []
	while True:
	    held.append(s.accept()[0])
	PY
	echo $! >"$TRASH/silent.pid"
	sleep 0.3
	sed -i "s|$NO_SERVER/rss/|http://127.0.0.1:$HANG/rss/|" paperboy.cfg
}

# waits_after_hint CMD...: runs CMD in the background; after 2 s it must
# still be waiting, with the hint already on its stderr.
waits_after_hint() {
	"$@" >bg.out 2>bg.err &
	pid=$!
	sleep 2
	alive=0
	kill -0 $pid 2>/dev/null && alive=1
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	test $alive = 1 || { echo "$* did not wait"; cat bg.err; return 1; }
	grep_file "paperboy: fetching the listing of 2025-12-30 from 127.0.0.1 (Ctrl-C to stop)" bg.err
}

setup_site && use_profiles alice && start_silent || exit 1

test_expect_success 'make demo ends with what to look at next' '
	make -s -C "$TEST_ROOT" -n demo >demo.sh 2>/dev/null &&
	sed -n "/^printf/,\$p" demo.sh >hint.sh &&
	sh hint.sh >hint &&
	grep_file "outbox/new/" hint &&
	grep_file "mutt -f outbox" hint &&
	grep_file "./paperboy render alice --date 2025-12-30 --html" hint &&
	grep_file "README.md" hint
'

test_expect_success 'fetch without --date says it is fetching before it waits' '
	waits_after_hint paperboy fetch
'

test_expect_success 'run without --date says it is fetching before it waits' '
	waits_after_hint paperboy run
'

test_expect_success 'with --date and a cached or given listing, no such line' '
	paperboy run --date 2025-12-30 --listing "$SAMPLE_LISTING" >out 2>err &&
	! grep -q "fetching the listing" err
'

test_done
