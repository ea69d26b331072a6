#!/bin/sh
test_description='crash campaign: runs and servers killed, 421 and close, hangs after the data; nobody mailed twice or lost'
# Trials against tests/lib/smtpd.py (whose spools are what the recipients'
# MTA stored). Each trial is a fresh site with SUBS subscribers of its own
# (tNrMMM) and one day's journal, and one of these faults, in turn:
#   kill-run     `run` SIGKILLed at a random moment
#   421-close    a random subscriber's RCPT or the end of its data, or
#                the MAIL after a random number of messages, answered
#                "421" and the connection closed
#   kill-server  the server SIGKILLed at a random moment of the run
#   hang         the server stores a random pending subscriber's message
#                and never answers its final dot (HANG_TIMEOUT)
#   drop         the same, but the server drops the connection
# then plain reruns (against one server without faults, up for the whole
# campaign) until nobody is pending, then what the operator does
# with what is left in doubt: look at what the relay stored (here, the
# spool) and `--resend ID` the ones it does not have. Checked: no
# subscriber has two messages (duplicates), none has none (lost), none
# the journal calls failed was delivered after all, each
# trial leaves at most one message in doubt, and every run that was not
# the one killed printed its summary and exited with the code that
# summary calls for (expected_exit). The figures are printed as "#"
# lines. CAMPAIGN_SEED=N replays a campaign; TRIALS=N makes it longer.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
DAY=2025-12-30
JOURNAL=state/journal/$DAY
# Subscribers per trial: enough for a run to last half a second, few
# enough for the campaign to take a minute (two under the sanitizers).
SUBS=20
TRIALS=${TRIALS:-24}
# The faults, taken in turn.
KINDS=${KINDS:-"kill-run 421-close kill-server hang drop kill-run"}
# Kills come KILL_MIN_MS after the start of the run at the earliest, and
# before a plain run of SUBS ends (timed first) at the latest.
KILL_MIN_MS=50
# run's timeout (s) when the server hangs after the data: small, but
# above what a busy machine takes to answer any other command.
HANG_TIMEOUT=2
# Plain reruns after a trial before giving up on "pending".
MAX_RERUNS=4

CAMPAIGN_SEED=${CAMPAIGN_SEED:-$(date +%s)}
RAND_STATE=$CAMPAIGN_SEED

# rand N: sets R to a pseudo-random number in [0, N).
rand() {
	RAND_STATE=$(((RAND_STATE * 1103515245 + 12345) % 2147483648))
	R=$(((RAND_STATE / 65536) % $1))
}

# The exit code `paperboy run` documents for a summary (paperboy(1)):
# 75 when something was deferred, else 80 when a message is in doubt,
# else 69 when a recipient was refused, else 0.
expected_exit() { # SENT DEFERRED FAILED IN_DOUBT
	if [ "$2" -gt 0 ]; then
		echo 75
	elif [ "$4" -gt 0 ]; then
		echo 80
	elif [ "$3" -gt 0 ]; then
		echo 69
	else
		echo 0
	fi
}

problem() {
	echo "trial $trial ($kind, seed $CAMPAIGN_SEED): $*" >>"$TRASH/problems"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Sleeps a random time between KILL_MIN_MS and the length of a run.
sleep_random() {
	rand $((run_ms > KILL_MIN_MS ? run_ms - KILL_MIN_MS : 1))
	sleep "$(awk "BEGIN { printf \"%.3f\", ($KILL_MIN_MS + $R) / 1000 }")"
}

# write_cfg PORT TIMEOUT
write_cfg() {
	sed -e '/^delivery = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $1; tls = "none";
			 batch = 10; retries = 2; retry_delay_ms = 10;
			 timeout = $2; };
	};
	EOF
}

# "ID EVENT" for each subscriber's last journal line.
last_events() {
	[ -f "$JOURNAL" ] || return 0
	tr -d '\000' <"$JOURNAL" |
		awk -F '\t' 'NF >= 3 { last[$3] = $2 } END { for (w in last) print w, last[w] }'
}

in_doubt_count() {
	last_events | awk '$2 == "attempt" { n++ } END { print n + 0 }'
}

# Subscribers the journal has no final word for (not sent, failed or in
# doubt), one a line.
pending_ids() {
	last_events >events
	i=1
	while [ $i -le $SUBS ]; do
		id=$(printf "%s%03d" "$prefix" $i)
		grep -Eq "^$id (sent|failed|attempt)$" events || echo "$id"
		i=$((i + 1))
	done
}

# Sets PICK to a random pending subscriber's address ("" if none).
pick_pending() {
	pending_ids >pending
	n=$(wc -l <pending)
	PICK=
	[ "$n" -gt 0 ] || return 0
	rand "$n"
	PICK="$(sed -n "$((R + 1))p" pending)@example.org"
}

