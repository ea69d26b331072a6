#!/bin/sh
test_description='delivery over implicit TLS (SMTPS, libcurl): batches, AUTH, certificates, faults'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
SUBSCRIBERS=30

make_test_cert certs
start_smtpd mx --implicit-tls --tls-cert certs/cert.pem \
	--tls-key certs/key.pem --auth digest:s3cret
# One fault of each kind a message can meet once the server has it.
start_smtpd faults --implicit-tls --tls-cert certs/cert.pem \
	--tls-key certs/key.pem --auth digest:s3cret \
	--fault rcpt:sub005@example.org:550 \
	--fault data:sub010@example.org:554 \
	--fault drop-after-data:sub015@example.org \
	--fault rcpt:sub020@example.org:451

test_expect_success 'setup: 30 subscribers, an implicit-TLS relay with AUTH' '
	setup_site &&
	rm -f subscribers/* &&
	make_subscribers $SUBSCRIBERS &&
	printf "s3cret\n" >smtp.pw && chmod 600 smtp.pw &&
	write_smtp_cfg $mx_port implicit 10
'

test_expect_success 'run delivers 30 messages in batches of 10 over 3 connections' '
	paperboy run --date 2025-12-30 --listing "$LISTING" >out 2>err &&
	test "$(spool_count mx)" -eq $SUBSCRIBERS &&
	test "$(connection_count mx)" -eq 3 &&
	grep -E "^  sent +30$" out &&
	grep -E "smtp-connections +3$" out &&
	grep -E "^  sub007 +sent <.*>: 250 2.0.0 Ok: queued as" out &&
	test $(grep -c "	sent	" state/journal/2025-12-30) -eq $SUBSCRIBERS &&
	test $(grep -c "	attempt	" state/journal/2025-12-30) -eq $SUBSCRIBERS
'

test_expect_success 'every message went over TLS, authenticated, to its subscriber' '
	$PYTHON - "$mx_spool" <<-\PY
	import glob, json, sys, collections
	per_session = collections.Counter()
	seen = set()
	for f in glob.glob(sys.argv[1] + "/*.json"):
	    m = json.load(open(f))
	    assert m["tls"] and m["auth"] == "digest", m
	    assert m["mail_from"] == "digest@example.org", m
	    assert len(m["rcpt_tos"]) == 1, m
	    seen.add(m["rcpt_tos"][0])
	    per_session[m["session"]] += 1
	assert len(seen) == 30, len(seen)
	assert sorted(per_session.values()) == [10, 10, 10], per_session
	PY
'

test_expect_success 'the MIME parts equal what outbox delivery writes, CRLF on the wire, LF in the outbox' '
	mkdir outbox-site && (
		cd outbox-site &&
		cp -r ../templates ../subscribers . &&
		mkdir -p state && cp ../state/secret.key state/ &&
		sed -e "/^delivery = {/,/^};/d" ../.site.cfg >paperboy.cfg &&
		paperboy run --date 2025-12-30 --listing "$LISTING" >out
	) &&
	$PYTHON - "$mx_spool" outbox-site/outbox/new <<-\PY
	import email, email.policy, glob, os, sys
	def parts(raw):
	    m = email.message_from_bytes(raw, policy=email.policy.default)
	    return str(m["To"]), m["Subject"], [(p.get_content_type(), p.get_content().replace("\r\n", "\n")) for p in m.iter_parts()]
	smtp = {}
	for f in glob.glob(sys.argv[1] + "/*.eml"):
	    raw = open(f, "rb").read()
	    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), f
	    to, subj, p = parts(raw)
	    smtp[to] = (subj, p)
	n = 0
	for f in os.listdir(sys.argv[2]):
	    raw = open(os.path.join(sys.argv[2], f), "rb").read()
	    assert b"\r" not in raw, f
	    to, subj, p = parts(raw)
	    assert smtp[to] == (subj, p), to
	    n += 1
	assert n == 30, n
	PY
'

test_expect_success 'running the same day twice sends nothing the second time' '
	paperboy run --date 2025-12-30 >out2 &&
	test "$(spool_count mx)" -eq $SUBSCRIBERS &&
	test "$(connection_count mx)" -eq 3 &&
	grep -E "already-sent +30$" out2 &&
	grep -E "smtp-connections +0$" out2
'

test_expect_success 'send-test over implicit TLS reports the 250 reply, journal untouched' '
	cp state/journal/2025-12-30 journal.before &&
	paperboy send-test --to tester@example.org --as sub007 --date 2025-12-30 >out &&
	grep_file "test issue sent to tester@example.org via localhost:$mx_port: 250 2.0.0 Ok: queued as" out &&
	test "$(spool_count mx)" -eq $((SUBSCRIBERS + 1)) &&
	cmp journal.before state/journal/2025-12-30 &&
	f=$(grep -l "tester@example.org" "$mx_spool"/*.json) &&
	grep -F "\"tls\": true" "$f" &&
	$PYTHON "$MIME_CHECK" "${f%.json}.eml" >test.json &&
	grep -F "\"subject\": \"[TEST] Daily arXiv digest 2025-12-30:" test.json
'

test_expect_success 'a wrong password: authentication failed, nothing marked sent' '
	rm -rf state/journal &&
	printf "wr0ng-pw\n" >smtp.pw &&
	expect_status 77 paperboy run --date 2025-12-30 >out 2>err &&
	grep_file "AUTH: authentication failed for user \"digest\": 535" err &&
	! grep -F "wr0ng-pw" out err &&
	! grep -q "	sent	" state/journal/2025-12-30 &&
	! grep -q "	attempt	" state/journal/2025-12-30 &&
	! grep -q "	failed	" state/journal/2025-12-30 &&
	test "$(spool_count mx)" -eq $((SUBSCRIBERS + 1))
'

test_expect_success 'the protocol trace redacts AUTH' '
	PAPERBOY_SMTP_TRACE=1 expect_status 77 paperboy send-test \
		--to tester@example.org --date 2025-12-30 2>err &&
	grep_file "smtp > [AUTH, redacted]" err &&
	grep_file "smtp < 535" err &&
	! grep -F "wr0ng-pw" err &&
	! grep -F "$(printf "\\0digest\\0wr0ng-pw" | base64)" err
'

test_expect_success 'an untrusted certificate: refused, nothing sent' '
	printf "s3cret\n" >smtp.pw &&
	write_smtp_cfg $mx_port implicit 10 &&
	sed -i "s|ca_file = \"certs/cert.pem\";||" paperboy.cfg &&
	rm -rf state/journal &&
	before=$(spool_count mx) &&
	expect_status 76 paperboy run --date 2025-12-30 >out 2>err &&
	grep_file "TLS: the server'"'"'s certificate is not trusted" err &&
	test "$(spool_count mx)" -eq "$before" &&
	! grep -q "	sent	" state/journal/2025-12-30 &&
	! grep -q "	attempt	" state/journal/2025-12-30
'

test_expect_success 'tls_verify = false accepts that certificate' '
	write_smtp_cfg $mx_port implicit 10 "tls_verify = false;" &&
	sed -i "s|ca_file = \"certs/cert.pem\";||" paperboy.cfg &&
	paperboy send-test --to lab@example.org --date 2025-12-30 >out &&
	grep_file "test issue sent to lab@example.org" out
'

test_expect_success 'a port without TLS: the handshake step is named, nothing sent' '
	start_smtpd plain --auth digest:s3cret &&
	write_smtp_cfg $plain_port implicit 10 &&
	expect_status 76 paperboy send-test --to tester@example.org --date 2025-12-30 2>err &&
	grep_file "TLS: no TLS handshake with localhost:$plain_port" err &&
	test "$(spool_count plain)" -eq 0
'

test_expect_success 'nothing listening: connect is the failing step' '
	port=$(free_port) &&
	write_smtp_cfg $port implicit 10 &&
	expect_status 75 paperboy send-test --to tester@example.org --date 2025-12-30 2>err &&
	grep_file "connect: cannot reach localhost:$port" err
'

test_expect_success 'faults: 5xx recipient failed, 5xx data failed, a drop in doubt, 4xx deferred' '
	write_smtp_cfg $faults_port implicit 10 &&
	rm -rf state/journal &&
	expect_status 75 paperboy run --date 2025-12-30 >out 2>err &&
	grep -E "^  sub005 +FAILED: 550" out &&
	grep -E "^  sub010 +FAILED: 554" out &&
	grep -E "^  sub015 +IN DOUBT" out &&
	grep -E "^  sub020 +deferred: 451" out &&
	grep -E "^  sub006 +sent" out && grep -E "^  sub016 +sent" out &&
	grep -E "^  sent +26$" out && grep -E "^  failed +2$" out &&
	grep -E "^  in-doubt +1$" out && grep -E "^  deferred +1$" out &&
	j=state/journal/2025-12-30 &&
	grep "	failed	sub005	" $j | grep -F "550" &&
	grep "	failed	sub010	" $j | grep -F "554" &&
	! grep "	attempt	sub005	" $j &&
	grep "	attempt	sub010	" $j &&
	grep "	attempt	sub015	" $j &&
	! grep -E "	(sent|failed|deferred)	sub015	" $j &&
	test $(grep -c "	deferred	sub020	" $j) -eq 1 &&
	! grep "	attempt	sub020	" $j &&
	test $(grep -c "	sent	" $j) -eq 26
'

test_expect_success 'faults: each delivered subscriber got exactly one message' '
	$PYTHON - "$faults_spool" <<-\PY
	import glob, json, sys, collections
	got = collections.Counter(json.load(open(f))["rcpt_tos"][0]
	                          for f in glob.glob(sys.argv[1] + "/*.json"))
	for i in range(1, 31):
	    who = "sub%03d@example.org" % i
	    want = 0 if i in (5, 10, 20) else 1
	    assert got[who] == want, (who, got[who])
	PY
'

test_expect_success 'faults: a rerun reports the in-doubt message and does not resend it' '
	before=$(spool_count faults) &&
	expect_status 75 paperboy run --date 2025-12-30 >out 2>err &&
	grep -E "^  sub015 +IN DOUBT since a crash" out &&
	grep -E "already-sent +26$" out &&
	test "$(spool_count faults)" -eq "$before"
'

test_done
