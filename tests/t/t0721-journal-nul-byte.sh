#!/bin/sh
test_description='bad input: one NUL byte in the middle of the journal'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen || exit 1
j=state/journal/2025-12-30

test_expect_success 'records after a NUL are not dropped: file:line error, exit 65 (data, not "later"), nobody mailed again' '
	run_sample 0 &&
	mailed alice chen &&
	test "$(wc -l <$j)" = 4 &&
	cp $j journal.before &&
	$PYTHON -c "import sys; p = sys.argv[1]; d = bytearray(open(p, \"rb\").read()); d[30] = 0; open(p, \"wb\").write(d)" $j &&
	rm -rf outbox &&
	cp $j journal.damaged &&
	expect_status 65 paperboy run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	cat err &&
	grep_file "$j:1: a NUL byte, and records after it" err &&
	mailed &&
	cmp journal.damaged $j
'

test_expect_success 'the zeros a crashed run grew the journal by are no damage' '
	cp journal.before $j &&
	head -c 65536 /dev/zero >>$j &&
	run_sample 0 &&
	mailed &&
	grep_file "already-sent" out &&
	cmp journal.before $j
'

test_done
