#!/bin/sh
test_description='commands, help and exit codes'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'every command prints --help and exits 0' '
	for cmd in run render score subscribers; do
		paperboy $cmd --help >help.out &&
		grep_file "usage: paperboy $cmd" help.out || return 1
	done
'

test_expect_success 'paperboy --help lists the commands' '
	paperboy --help >help.out &&
	grep_file "run " help.out && grep_file "render " help.out &&
	grep_file "score " help.out && grep_file "subscribers " help.out
'

test_expect_success 'an unknown command is a usage error (64)' '
	expect_status 64 paperboy frobnicate 2>err &&
	grep_file "is not a paperboy command" err
'

test_expect_success 'an unknown option is a usage error (64)' '
	expect_status 64 paperboy run --frob 2>err
'

test_expect_success 'a missing config is EX_CONFIG (78) naming the file' '
	expect_status 78 paperboy -c nowhere.cfg subscribers 2>err &&
	grep_file "nowhere.cfg" err
'

test_expect_success 'a config syntax error names file and line' '
	printf "list = {\n  name = \"x\"\n  id = ;\n};\n" >bad.cfg &&
	expect_status 78 paperboy -c bad.cfg subscribers 2>err &&
	grep_file "bad.cfg:3:" err
'

test_expect_success 'an unknown setting in the config is refused' '
	printf "delivery = { methd = \"smtp\"; };\n" >typo.cfg &&
	expect_status 78 paperboy subscribers -c typo.cfg 2>err &&
	grep_file "typo.cfg:1: unknown setting '"'"'methd'"'"'" err
'

test_expect_success 'a malformed --date is a usage error' '
	setup_site &&
	expect_status 64 paperboy run --date 2025-13-45 2>err &&
	grep_file "YYYY-MM-DD" err
'

test_done
