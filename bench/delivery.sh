#!/bin/sh
# delivery.sh: `make bench` for delivery. Measures, in one run:
#
#  1. throughput: `paperboy run` delivers BENCH_SUBSCRIBERS digests over
#     SMTP (tls = "none", batch = BENCH_BATCH, so N/B connections, one at a
#     time) into Postfix's smtp-sink on 127.0.0.1; Postfix's smtp-source
#     sends as many messages of the same size (one of paperboy's own
#     digests) to the same sink over as many connections, one at a time.
#     Prints both rates and their ratio against the target (paperboy >=
#     0.8 of smtp-source);
#  2. memory: the peak RSS of a run with 100 and with 1000 subscribers
#     (target: independent of the number of subscribers).
#
# A target that is not met is printed, not turned into a failure: the exit
# status is 1 only when the bench itself could not run (no smtp-sink, a run
# that failed, a message that did not arrive).
#
# Design decision: paperboy's delivery time is the wall time it spends in
# its SMTP sessions (connect to QUIT, the journal's fsyncs and the history
# included), which the run's summary prints as smtp-seconds, so the ratio
# compares the transports, not scoring and rendering against a load
# generator that composes nothing. The wall time of the run minus that of
# a --dry-run (which composes every digest and sends nothing) is printed
# too, as a cross-check; it subtracts two numbers about four times larger
# than the difference, so its noise is large. The measurements are taken
# in rounds (dry run, run, smtp-source) and each keeps its best time, so
# that a busy machine slows all of them alike.
# Servers and scratch files live in one temporary folder that
# tests/lib/servers.sh cleans up however the script exits.
#
# Environment: PAPERBOY (default ./paperboy, as `make bench` builds it),
# KEEP_TRASH=1 keeps the scratch folder, TMPDIR.
#
# Variables set through eval or by tests/lib/servers.sh (sink_port,
# sink_log) are beyond what shellcheck can follow:
# shellcheck disable=SC2154

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
PAPERBOY=${PAPERBOY:-$ROOT/paperboy}
LISTING="$ROOT/sample/arxiv-2025-12-30.xml"
DATE=2025-12-30

# Subscribers in the throughput run: enough for several connections.
BENCH_SUBSCRIBERS=500
# Messages per SMTP connection (delivery.smtp.batch): 500/100 = 5 sessions.
BENCH_BATCH=100
# Rounds of measurements; each figure is the best of its rounds.
BENCH_ROUNDS=3
# A paperboy run slower than this (seconds) is not repeated: the bench
# must finish in about three minutes even when delivery is slow.
REPEAT_MAX_SECONDS=10
# Subscriber counts of the memory runs (one batch, then ten).
MEM_SMALL=100
MEM_LARGE=1000
# Seconds any one measured command may take before it is killed.
CMD_TIMEOUT=150
# Target of the issue: paperboy's rate over smtp-source's.
RATIO_TARGET=0.8

die() {
	echo "bench: $*" >&2
	exit 1
}

[ -x "$PAPERBOY" ] || die "$PAPERBOY is not built (run make)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to time runs"
[ -f "$LISTING" ] || die "no $LISTING"

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/paperboy-bench.XXXXXX") ||
	die "cannot create a scratch folder"
TEST_ROOT=$ROOT # for servers.sh
export TEST_ROOT
# Servers on free ports of 127.0.0.1, stopped on exit with the scratch
# folder removed (its EXIT, INT, TERM and HUP traps).
# shellcheck source=SCRIPTDIR/../tests/lib/servers.sh
. "$ROOT/tests/lib/servers.sh"

# measure OUT CMD...: runs CMD (stdin /dev/null, stdout and stderr to OUT)
# in its own process group, killed with it after CMD_TIMEOUT seconds or
# when this script is interrupted; prints "WALL_SECONDS MAXRSS_KB STATUS".
# The wall time leaves out python's own start-up; the peak RSS is the
# kernel's (wait4's ru_maxrss) for CMD itself.
MEASURE_PY='
import os, signal, subprocess, sys, threading, time
limit, out, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(out, "wb") as f:
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f,
                         stderr=subprocess.STDOUT, start_new_session=True)
    def kill(*_):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    def interrupted(sig, _):
        kill()
        os._exit(128 + sig)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupted)
    timer = threading.Timer(limit, kill)
    timer.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    timer.cancel()
    kill()  # whatever CMD left behind in its group
    p.returncode = os.waitstatus_to_exitcode(status)
