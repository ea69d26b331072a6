#!/bin/sh
test_description='bad input: a slow-loris client (paperboy serve)'
. "$(dirname "$0")/test-lib.sh"

setup_site && use_profiles alice chen && cp subscribers/alice.cfg alice.orig &&
start_serve --timeout 2 || exit 1

test_expect_success 'a client that never finishes its request line is dropped after --timeout; another is served meanwhile' '
	t=$(token unsubscribe alice alice@example.org) &&
	serve_client slowloris "/unsubscribe?s=alice&t=$t" &&
	cmp alice.orig subscribers/alice.cfg
'

test_done
