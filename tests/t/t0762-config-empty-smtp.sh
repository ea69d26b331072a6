#!/bin/sh
test_description='a config that does not name the list sends nothing over SMTP'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/lib/servers.sh"

start_smtpd mx

# Only the delivery is configured: no list name, id, sender or contact.
test_expect_success 'setup' '
	setup_site && use_profiles alice chen &&
	cat >paperboy.cfg <<-EOF
	delivery = { method = "smtp";
		smtp = { host = "127.0.0.1"; port = $mx_port; tls = "none"; }; };
	EOF
	cp paperboy.cfg bare.cfg
'

test_expect_success 'run refuses (78) naming the settings, nothing sent' '
	expect_status 78 paperboy run --date 2025-12-30 \
		--listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "paperboy.cfg" err &&
	grep_file "list.from" err && grep_file "list.id" err &&
	test "$(spool_count mx)" -eq 0 &&
	! grep "attempt" state/journal/2025-12-30 2>/dev/null
'

test_expect_success 'send-test refuses too' '
	expect_status 78 paperboy send-test --as alice --to t@example.net \
		--date 2025-12-30 --listing "$SAMPLE_LISTING" >out 2>err &&
	grep_file "list.from" err &&
	test "$(spool_count mx)" -eq 0
'

test_expect_success 'once the list is named, mail goes out' '
	cat >paperboy.cfg <<-EOF
	list = { name = "Lab digest"; id = "lab.example.org";
		 from = "Lab <digest@lab.example.org>";
		 contact = "owner@lab.example.org"; };
	EOF
	cat bare.cfg >>paperboy.cfg &&
	expect_status 0 paperboy run --date 2025-12-30 >out 2>err &&
	test "$(spool_count mx)" -eq 2
'

test_done
