#!/bin/sh
test_description='bad input: a line break in a profile name (header injection) is refused'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a name with CR LF and a Bcc header: refused with file and line, the others mailed' '
	setup_site &&
	use_profiles alice chen &&
	cat >subscribers/eve.cfg <<-\EOF &&
	# Eve tries to add a Bcc header to her digest.
	name = "Eve\r\nBcc: victim@example.org";
	email = "eve@example.org";
	authors = ["Yoshua Bengio"];
	EOF
	profile_refused eve "subscribers/eve.cfg:2: '"'"'name'"'"' must not contain a line break" &&
	! grep -rl "victim@example.org" outbox/new
'

test_done
