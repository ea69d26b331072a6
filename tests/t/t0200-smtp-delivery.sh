#!/bin/sh
test_description='delivery over real SMTP: STARTTLS, AUTH, batches, journal'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
SUBSCRIBERS=50

make_test_cert certs
start_smtpd mx --tls-cert certs/cert.pem --tls-key certs/key.pem \
	--require-tls --auth digest:s3cret

test_expect_success 'setup: 50 subscribers, STARTTLS and AUTH relay' '
	setup_site &&
	rm -f subscribers/* &&
	make_subscribers $SUBSCRIBERS &&
	printf "s3cret\n" >smtp.pw && chmod 600 smtp.pw &&
	write_smtp_cfg $mx_port starttls 20
'

test_expect_success 'run delivers 50 messages over fewer connections' '
	paperboy run --date 2025-12-30 --listing "$LISTING" >out 2>err &&
	test "$(spool_count mx)" -eq $SUBSCRIBERS &&
	test "$(connection_count mx)" -lt $SUBSCRIBERS &&
	test "$(connection_count mx)" -eq 3 &&
	grep -E "^  sent +50$" out &&
	grep -E "smtp-connections +3" out &&
	test $(grep -c "	sent	" state/journal/2025-12-30) -eq $SUBSCRIBERS
'

test_expect_success 'every message went over TLS, authenticated, to its subscriber' '
	$PYTHON - "$mx_spool" <<-\PY
	import glob, json, sys
	seen = set()
	for f in glob.glob(sys.argv[1] + "/*.json"):
	    m = json.load(open(f))
	    assert m["tls"] and m["auth"] == "digest", m
	    assert m["mail_from"] == "digest@example.org", m
	    assert len(m["rcpt_tos"]) == 1
	    seen.add(m["rcpt_tos"][0])
	assert len(seen) == 50, len(seen)
	PY
'

test_expect_success 'the MIME parts equal what outbox delivery writes' '
	mkdir outbox-site && (
		cd outbox-site &&
		cp -r ../templates ../subscribers . &&
		mkdir -p state && cp ../state/secret.key state/ &&
		sed -e "/^delivery = {/,/^};/d" ../.site.cfg >paperboy.cfg &&
		paperboy run --date 2025-12-30 --listing "$LISTING" >out
	) &&
	test $(ls outbox-site/outbox/new | wc -l) -eq $SUBSCRIBERS &&
	$PYTHON - "$mx_spool" outbox-site/outbox/new <<-\PY
	import email, email.policy, glob, json, os, sys
	def parts(raw):
	    m = email.message_from_bytes(raw, policy=email.policy.default)
	    # CRLF on the wire, LF in the outbox: the same text either way.
	    return m["To"], m["Subject"], [(p.get_content_type(), p.get_content().replace("\r\n", "\n")) for p in m.iter_parts()]
	smtp = {}
	for f in glob.glob(sys.argv[1] + "/*.eml"):
	    to, subj, p = parts(open(f, "rb").read())
	    smtp[str(to)] = (subj, p)
	n = 0
	for f in os.listdir(sys.argv[2]):
	    raw = open(os.path.join(sys.argv[2], f), "rb").read()
	    assert b"\r" not in raw, f
	    to, subj, p = parts(raw)
	    assert smtp[str(to)] == (subj, p), to
	    assert [c for c, _ in p] == ["text/plain", "text/html"]
	    n += 1
	assert n == 50
	PY
'

test_expect_success 'running the same day twice sends nothing the second time' '
	paperboy run --date 2025-12-30 >out2 &&
	test "$(spool_count mx)" -eq $SUBSCRIBERS &&
	grep -E "already-sent +50" out2 &&
	grep -E "smtp-connections +0" out2
'

test_expect_success 'send-test delivers one [TEST] message and leaves the journal alone' '
	cp state/journal/2025-12-30 journal.before &&
	paperboy send-test --to tester@example.org --as sub007 --date 2025-12-30 >out &&
	grep_file "test issue sent to tester@example.org" out &&
	grep_file "250" out &&
	test "$(spool_count mx)" -eq $((SUBSCRIBERS + 1)) &&
	cmp journal.before state/journal/2025-12-30 &&
	f=$(grep -l "tester@example.org" "$mx_spool"/*.json) &&
	$PYTHON "$MIME_CHECK" "${f%.json}.eml" >test.json &&
	grep -F "\"subject\": \"[TEST] Daily arXiv digest 2025-12-30:" test.json &&
	grep -F "\"to_addr\": \"tester@example.org\"" test.json
'

test_expect_success 'a wrong password: authentication failed, nothing marked sent' '
	rm -rf state/journal &&
	printf "wrong\n" >smtp.pw &&
	expect_status 77 paperboy run --date 2025-12-30 >out 2>err &&
	grep_file "AUTH: authentication failed" err &&
	! grep -q "	sent	" state/journal/2025-12-30 &&
	! grep -q "	failed	" state/journal/2025-12-30 &&
	test "$(spool_count mx)" -eq $((SUBSCRIBERS + 1))
'

test_expect_success 'send-test names the failing step (AUTH)' '
	expect_status 77 paperboy send-test --to tester@example.org --date 2025-12-30 2>err &&
	grep_file "AUTH: authentication failed" err &&
	! grep -F "wrong" err
'

test_expect_success 'a password file readable by others is refused' '
	printf "s3cret\n" >smtp.pw && chmod 644 smtp.pw &&
	expect_status 78 paperboy run --date 2025-12-30 2>err &&
	grep_file "smtp.pw: readable by others" err &&
	chmod 600 smtp.pw
'

test_expect_success 'PAPERBOY_SMTP_PASSWORD is used when set' '
	printf "wrong\n" >smtp.pw &&
	PAPERBOY_SMTP_PASSWORD=s3cret paperboy send-test --to env@example.org --date 2025-12-30 >out &&
	grep_file "test issue sent" out &&
	printf "s3cret\n" >smtp.pw
'

test_expect_success 'STARTTLS required but not offered: nothing sent' '
	start_smtpd plain --auth digest:s3cret --no-starttls &&
	write_smtp_cfg $plain_port starttls 20 &&
	rm -rf state/journal &&
	expect_status 76 paperboy run --date 2025-12-30 >out 2>err &&
	grep_file "does not offer STARTTLS" err &&
	test "$(spool_count plain)" -eq 0
'

test_expect_success 'an untrusted certificate: refused, nothing sent' '
	write_smtp_cfg $mx_port starttls 20 &&
	sed -i "s|ca_file = \"certs/cert.pem\";||" paperboy.cfg &&
	before=$(spool_count mx) &&
	expect_status 76 paperboy run --date 2025-12-30 >out 2>err &&
	grep_file "TLS: the server" err &&
	test "$(spool_count mx)" -eq "$before"
'

test_expect_success 'tls = "none" is refused for a host that is not local' '
	write_smtp_cfg $mx_port starttls 20 &&
	sed -i "s|host = \"localhost\"|host = \"mail.example.org\"|; s|tls = \"starttls\"|tls = \"none\"|" paperboy.cfg &&
	expect_status 78 paperboy run --date 2025-12-30 2>err &&
	grep_file "only allowed for a relay on this machine" err
'

test_done
