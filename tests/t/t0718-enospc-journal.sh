#!/bin/sh
test_description='bad input: the state folder is full (ENOSPC) during journal writes'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: alice mailed earlier today, then chen joins; the full-disk shim' '
	setup_site &&
	use_profiles alice &&
	build_enospc &&
	run_sample 0 &&
	mailed alice &&
	cp state/journal/2025-12-30 journal.before &&
	use_profiles chen
'

test_expect_success 'no room for the journal: clear error, non-zero exit, chen not mailed, the journal intact' '
	with_enospc state/journal/2025-12-30 expect_status 74 paperboy run --date 2025-12-30 --listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "state/journal/2025-12-30: write failed: No space left on device" err &&
	grep_file "stopping now so that no message goes out unrecorded" err &&
	mailed alice &&
	cmp journal.before state/journal/2025-12-30
'

test_expect_success 'once there is room, the rerun mails chen, and alice not twice' '
	run_sample 0 &&
	grep_file "already sent today" out &&
	mailed alice chen
'

test_done