# "ID COUNT" for each subscriber a spool holds a whole message for.
stored() {
	"$SMTPD_PYTHON" - "$TRASH" <<-\PY
	import collections, glob, json, os, sys
	got = collections.Counter()
	for eml in glob.glob(os.path.join(sys.argv[1], "*.spool", "*.eml")):
	    meta = json.load(open(eml[:-4] + ".json"))
	    for rcpt in meta["rcpt_tos"]:
	        got[rcpt.split("@")[0]] += 1
	for who, n in sorted(got.items()):
	    print(who, n)
	PY
}

# check_summary OUT STATUS: a run that was not killed printed its summary
# and exited with the code it calls for.
check_summary() {
	runs_whole=$((runs_whole + 1))
	if [ "$2" -ge 128 ]; then
		problem "run died with status $2"
		return
	fi
	if ! grep -q "^paperboy: $DAY summary:" "$1"; then
		problem "no summary (exit $2)"
		return
	fi
	summaries=$((summaries + 1))
	s_sent=$(awk '$1 == "sent" { print $2 }' "$1")
	s_def=$(awk '$1 == "deferred" { print $2 }' "$1")
	s_fail=$(awk '$1 == "failed" { print $2 }' "$1")
	s_doubt=$(awk '$1 == "in-doubt" { print $2 }' "$1")
	want=$(expected_exit "${s_sent:-0}" "${s_def:-0}" "${s_fail:-0}" \
		"${s_doubt:-0}")
	if [ "$2" != "$want" ]; then
		problem "exit $2, but the summary (sent $s_sent, deferred" \
			"$s_def, failed $s_fail, in doubt $s_doubt) calls for $want"
		untruthful=$((untruthful + 1))
	fi
	if [ "$2" = 0 ] && [ $((${s_fail:-0} + ${s_doubt:-0})) -gt 0 ]; then
		zero_with_doubt=$((zero_with_doubt + 1))
	fi
}

# serve NAME [smtpd.py options]: a server with its own spool; sets port
# and spid.
serve() {
	srv=$1
	shift
	start_smtpd "$srv" "$@" || problem "server $srv did not start"
	eval "port=\$${srv}_port spid=\$${srv}_pid"
}

run_fg() { # OUT [run options]
	o=$1
	shift
	"$PAPERBOY" run --date $DAY --listing "$LISTING" "$@" >"$o" 2>"$o.err"
	status=$?
}

trial() {
	kind=$1
	name=s$trial
	before=$(in_doubt_count)
	out=trial$trial.out
	case $kind in
	kill-run)
		write_cfg "$clean_port" 10
		"$PAPERBOY" run --date $DAY --listing "$LISTING" >"$out" 2>&1 &
		rpid=$!
		sleep_random
		if kill -9 $rpid 2>/dev/null; then
			wait $rpid 2>/dev/null
			runs_killed=$((runs_killed + 1))
		else
			wait $rpid 2>/dev/null
			check_summary "$out" $?
		fi
		;;
	421-close)
		pick_pending
		rand 3
		if [ -z "$PICK" ]; then
			serve "$name"
		elif [ $R = 0 ]; then
			serve "$name" --fault "rcpt-once:$PICK:421"
		elif [ $R = 1 ]; then
			serve "$name" --fault "data:$PICK:421"
		else
			rand $SUBS
			serve "$name" --close-after $R
		fi
		write_cfg "$port" 10
		run_fg "$out"
		check_summary "$out" $status
		;;
	kill-server)
		serve "$name"
		write_cfg "$port" 10
		"$PAPERBOY" run --date $DAY --listing "$LISTING" >"$out" 2>"$out.err" &
		rpid=$!
		sleep_random
		kill -9 "$spid" 2>/dev/null && servers_killed=$((servers_killed + 1))
		wait $rpid 2>/dev/null
		check_summary "$out" $?
		;;
	hang | drop)
		pick_pending
		if [ -n "$PICK" ]; then
			serve "$name" --fault "$kind-after-data:$PICK"
		else
			serve "$name"
		fi
		write_cfg "$port" $HANG_TIMEOUT
		run_fg "$out"
		check_summary "$out" $status
		;;
	esac
	[ "$kind" = kill-run ] || stop_smtpd "$name"
	after=$(in_doubt_count)
	delta=$((after - before))
	[ $delta -le 1 ] || problem "$delta messages left in doubt"
	[ $delta -le $max_doubt ] || max_doubt=$delta
	in_doubt=$((in_doubt + delta))
	eval "n_$(echo "$kind" | tr -d -)=\$((n_$(echo "$kind" | tr -d -) + 1))"
	trials=$((trials + 1))
}

