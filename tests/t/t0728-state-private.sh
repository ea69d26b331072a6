#!/bin/sh
test_description='bad input: a state folder others can read (state/history names subscribers)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen || exit 1

# mode PATH: the permission bits, in octal.
mode() { stat -c %a "$1"; }

test_expect_success 'a new state folder is private: 0700 folders, 0600 files' '
	umask 022 &&
	run_sample 0 &&
	mailed alice chen &&
	paperboy unsubscribe chen >/dev/null &&
	test "$(mode state)" = 700 &&
	test "$(mode state/history)" = 700 &&
	test "$(mode state/history/alice)" = 600 &&
	test "$(mode state/journal)" = 700 &&
	test "$(mode state/journal/2025-12-30)" = 600 &&
	test "$(mode state/unsubscribe.log)" = 600
'

test_expect_success 'one left open by an older version is made private by the next run' '
	umask 022 &&
	rm -rf state outbox && use_profiles chen &&
	mkdir -p state/history &&
	chmod 755 state state/history &&
	echo "2025-12-29 2512.00001" >state/history/alice &&
	chmod 644 state/history/alice &&
	run_sample 0 &&
	mailed alice chen &&
	test "$(mode state)" = 700 &&
	test "$(mode state/history)" = 700 &&
	test "$(mode state/history/alice)" = 600 &&
	grep -q "^2025-12-29 2512.00001$" state/history/alice &&
	test -z "$(find state -perm /077 -path "state/history*")"
'

test_expect_success 'fetch run first keeps state private too, cache included' '
	umask 022 &&
	rm -rf state outbox &&
	paperboy fetch --date 2025-12-30 --listing "$SAMPLE_LISTING" >out &&
	test "$(mode state)" = 700 &&
	test "$(mode state/cache/2025-12-30)" = 700 &&
	test "$(mode state/cache/2025-12-30/arxiv.xml)" = 600 &&
	test "$(mode state/cache/2025-12-30/MANIFEST)" = 600
'

test_done
