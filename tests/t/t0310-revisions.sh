#!/bin/sh
test_description='a revised paper the reader already got is not sent again'
. "$(dirname "$0")/test-lib.sh"

SMALL="$FIXTURES/listing-small.xml"

test_expect_success 'setup: replacements wanted; day 1 has the paper as new' '
	setup_site &&
	sed -i "s|announce_types = \[\"new\", \"cross\"\];|announce_types = [\"new\", \"cross\", \"replace\", \"replace-cross\"];|" paperboy.cfg &&
	grep -q "\"replace-cross\"\]" paperboy.cfg &&
	cat >subscribers/latent.cfg <<-\EOF &&
	email = "latent@example.org";
	topics = ( { name = "Latent reasoning"; keywords = ["latent tokens", "chain-of-thought"]; } );
	EOF
	sed -e "s|arXiv:2512.21711v2 Announce Type: replace|arXiv:2512.21711v1 Announce Type: new|" \
	    -e "s|<arxiv:announce_type>replace</arxiv:announce_type>|<arxiv:announce_type>new</arxiv:announce_type>|" \
	    -e "s|oai:arXiv.org:2512.21711v2|oai:arXiv.org:2512.21711v1|" \
	    -e "s|<pubDate>Tue, 30 Dec 2025|<pubDate>Mon, 29 Dec 2025|" \
		"$SMALL" >day1.xml &&
	! cmp -s day1.xml "$SMALL"
'

test_expect_success 'day 1: the paper is sent and remembered' '
	paperboy run --date 2025-12-29 --listing day1.xml >out &&
	grep -q "arXiv:2512.21711" outbox/new/*,latent &&
	grep -q "^2025-12-29 2512.21711$" state/history/latent
'

test_expect_success 'day 2: its revision is left out, and the score says why' '
	rm -rf outbox &&
	paperboy run --date 2025-12-30 --listing "$SMALL" >out &&
	! grep -q "arXiv:2512.21711" outbox/new/* 2>/dev/null &&
	paperboy score latent --date 2025-12-30 --all >score &&
	grep -A2 "2512.21711" score | grep -F "a revision of a paper you were sent before"
'

test_expect_success 'another reader who never got it does get the revision' '
	sed "s/latent@/fresh@/" subscribers/latent.cfg >subscribers/fresh.cfg &&
	rm -rf outbox &&
	paperboy run --date 2025-12-30 >out &&
	grep -q "arXiv:2512.21711" outbox/new/*,fresh
'

test_done
