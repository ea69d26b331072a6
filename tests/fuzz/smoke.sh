#!/bin/sh
# Runs each libFuzzer target given after the first argument for that many
# seconds, starting from its seed corpus in tests/fuzz/corpus/NAME (copied,
# so the checked-in corpus never grows), and fails on the first crash.
set -eu
seconds=$1
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/paperboy-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
for bin in "$@"; do
	name=$(basename "$bin")
	module=${name#fuzz_}
	mkdir -p "$work/$module"
	if [ -d "tests/fuzz/corpus/$module" ]; then
		cp -r "tests/fuzz/corpus/$module/." "$work/$module/"
	fi
	echo "fuzz: $name for ${seconds}s"
	"$bin" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$work/" "$work/$module" 2>"$work/$name.log" || {
		tail -50 "$work/$name.log"
		echo "fuzz: $name FAILED"
		exit 1
	}
	grep -E "stat::number_of_executed_units" "$work/$name.log" || true
done
echo "fuzz: all targets clean"
