#!/bin/sh
test_description='bad input: a profile that is a symbolic link out of subscribers/ is refused'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a link to a profile outside the folder: refused, naming it; the others mailed' '
	setup_site &&
	use_profiles alice chen &&
	mkdir elsewhere &&
	printf "name = \"Mallory\";\nemail = \"mallory@example.org\";\nauthors = [\"Yoshua Bengio\"];\n" >elsewhere/mallory.cfg &&
	cp elsewhere/mallory.cfg mallory.orig &&
	ln -s ../elsewhere/mallory.cfg subscribers/mallory.cfg &&
	profile_refused mallory "subscribers/mallory.cfg: a symbolic link out of its folder (to $PWD/elsewhere/mallory.cfg) is refused" &&
	expect_status 67 paperboy unsubscribe mallory@example.org 2>err &&
	cmp mallory.orig elsewhere/mallory.cfg &&
	test -L subscribers/mallory.cfg
'

test_expect_success 'a link to another profile in the same folder is still followed' '
	rm subscribers/mallory.cfg &&
	sed "s/chen.wei@example.org/chen2@example.org/" subscribers/chen.cfg >subscribers/chen2.profile &&
	ln -s chen2.profile subscribers/chen2.cfg &&
	paperboy subscribers check >out 2>err &&
	grep_file "3 profiles (3 active)" out &&
	! grep -F "symbolic link" err
'

test_done
