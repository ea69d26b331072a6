#!/bin/sh
test_description='run --shard K/N: N hosts share a day, everybody mailed exactly once'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
SUBSCRIBERS=60

# The ids the outbox holds a message for, one a line, sorted.
outbox_ids() {
	ls outbox/new | sed 's/.*,//' | sort
}

# shard_of N ID...: "ID K" per id, by the documented hash (FNV-1a 64 of
# the id, modulo N, plus one), computed here independently of paperboy.
shard_of() {
	$PYTHON - "$@" <<-\PY
	import sys
	n = int(sys.argv[1])
	for sid in sys.argv[2:]:
	    h = 0xcbf29ce484222325
	    for b in sid.encode():
	        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
	    print(sid, h % n + 1)
	PY
}

test_expect_success 'setup: 60 subscribers, outbox delivery' '
	setup_site && rm -f subscribers/* &&
	make_subscribers $SUBSCRIBERS s &&
	ls subscribers | sed "s/\.cfg$//" | sort >all.ids &&
	test $(wc -l <all.ids) -eq $SUBSCRIBERS
'

test_expect_success 'shards 1/3, 2/3, 3/3: each says which shard, each has its own journal' '
	for k in 1 2 3; do
		paperboy run --date 2025-12-30 --listing "$LISTING" \
			--shard $k/3 >out.$k 2>err.$k || return 1
		grep -E "^  shard +$k/3$" out.$k || return 1
		grep -E "^  journal: state/journal/2025-12-30.shard-$k-of-3$" \
			out.$k || return 1
		test -s state/journal/2025-12-30.shard-$k-of-3 || return 1
		test ! -s err.$k || return 1
	done &&
	test ! -e state/journal/2025-12-30
'

test_expect_success 'every subscriber was mailed exactly once across the three' '
	outbox_ids >mailed.ids &&
	test_cmp_ids() { cmp "$1" "$2" || { diff "$1" "$2"; return 1; }; } &&
	test_cmp_ids all.ids mailed.ids &&
	total=0 &&
	for k in 1 2 3; do
		n=$(sed -n "s/^  sent  *\([0-9]*\)$/\1/p" out.$k) &&
		test "$n" -gt 0 || return 1
		total=$((total + n))
	done &&
	test $total -eq $SUBSCRIBERS
'

test_expect_success 'each shard took exactly the ids its hash names' '
	shard_of 3 $(cat all.ids) >expected &&
	for k in 1 2 3; do
		awk -v k=$k "\$2 == k { print \$1 }" expected | sort >want.$k &&
		awk -F "\t" "\$2 == \"sent\" { print \$3 }" \
			state/journal/2025-12-30.shard-$k-of-3 | sort >got.$k &&
		cmp want.$k got.$k || return 1
	done
'

test_expect_success 'rerunning any shard sends nothing' '
	for k in 2 1 3; do
		expect_status 0 paperboy run --date 2025-12-30 --shard $k/3 \
			>rerun.$k 2>&1 || return 1
		grep -E "^  sent +0$" rerun.$k || return 1
		n=$(wc -l <want.$k) &&
		grep -E "^  already-sent +$n$" rerun.$k || return 1
	done &&
	test $(ls outbox/new | wc -l) -eq $SUBSCRIBERS
'

test_expect_success 'a dry run of a shard lists only that shard' '
	paperboy run --date 2025-12-30 --shard 2/3 --dry-run >dry &&
	grep -E "^  s[0-9]+ +would send" dry | awk "{ print \$1 }" | sort >dry.ids &&
	cmp want.2 dry.ids
'

test_expect_success 'malformed --shard is a usage error (64), nothing sent' '
	for bad in 0/3 4/3 3 1/0 a/b 1/3x -1/3 01/3 2/1001; do
		expect_status 64 paperboy run --date 2025-12-30 \
			--shard $bad >bad.out 2>bad.err || return 1
		grep_file "--shard" bad.err || return 1
	done &&
	test $(ls outbox/new | wc -l) -eq $SUBSCRIBERS
'

start_smtpd mx

test_expect_success 'three shards at once over SMTP, two connections each: one message per subscriber' '
	rm -rf state/journal outbox &&
	write_plain_smtp_cfg $mx_port "batch = 7; connections = 2;" &&
	for k in 1 2 3; do
		"$PAPERBOY" run --date 2025-12-30 --shard $k/3 >smtp.$k 2>&1 &
		eval "pid$k=\$!"
	done &&
	wait $pid1 && wait $pid2 && wait $pid3 &&
	$PYTHON - "$mx_spool" all.ids <<-\PY &&
	import collections, glob, json, sys
	spool, ids = sys.argv[1], open(sys.argv[2]).read().split()
	got = collections.Counter(json.load(open(f))["rcpt_tos"][0].split("@")[0]
	                          for f in glob.glob(spool + "/*.json"))
	assert sorted(got) == sorted(ids), sorted(set(ids) ^ set(got))
	assert all(v == 1 for v in got.values()), [k for k, v in got.items() if v != 1]
	PY
	for k in 1 2 3; do
		expect_status 0 paperboy run --date 2025-12-30 --shard $k/3 \
			>again.$k 2>&1 || return 1
		grep -E "^  sent +0$" again.$k || return 1
	done
'

test_done
