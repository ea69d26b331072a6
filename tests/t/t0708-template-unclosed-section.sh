#!/bin/sh
test_description='bad input: a template with an unclosed section stops the run before sending'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'an unclosed section on line 5: file and line named, exit 78, nothing sent, rerun after the fix mails all' '
	setup_site &&
	use_profiles alice chen &&
	cp templates/digest.html digest.html.good &&
	sed "5i {{#papers}}<p>unclosed" digest.html.good >templates/digest.html &&
	run_sample 78 &&
	grep_file "templates/digest.html:5: unclosed section '"'"'papers'"'"'" err &&
	grep_file "templates are unusable; nothing was sent" err &&
	mailed &&
	test ! -s state/journal/2025-12-30 &&
	cp digest.html.good templates/digest.html &&
	run_sample 0 &&
	mailed alice chen
'

test_done
