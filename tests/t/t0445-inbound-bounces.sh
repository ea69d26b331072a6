#!/bin/sh
test_description='inbound: bounces of our digests suspend a subscriber, forged ones change nothing, replies reach the owner'
. "$(dirname "$0")/test-lib.sh"

TODAY=$(date -u +%Y-%m-%d)

# dsn N TO MESSAGE-ID: an RFC 3464 hard bounce (5.1.1) for TO that
# quotes MESSAGE-ID, with a Message-ID of its own (N).
dsn() {
	cat <<-EOF
	Return-Path: <>
	From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
	To: digest@example.org
	Subject: Undelivered Mail Returned to Sender
	Message-Id: <bounce-$1@mx.example.net>
	MIME-Version: 1.0
	Content-Type: multipart/report; report-type=delivery-status;
	 boundary="B$1"

	--B$1
	Content-Type: text/plain

	Your message could not be delivered to <$2>: user unknown.

	--B$1
	Content-Type: message/delivery-status

	Reporting-MTA: dns; mx.example.net

	Final-Recipient: rfc822; $2
	Action: failed
	Status: 5.1.1
	Diagnostic-Code: smtp; 550 5.1.1 <$2>: user unknown

	--B$1
	Content-Type: text/rfc822-headers

	From: Paperboy <digest@example.org>
	To: $2
	Subject: Daily arXiv digest
	Message-ID: $3

	--B$1--
	EOF
}

# The Message-ID of the digest mailed to ID.
sent_id() {
	sed -n 's/^Message-ID: //p' outbox/new/*,"$1" | tr -d '\r' | head -n 1
}

test_expect_success 'setup: a day mailed to alice and chen' '
	setup_site && use_profiles alice chen &&
	paperboy run --date "$TODAY" --force-date \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	mailed alice chen &&
	sent_id alice >alice.msgid && test -s alice.msgid &&
	cp subscribers/alice.cfg alice.before &&
	cp subscribers/chen.cfg chen.before
'

test_expect_success 'three hard bounces quoting our Message-ID: alice is bouncing, the rest unchanged' '
	id=$(sent_id alice) &&
	for n in 1 2; do
		dsn $n alice@example.org "$id" >b$n.eml &&
		paperboy inbound <b$n.eml >out 2>err &&
		grep_file "hard bounce for alice" out || return 1
	done &&
	grep -q "status = \"active\"" subscribers/alice.cfg &&
	dsn 3 alice@example.org "$id" >b3.eml &&
	paperboy inbound <b3.eml >out 2>err &&
	grep_file "now \"bouncing\"" out &&
	grep -q "^status = \"bouncing\";" subscribers/alice.cfg &&
	grep -v "^status = " alice.before >a.want &&
	grep -v "^status = " subscribers/alice.cfg >a.got &&
	cmp a.want a.got
'

test_expect_success 'the same bounce twice counts once' '
	paperboy inbound <b3.eml >out 2>err &&
	grep_file "counted before" out
'

test_expect_success 'the next run skips alice with its own line' '
	rm -rf outbox &&
	paperboy run --date "$TODAY" --resend chen >out 2>err &&
	grep -E "^  alice +skipped: bouncing" out &&
	grep -E "^  skipped-bouncing +1$" out &&
	mailed chen
'

test_expect_success 'three DSNs quoting no message we sent change nothing' '
	for n in 4 5 6; do
		dsn $n chen@example.org "<1.forged$n@digest.example.org>" \
			>f$n.eml &&
		paperboy inbound <f$n.eml >out 2>err &&
		grep_file "tied to no message we sent" err || return 1
	done &&
	cmp chen.before subscribers/chen.cfg
'

test_expect_success 'a DSN for chen quoting alice'"'"'s message changes nothing for chen' '
	dsn 7 chen@example.org "$(cat alice.msgid)" >g.eml &&
	paperboy inbound <g.eml >out 2>err &&
	grep_file "tied to no message we sent" err &&
	cmp chen.before subscribers/chen.cfg
'

test_expect_success 'a reply is forwarded to list.owner, marked, once' '
	grep -q "owner = \"owner@example.org\"" paperboy.cfg &&
	printf "From: reader@example.net\r\nSubject: Re: digest\r\n\r\nthanks!\r\n" \
		>reply.eml &&
	rm -rf outbox &&
	paperboy inbound <reply.eml >out 2>err &&
	grep_file "a reply: forwarded to owner@example.org" out &&
	f=$(ls outbox/new/*,reply) &&
	grep -q "^X-Paperboy-Forwarded: a reply" "$f" &&
	grep -q "thanks!" "$f" &&
	paperboy inbound <"$f" >out2 2>err2 &&
	grep_file "forwarded by paperboy before" err2 &&
	test "$(ls outbox/new | wc -l)" -eq 1
'

test_expect_success 'with no owner and no contact, a reply is refused (78), not dropped' '
	sed -e "s|owner = \"owner@example.org\";||" \
	    -e "/contact = /d" paperboy.cfg >p2.cfg && mv p2.cfg paperboy.cfg &&
	expect_status 78 paperboy inbound <reply.eml >out 2>err &&
	grep_file "set list.owner" err
'

test_done
