#!/bin/sh
test_description='SIGKILL mid-run: after reruns everybody got exactly one message'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
SUBSCRIBERS=200
# Kill points, in milliseconds after the start of each killed run.
KILL_AFTER_MS="150 400 700 1000"

start_smtpd mx

test_expect_success 'setup: 200 subscribers' '
	setup_site && rm -f subscribers/* &&
	make_subscribers $SUBSCRIBERS r &&
	write_plain_smtp_cfg $mx_port "batch = 25; retries = 2;" \
		"retry_delay_ms = 10;" &&
	paperboy run --date 2025-12-30 --listing "$LISTING" --dry-run >/dev/null
'

test_expect_success 'killed runs, then a complete one' '
	crashes=0 &&
	for ms in $KILL_AFTER_MS; do
		"$PAPERBOY" run --date 2025-12-30 --listing "$LISTING" >run.$ms.out 2>&1 &
		pid=$!
		sleep $(echo "$ms" | awk "{ printf \"%.3f\", \$1 / 1000 }")
		if kill -9 $pid 2>/dev/null; then
			crashes=$((crashes + 1))
		fi
		wait $pid 2>/dev/null || :
	done &&
	echo $crashes >crashes &&
	paperboy run --date 2025-12-30 >final.out 2>&1;
	test -s final.out
'

test_expect_success 'every subscriber has exactly one message, but in-doubt ones' '
	$PYTHON - "$mx_spool" state/journal/2025-12-30 $SUBSCRIBERS $(cat crashes) <<-\PY
	import collections, glob, json, sys
	spool, journal, n, crashes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	got = collections.Counter(json.load(open(f))["rcpt_tos"][0].split("@")[0]
	                          for f in glob.glob(spool + "/*.json"))
	last = {}
	for line in open(journal):
	    t, event, who, mid, reply = line.rstrip("\n").split("\t")
	    last[who] = event
	doubt = {w for w, e in last.items() if e == "attempt"}
	assert len(doubt) <= crashes, (doubt, crashes)
	for i in range(1, n + 1):
	    who = "r%03d" % i
	    if who in doubt:
	        assert got[who] <= 1, (who, got[who])
	    else:
	        assert got[who] == 1, (who, got[who], last.get(who))
	        assert last[who] == "sent", (who, last.get(who))
	print("crashes", crashes, "in doubt", sorted(doubt))
	PY
'

test_expect_success 'the final run names every in-doubt message' '
	for who in $(awk -F "\t" "{ last[\$3] = \$2 } END { for (w in last) if (last[w] == \"attempt\") print w }" state/journal/2025-12-30); do
		grep -E "^  $who +IN DOUBT" final.out || return 1
	done
'

test_done
