#!/bin/sh
test_description='delivery.smtp.connections: several sessions at once, one journal, nobody twice'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
SUBSCRIBERS=60
CONNECTIONS=3
BATCH=4
# Kill points of the crash test, in milliseconds after each start.
KILL_AFTER_MS="300 600 900"

# write_cfg PORT: SMTP to 127.0.0.1:PORT, CONNECTIONS sessions at once.
write_cfg() {
	sed -e '/^delivery = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $1; tls = "none";
			 batch = $BATCH; connections = $CONNECTIONS;
			 retries = 3; retry_delay_ms = 10; timeout = 10; };
	};
	EOF
}

# check_spool SPOOL JOURNAL MAX_DOUBT: every subscriber has exactly one
# message but those in doubt (at most MAX_DOUBT, at most one message), and
# the journal records an attempt before every outcome.
check_spool() {
	$PYTHON - "$1" "$2" $SUBSCRIBERS "$3" <<-\PY
	import collections, glob, json, sys
	spool, journal, n, max_doubt = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	got = collections.Counter(json.load(open(f))["rcpt_tos"][0].split("@")[0]
	                          for f in glob.glob(spool + "/*.json"))
	last, attempted = {}, set()
	for line in open(journal):
	    t, event, who, mid, reply = line.rstrip("\n").split("\t")
	    if event == "attempt":
	        attempted.add(who)
	    elif event == "sent":
	        assert who in attempted, ("sent before its attempt", who)
	    last[who] = event
	doubt = {w for w, e in last.items() if e == "attempt"}
	assert len(doubt) <= max_doubt, (doubt, max_doubt)
	for i in range(1, n + 1):
	    who = "c%03d" % i
	    if who in doubt:
	        assert got[who] <= 1, (who, got[who])
	    else:
	        assert got[who] == 1, (who, got[who], last.get(who))
	        assert last[who] == "sent", (who, last.get(who))
	print("in doubt", sorted(doubt))
	PY
}

start_smtpd mx --fault rcpt-once:c007@example.org:451

test_expect_success 'setup: 60 subscribers, 3 connections of 4 messages' '
	setup_site && rm -f subscribers/* &&
	make_subscribers $SUBSCRIBERS c &&
	write_cfg $mx_port
'

test_expect_success 'everybody is mailed once; the 4xx is retried; the summary counts the sessions' '
	expect_status 0 paperboy run --date 2025-12-30 --listing "$LISTING" \
		>out 2>err &&
	grep -E "^  sent +$SUBSCRIBERS$" out &&
	test $(grep -cE "^  c[0-9]+ +sent <" out) -eq $SUBSCRIBERS &&
	conns=$(sed -n "s/^  smtp-connections *//p" out) &&
	test "$conns" -ge $((SUBSCRIBERS / BATCH)) &&
	check_spool "$mx_spool" state/journal/2025-12-30 0 &&
	grep -E "^  c007 +sent" out &&
	test ! -s err
'

test_expect_success 'a rerun sends nothing' '
	expect_status 0 paperboy run --date 2025-12-30 >out2 2>&1 &&
	grep -E "^  sent +0$" out2 &&
	grep -E "^  already-sent +$SUBSCRIBERS$" out2
'

test_expect_success 'connections out of 1..16 are refused' '
	sed -i "s/connections = $CONNECTIONS;/connections = 17;/" paperboy.cfg &&
	expect_status 78 paperboy run --date 2025-12-30 >bad 2>bad.err &&
	grep_file "connections" bad.err &&
	write_cfg $mx_port
'

stop_smtpd mx
start_smtpd mx2

test_expect_success 'killed runs with 3 sessions at once, then a complete one' '
	write_cfg $mx2_port && rm -rf state/journal state/history &&
	crashes=0 &&
	for ms in $KILL_AFTER_MS; do
		"$PAPERBOY" run --date 2025-12-30 --listing "$LISTING" \
			>run.$ms.out 2>&1 &
		pid=$!
		sleep $(echo "$ms" | awk "{ printf \"%.3f\", \$1 / 1000 }")
		if kill -9 $pid 2>/dev/null; then
			crashes=$((crashes + 1))
		fi
		wait $pid 2>/dev/null || :
	done &&
	paperboy run --date 2025-12-30 >final.out 2>&1;
	test -s final.out &&
	echo "crashes: $crashes" &&
	check_spool "$mx2_spool" state/journal/2025-12-30 \
		$((crashes * CONNECTIONS))
'

test_done
