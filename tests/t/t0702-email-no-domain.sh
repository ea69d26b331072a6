#!/bin/sh
test_description='bad input: an email address without a domain is refused'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'reader@ (no domain): refused with file and line, the others mailed' '
	setup_site &&
	use_profiles alice chen &&
	printf "name = \"Reader\";\nemail = \"reader@\";\nauthors = [\"Yoshua Bengio\"];\n" >subscribers/reader.cfg &&
	profile_refused reader "subscribers/reader.cfg:2: '"'"'email'"'"' is not a valid address: \"reader@\""
'

test_done
