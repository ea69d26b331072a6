#!/bin/sh
test_description='bad input: unsubscribes killed midway (the profile and state/unsubscribe.log)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && make_subscribers 40 || exit 1

# killed VAR=STEP CMD...: runs CMD with the shim killing it at STEP.
killed() {
	step=$1
	shift
	env "$step" LD_PRELOAD=$PWD/killat.so \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0" \
		"$PAPERBOY" "$@" >/dev/null 2>&1
	true
}

# agree: every unsubscribed profile has its last log line "unsubscribe"
# and every other profile has none or a "resubscribe" last; nothing but
# profiles in subscribers/ (no .ID.lock, no .ID.edit).
agree() {
	$PYTHON - <<-\PY
	import os, re
	last = {}
	if os.path.exists("state/unsubscribe.log"):
	    for line in open("state/unsubscribe.log"):
	        f = line.rstrip("\n").split("\t")
	        last[f[2]] = f[1]
	bad = []
	for name in sorted(os.listdir("subscribers")):
	    if not name.endswith(".cfg"):
	        bad.append("left behind: " + name)
	        continue
	    sid = name[:-4]
	    unsub = re.search(r'^status = "unsubscribed";', open("subscribers/" + name).read(), re.M)
	    want = "unsubscribe" if unsub else last.get(sid, "resubscribe")
	    if last.get(sid, "resubscribe") != want:
	        bad.append("%s: profile %s, log %s" % (sid, "unsubscribed" if unsub else "active", last.get(sid)))
	print("\n".join(bad) or "agree")
	assert not bad
	PY
}

test_expect_success 'setup' '
	${CC:-cc} -shared -fPIC -o killat.so "$TEST_ROOT/tests/lib/killat.c" -ldl
'

test_expect_success 'an unsubscribe leaves no lock file or scratch folder' '
	paperboy unsubscribe sub040 >out &&
	grep_file "is now unsubscribed" out &&
	agree
'

test_expect_success 'killed after the profile changed, before the log line: the next start writes it' '
	killed KILLAT_OPEN=unsubscribe.log unsubscribe alice &&
	grep -q "^status = \"unsubscribed\";" subscribers/alice.cfg &&
	paperboy unsubscribe sub039 >out &&
	agree &&
	test "$(grep -c "	alice	" state/unsubscribe.log)" = 1
'

test_expect_success 'killed just before the profile changed: nothing changed, nothing logged' '
	killed KILLAT_RENAME=chen.cfg unsubscribe chen &&
	! grep -q "unsubscribed" subscribers/chen.cfg &&
	paperboy unsubscribe sub038 >out &&
	agree &&
	! grep -q "	chen	" state/unsubscribe.log
'

test_expect_success 'the same through serve: a killed change is settled when serve starts' '
	killed KILLAT_OPEN=unsubscribe.log unsubscribe sub037 &&
	start_serve &&
	agree &&
	test "$(grep -c "	sub037	" state/unsubscribe.log)" = 1 &&
	stop_serve
'

test_expect_success '30 unsubscribes killed at random moments: log and profiles agree' '
	i=1 &&
	while [ $i -le 30 ]; do
		id=$(printf "sub%03d" $i) &&
		"$PAPERBOY" unsubscribe $id >/dev/null 2>&1 &
		pid=$! &&
		sleep 0.0$(shuf -i 0-30 -n 1 | sed "s/^.$/0&/") &&
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		i=$((i + 1))
	done &&
	paperboy unsubscribe chen >/dev/null &&
	agree &&
	echo "unsubscribed: $(grep -l "^status = \"unsubscribed\";" subscribers/sub0[0-3]*.cfg | wc -l) of 30"
'

test_done
