#!/bin/sh
test_description='delivery.verp signs each envelope sender; a 5xx at RCPT is a hard bounce; a bounce to the VERP address counts'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

start_smtpd mx --fault rcpt:bob@example.org:550

subscribe() {
	for id in "$@"; do
		printf 'email = "%s@example.org";\ntopics = ( { name = "T"; keywords = ["transformer"]; } );\n' \
			$id >subscribers/$id.cfg
	done
}

# From the spool: the envelope sender of the message to ID.
sender_of() {
	$PYTHON - "$mx_spool" "$1@example.org" <<-\PY
	import glob, json, sys
	for f in glob.glob(sys.argv[1] + "/*.json"):
	    m = json.load(open(f))
	    if m["rcpt_tos"] == [sys.argv[2]]:
	        print(m["mail_from"])
	PY
}

test_expect_success 'setup: VERP on, one hard bounce suspends' '
	setup_site && rm -f subscribers/* && subscribe alice bob &&
	sed -e "/^delivery = {/,/^};/d" .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		verp = "digest+bounce-{id}@example.org";
		bounce_limit = 1;
		smtp = { host = "127.0.0.1"; port = $mx_port; tls = "none";
			 retries = 1; retry_delay_ms = 10; timeout = 10; };
	};
	EOF
	paperboy subscribers check
'

test_expect_success 'each message goes out from its signed VERP address' '
	expect_status 69 paperboy run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	s=$(sender_of alice) &&
	echo "$s" | grep -E "^digest\+bounce-alice-[0-9a-f]{16}@example\.org$" &&
	echo "$s" >alice.verp
'

test_expect_success 'the 5xx at RCPT for bob is his hard bounce: bob is bouncing' '
	grep -E "^  bob +FAILED: 550" out &&
	test -s state/bounces/bob &&
	grep -q "^status = \"bouncing\";" subscribers/bob.cfg &&
	grep -q "^status = \"active\"" subscribers/alice.cfg 2>/dev/null ||
		! grep -q "^status" subscribers/alice.cfg
'

test_expect_success 'a bounce sent to alice'"'"'s VERP address counts for her' '
	cat >dsn.eml <<-EOF &&
	Delivered-To: $(cat alice.verp)
	From: MAILER-DAEMON@mx.example.net
	To: $(cat alice.verp)
	Subject: Undelivered Mail Returned to Sender
	Message-Id: <verp-1@mx.example.net>
	MIME-Version: 1.0
	Content-Type: multipart/report; report-type=delivery-status; boundary="B"

	--B
	Content-Type: message/delivery-status

	Reporting-MTA: dns; mx.example.net

	Final-Recipient: rfc822; alice@example.org
	Action: failed
	Status: 5.1.1

	--B--
	EOF
	paperboy inbound <dsn.eml >out 2>err &&
	grep_file "hard bounce for alice (via verp)" out &&
	grep -q "^status = \"bouncing\";" subscribers/alice.cfg
'

test_expect_success 'a flipped signature in the VERP address counts for nobody' '
	sed -i "s/^status = \"bouncing\";/status = \"active\";/" subscribers/alice.cfg &&
	rm -rf state/bounces &&
	sed "s/bounce-alice-\([0-9a-f]\)/bounce-alice-X/" dsn.eml |
		sed "s/verp-1@/verp-2@/" >forged.eml &&
	paperboy inbound <forged.eml >out 2>err &&
	grep_file "tied to no message we sent" err &&
	grep -q "^status = \"active\";" subscribers/alice.cfg
'

test_done
