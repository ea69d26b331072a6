#!/bin/sh
test_description='run loads the profiles a group at a time: the same digests, everybody once, broken and duplicate profiles reported across groups'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

# "ID PAPERS" per digest written into the outbox, sorted.
outbox_digests() {
	sed -n 's/^  \([a-z0-9]*\) *\([0-9]*\) papers\{0,1\} -> .*/\1 \2/p' "$1" |
		sort
}

test_expect_success 'setup: 21 profiles, one broken, one duplicate, one unsubscribed' '
	setup_site &&
	make_subscribers 17 g &&
	use_profiles alice chen &&
	cp "$TEST_ROOT/subscribers/alice.cfg" subscribers/g009x.cfg &&
	sed -i "s/^email = .*/email = \"G003@example.org\";/" \
		subscribers/g009x.cfg &&
	printf "email = \"b@example.org\";\ntopics = (\n" \
		>subscribers/g012x.cfg &&
	sed -i "1i status = \"unsubscribed\";" subscribers/g005.cfg &&
	ls subscribers | sed "s/\.cfg$//" |
		grep -v -e "^g009x$" -e "^g012x$" -e "^g005$" | sort >want.ids &&
	test $(wc -l <want.ids) -eq 18
'

test_expect_success 'one group and groups of 3 compose the same digests' '
	expect_status 78 paperboy run --date 2025-12-30 --listing "$LISTING" \
		>one.out 2>one.err &&
	rm -rf outbox state/journal state/history &&
	PAPERBOY_GROUP=3 expect_status 78 paperboy run --date 2025-12-30 \
		--listing "$LISTING" >three.out 2>three.err &&
	outbox_digests one.out >one.digests &&
	outbox_digests three.out >three.digests &&
	test $(wc -l <three.digests) -eq 18 &&
	cmp one.digests three.digests &&
	awk "{ print \$1 }" three.digests | cmp - want.ids
'

test_expect_success 'broken and duplicate profiles are named, counted and exit 78, in either case' '
	for r in one three; do
		grep_file "subscribers/g012x.cfg:" $r.err &&
		grep_file "g009x.cfg: email G003@example.org is already used by" \
			$r.err &&
		grep_file "subscribers/g003.cfg" $r.err &&
		grep -E "^  broken-profiles +2$" $r.out &&
		grep -E "^  skipped-unsubscribed +1$" $r.out &&
		grep -E "^  g005 +skipped: unsubscribed$" $r.out || return 1
	done &&
	grep -E "^paperboy: 2025-12-30: .*, 21 subscribers, delivery" three.out
'

test_expect_success '--resend names a subscriber by its file, not loaded yet' '
	PAPERBOY_GROUP=3 expect_status 78 paperboy run --date 2025-12-30 \
		--resend g016 >resend.out 2>&1 &&
	grep -E "^  sent +1$" resend.out &&
	grep -E "^  g016 +1?[0-9] papers? -> " resend.out &&
	PAPERBOY_GROUP=3 expect_status 64 paperboy run --date 2025-12-30 \
		--resend nobody >nobody.out 2>&1 &&
	grep_file "--resend: no subscriber '"'"'nobody'"'"'" nobody.out
'

start_smtpd mx

test_expect_success 'over SMTP, groups of 2, two connections, batches of 3: everybody once; a rerun sends nothing' '
	rm -rf state/journal state/history &&
	sed -e "/^delivery = {/,/^};/d" .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF &&
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $mx_port; tls = "none";
			 batch = 3; connections = 2; };
	};
	EOF
	PAPERBOY_GROUP=2 PAPERBOY_THREADS=3 expect_status 78 paperboy run \
		--date 2025-12-30 --listing "$LISTING" >smtp.out 2>smtp.err &&
	grep -E "^  sent +18$" smtp.out &&
	$PYTHON - "$mx_spool" want.ids <<-\PY &&
	import collections, glob, json, sys
	spool, ids = sys.argv[1], open(sys.argv[2]).read().split()
	got = collections.Counter(json.load(open(f))["rcpt_tos"][0].split("@")[0].lower().split(".")[0]
	                          for f in glob.glob(spool + "/*.json"))
	assert sorted(got) == sorted(ids), sorted(set(ids) ^ set(got))
	assert all(v == 1 for v in got.values()), got
	PY
	PAPERBOY_GROUP=2 expect_status 78 paperboy run --date 2025-12-30 \
		>again.out 2>&1 &&
	grep -E "^  sent +0$" again.out &&
	grep -E "^  already-sent +18$" again.out
'

test_done