# A fresh site in $TRASH/NAME, with subscribers NAMEr001...
new_site() {
	mkdir "$TRASH/$1" && cd "$TRASH/$1" || exit 1
	prefix=${1}r
	setup_site && rm -f subscribers/* && make_subscribers $SUBS "$prefix" ||
		exit 1
}

trials=0 runs_killed=0 servers_killed=0 runs_whole=0 summaries=0
untruthful=0 zero_with_doubt=0 in_doubt=0 resent=0 doubt_stored=0
duplicates=0 lost=0 reruns=0 max_doubt=0 false_failed=0
n_killrun=0 n_421close=0 n_killserver=0 n_hang=0 n_drop=0
: >"$TRASH/problems"
start=$(date +%s)

# The server without faults, for the reruns and kill-run.
serve clean
clean_port=$port

# How long a plain run takes here: kills fall within it.
trial=0 kind=timing
new_site timing
write_cfg "$clean_port" 10
t0=$(now_ms)
run_fg timing.out
run_ms=$(($(now_ms) - t0))
check_summary timing.out $status
cd "$TRASH" || exit 1

trial=1
while [ $trial -le "$TRIALS" ]; do
	set -- $KINDS
	shift $(((trial - 1) % $#))
	new_site "t$trial"
	trial "$1"
	# Plain reruns until the journal has a final word for everyone.
	kind=rerun
	write_cfg "$clean_port" 10
	n=0
	while [ -n "$(pending_ids)" ] && [ $n -lt $MAX_RERUNS ]; do
		before=$(in_doubt_count)
		run_fg rerun$n.out
		check_summary rerun$n.out $status
		[ "$(in_doubt_count)" = "$before" ] ||
			problem "a plain rerun left a message in doubt"
		n=$((n + 1))
		reruns=$((reruns + 1))
	done
	[ -z "$(pending_ids)" ] ||
		problem "still pending after $MAX_RERUNS reruns: $(pending_ids | tr '\n' ' ')"
	# In doubt: the relay has it, or it is resent to that one person.
	kind=resolve
	stored >stored
	for id in $(last_events | awk '$2 == "attempt" { print $1 }'); do
		if grep -q "^$id " stored; then
			doubt_stored=$((doubt_stored + 1))
			continue
		fi
		run_fg resend.$id.out --resend "$id"
		check_summary resend.$id.out $status
		grep -Eq "^  $id +sent" resend.$id.out ||
			problem "--resend $id did not send it"
		resent=$((resent + 1))
	done
	# What the recipients got, from the spool alone; the journal must
	# not call "failed" what the server stored.
	stored >stored
	for id in $(last_events | awk '$2 == "failed" { print $1 }'); do
		if grep -q "^$id " stored; then
			problem "$id is failed in the journal, but was delivered"
			false_failed=$((false_failed + 1))
		fi
	done
	i=1
	while [ $i -le $SUBS ]; do
		id=$(printf "%s%03d" "$prefix" $i)
		c=$(awk -v id="$id" '$1 == id { print $2 }' stored)
		c=${c:-0}
		if [ "$c" = 0 ]; then
			lost=$((lost + 1))
			problem "$id got nothing"
		elif [ "$c" -gt 1 ]; then
			duplicates=$((duplicates + c - 1))
			problem "$id got $c messages"
		fi
		i=$((i + 1))
	done
	cd "$TRASH" || exit 1
	trial=$((trial + 1))
done

echo "# crash campaign, seed $CAMPAIGN_SEED, $SUBS subscribers a trial, a plain run $run_ms ms, $(($(date +%s) - start)) s in all"
echo "# trials $trials: kill-run $n_killrun ($runs_killed runs killed), kill-server $n_killserver ($servers_killed servers killed), 421-close $n_421close, hang $n_hang, drop $n_drop; plain reruns $reruns"
echo "# duplicates $duplicates, lost $lost, failed in the journal but delivered $false_failed"
echo "# in doubt $in_doubt (at most $max_doubt per trial)," \
	"of which the server had $doubt_stored and $resent were resent with --resend ID"
echo "# runs not killed $runs_whole: with a summary $summaries, exit code not the one the summary calls for $untruthful," \
	"exit 0 while failed or in doubt $zero_with_doubt"

test_expect_success "at least 20 trials, and runs were really killed" '
	test $trials -ge 20 && test $runs_killed -ge 1 &&
	test $servers_killed -ge 1
'

test_expect_success 'no duplicates, nobody lost, no delivered message called failed' '
	test $duplicates = 0 && test $lost = 0 && test $false_failed = 0
'

test_expect_success 'no problems: at most one in doubt per trial, a summary and the exit code it calls for from every run not killed' '
	cat "$TRASH/problems" && test ! -s "$TRASH/problems" &&
	test $summaries = $runs_whole
'

test_done
