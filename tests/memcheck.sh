#!/bin/sh
# `make memcheck`: the demo day and the read-only commands under valgrind,
# on a build without sanitizers (valgrind and ASan do not mix). A copy of
# the example site (config, templates, profiles) in a temporary folder
# gets a fresh state/ and outbox/, so the checkout is never written.
# Every command must exit 0 with no memory error and no definite or
# indirect leak (valgrind's exit code 99).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/paperboy-memcheck.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/paperboy.cfg" "$root/templates" "$root/subscribers" "$work/"
listing=$root/sample/arxiv-2025-12-30.xml
day="--date 2025-12-30 --listing $listing"

failed=0
check() {
	echo "memcheck: paperboy $*"
	if ! (cd "$work" && valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=99 \
		"$root/paperboy" "$@" >"$work/out" 2>"$work/err"); then
		cat "$work/out" "$work/err"
		echo "memcheck: paperboy $* FAILED"
		failed=1
	fi
}

# shellcheck disable=SC2086
{
	check run $day
	check run $day              # the rerun: everything already sent
	check run --dry-run $day
	check render alice $day
	check render alice --text $day
	check render chen --eml $day
	check score alice --all $day
	check subscribers check
	check subscribers list
}
[ "$failed" = 0 ] || exit 1
echo "memcheck: clean"
