#!/bin/sh
test_description='bad input: a line break in a profile email (header injection) is refused'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'an email with CR LF and a Bcc header: refused with file and line, the others mailed' '
	setup_site &&
	use_profiles alice chen &&
	cat >subscribers/eve.cfg <<-\EOF &&
	name = "Eve";
	# Eve tries to add a Bcc header through her address.
	email = "eve@example.org\r\nBcc: victim@example.org";
	authors = ["Yoshua Bengio"];
	EOF
	profile_refused eve "subscribers/eve.cfg:3: '"'"'email'"'"' must not contain a line break" &&
	! grep -rl "victim@example.org" outbox/new
'

test_done
