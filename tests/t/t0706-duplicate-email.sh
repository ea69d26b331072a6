#!/bin/sh
test_description='bad input: two profiles with the same email address'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'the second profile with an address (any case) is skipped, naming both; one digest each' '
	setup_site &&
	use_profiles alice chen &&
	sed -e "s/Alice Example/Alice Twin/" -e "s/alice@example.org/ALICE@Example.org/" \
		subscribers/alice.cfg >subscribers/alice2.cfg &&
	grep -q "ALICE@Example.org" subscribers/alice2.cfg &&
	profile_refused alice2 "subscribers/alice2.cfg: email ALICE@Example.org is already used by subscribers/alice.cfg; skipped" &&
	test $(grep -l -i "^To: .*alice@example.org" outbox/new/* | wc -l) -eq 1
'

test_done
