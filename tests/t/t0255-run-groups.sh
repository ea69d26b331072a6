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
	sed -i "s/^email = .*/email = \"G002@example.org\";/" \
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
		grep_file "g009x.cfg: email G002@example.org is already used by" \
			$r.err &&
		grep_file "subscribers/g002.cfg" $r.err &&
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

test_expect_success 'shards keep the address with its first profile, whichever shard that is in' '
	shard_of() {
		$PYTHON -c "
import sys
h = 0xcbf29ce484222325
for b in sys.argv[1].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print(h % 2 + 1)" "$1"
	} &&
	test "$(shard_of g002)" != "$(shard_of g009x)" &&
	rm -rf outbox state/journal state/history &&
	for k in 1 2; do
		# 78 for the shard with the broken profile
		PAPERBOY_GROUP=3 paperboy run --date 2025-12-30 \
			--listing "$LISTING" --shard $k/2 >shard.$k 2>shard.err.$k
		test $? -eq 0 -o $? -eq 78 || exit 1
	done &&
	ls outbox/new | sed "s/.*,//" | sort >shard.ids &&
	cmp want.ids shard.ids &&
	cat shard.err.1 shard.err.2 >shard.err &&
	grep_file "g009x.cfg: email G002@example.org is already used by" \
		shard.err
'

start_smtpd slow --fault "rcpt-once:g001@example.org:451"

test_expect_success 'a profile removed before its group is read: skipped as gone, not broken' '
	rm -rf state/journal state/history && mkdir gone &&
	cp subscribers/g0*.cfg gone/ &&
	rm -f gone/g009x.cfg gone/g012x.cfg &&
	sed -e "/^delivery = {/,/^};/d" -e "s|\"subscribers\"|\"gone\"|" \
		.site.cfg >paperboy.cfg &&
	grep -q "\"gone\"" paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF || exit 1
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $slow_port; tls = "none";
			 batch = 1; retries = 2; retry_delay_ms = 3000; };
	};
	EOF
	# The first message is deferred once: the run waits 3 s on it,
	# long before it reads g016 (one profile a group, one thread).
	(sleep 1.5 && rm gone/g016.cfg) &
	PAPERBOY_GROUP=1 PAPERBOY_THREADS=1 expect_status 0 paperboy run \
		--date 2025-12-30 --listing "$LISTING" >gone.out 2>gone.err &&
	wait &&
	grep -E "^  g016 +skipped: profile removed during the run$" gone.out &&
	grep -E "^  skipped-unsubscribed +2$" gone.out &&
	! grep -E "broken-profiles" gone.out &&
	test ! -s gone.err
'

start_smtpd mx

test_expect_success 'over SMTP, groups of 2, two connections, batches of 3: everybody once; a rerun sends nothing' '
	rm -rf state/journal state/history &&
	write_plain_smtp_cfg $mx_port "batch = 3; connections = 2;" \
		"retry_delay_ms = 10;" &&
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
