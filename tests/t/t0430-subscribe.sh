#!/bin/sh
test_description='double opt-in: paperboy subscribe and the form of serve mail a /confirm link; GET changes nothing, POST creates an active profile from the starter; forged, expired and used links create nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

# confirm_link FILE: the one https link of the confirmation mail FILE,
# from its text part (decoded); fails unless both parts hold that link
# and nothing else.
confirm_link() {
	$PYTHON - "$1" <<-\PY
	import email, email.policy, re, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	text = m.get_body(("plain",)).get_content()
	html = m.get_body(("html",)).get_content()
	links = set(re.findall(r"https://[^\s\"<>]+", text))
	assert len(links) == 1, links
	link = links.pop()
	assert set(re.findall(r"https://[^\s\"<>]+", html)) == {link}, html
	assert link.startswith("https://digest.example.org/confirm?s="), link
	print(link[len("https://digest.example.org"):])
	PY
}

# The confirmation mails in the outbox.
confirmations() { ls outbox/new 2>/dev/null | grep -c ",confirm$" || :; }
# Succeeds when there are $1 (serve mails them on its own thread).
confirmations_are() { test "$(confirmations)" = "$1"; }
# Succeeds when the test server $1 has spooled one message.
spooled_one() { test "$(spool_count "$1")" = 1; }
# Succeeds when serve logged $1 failed confirmations to slow.reader.
slow_failures() {
	test "$(grep -c "no confirmation mailed to slow.reader@example.org" serve.err)" = "$1"
}

