#!/bin/sh
test_description='SMTP faults: 4xx retried then deferred, 5xx failed, a lost connection in doubt'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

# paperboy.cfg for plain SMTP to 127.0.0.1:PORT (a relay on this machine).
write_cfg() {
	sed -e '/^delivery = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $1; tls = "none";
			 batch = 20; retries = 3; retry_delay_ms = 10;
			 timeout = 10; };
	};
	EOF
}

make_subscribers() {
	mkdir -p subscribers &&
	for id in "$@"; do
		printf 'email = "%s@example.org";\ntopics = ( { name = "T"; keywords = ["transformer"]; } );\n' \
			$id >subscribers/$id.cfg
	done
}

start_smtpd mx --fault rcpt:bob@example.org:451 \
	--fault rcpt:carol@example.org:550 \
	--fault drop-after-data:dave@example.org \
	--fault rcpt-once:erin@example.org:452

test_expect_success 'setup' '
	setup_site && rm -f subscribers/* &&
	make_subscribers alice bob carol dave erin frank &&
	write_cfg $mx_port
'

test_expect_success 'a run with faults: each subscriber gets the right outcome' '
	expect_status 75 paperboy run --date 2025-12-30 --listing "$LISTING" >out 2>err &&
	grep -E "^  alice +sent" out &&
	grep -E "^  bob +deferred: 451" out &&
	grep -E "^  carol +FAILED: 550" out &&
	grep -E "^  dave +IN DOUBT" out &&
	grep -E "^  erin +sent" out &&
	grep -E "^  frank +sent" out &&
	grep -E "^  sent +3$" out && grep -E "^  deferred +1$" out &&
	grep -E "^  failed +1$" out && grep -E "^  in-doubt +1$" out
'

test_expect_success 'the 4xx recipient was tried 3 times, over new connections' '
	test $(grep -c "	deferred	bob	" state/journal/2025-12-30) -eq 3 &&
	test "$(connection_count mx)" -ge 3
'

test_expect_success 'the others were delivered on reconnect after the lost connection' '
	$PYTHON - "$mx_spool" <<-\PY
	import glob, json, sys, collections
	got = collections.Counter(json.load(open(f))["rcpt_tos"][0]
	                          for f in glob.glob(sys.argv[1] + "/*.json"))
	for who in ("alice", "erin", "frank", "dave"):
	    assert got[who + "@example.org"] == 1, (who, got)
	assert got["bob@example.org"] == 0 and got["carol@example.org"] == 0, got
	PY
'

test_expect_success 'the journal names the in-doubt message' '
	grep "	attempt	dave	<" state/journal/2025-12-30 &&
	! grep "	sent	dave	" state/journal/2025-12-30 &&
	grep "	failed	carol	" state/journal/2025-12-30 | grep -F "550"
'

test_expect_success 'a rerun: in doubt reported, not resent; failed not retried; deferred retried' '
	before=$(spool_count mx) &&
	expect_status 75 paperboy run --date 2025-12-30 >out 2>err &&
	grep -E "^  dave +IN DOUBT since a crash" out &&
	grep -E "^  carol +failed earlier today" out &&
	grep -E "^  bob +deferred" out &&
	grep -E "already-sent +3" out &&
	test "$(spool_count mx)" -eq "$before"
'

test_expect_success '--resend-in-doubt sends the in-doubt message again' '
	stop_smtpd mx &&
	start_smtpd mx2 &&
	write_cfg $mx2_port &&
	expect_status 0 paperboy run --date 2025-12-30 --resend-in-doubt >out 2>err &&
	grep -E "^  dave +sent" out && grep -E "^  bob +sent" out &&
	test "$(spool_count mx2)" -eq 2
'

test_expect_success '--resend forces one subscriber already sent' '
	paperboy run --date 2025-12-30 --resend alice >out &&
	grep -E "^  alice +sent" out && grep -E "^  sent +1$" out &&
	test "$(spool_count mx2)" -eq 3
'

test_expect_success 'smtp-sink: every RCPT soft-rejected -> all deferred, exit 75' '
	start_smtp_sink soft -r rcpt &&
	write_cfg $soft_port && rm -rf state/journal &&
	expect_status 75 paperboy run --date 2025-12-30 >out 2>err &&
	grep -E "^  deferred +6$" out && grep -E "^  sent +0$" out
'

test_expect_success 'smtp-sink: end of DATA hard-rejected -> all failed' '
	start_smtp_sink hard -f . &&
	write_cfg $hard_port && rm -rf state/journal &&
	paperboy run --date 2025-12-30 >out 2>err;
	grep -E "^  failed +6$" out && grep -E "^  sent +0$" out &&
	test $(grep -c "	failed	" state/journal/2025-12-30) -eq 6
'

test_expect_success 'smtp-sink: disconnect after DATA -> in doubt, never resent' '
	start_smtp_sink drop -q . &&
	write_cfg $drop_port && rm -rf state/journal &&
	paperboy run --date 2025-12-30 >out 2>err;
	grep -E "^  in-doubt +[1-6]$" out && grep -E "^  sent +0$" out &&
	n=$(grep -c "	attempt	" state/journal/2025-12-30) &&
	paperboy run --date 2025-12-30 >out2 2>err;
	test $(grep -c "	attempt	" state/journal/2025-12-30) -ge "$n" &&
	grep -c "IN DOUBT since a crash" out2
'

test_expect_success 'a server that is down: deferred, exit 75, step "connect"' '
	write_cfg $(free_port) && rm -rf state/journal &&
	expect_status 75 paperboy run --date 2025-12-30 >out 2>err &&
	grep_file "connect: cannot reach 127.0.0.1" err &&
	grep -E "^  deferred +6$" out
'

test_done
