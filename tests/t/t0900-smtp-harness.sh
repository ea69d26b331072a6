#!/bin/sh
test_description='the SMTP test servers themselves (smtpd.py, smtp-sink)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

# The client is Python's smtplib, not paperboy: the delivery tests trust
# these servers, so they are proved with a client that is not under test.
# One line per outcome: "sent", "refused ADDR CODE TEXT" for each recipient
# refused while others were accepted, or "all-refused ...", "auth-error
# CODE", "sender-refused CODE", "data-error CODE", "disconnected".
cat >client.py <<'EOF'
import argparse, smtplib, ssl, sys
p = argparse.ArgumentParser()
p.add_argument("port", type=int)
p.add_argument("--starttls", action="store_true")
p.add_argument("--cafile", help="verify the server against this cert")
p.add_argument("--auth", help="USER:PASSWORD")
p.add_argument("--mech", help="AUTH mechanism (default: smtplib's choice)")
p.add_argument("--from", dest="sender", default="list@example.org")
p.add_argument("--to", action="append", required=True)
p.add_argument("--msg", required=True)
p.add_argument("--count", type=int, default=1, help="messages per session")
a = p.parse_args()
msg = open(a.msg, "rb").read()
s = smtplib.SMTP("127.0.0.1", a.port, timeout=10)
try:
    s.ehlo("client.test")
    if a.starttls:
        ctx = ssl.create_default_context(cafile=a.cafile)
        if not a.cafile:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo("client.test")
    if a.auth:
        s.user, s.password = a.auth.split(":", 1)
        if a.mech:
            s.auth(a.mech, getattr(s, "auth_" + a.mech.lower()))
        else:
            s.login(s.user, s.password)
    for _ in range(a.count):
        refused = s.sendmail(a.sender, a.to, msg)
        print("sent")
        for addr, (code, text) in sorted(refused.items()):
            print("refused", addr, code, text.decode())
    s.quit()
except smtplib.SMTPAuthenticationError as e:
    print("auth-error", e.smtp_code)
except smtplib.SMTPSenderRefused as e:
    print("sender-refused", e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPRecipientsRefused as e:
    for addr, (code, text) in sorted(e.recipients.items()):
        print("all-refused", addr, code, text.decode())
except smtplib.SMTPDataError as e:
    print("data-error", e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPServerDisconnected:
    print("disconnected")
EOF

client() {
	"$SMTPD_PYTHON" "$TRASH/client.py" "$@"
}

# A message with what transport must not alter: CRLF line ends, lines that
# start with dots (stuffed on the wire, unstuffed on arrival), a lone dot
# line, 8-bit UTF-8, and a 998-octet line.
{
	printf 'From: List <list@example.org>\r\nTo: a@example.org\r\n'
	printf 'Subject: harness\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: text/plain; charset=utf-8\r\n'
	printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
	printf '.leading dot\r\n..two dots\r\n.\r\nafter the lone dot\r\n'
	printf 'caf\303\251 na\303\257ve\r\n'
	head -c 998 /dev/zero | tr '\0' x
	printf '\r\nend\r\n'
} >msg.eml

# Fails if anything but 127.0.0.1 listens on the port (0.0.0.0, IPv6).
only_loopback() {
	awk -v p=":$(printf %04X "$1")" '$4 == "0A" &&
		substr($2, length($2) - 4) == p &&
		$2 != "0100007F" p { bad = 1 }
		END { exit bad }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

json_field() {
	"$SMTPD_PYTHON" -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$@"
}

make_test_cert certs || { echo "Bail out! no test certificate"; exit 1; }
for s in plain tls strict auth faults count; do
	case $s in
	plain | count) set -- ;;
	tls) set -- --tls-cert certs/cert.pem --tls-key certs/key.pem ;;
	strict) set -- --tls-cert certs/cert.pem --tls-key certs/key.pem \
		--require-tls ;;
	auth) set -- --tls-cert certs/cert.pem --tls-key certs/key.pem \
		--require-tls --auth "user@example.org:s3cret pass" ;;
	faults) set -- --fault rcpt:soft@example.org:451 \
		--fault "rcpt:hard@example.org:550 5.1.1 no such user" \
		--fault data:datafail@example.org:554 \
		--fault drop-after-data:drop@example.org \
		--fault rcpt-once:once@example.org:451 ;;
	esac
	start_smtpd "$s" "$@" || { echo "Bail out! smtpd $s"; exit 1; }
