#!/bin/sh
test_description='bad input: a reply whose Subject is RFC 2047 encoded (paperboy inbound)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen || exit 1

# reply ENCODING: a reply to alice's mailto link, its Subject encoded by
# Python's email package with ENCODING (B or Q), on stdout.
reply() {
	$PYTHON - "$1" outbox/new/*,alice <<-\PY
	import email, email.charset, email.header, email.policy, re, sys, urllib.parse
	m = email.message_from_bytes(open(sys.argv[2], "rb").read(), policy=email.policy.default)
	mailto = re.search(r"<mailto:([^>]*)>", str(m["List-Unsubscribe"])).group(1)
	subject = urllib.parse.parse_qs(mailto.split("?", 1)[1])["subject"][0]
	cs = email.charset.Charset("utf-8")
	cs.header_encoding = email.charset.BASE64 if sys.argv[1] == "B" else email.charset.QP
	enc = email.header.Header(subject, cs).encode()
	assert enc.startswith("=?utf-8?" + sys.argv[1].lower() + "?"), enc
	sys.stdout.write("From: alice@example.org\r\nTo: digest@example.org\r\n"
	                 "Subject: " + enc + "\r\n\r\n\r\n")
	PY
}

test_expect_success 'a B-encoded subject unsubscribes' '
	run_sample 0 &&
	mailed alice chen &&
	reply B >reply.eml &&
	grep -q "^Subject: =?utf-8?b?" reply.eml &&
	paperboy inbound <reply.eml >out 2>err &&
	grep_file "alice (alice@example.org) is now unsubscribed" out &&
	grep -q "^status = \"unsubscribed\";" subscribers/alice.cfg
'

test_expect_success 'a Q-encoded subject unsubscribes' '
	use_profiles alice &&
	reply Q >reply.eml &&
	grep -q "^Subject: =?utf-8?q?" reply.eml &&
	paperboy inbound <reply.eml >out 2>err &&
	grep_file "alice (alice@example.org) is now unsubscribed" out
'

test_done
