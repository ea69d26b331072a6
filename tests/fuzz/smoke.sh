#!/bin/sh
# Runs each libFuzzer target given after the first argument for that many
# seconds, two at a time (CI time), each from a copy of its seed corpus in
# tests/fuzz/corpus/NAME (so the checked-in corpus never grows) with its
# dictionary tests/fuzz/NAME.dict when there is one, and fails if any
# target crashes, leaks, trips a sanitizer or takes over 10 s on one input.
#
# fuzz_subs.supp: libconfig 1.5 (Debian 12) leaks the scanner's partial
# string (~64 bytes) on some syntax errors, inside the library; LSan is
# told to ignore leaks whose stack is in libconfig only for that target.
set -eu
seconds=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/paperboy-fuzz.XXXXXX")
# Where a failing input is kept (the work folder goes at exit); rerun it
# with `build/fuzz/fuzz_NAME FILE` and make it a regression seed.
keep=${FUZZ_ARTIFACTS:-build/fuzz/artifacts}
trap 'rm -rf "$work"' EXIT

# run_one BIN: fuzzes one target; writes $work/NAME.rc and NAME.log.
run_one() {
	bin=$1
	name=$(basename "$bin")
	module=${name#fuzz_}
	mkdir -p "$work/$module"
	if [ -d "$here/corpus/$module" ]; then
		cp -r "$here/corpus/$module/." "$work/$module/"
	fi
	set -- -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/$name-"
	[ -f "$here/$module.dict" ] && set -- "$@" -dict="$here/$module.dict"
	supp=
	[ -f "$here/$name.supp" ] && supp="suppressions=$here/$name.supp"
	echo "fuzz: $name for ${seconds}s"
	rc=0
	LSAN_OPTIONS="${LSAN_OPTIONS:-}${LSAN_OPTIONS:+:}$supp" \
		"$bin" "$@" "$work/$module" >"$work/$name.log" 2>&1 || rc=$?
	echo $rc >"$work/$name.rc"
}

report() {
	name=$(basename "$1")
	if [ "$(cat "$work/$name.rc")" != 0 ]; then
		tail -60 "$work/$name.log"
		mkdir -p "$keep"
		for f in "$work/$name-"*; do
			[ -e "$f" ] || continue
			cp "$f" "$keep/" && echo "fuzz: input kept: $keep/${f##*/}"
		done
		echo "fuzz: $name FAILED"
		return 1
	fi
	echo "fuzz: $name: $(grep -E 'stat::number_of_executed_units' \
		"$work/$name.log" | sed 's/.*: *//') executions"
}

failed=0
while [ $# -gt 0 ]; do
	a=$1
	shift
	run_one "$a" &
	pa=$!
	if [ $# -gt 0 ]; then
		b=$1
		shift
		run_one "$b" &
		pb=$!
		wait $pb || true
	else
		b=
	fi
	wait $pa || true
	report "$a" || failed=1
	[ -z "$b" ] || report "$b" || failed=1
done
if [ $failed != 0 ]; then
	echo "fuzz: FAILED"
	exit 1
fi
echo "fuzz: all targets clean"
