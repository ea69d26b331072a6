#!/bin/sh
test_description='bad input: a secret file that others can read is refused'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a first run makes the secret, 0600' '
	setup_site &&
	use_profiles alice chen &&
	run_sample 0 &&
	test "$(stat -c %a state/secret.key)" = 600 &&
	cp state/secret.key secret.orig &&
	rm -rf outbox state/journal
'

test_expect_success 'world-readable: run refuses with the file and its mode, sends nothing, keeps the secret' '
	chmod 644 state/secret.key &&
	run_sample 78 &&
	grep_file "state/secret.key: group- or world-accessible (mode 0644)" err &&
	mailed &&
	cmp secret.orig state/secret.key &&
	test "$(stat -c %a state/secret.key)" = 644
'

test_expect_success 'serve and unsubscribe refuse it too' '
	expect_status 78 timeout 10 "$PAPERBOY" serve --listen 127.0.0.1:0 2>err &&
	grep_file "state/secret.key: group- or world-accessible" err &&
	expect_status 78 paperboy unsubscribe alice@example.org 2>err &&
	grep_file "state/secret.key: group- or world-accessible" err &&
	cmp "$TEST_ROOT/subscribers/alice.cfg" subscribers/alice.cfg
'

test_expect_success 'chmod 600 and the run mails everybody with the same secret' '
	chmod 600 state/secret.key &&
	run_sample 0 &&
	mailed alice chen &&
	cmp secret.orig state/secret.key
'

test_done
