#!/bin/sh
# e2e.sh: `make bench`'s end-to-end figure (issue 16). A whole `paperboy
# run` (load, score, render, assemble, journal, deliver) of the sample day
# for E2E_SUBSCRIBERS subscribers (the example profiles in subscribers/
# cycled under new ids) into Postfix's smtp-sink on 127.0.0.1, against
# Postfix's smtp-source sending as many messages of the same mean size to
# the same sink over the same number of connections (batch messages each,
# delivery.smtp.connections at a time). Prints both rates and their ratio
# (target >= 0.6), the CPU time per digest (user + sys of the run over the
# digests sent), and the peak RSS of runs of E2E_SIZES subscribers (target
# < 200 MiB, flat), with each run's wall time.
#
# Design decision: paperboy is timed as an operator sees it, from exec to
# exit, composing included, while smtp-source composes nothing: the ratio
# says how close the whole daily job comes to the speed of the transport.
# The profiles are generated into the scratch folder, never committed.
# Servers and scratch files live in one temporary folder that
# tests/lib/servers.sh cleans up however the script exits.
#
# Environment: PAPERBOY (default ./paperboy), E2E_SUBSCRIBERS (10000),
# E2E_SIZES ("1000 10000 100000"), E2E_CONNECTIONS (delivery.smtp
# .connections, default 2), E2E_BATCH (100), E2E_TIMEOUT (seconds per
# measured command, 1200), PAPERBOY_THREADS (compose threads; default one
# per core less the connections), KEEP_TRASH=1, TMPDIR.
#
# Variables set by tests/lib/servers.sh (sink_port, sink_log) are beyond
# what shellcheck can follow:
# shellcheck disable=SC2154

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
PAPERBOY=${PAPERBOY:-$ROOT/paperboy}
LISTING="$ROOT/sample/arxiv-2025-12-30.xml"
DATE=2025-12-30
N=${E2E_SUBSCRIBERS:-10000}
SIZES=${E2E_SIZES:-1000 10000 100000}
CONNECTIONS=${E2E_CONNECTIONS:-2}
BATCH=${E2E_BATCH:-100}
CMD_TIMEOUT=${E2E_TIMEOUT:-1200}
# Targets of issue 16.
RATIO_TARGET=0.6
RSS_TARGET_MIB=200

die() {
	echo "e2e: $*" >&2
	exit 1
}

[ -x "$PAPERBOY" ] || die "$PAPERBOY is not built (run make)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to time runs"
[ -f "$LISTING" ] || die "no $LISTING"

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/paperboy-e2e.XXXXXX") ||
	die "cannot create a scratch folder"
TEST_ROOT=$ROOT # for servers.sh
export TEST_ROOT
# shellcheck source=SCRIPTDIR/../tests/lib/servers.sh
. "$ROOT/tests/lib/servers.sh"

# measure OUT CMD...: runs CMD (stdout and stderr to OUT) in its own
# process group, killed after CMD_TIMEOUT seconds; prints "WALL CPU
# MAXRSS_KB STATUS" (CPU: user + sys of CMD, from wait4).
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
    kill()
    code = os.waitstatus_to_exitcode(status)
print("%.6f %.6f %d %d" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss,
                           code))
'

# once OUT CMD...: sets WALL, CPU (seconds) and RSS (KiB); fails, printing
# OUT, when CMD fails or is killed.
once() {
	once_out=$1
	shift
	once_m=$(python3 -c "$MEASURE_PY" "$CMD_TIMEOUT" "$once_out" "$@") ||
		return 1
	# shellcheck disable=SC2086 # four words
	set -- $once_m
	WALL=$1 CPU=$2 RSS=$3
	[ "$4" -eq 0 ] && return 0
	tail -n 20 "$once_out" >&2
	echo "e2e: exit status $4 (-9: killed after ${CMD_TIMEOUT}s)" >&2
	return 1
}