# Fails unless no profile has address $1.
nobody_has() { ! grep -l "\"$1\"" subscribers/*.cfg; }

setup_site && use_profiles alice || exit 1

test_expect_success 'subscribe mails one confirmation link and creates no profile' '
	paperboy subscribe new.reader@example.org --name "New Reader" >out 2>err &&
	grep_file "paperboy: confirmation link mailed to new.reader@example.org (" out &&
	test "$(confirmations)" = 1 &&
	f=$(ls outbox/new/*,confirm) &&
	grep -q "^To: New Reader <new.reader@example.org>" "$f" &&
	grep -q "^Subject: Confirm your subscription to" "$f" &&
	confirm_link "$f" >link &&
	nobody_has new.reader@example.org &&
	test "$(ls state/pending | wc -l)" = 1
'

test_expect_success 'an unconfirmed address gets no digest' '
	run_sample 0 &&
	test "$(ls outbox/new | sed "s/.*,//" | sort | tr "\\n" " ")" = "alice confirm " 
'

test_expect_success 'subscribe refuses a bad address and asks again only after a while' '
	expect_status 64 paperboy subscribe "not an address" 2>err &&
	grep_file "is not an email address" err &&
	expect_status 64 paperboy subscribe 2>err &&
	paperboy subscribe new.reader@example.org >out &&
	grep_file "less than 10 minutes ago; not sending another" out &&
	test "$(confirmations)" = 1
'

start_serve || exit 1

test_expect_success 'GET of the link shows one button and changes nothing' '
	test "$(req GET "$(cat link)")" = 200 &&
	test "$(grep -c "<button" reply)" = 1 &&
	grep_file "<form method=\"post\" action=\"confirm\">" reply &&
	grep_file "n***@example.org" reply &&
	! grep -q "new.reader@example.org" reply &&
	grep_file "<meta name=\"robots\" content=\"noindex\">" reply &&
	nobody_has new.reader@example.org
'

test_expect_success 'a forged link is 403 and creates nothing' '
	s=$(sed "s/.*s=\([^&]*\)&.*/\1/" link) &&
	t=$(sed "s/.*t=//" link) &&
	test "$(req GET "/confirm?s=$s&t=AAAA$t")" = 403 &&
	# The token with its last character changed (to A, or to B when it
	# was A: a token ending in A is one run in 64).
	case $t in *A) flip=${t%?}B ;; *) flip=${t%?}A ;; esac &&
	test "$(req --form "s=$s" --form "t=$flip" POST /confirm)" = 403 &&
	later=$(( ${s%%-*} + 100 )) &&
	test "$(req --form "s=$later-${s#*-}" --form "t=$t" POST /confirm)" = 403 &&
	test "$(req POST /confirm)" = 403 &&
	nobody_has new.reader@example.org
'

test_expect_success 'an expired link is 410 and creates nothing' '
	stop_serve &&
	PAPERBOY_TEST_NOW=$(( $(date +%s) + 8 * 24 * 3600 )) &&
	export PAPERBOY_TEST_NOW &&
	start_serve &&
	s=$(sed "s/.*s=\([^&]*\)&.*/\1/" link) &&
	t=$(sed "s/.*t=//" link) &&
	test "$(req --form "s=$s" --form "t=$t" POST /confirm)" = 410 &&
	grep_file "This link has expired." reply &&
	nobody_has new.reader@example.org &&
	unset PAPERBOY_TEST_NOW &&
	stop_serve
'

start_serve || exit 1

test_expect_success 'POST creates an active profile from the starter, once' '
	s=$(sed "s/.*s=\([^&]*\)&.*/\1/" link) &&
	t=$(sed "s/.*t=//" link) &&
	test "$(req --form "s=$s" --form "t=$t" POST /confirm)" = 200 &&
	grep_file "You are subscribed to" reply &&
	test -f subscribers/new.reader.cfg &&
	grep -q "^email = \"new.reader@example.org\";" subscribers/new.reader.cfg &&
	grep -q "^name = \"New Reader\";" subscribers/new.reader.cfg &&
	grep -q "^status = \"active\";" subscribers/new.reader.cfg &&
	grep -q "^# The starter profile" subscribers/new.reader.cfg &&
	test "$(stat -c %a subscribers/new.reader.cfg)" = 600 &&
	paperboy subscribers check >out 2>err &&
	grep_file "new.reader subscribed (http," serve.out &&
	grep -q "subscribe	new.reader	new.reader@example.org	http" state/unsubscribe.log &&
	test "$(ls state/pending | wc -l)" = 0 &&
	cp subscribers/new.reader.cfg new.orig &&
	test "$(req --form "s=$s" --form "t=$t" POST /confirm)" = 410 &&
	cmp new.orig subscribers/new.reader.cfg &&
	test "$(ls subscribers | wc -l)" = 2
'

test_expect_success 'the next run mails the new subscriber' '
	rm -f outbox/new/* &&
	run_sample 0 &&
	ls outbox/new | grep -q ",new.reader$"
'

test_expect_success 'the form: GET shows it, POST says the same for a subscriber and a stranger' '
	test "$(req GET /subscribe)" = 200 &&
	grep_file "<form method=\"post\" action=\"subscribe\">" reply &&
	grep_file "name=\"email\"" reply &&
	before=$(confirmations) &&
	test "$(req --out a --form email=alice@example.org POST /subscribe)" = 200 &&
	test "$(req --out b --form email=stranger@example.org --form "name=A Stranger" POST /subscribe)" = 200 &&
	cmp a b &&
	grep_file "Check your inbox." a &&
	wait_until confirmations_are $((before + 2)) &&
	test "$(req --form "email=not an address" POST /subscribe)" = 200 &&
	grep_file "That is not an address we can mail." reply
'

test_expect_success 'a subscriber who confirms again gets no new profile' '
	f=$(grep -l "^To: alice@example.org" outbox/new/*,confirm) &&
	l=$(confirm_link "$f") &&
	cp subscribers/alice.cfg alice.orig &&
	s=$(echo "$l" | sed "s/.*s=\([^&]*\)&.*/\1/") &&
	t=$(echo "$l" | sed "s/.*t=//") &&
	test "$(req --form "s=$s" --form "t=$t" POST /confirm)" = 200 &&
	grep_file "You are subscribed to" reply &&
	cmp alice.orig subscribers/alice.cfg &&
	test "$(ls subscribers | wc -l)" = 2
'

test_expect_success 'the form is rate-limited per client' '
	for i in 1 2 3 4 5; do
		test "$(req --src 127.0.9.9 --form email=x$i@example.org POST /subscribe)" = 200 || return 1
	done &&
	test "$(req --src 127.0.9.9 --form email=x6@example.org POST /subscribe)" = 429 &&
	wait_until grep -q "confirmation sent to x5@example.org" serve.out &&
	! grep -l "x6@example.org" outbox/new/*
'

test_expect_success 'with SMTP delivery the confirmation goes through the relay' '
	stop_serve &&
	make_test_cert certs &&
	start_smtpd mx --tls-cert certs/cert.pem --tls-key certs/key.pem \
		--require-tls --auth digest:s3cret &&
	printf "s3cret\n" >smtp.pw && chmod 600 smtp.pw &&
	write_smtp_cfg $mx_port starttls 20 &&
	paperboy subscribe smtp.reader@example.org >out &&
	grep_file "paperboy: confirmation link mailed to smtp.reader@example.org (250" out &&
	test "$(spool_count mx)" = 1 &&
	grep -q "smtp.reader@example.org" "$mx_spool"/*.json &&
	confirm_link "$mx_spool"/*.eml >/dev/null
'

# A relay that takes the mail and then never answers: serve mails from a
# thread of its own, so the form, and every other page, still answers at
# once; the reader may ask again as soon as the mail is given up.
test_expect_success 'a hung relay holds up no page; the request is dropped when it fails' '
	start_smtpd slow --fault hang-after-data:slow.reader@example.org &&
	write_plain_smtp_cfg $slow_port "timeout = 5;" &&
	start_serve &&
	test "$(req --form email=slow.reader@example.org POST /subscribe)" = 200 &&
	grep_file "Check your inbox." reply &&
	wait_until spooled_one slow &&
	test "$(req GET /subscribe)" = 200 &&
	test "$(req GET "/unsubscribe?s=alice&t=$(token unsubscribe alice alice@example.org)")" = 200 &&
	! grep -q "slow.reader" serve.err &&
	wait_until grep -q "no confirmation mailed to slow.reader@example.org (asked by 127\." serve.err &&
	! grep -rlq "slow.reader" state/pending &&
	test "$(req --form email=slow.reader@example.org POST /subscribe)" = 200 &&
	grep -rlq "slow.reader" state/pending &&
	wait_until slow_failures 2 &&
	stop_serve &&
	grep -q "stopped serving" serve.out
'

test_done
