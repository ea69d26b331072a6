#!/bin/sh
test_description='run: refused recipients and messages in doubt have their own exit codes; an unsubscribe during the run is honoured'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

# Plain SMTP to 127.0.0.1:PORT, one message per session (batch 1), the
# reply to the end of data awaited TIMEOUT seconds.
write_cfg() {
	sed -e '/^delivery = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $1; tls = "none";
			 batch = 1; retries = 1; retry_delay_ms = 10;
			 timeout = ${2:-10}; };
	};
	EOF
}

subscribe() {
	mkdir -p subscribers &&
	for id in "$@"; do
		printf 'email = "%s@example.org";\ntopics = ( { name = "T"; keywords = ["transformer"]; } );\n' \
			$id >subscribers/$id.cfg
	done
}

received() {
	$PYTHON - "$1" "$2" <<-\PY
	import glob, json, sys
	got = sorted(json.load(open(f))["rcpt_tos"][0].split("@")[0]
	             for f in glob.glob(sys.argv[1] + "/*.json"))
	want = sorted(sys.argv[2].split())
	assert got == want, (got, want)
	PY
}

start_smtpd hard --fault rcpt:alice@example.org:550 \
	--fault rcpt:bob@example.org:550

test_expect_success 'setup' '
	setup_site && rm -f subscribers/* && subscribe alice bob
'

test_expect_success 'every recipient refused with 5xx: exit 69, not 0' '
	write_cfg $hard_port &&
	expect_status 69 paperboy run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep -E "^  failed +2$" out && grep -E "^  sent +0$" out
'

test_expect_success 'a rerun sends nothing and reports them, exit 0' '
	expect_status 0 paperboy run --date 2025-12-30 >out 2>err &&
	grep -E "^  failed-earlier +2$" out
'

# Each session waits 2 s before the server answers DATA (smtp-sink -w),
# one message per session: bob unsubscribes while alice's message is
# under way, before bob's batch goes out. This run must not mail bob.
start_smtp_sink slow -w 2

test_expect_success 'an unsubscribe during the run is honoured by that run' '
	rm -rf state outbox subscribers && subscribe alice bob carol &&
	write_cfg $slow_port &&
	( paperboy run --date 2025-12-30 --listing "$SAMPLE_LISTING" \
		>out 2>err; echo $? >status ) &
	sleep 1 &&
	paperboy unsubscribe bob >unsub.out 2>&1 &&
	n=0 && while test ! -s status; do
		n=$((n + 1)) && test $n -lt 300 || return 1; sleep 0.1; done &&
	test "$(cat status)" -eq 0 &&
	grep -E "^  bob +skipped: unsubscribed during the run" out &&
	grep -E "^  alice +sent" out && grep -E "^  carol +sent" out &&
	grep -E "^  skipped-unsubscribed +1$" out &&
	! grep "	bob	" state/journal/2025-12-30
'

# The server drops the connection after the data (smtp-sink -q): the
# message may or may not have been delivered.
start_smtp_sink drop -q .

test_expect_success 'messages in doubt: exit 80, and again on a rerun' '
	rm -rf state outbox subscribers && subscribe alice &&
	write_cfg $drop_port &&
	expect_status 80 paperboy run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep -E "^  in-doubt +1$" out &&
	expect_status 80 paperboy run --date 2025-12-30 >out 2>err &&
	grep -E "^  alice +IN DOUBT since a crash" out
'

test_done