# make_site DIR N: a site delivering to the sink with N subscribers,
# e0000001..., each a copy of one of the example profiles (in turn) with
# its own address, and each with its (empty) history file, as on every
# day but a list's first: a run appends to it, and only the first day
# creates it (see README.md: creating 100,000 files is the filesystem's
# work, and on ext4 it varies with what was deleted recently).
make_site() {
	mkdir -p "$1/subscribers" "$1/templates" &&
	cp "$ROOT"/templates/* "$1/templates/" &&
	sed -e '/^delivery = {/,/^};/d' "$ROOT/paperboy.cfg" \
		>"$1/paperboy.cfg" &&
	cat >>"$1/paperboy.cfg" <<-EOF &&
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $sink_port; tls = "none";
			 batch = $BATCH; retries = 1; timeout = 60;
			 connections = $CONNECTIONS; };
	};
	EOF
	mkdir -p "$1/state/history" && chmod 700 "$1/state" "$1/state/history" &&
	python3 - "$ROOT/subscribers" "$1/subscribers" "$2" \
		"$1/state/history" <<-\PY
	import os, re, sys
	src, dst, n, hist = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
	profiles = [open(os.path.join(src, f)).read()
	            for f in sorted(os.listdir(src)) if f.endswith(".cfg")]
	for i in range(1, n + 1):
	    sid = "e%07d" % i
	    text = re.sub(r'(?m)^email = .*$', 'email = "%s@example.org";' % sid,
	                  profiles[(i - 1) % len(profiles)])
	    text = re.sub(r'(?m)^status = .*$', 'status = "active";', text)
	    with open(os.path.join(dst, sid + ".cfg"), "w") as f:
	        f.write(text)
	    os.close(os.open(os.path.join(hist, sid),
	                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
	PY
}

sink_messages() {
	tr '\r' '\n' <"$sink_log" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' |
		tail -n 1 | grep . || echo 0
}

# sink_expect N: waits (at most 10 s) for the sink to have counted N.
sink_expect() {
	se_n=100
	while [ "$(sink_messages)" -lt "$1" ]; do
		[ "$se_n" -gt 0 ] || {
			echo "e2e: smtp-sink counted $(sink_messages)" \
				"messages, expected $1" >&2
			return 1
		}
		se_n=$((se_n - 1))
		sleep 0.1
	done
}

# real_run DIR OUT: one timed run of a site not run before (no journal);
# sets SENT (digests sent) besides WALL, CPU and RSS.
real_run() {
	rm -rf "$1/state/journal" "$1/state/llm"
	rr_before=$(sink_messages)
	rr_cwd=$(pwd)
	cd "$1" || return 1
	once "$2" "$PAPERBOY" run --date "$DATE" --listing "$LISTING"
	rr_status=$?
	cd "$rr_cwd" || return 1
	[ "$rr_status" -eq 0 ] || return 1
	SENT=$(sed -n 's/^  sent  *\([0-9]*\)$/\1/p' "$2")
	if [ -z "$SENT" ] || [ "$SENT" -eq 0 ]; then
		tail -n 20 "$2" >&2
		echo "e2e: the run sent nothing" >&2
		return 1
	fi
	sink_expect $((rr_before + SENT))
}

# source_run OUT COUNT: smtp-source sends COUNT copies of the mean-sized
# digest, CONNECTIONS sessions at a time of BATCH messages each.
source_run() {
	sr_before=$(sink_messages)
	# shellcheck disable=SC2016 # expanded by that sh
	once "$1" sh -c '
		src=$1 size=$2 port=$3 per=$4 n=$5 conns=$6
		while [ "$n" -gt 0 ]; do
			m=$((per * conns))
			[ "$m" -le "$n" ] || m=$n
			"$src" -s "$conns" -d -m "$m" -l "$size" \
				-f digest@example.org -t bench@example.org \
				"127.0.0.1:$port" || exit 1
			n=$((n - m))
		done' sh "$SMTP_SOURCE" "$mean_size" "$sink_port" \
		"$BATCH" "$2" "$CONNECTIONS" || return 1
	sink_expect $((sr_before + $2))
}

mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# ---------------------------------------------------------------- setup

case $(ldd "$PAPERBOY" 2>/dev/null) in
*libasan* | *libubsan* | *libtsan*)
	echo "e2e: WARNING: $PAPERBOY is a sanitizer build; the figures" \
		"are not representative (build with plain make)" >&2
	;;
esac
SMTP_SOURCE=$(sh "$ROOT/tests/lib/smtp-sink.sh" source) ||
	die "no smtp-source (see above)"
start_smtp_sink sink -c || die "no smtp-sink (see above)"

echo "paperboy bench: end to end ($(nproc 2>/dev/null || echo '?') CPUs," \
	"load $(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '?')," \
	"compose threads ${PAPERBOY_THREADS:-by default}," \
	"$CONNECTIONS SMTP connections at a time, batch $BATCH)"

# ----------------------------------------------------- the ratio at N

SITE="$TRASH/site$N"
make_site "$SITE" "$N" || die "cannot create the site in $SITE"
# The mean size from a dry run of about 1,000 of them: a shard, which
# takes the profiles in the same proportions as the whole.
sample_shards=$(((N + 999) / 1000))
(cd "$SITE" && "$PAPERBOY" run --date "$DATE" --listing "$LISTING" \
	--dry-run --shard "1/$sample_shards" >"$TRASH/dry.out" 2>&1) || {
	tail -n 20 "$TRASH/dry.out" >&2
	die "the dry run failed"
}
# The dry run prints "... (BYTES bytes)" per message: smtp-source sends
# messages of their mean size (-l: a payload of that many bytes, under
# smtp-source's few header lines).
mean_size=$(sed -n 's/.* would send .* (\([0-9]*\) bytes)$/\1/p' \
	"$TRASH/dry.out" |
	awk '{ s += $1 } END { if (NR) printf "%d", s / NR }')
[ -n "$mean_size" ] || die "no message sizes in the dry run's output"

real_run "$SITE" "$TRASH/run.out" || exit 1
t_run=$WALL cpu_run=$CPU rss_run=$RSS sent_run=$SENT
source_run "$TRASH/source.out" "$sent_run" || exit 1
t_source=$WALL

eval "$(awk -v n="$sent_run" -v run="$t_run" -v src="$t_source" \
	-v cpu="$cpu_run" -v target="$RATIO_TARGET" 'BEGIN {
	pb = n / run; ss = n / src; r = pb / ss
	printf "pb_rate=%.1f ss_rate=%.1f ratio=%.3f ", pb, ss, r
	printf "cpu_ms=%.3f ", cpu * 1000 / n
	printf "verdict=%s\n", (r >= target ? "met" : "NOT\\ met")
}')"

echo "end to end: $sent_run digests (of $N subscribers), mean size" \
	"$mean_size bytes (smtp-source's too)"
printf '  %-44s %8.3f s  %7s msg/s\n' "paperboy run (whole job)" "$t_run" \
	"$pb_rate"
printf '  %-44s %8.3f s  %7s msg/s\n' \
	"smtp-source, same count, connections, batch" "$t_source" "$ss_rate"
printf '  %-44s %8s ms  (%.1f s of CPU)\n' "CPU per digest (user + sys)" \
	"$cpu_ms" "$cpu_run"

# --------------------------------------------------------------- memory

rss_max=0 rss_min=0 n_min=0 n_max=0
echo "memory and scale: whole runs (peak RSS from wait4's ru_maxrss)"
for n in $SIZES; do
	if [ "$n" = "$N" ]; then
		wall=$t_run cpu=$cpu_run rss=$rss_run sent=$sent_run
	else
		make_site "$TRASH/site$n" "$n" ||
			die "cannot create the site of $n"
		real_run "$TRASH/site$n" "$TRASH/run$n.out" || exit 1
		wall=$WALL cpu=$CPU rss=$RSS sent=$SENT
		rm -rf "$TRASH/site$n"
	fi
	printf '  %7d subscribers: %9.3f s wall, %8.1f s CPU, %6.3f ms/digest,' \
		"$n" "$wall" "$cpu" "$(awk -v c="$cpu" -v s="$sent" \
		'BEGIN { print c * 1000 / s }')"
	printf ' peak RSS %s MiB\n' "$(mib "$rss")"
	[ "$rss_min" -ne 0 ] && [ "$rss" -ge "$rss_min" ] ||
		{ rss_min=$rss n_min=$n; }
	[ "$rss" -le "$rss_max" ] || { rss_max=$rss n_max=$n; }
done
rss_verdict=$(awk -v a="$rss_max" -v t="$RSS_TARGET_MIB" \
	'BEGIN { print (a / 1024 < t ? "met" : "NOT met") }')
# How much memory each subscriber beyond the smallest run adds: what is
# left growing (the journal's record of each, the profiles' names).
rss_growth=$(awk -v a="$rss_min" -v b="$rss_max" -v n0="$n_min" \
	-v n1="$n_max" 'BEGIN {
	if (n1 > n0)
		printf "%.2f KiB per subscriber beyond %d", (b - a) / (n1 - n0), n0
	else
		printf "one size only"
}')

echo
echo "end to end: paperboy $pb_rate msg/s, smtp-source $ss_rate msg/s," \
	"ratio $ratio (target >= $RATIO_TARGET: $verdict); CPU $cpu_ms" \
	"ms per digest"
echo "memory: peak RSS $(mib "$rss_min")-$(mib "$rss_max") MiB over" \
	"$(echo "$SIZES" | tr ' ' '/') subscribers (target < $RSS_TARGET_MIB" \
	"MiB: $rss_verdict); growth $rss_growth"
exit 0
