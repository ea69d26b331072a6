#!/bin/sh
test_description='bad input: a template naming an unknown variable stops the run before sending'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'an unknown variable on line 3: file and line named, exit 78, nothing sent, rerun after the fix mails all' '
	setup_site &&
	use_profiles alice chen &&
	cp templates/digest.txt digest.txt.good &&
	{
		printf "Hello\n\nDear {{subscriber.nickname}},\n" &&
		cat digest.txt.good
	} >templates/digest.txt &&
	cp templates/digest.txt digest.txt.bad &&
	run_sample 78 &&
	grep_file "templates/digest.txt:3: unknown variable '"'"'subscriber.nickname'"'"'" err &&
	grep_file "templates are unusable; nothing was sent" err &&
	mailed &&
	cmp digest.txt.bad templates/digest.txt &&
	test ! -s state/journal/2025-12-30 &&
	cp digest.txt.good templates/digest.txt &&
	run_sample 0 &&
	mailed alice chen
'

test_done