print("%.6f %d %d" % (wall, ru.ru_maxrss, p.returncode))
'

# once OUT CMD...: measures CMD once; sets WALL (seconds) and RSS (KiB).
# Fails, printing OUT, when CMD fails or is killed.
once() {
	once_out=$1
	shift
	once_m=$(python3 -c "$MEASURE_PY" "$CMD_TIMEOUT" "$once_out" "$@") ||
		return 1
	# shellcheck disable=SC2086 # three words
	set -- $once_m
	# shellcheck disable=SC2034 # RSS is read through eval
	WALL=$1 RSS=$2
	[ "$3" -eq 0 ] && return 0
	cat "$once_out" >&2
	echo "bench: exit status $3 (-9: killed after ${CMD_TIMEOUT}s)" >&2
	return 1
}

# The smaller of two times; an empty second one is no time yet.
min() {
	awk -v a="$1" -v b="$2" \
		'BEGIN { print ((b == "" || a + 0 < b + 0) ? a : b) }'
}

# make_site DIR N: a site in DIR delivering over SMTP to the sink, with N
# subscribers shaped like the tests' (everybody reads about transformers,
# so everybody gets a digest): sub0001 ... at subNNNN@example.org.
make_site() {
	mkdir -p "$1/subscribers" "$1/templates" &&
	cp "$ROOT"/templates/* "$1/templates/" &&
	sed -e '/^delivery = {/,/^};/d' "$ROOT/paperboy.cfg" \
		>"$1/paperboy.cfg" &&
	cat >>"$1/paperboy.cfg" <<-EOF &&
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $sink_port; tls = "none";
			 batch = $BENCH_BATCH; retries = 1; timeout = 30; };
	};
	EOF
	awk -v n="$2" -v dir="$1/subscribers" 'BEGIN {
		for (i = 1; i <= n; i++) {
			id = sprintf("sub%04d", i)
			f = dir "/" id ".cfg"
			printf "name = \"Reader %d\";\n", i >f
			printf "email = \"%s@example.org\";\n", id >f
			printf "topics = ( { name = \"Transformers\"; " \
				"keywords = [\"transformer\", \"attention\"]; " \
				"} );\n" >f
			close(f)
		}
	}'
}

# Messages smtp-sink has counted so far (-c writes "... mesg=N" lines,
# separated by CR, whenever a session ends or a message is received).
sink_messages() {
	tr '\r' '\n' <"$sink_log" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' |
		tail -n 1 | grep . || echo 0
}

# sink_expect N: waits (at most 5 s: the counters are written at the end
# of a session) for the sink to have counted N messages in all.
sink_expect() {
	se_n=50
	while [ "$(sink_messages)" -lt "$1" ]; do
		[ "$se_n" -gt 0 ] || {
			echo "bench: smtp-sink counted $(sink_messages)" \
				"messages, expected $1" >&2
			return 1
		}
		se_n=$((se_n - 1))
		sleep 0.1
	done
}

# real_run DIR N OUT: one timed `paperboy run` in DIR (a fresh journal, so
# that everybody is sent again); checks that all N were sent, over the
# expected number of connections, and arrived.
real_run() {
	rm -rf "$1/state/journal"
	rr_before=$(sink_messages)
	rr_conn=$((($2 + BENCH_BATCH - 1) / BENCH_BATCH))
	rr_cwd=$(pwd)
	cd "$1" || return 1
	once "$3" "$PAPERBOY" run --date "$DATE" --listing "$LISTING"
	rr_status=$?
	cd "$rr_cwd" || return 1
	[ "$rr_status" -eq 0 ] || return 1
	if ! grep -Eq "^  sent +$2\$" "$3" ||
		! grep -Eq "^  smtp-connections +$rr_conn\$" "$3"; then
		cat "$3" >&2
		echo "bench: expected $2 sent over $rr_conn connections" >&2
		return 1
	fi
	sink_expect $((rr_before + $2))
}

# source_run OUT: smtp-source sends N copies of the digest over the same
# connections as paperboy, one at a time (-d: one connection for its -m
# messages; -s 1: one session at a time).
source_run() {
	sr_before=$(sink_messages)
	# shellcheck disable=SC2016 # expanded by that sh
	once "$1" sh -c '
		src=$1 msg=$2 port=$3 per=$4 n=$5
		while [ "$n" -gt 0 ]; do
			m=$per
			[ "$m" -le "$n" ] || m=$n
			"$src" -s 1 -d -m "$m" -F "$msg" \
				-f digest@example.org -t bench@example.org \
				"127.0.0.1:$port" || exit 1
			n=$((n - m))
		done' sh "$SMTP_SOURCE" "$TRASH/message.lf" "$sink_port" \
		"$BENCH_BATCH" "$N" || return 1
	sink_expect $((sr_before + N))
}

kib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# ---------------------------------------------------------------- setup

case $(ldd "$PAPERBOY" 2>/dev/null) in
*libasan* | *libubsan*)
	echo "bench: WARNING: $PAPERBOY is a sanitizer build; the figures" \
		"are not representative (build with plain make)" >&2
	;;
esac
SMTP_SOURCE=$(sh "$ROOT/tests/lib/smtp-sink.sh" source) ||
	die "no smtp-source (see above)"
start_smtp_sink sink -c || die "no smtp-sink (see above)"

N=$BENCH_SUBSCRIBERS
CONNECTIONS=$(((N + BENCH_BATCH - 1) / BENCH_BATCH))
SITE="$TRASH/site"
make_site "$SITE" "$N" || die "cannot create the bench site in $SITE"
cd "$SITE" || exit 1

echo "paperboy bench: delivery ($(nproc 2>/dev/null || echo '?') CPUs," \
	"load $(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '?')," \
	"scratch folder on $(stat -f -c %T "$TRASH" 2>/dev/null || echo '?'))"

# smtp-source's message: one of paperboy's digests, LF line ends (it
# appends CRLF to every line, and dot-stuffs as libesmtp does).
"$PAPERBOY" render sub0001 --eml --date "$DATE" --listing "$LISTING" \
	>"$TRASH/message.eml" 2>"$TRASH/render.err" || {
	cat "$TRASH/render.err" >&2
	die "paperboy render --eml failed"
}
sed 's/\r$//' "$TRASH/message.eml" >"$TRASH/message.lf"
source_size=$(wc -c <"$TRASH/message.eml" | tr -d ' ')

# ----------------------------------------------------------- throughput

t_dry='' t_run='' t_smtp='' t_source='' rounds=0 run_rounds=0
while [ "$rounds" -lt "$BENCH_ROUNDS" ]; do
	rounds=$((rounds + 1))
	once "$TRASH/dry.out" "$PAPERBOY" run --date "$DATE" \
		--listing "$LISTING" --dry-run || exit 1
	t_dry=$(min "$WALL" "$t_dry")
	if [ "$rounds" -eq 1 ] || awk -v t="$t_run" \
		-v m="$REPEAT_MAX_SECONDS" 'BEGIN { exit !(t <= m) }'; then
		real_run "$SITE" "$N" "$TRASH/run.out" || exit 1
		t_run=$(min "$WALL" "$t_run")
		t_smtp=$(min "$(sed -n 's/^  smtp-seconds *//p' \
			"$TRASH/run.out")" "$t_smtp")
		run_rounds=$((run_rounds + 1))
	fi
	source_run "$TRASH/source.out" || exit 1
	t_source=$(min "$WALL" "$t_source")
done

grep -Eq "^  would send +$N\$" "$TRASH/dry.out" || {
	cat "$TRASH/dry.out" >&2
	die "the dry run would not send $N digests"
}
# The dry run prints "... (BYTES bytes)" per message.
avg_size=$(sed -n 's/.* would send .* (\([0-9]*\) bytes)$/\1/p' \
	"$TRASH/dry.out" |
	awk '{ s += $1; n++ } END { if (n) printf "%d", s / n }')
[ -n "$avg_size" ] || die "no message sizes in the dry run's output"

[ -n "$t_smtp" ] || die "no smtp-seconds in the run's summary"
eval "$(awk -v n="$N" -v run="$t_run" -v dry="$t_dry" -v src="$t_source" \
	-v smtp="$t_smtp" -v target="$RATIO_TARGET" 'BEGIN {
	d = run - dry
	diff_rate = d > 0 ? n / d : 0
	pb = smtp > 0 ? n / smtp : 0
	ss = n / src
	r = ss > 0 ? pb / ss : 0
	printf "t_deliver=%.3f diff_rate=%.1f ", d, diff_rate
	printf "pb_rate=%.1f ss_rate=%.1f ratio=%.2f ", pb, ss, r
	printf "diff_ratio=%.2f ", ss > 0 ? diff_rate / ss : 0
	printf "whole_rate=%.1f ", n / run
	printf "verdict=%s\n", (r >= target ? "met" : "NOT\\ met")
}')"

