#!/bin/sh
# Runs every unit test binary given on the command line, then every shell
# test in tests/t/, and prints one closing line "N passed, N failed".
# Used by `make check`; run from the top of the source tree.
passed=0
failed=0
failed_names=

for bin in "$@"; do
	echo "$(basename "$bin"):"
	out=$("$bin" 2>&1)
	status=$?
	printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED)  \]|^\[  ERROR' 
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	if [ "$status" -ne 0 ] || [ -n "$f" ]; then
		printf '%s\n' "$out" | tail -40
		failed=$((failed + ${f:-1}))
		failed_names="$failed_names $(basename "$bin")"
	fi
done

for t in tests/t/t[0-9]*.sh; do
	[ -e "$t" ] || continue
	out=$(sh "$t" 2>&1)
	status=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^# passed \([0-9]*\).*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^# failed \([0-9]*\).*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$out"
		failed=$((failed + ${f:-1}))
		failed_names="$failed_names $(basename "$t")"
	else
		printf '%s: %s passed\n' "$(basename "$t")" "${p:-0}"
	fi
done

[ -n "$failed_names" ] && echo "failing:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
