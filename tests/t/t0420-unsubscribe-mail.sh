#!/bin/sh
test_description='List-Unsubscribe headers, the footer link, inbound mail and the operator command'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

# Prints the List-Unsubscribe mailto subject's "ID TOKEN" of a message.
mailto_token() {
	$PYTHON - "$1" <<-\PY
	import email, email.policy, re, sys, urllib.parse
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	v = str(m["List-Unsubscribe"])
	mailto = re.search(r"<mailto:([^>]*)>", v).group(1)
	q = urllib.parse.parse_qs(mailto.split("?", 1)[1])
	print(q["subject"][0])
	PY
}

test_expect_success 'setup and a run' '
	setup_site && use_profiles alice bruno chen &&
	paperboy run --date 2025-12-30 --listing "$LISTING" >out &&
	test $(ls outbox/new | wc -l) -eq 3
'

test_expect_success 'every message has exactly one of each header, RFC 8058 form' '
	for f in outbox/new/*; do
		$PYTHON - "$f" <<-\PY || return 1
		import email, email.policy, re, sys
		m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
		lu = m.get_all("List-Unsubscribe")
		lp = m.get_all("List-Unsubscribe-Post")
		assert lu and len(lu) == 1, lu
		assert lp == ["List-Unsubscribe=One-Click"], lp
		v = str(lu[0])
		urls = re.findall(r"<([^>]*)>", v)
		assert len(urls) == 2 and urls[0].startswith("https://digest.example.org/unsubscribe?s=") \
		    and urls[1].startswith("mailto:digest@example.org?subject=unsubscribe%20"), urls
		text = m.get_body(("plain",)).get_content()
		html = m.get_body(("html",)).get_content()
		assert urls[0] in text.replace("\n", ""), "footer link missing in text"
		assert urls[0].replace("&", "&amp;") in html, "footer link missing in html"
		PY
	done
'

test_expect_success 'inbound: a reply to the mailto link unsubscribes, comments kept' '
	subj=$(mailto_token outbox/new/*,alice) &&
	printf "From: Alice <alice@example.org>\r\nTo: digest@example.org\r\nSubject: %s\r\n\r\nplease stop\r\n" "$subj" >reply.eml &&
	paperboy inbound <reply.eml >out 2>err &&
	grep_file "alice (alice@example.org) is now unsubscribed" out &&
	grep -q "^status = \"unsubscribed\";" subscribers/alice.cfg &&
	grep -q "^unsubscribed_at = \"20" subscribers/alice.cfg &&
	grep -q "^# Alice follows two authors" subscribers/alice.cfg &&
	grep -q "	unsubscribe	alice	alice@example.org	mail" state/unsubscribe.log
'

test_expect_success 'the next run skips the unsubscribed reader' '
	rm -rf outbox state/journal &&
	paperboy run --date 2025-12-30 >out &&
	grep -E "^  alice +skipped: unsubscribed" out &&
	! ls outbox/new/*,alice 2>/dev/null
'

test_expect_success 'inbound: a forged token changes nothing and exits 0' '
	cp subscribers/bruno.cfg bruno.before &&
	printf "Subject: unsubscribe bruno AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\r\n" >forged.eml &&
	paperboy inbound <forged.eml >out 2>err &&
	grep_file "token is not valid" err &&
	cmp bruno.before subscribers/bruno.cfg
'

test_expect_success 'inbound: unrelated mail changes nothing; it goes to the owner' '
	printf "Subject: Re: great digest!\r\n\r\nthanks\r\n" >thanks.eml &&
	paperboy inbound <thanks.eml >out 2>err &&
	grep_file "a reply: forwarded to" out &&
	cmp bruno.before subscribers/bruno.cfg
'

test_expect_success 'a test issue carries a token that cannot unsubscribe' '
	paperboy send-test --to tester@example.org --as bruno --date 2025-12-30 >out &&
	f=$(grep -l "tester@example.org" outbox/new/*) &&
	subj=$(mailto_token "$f") &&
	printf "Subject: %s\r\n\r\n" "$subj" >test-reply.eml &&
	paperboy inbound <test-reply.eml 2>err &&
	grep_file "token is not valid" err &&
	cmp bruno.before subscribers/bruno.cfg
'

test_expect_success 'the operator unsubscribes by address' '
	paperboy unsubscribe chen.wei@example.org >out &&
	grep_file "chen (chen.wei@example.org) is now unsubscribed" out &&
	grep -q "	unsubscribe	chen	chen.wei@example.org	admin" state/unsubscribe.log &&
	paperboy unsubscribe chen >out &&
	grep_file "was already unsubscribed" out &&
	expect_status 67 paperboy unsubscribe nobody@example.org 2>err
'

test_expect_success 'the secret is created 0600, and refused when others can read it' '
	test "$(stat -c %a state/secret.key)" = 600 &&
	chmod 644 state/secret.key &&
	expect_status 78 paperboy run --date 2025-12-30 2>err &&
	grep_file "secret.key" err &&
	chmod 600 state/secret.key
'

test_done
