#!/bin/sh
test_description='a server that closes, dies, hangs or refuses: the summary, an exit code that tells, the reply that refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
JOURNAL=state/journal/2025-12-30

# write_cfg PORT [TIMEOUT]: plain SMTP to 127.0.0.1:PORT, 2 sessions.
write_cfg() {
	sed -e '/^delivery = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $1; tls = "none";
			 batch = 20; retries = 2; retry_delay_ms = 10;
			 timeout = ${2:-10}; };
	};
	EOF
}

# run_day STATUS: a fresh run of the day, stdout and stderr to files (as
# cron has them), expecting exit STATUS.
run_day() {
	rm -rf state/journal &&
	expect_status "$1" paperboy run --date 2025-12-30 \
		--listing "$LISTING" >out 2>err
}

# summary_ok: the summary is there, with one line per outcome.
summary_ok() {
	grep_file "paperboy: 2025-12-30 summary:" out &&
	grep -E "^  sent +[0-9]+$" out && grep -E "^  deferred +[0-9]+$" out &&
	grep -E "^  in-doubt +[0-9]+$" out
}

# last_events: "ID EVENT" for each subscriber's last journal line.
last_events() {
	tr -d '\000' <$JOURNAL |
		awk -F '\t' '{ last[$3] = $2 } END { for (w in last) print w, last[w] }' |
		sort
}

# all_deferred: every subscriber has a line saying deferred, and the
# journal's last word for each is "deferred".
all_deferred() {
	for id in r001 r002 r003 r004; do
		grep -E "^  $id +deferred" out || return 1
	done &&
	grep -E "^  deferred +4$" out &&
	test "$(last_events)" = "r001 deferred
r002 deferred
r003 deferred
r004 deferred"
}

test_expect_success 'setup' '
	setup_site && rm -f subscribers/* && make_subscribers 4 r
'

test_expect_success '421 and close after MAIL: all deferred, summary, exit 75' '
	start_smtp_sink qmail -Q mail &&
	write_cfg $qmail_port &&
	run_day 75 && summary_ok && all_deferred &&
	grep -E "^  r001 +deferred: 421" out
'

test_expect_success '421 and close after DATA: all deferred, summary, exit 75' '
	start_smtp_sink qdata -Q data &&
	write_cfg $qdata_port &&
	run_day 75 && summary_ok && all_deferred &&
	grep_file "DATA: SMTP server dropped connection; last reply: 421" err
'

test_expect_success '421 and close after the end of the data: deferred' '
	start_smtp_sink qdot -Q . &&
	write_cfg $qdot_port &&
	run_day 75 && summary_ok && all_deferred &&
	grep -E "^  r001 +deferred: 421" out
'

test_expect_success 'closed without a word after DATA, before any data: deferred, not in doubt' '
	start_smtp_sink qnodata -q data &&
	write_cfg $qnodata_port &&
	run_day 75 && summary_ok && all_deferred &&
	grep -E "^  in-doubt +0$" out &&
	grep "	deferred	r001	.*the connection ended before the data" $JOURNAL
'

test_expect_success 'the server killed while it holds a message: in doubt, the rest deferred, summary' '
	start_smtpd hang --fault hang-after-data:r002@example.org &&
	write_cfg $hang_port &&
	rm -rf state/journal || exit 1
	{ "$PAPERBOY" run --date 2025-12-30 --listing "$LISTING" >out 2>err;
	  echo $? >status; } &
	i=0 &&
	while [ "$(spool_count hang)" -lt 2 ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done &&
	sleep 0.2 && kill -9 $hang_pid &&
	wait &&
	test "$(cat status)" = 75 && summary_ok &&
	grep -E "^  r001 +sent" out &&
	grep -E "^  r002 +IN DOUBT" out &&
	grep -E "^  r003 +deferred" out && grep -E "^  r004 +deferred" out &&
	grep -E "^  in-doubt +1$" out &&
	test "$(last_events)" = "r001 sent
r002 attempt
r003 deferred
r004 deferred"
'

test_expect_success 'no reply to the end of the data within the timeout: in doubt, not failed' '
	start_smtpd hang2 --fault hang-after-data:r002@example.org &&
	write_cfg $hang2_port 1 &&
	rm -rf state/journal &&
	paperboy run --date 2025-12-30 --listing "$LISTING" >out 2>err;
	status=$? &&
	echo "exit $status" && test $status -lt 128 && summary_ok &&
	grep -E "^  r002 +IN DOUBT" out && grep -E "^  in-doubt +1$" out &&
	grep -E "^  failed +0$" out &&
	grep_file "DATA: no reply within 1 s (timeout)" err &&
	test "$(last_events)" = "r001 sent
r002 attempt
r003 sent
r004 sent" &&
	test "$(spool_count hang2)" = 4
'

test_expect_success 'a rerun does not resend what the timeout left in doubt' '
	paperboy run --date 2025-12-30 >out2 2>err2;
	grep -E "^  r002 +IN DOUBT since a crash" out2 &&
	test "$(spool_count hang2)" = 4
'

# A "221" reply (QUIT's) in the output or the journal: the code on its
# own, so that a Message-ID such as <...A45D1221...@...> does not match.
REPLY_221='(^|[^0-9A-Za-z])221[ -]'

test_expect_success '5xx greeting: the refusal is reported, not "221 Bye"' '
	start_smtp_sink fconnect -f connect &&
	write_cfg $fconnect_port &&
	run_day 76 && summary_ok &&
	grep_file "refused the session: 500 5.3.0" err &&
	! grep -rE "$REPLY_221" out err $JOURNAL
'

test_expect_success '5xx to MAIL: the refusal is reported, not "221 Bye"' '
	start_smtp_sink fmail -f mail &&
	write_cfg $fmail_port &&
	run_day 76 && summary_ok &&
	grep_file "MAIL: the server refused the sender digest@example.org: 500" err &&
	! grep -rE "$REPLY_221" out err $JOURNAL
'

test_expect_success '4xx to MAIL: deferred with that reply in the journal' '
	start_smtp_sink rmail -r mail &&
	write_cfg $rmail_port &&
	run_day 75 && summary_ok && all_deferred &&
	test $(tr -d "\000" <$JOURNAL | grep -c "	deferred	r00[1-4]	.*	450") -ge 4 &&
	! grep -rE "$REPLY_221" out err $JOURNAL
'

test_expect_success '4xx greeting: deferred, the greeting named' '
	start_smtp_sink rconnect -r connect &&
	write_cfg $rconnect_port &&
	run_day 75 && summary_ok && all_deferred &&
	grep_file "refused the session: 450" err &&
	! grep -rE "$REPLY_221" out err $JOURNAL
'

test_expect_success 'a 554 greeting (aiosmtpd): exit 76, the greeting reported' '
	start_smtpd greet554 --greeting "554 5.7.1 No service for you" &&
	write_cfg $greet554_port &&
	run_day 76 && summary_ok &&
	grep_file "refused the session: 554 5.7.1 No service for you" err &&
	! grep -rE "$REPLY_221" out err
'

test_expect_success 'a 554 greeting over implicit TLS (libcurl): exit 76, the greeting reported' '
	make_test_cert certs &&
	start_smtpd tls554 --implicit-tls --tls-cert certs/cert.pem \
		--tls-key certs/key.pem --greeting "554 5.7.1 No service for you" &&
	printf "s3cret\n" >smtp.pw && chmod 600 smtp.pw &&
	write_smtp_cfg $tls554_port implicit 10 &&
	run_day 76 && summary_ok &&
	grep_file "refused the session: 554 5.7.1 No service for you" err
'

test_done