echo "throughput: $N subscribers, $CONNECTIONS connections of" \
	"$BENCH_BATCH messages, one at a time, tls none, 127.0.0.1"
printf '  %-40s %8s bytes\n' "message size: paperboy's average" "$avg_size"
printf '  %-40s %8s bytes\n' "message size: smtp-source -F (sub0001)" \
	"$source_size"
printf '  %-40s %8.3f s  %7s msg/s  (best of %d)\n' \
	"paperboy run (compose + deliver)" "$t_run" "$whole_rate" "$run_rounds"
printf '  %-40s %8.3f s  %7s        (best of %d)\n' \
	"paperboy run --dry-run (compose only)" "$t_dry" "" "$rounds"
printf '  %-40s %8.3f s  %7s msg/s  (best of %d)\n' \
	"paperboy delivery (its SMTP sessions)" "$t_smtp" "$pb_rate" \
	"$run_rounds"
printf '  %-40s %8.3f s  %7s msg/s  (ratio %s; noisier)\n' \
	"paperboy run minus dry run" "$t_deliver" "$diff_rate" "$diff_ratio"
printf '  %-40s %8.3f s  %7s msg/s  (best of %d)\n' \
	"smtp-source $CONNECTIONS x $BENCH_BATCH messages" "$t_source" \
	"$ss_rate" "$rounds"

