#!/bin/sh
test_description='bad input: the disk is full (ENOSPC) while a profile is rewritten (unsubscribe)'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	setup_site &&
	use_profiles alice chen &&
	build_enospc &&
	cp subscribers/alice.cfg alice.orig &&
	ls -a subscribers >files.before
'

test_expect_success 'no room in subscribers/: clear error, exit 74, the profile intact, no stray file' '
	with_enospc subscribers expect_status 74 paperboy unsubscribe alice@example.org >out 2>err &&
	grep_file "subscribers/alice.cfg: not changed, the new version could not be written: " err &&
	grep_file "No space left on device" err &&
	cmp alice.orig subscribers/alice.cfg &&
	ls -a subscribers | grep -v "\.lock$" >files.after &&
	diff files.before files.after &&
	test ! -s state/unsubscribe.log &&
	paperboy subscribers check >out &&
	grep_file "2 profiles (2 active)" out
'

test_expect_success 'once there is room, the same command unsubscribes' '
	paperboy unsubscribe alice@example.org >out &&
	grep_file "is now unsubscribed" out &&
	grep -q "^status = \"unsubscribed\";" subscribers/alice.cfg
'

test_done
