#!/bin/sh
test_description='layers: services never call up into the commands, no module cycle'
. "$(dirname "$0")/test-lib.sh"

LAYERS="$TEST_ROOT/tests/lib/layers.py"

test_expect_success 'the tree: no cmd_ call below src/cmd/, no module cycle' '
	(cd "$TEST_ROOT" && "$PYTHON" "$LAYERS") >out &&
	grep_file "no cmd_ call, no cycle" out
'

# The check itself must be able to fail: a copy of the tree with a
# service that calls a command, and one with a cycle.
test_expect_success 'a service calling cmd_error is caught' '
	mkdir -p up/src && cp "$TEST_ROOT"/src/*.[ch] up/src/ &&
	printf "void f(void);\nvoid f(void) { cmd_error(\"x\"); }\n" \
		>>up/src/day.c &&
	! (cd up && "$PYTHON" "$LAYERS") >out &&
	grep_file "src/day.c: calls cmd_error(" out
'

test_expect_success 'a module cycle is caught' '
	mkdir -p cyc/src && cp "$TEST_ROOT"/src/*.[ch] cyc/src/ &&
	printf "#include \"day.h\"\n" >>cyc/src/buf.h &&
	! (cd cyc && "$PYTHON" "$LAYERS") >out &&
	grep_file "module cycle:" out
'

test_expect_success '-c with an empty name is a usage error naming -c' '
	expect_status 64 paperboy -c "" subscribers 2>err &&
	grep_file "the config file name is empty" err &&
	! grep_file "paperboy: : " err
'

test_done