# --------------------------------------------------------------- memory

for n in "$MEM_SMALL" "$MEM_LARGE"; do
	make_site "$TRASH/mem$n" "$n" || die "cannot create $TRASH/mem$n"
	real_run "$TRASH/mem$n" "$n" "$TRASH/mem$n.out" || exit 1
	eval "rss_$n=\$RSS"
done
eval "rss_small=\$rss_$MEM_SMALL rss_large=\$rss_$MEM_LARGE"
mem_ratio=$(awk -v a="$rss_large" -v b="$rss_small" \
	'BEGIN { printf "%.2f", a / b }')
per_sub=$(awk -v a="$rss_large" -v b="$rss_small" -v x="$MEM_LARGE" \
	-v y="$MEM_SMALL" 'BEGIN { printf "%.1f", (a - b) / (x - y) }')

echo "memory: peak RSS of a whole run (wait4 ru_maxrss), SMTP to the sink," \
	"batch $BENCH_BATCH"
printf '  %-40s %8s MiB\n' "$MEM_SMALL subscribers" "$(kib "$rss_small")"
printf '  %-40s %8s MiB\n' "$MEM_LARGE subscribers" "$(kib "$rss_large")"
printf '  %-40s %8s KiB  (one message: %s KiB)\n' \
	"growth per extra subscriber" "$per_sub" "$(kib "$avg_size")"

echo
echo "delivery: paperboy $pb_rate msg/s, smtp-source $ss_rate msg/s," \
	"ratio $ratio (target >= $RATIO_TARGET: $verdict)"
echo "memory: $MEM_SMALL subscribers $(kib "$rss_small") MiB," \
	"$MEM_LARGE subscribers $(kib "$rss_large") MiB, ratio $mem_ratio" \
	"(target: independent of subscribers)"
exit 0
