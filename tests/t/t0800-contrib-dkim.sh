#!/bin/sh
test_description='contrib/opendkim.conf: real OpenDKIM signs a digest with List-Unsubscribe and List-Unsubscribe-Post signed and over-signed, and the signature verifies'
. "$(dirname "$0")/test-lib.sh"

# OpenDKIM's test mode (opendkim -t) runs a message through the milter's
# own code with a configuration file, without Postfix: signing prints the
# DKIM-Signature field, verifying prints the verdict. Keys are made here
# and handed to the verifier with TestPublicKeys instead of DNS.
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
GENKEY=${GENKEY:-/usr/sbin/opendkim-genkey}
CONTRIB="$TEST_ROOT/contrib/opendkim.conf"

# sign_conf [no-lists]: the signing settings of contrib/opendkim.conf with
# this folder's key (no-lists: without its SignHeaders/OversignHeaders,
# i.e. OpenDKIM's defaults).
sign_conf() {
	{
		if [ "$1" = no-lists ]; then
			grep -E '^(Domain|Selector|Canonicalization|SignatureAlgorithm)[[:space:]]' "$CONTRIB"
		else
			grep -E '^(Domain|Selector|Canonicalization|SignatureAlgorithm|SignHeaders|OversignHeaders)[[:space:]]' "$CONTRIB"
		fi
		printf 'Mode\ts\nKeyFile\t%s/keys/digest.private\n' "$PWD"
		printf 'RequireSafeKeys\tfalse\nSyslog\tno\n'
	}
}

verify_conf() {
	printf 'Mode\tv\nTestPublicKeys\t%s/keys/public\nSyslog\tno\n' "$PWD"
}

# sign MESSAGE CONF: MESSAGE with OpenDKIM's DKIM-Signature in front.
sign() {
	"$OPENDKIM" -x "$2" -t "$1" >sig.out 2>sig.err &&
	head -1 sig.out | grep -q "^opendkim: $1:\$" &&
	sed 1d sig.out | grep -q "^DKIM-Signature: " &&
	sed 1d sig.out &&
	cat "$1"
}

# verify MESSAGE: OpenDKIM's verdict on MESSAGE's signature.
verify() {
	"$OPENDKIM" -x verify.conf -t "$1" 2>&1
}

# h_count MESSAGE NAME: how often header NAME is in the signature's h=.
h_count() {
	$PYTHON - "$1" "$2" <<-\PY
	import email, sys
	m = email.message_from_binary_file(open(sys.argv[1], "rb"))
	sig = "".join(m["DKIM-Signature"].split())
	tags = dict(t.split("=", 1) for t in sig.split(";") if "=" in t)
	print([h.lower() for h in tags["h"].split(":")].count(sys.argv[2]))
	PY
}

test_expect_success 'OpenDKIM and opendkim-genkey are installed' '
	test -x "$OPENDKIM" && test -x "$GENKEY"
'

test_expect_success 'a digest and a 2048-bit key for digest._domainkey.example.org' '
	setup_site &&
	use_profiles alice &&
	paperboy run --date 2025-12-30 --listing "$SAMPLE_LISTING" >out &&
	cp outbox/new/*,alice digest.eml &&
	grep -c "^List-Unsubscribe: " digest.eml >n && test "$(cat n)" = 1 &&
	grep -c "^List-Unsubscribe-Post: " digest.eml >n && test "$(cat n)" = 1 &&
	grep -q "^From: .*@example.org>\$" digest.eml &&
	mkdir keys &&
	"$GENKEY" -b 2048 -d example.org -s digest -D keys &&
	printf "digest._domainkey.example.org %s\n" \
		"$(grep -o "\"[^\"]*\"" keys/digest.txt | tr -d "\"\n")" \
		>keys/public &&
	grep -q "k=rsa; p=MII" keys/public &&
	sign_conf >sign.conf && verify_conf >verify.conf
'

test_expect_success 'signed with contrib/opendkim.conf: both List-Unsubscribe headers twice in h= (over-signed)' '
	sign digest.eml sign.conf >signed.eml &&
	test "$(h_count signed.eml list-unsubscribe)" = 2 &&
	test "$(h_count signed.eml list-unsubscribe-post)" = 2 &&
	test "$(h_count signed.eml from)" = 2 &&
	test "$(h_count signed.eml subject)" = 2 &&
	test "$(h_count signed.eml list-id)" = 2
'

test_expect_success 'the signature verifies' '
	verify signed.eml >verdict &&
	grep_file "signed.eml: verification (s=digest, d=example.org, 2048-bit key) succeeded" verdict
'

test_expect_success 'a changed List-Unsubscribe-Post fails verification' '
	sed "s/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/List-Unsubscribe-Post: List-Unsubscribe=Nope/" \
		signed.eml >changed.eml &&
	! cmp -s signed.eml changed.eml &&
	verify changed.eml >verdict &&
	grep_file "changed.eml: verification" verdict &&
	grep_file "failed" verdict && ! grep -q succeeded verdict
'

test_expect_success 'a List-Unsubscribe added on the way fails verification (the over-signing)' '
	{ sed -n "1,/^List-Id: /p" signed.eml &&
	  echo "List-Unsubscribe: <https://attacker.example/u>" &&
	  sed "1,/^List-Id: /d" signed.eml; } >added.eml &&
	test "$(grep -c "^List-Unsubscribe: " added.eml)" = 2 &&
	verify added.eml >verdict &&
	grep_file "failed" verdict && ! grep -q succeeded verdict
'

test_expect_success 'OpenDKIM defaults alone leave List-Unsubscribe-Post unsigned (why the lists are there)' '
	sign_conf no-lists >default.conf &&
	sign digest.eml default.conf >default.eml &&
	test "$(h_count default.eml list-unsubscribe-post)" = 0
'

test_done