done

test_expect_success 'the servers listen on 127.0.0.1 only, on free ports' '
	for p in $plain_port $tls_port $strict_port $auth_port $faults_port \
		$count_port; do
		port_listening "$p" && only_loopback "$p" || return 1
	done &&
	test "$plain_port" != "$tls_port"
'

test_expect_success 'a plain server spools the message byte for byte' '
	client $plain_port --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	test "$(spool_count plain)" = 1 &&
	cmp msg.eml "$plain_spool/000001.eml" &&
	test "$(json_field "$plain_spool/000001.json" mail_from)" = \
		"\"list@example.org\"" &&
	test "$(json_field "$plain_spool/000001.json" rcpt_tos)" = \
		"[\"a@example.org\"]" &&
	test "$(json_field "$plain_spool/000001.json" tls)" = false &&
	test "$(json_field "$plain_spool/000001.json" auth)" = null &&
	test "$(json_field "$plain_spool/000001.json" session)" = 1
'

test_expect_success 'no certificate, no --auth: neither STARTTLS nor AUTH' '
	"$SMTPD_PYTHON" -c "import smtplib, sys
s = smtplib.SMTP(\"127.0.0.1\", int(sys.argv[1]), timeout=10)
s.ehlo()
print(sorted(s.esmtp_features))
s.quit()" $plain_port >features &&
	! grep -q starttls features && ! grep -q auth features &&
	grep -q 8bitmime features
'

test_expect_success 'STARTTLS works; the certificate verifies for 127.0.0.1' '
	client $tls_port --starttls --cafile certs/cert.pem \
		--to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	cmp msg.eml "$tls_spool/000001.eml" &&
	test "$(json_field "$tls_spool/000001.json" tls)" = true
'

test_expect_success 'without --require-tls a plain session is still accepted' '
	client $tls_port --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	test "$(json_field "$tls_spool/000002.json" tls)" = false
'

test_expect_success '--require-tls refuses MAIL before STARTTLS with 530' '
	client $strict_port --to a@example.org --msg msg.eml >out &&
	grep -q "^sender-refused 530 " out &&
	test "$(spool_count strict)" = 0 &&
	client $strict_port --starttls --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	test "$(spool_count strict)" = 1
'

test_expect_success 'AUTH PLAIN and LOGIN accept the right password' '
	client $auth_port --starttls --auth "user@example.org:s3cret pass" \
		--mech PLAIN --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	client $auth_port --starttls --auth "user@example.org:s3cret pass" \
		--mech LOGIN --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	test "$(spool_count auth)" = 2 &&
	test "$(json_field "$auth_spool/000002.json" auth)" = \
		"\"user@example.org\"" &&
	test "$(json_field "$auth_spool/000002.json" tls)" = true
'

test_expect_success 'AUTH rejects a wrong password with 535; no AUTH is 530' '
	client $auth_port --starttls --auth "user@example.org:wrong" \
		--mech PLAIN --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = "auth-error 535" &&
	client $auth_port --starttls --auth "user@example.org:wrong" \
		--mech LOGIN --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = "auth-error 535" &&
	client $auth_port --starttls --to a@example.org --msg msg.eml >out &&
	grep -q "^sender-refused 530 " out &&
	test "$(spool_count auth)" = 2
'

test_expect_success 'AUTH without TLS configured is offered in the clear' '
	start_smtpd clearauth --auth u:p &&
	client $clearauth_port --auth u:p --to a@example.org --msg msg.eml \
		>out &&
	test "$(cat out)" = sent &&
	client $clearauth_port --auth u:x --to a@example.org --msg msg.eml \
		>out &&
	test "$(cat out)" = "auth-error 535" &&
	test "$(spool_count clearauth)" = 1 &&
	stop_smtpd clearauth &&
	! pid_alive $clearauth_pid
'

test_expect_success 'rcpt faults: 451 and 550 for those recipients only' '
	client $faults_port --to ok@example.org --to soft@example.org \
		--to HARD@example.org --msg msg.eml >out &&
	test "$(wc -l <out)" = 3 && grep -q "^sent$" out &&
	grep -q "^refused HARD@example.org 550 5.1.1 no such user$" out &&
	grep -q "^refused soft@example.org 451 4.0.0 .*soft@example.org" out &&
	test "$(spool_count faults)" = 1 &&
	test "$(json_field "$faults_spool/000001.json" rcpt_tos)" = \
		"[\"ok@example.org\"]"
'

test_expect_success 'data fault: end of DATA answered 554, nothing spooled' '
	client $faults_port --to datafail@example.org --msg msg.eml >out &&
	grep -q "^data-error 554 " out &&
	test "$(spool_count faults)" = 1 &&
	client $faults_port --to ok@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	test "$(spool_count faults)" = 2
'

test_expect_success 'drop-after-data: closed without a reply, but spooled' '
	client $faults_port --to drop@example.org --msg msg.eml >out &&
	test "$(cat out)" = disconnected &&
	test "$(spool_count faults)" = 3 &&
	cmp msg.eml "$faults_spool/000003.eml" &&
	test "$(json_field "$faults_spool/000003.json" rcpt_tos)" = \
		"[\"drop@example.org\"]" &&
	client $faults_port --to ok@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent
'

test_expect_success 'rcpt-once: the first try is refused, the retry accepted' '
	client $faults_port --to once@example.org --msg msg.eml >out &&
	grep -q "^all-refused once@example.org 451 " out &&
	n=$(spool_count faults) &&
	client $faults_port --to once@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	test "$(spool_count faults)" = $((n + 1))
'

test_expect_success 'the connection counter counts sessions, not messages' '
	test "$(connection_count count)" = 0 &&
	client $count_port --count 3 --to a@example.org --msg msg.eml >out &&
	test "$(connection_count count)" = 1 &&
	client $count_port --to a@example.org --msg msg.eml >out &&
	test "$(connection_count count)" = 2 &&
	test "$(spool_count count)" = 4 &&
	test "$(json_field "$count_spool/000003.json" session)" = 1 &&
	test "$(json_field "$count_spool/000004.json" session)" = 2
'

test_expect_success 'a bad --fault is a usage error (2) naming the spec' '
	expect_status 2 "$SMTPD_PYTHON" "$TEST_ROOT/tests/lib/smtpd.py" \
		--spool bad.spool --fault rcpt:x@example.org:250 2>err &&
	grep_file "rcpt:x@example.org:250" err
'

test_expect_success 'smtp-sink accepts a message and dumps it' '
	start_smtp_sink sink -d "$TRASH/sink.d/%M." &&
	client $sink_port --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = sent &&
	grep -l "^Subject: harness" sink.d/* >dumped &&
	test "$(wc -l <dumped)" = 1
'

test_expect_success 'smtp-sink -r rcpt answers RCPT with 4xx' '
	start_smtp_sink soft -r rcpt &&
	client $soft_port --to a@example.org --msg msg.eml >out &&
	grep -q "^all-refused a@example.org 4[0-9][0-9] " out
'

test_expect_success 'smtp-sink -q . drops the connection after the data' '
	start_smtp_sink dropper -q . &&
	client $dropper_port --to a@example.org --msg msg.eml >out &&
	test "$(cat out)" = disconnected
'

test_expect_success 'after stop_all_servers no server of this test is left' '
	pids="$plain_pid $tls_pid $strict_pid $auth_pid $faults_pid" &&
	pids="$pids $count_pid" &&
	stop_all_servers &&
	test -z "$(servers_left)" &&
	for p in $pids; do
		! pid_alive "$p" || return 1
	done &&
	! ls "$TRASH/.servers"/*.pid 2>/dev/null
'

test_done
