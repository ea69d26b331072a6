#!/bin/sh
test_description='bad input: a 400-character email address is refused'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a 400-character address, every label within 63: refused, the others mailed' '
	setup_site &&
	use_profiles alice chen &&
	addr=$($PYTHON -c "print(\"reader@\" + \".\".join([\"d\" * 60] * 6 + [\"e\" * 27]))") &&
	test ${#addr} -eq 400 &&
	printf "name = \"Reader\";\nemail = \"%s\";\nauthors = [\"Yoshua Bengio\"];\n" "$addr" >subscribers/reader.cfg &&
	profile_refused reader "subscribers/reader.cfg:2: '"'"'email'"'"' is not a valid address: \"reader@dddd"
'

test_done
