#!/bin/sh
test_description='score --explain shows one paper'"'"'s whole reasoning; profile features in a real run'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

# paperboy score on the sample day.
score() {
	paperboy score "$@" --date 2025-12-30 --listing "$LISTING"
}

test_expect_success 'setup: the seed-criteria profile on the sample day' '
	setup_site &&
	use_profiles seed-criteria &&
	score seed-criteria >score
'

test_expect_success '--help lists every option' '
	paperboy score --help >help &&
	for o in -c --date --listing --all --explain --help; do
		grep_file "$o" help || return 1
	done
'

test_expect_success '--explain of a selected paper: hits, points, formula, rank' '
	score seed-criteria --explain 2512.23675 >ex &&
	grep_file "2512.23675: End-to-End Test-Time Training for Long Context" ex &&
	grep_file "Announce type: new; the list'"'"'s announce_types: considered" ex &&
	grep_file "Categories: cs.LG, cs.CL (primary cs.LG); you take all categories" ex &&
	grep_file "keyword \"Transformers\": abstract: \"... use a standard architecture a [transformer] with" ex &&
	grep_file "= 1 x (3 x 0 title + 1 abstract) = 1 points, counted" ex &&
	grep_file "Exclusions (19): none found" ex &&
	grep_file "Formula: 4 + round(1 from topics + 2 x 0 more topics = 1) = 5" ex &&
	grep_file "Relevance: 5 (Matches Model Architecture: Transformers)" ex &&
	grep -E "^Digest: sent, rank [0-9]+ of [0-9]+$" ex
'

test_expect_success '--explain of an excluded paper names the exclusion and where it hit' '
	score seed-criteria --explain arXiv:2512.21852v1 >ex &&
	grep_file "\"Reinforcement Learning\": abstract: \"... improved by training them with [reinforcement learning] rl" ex &&
	grep_file "-> drops the paper" ex &&
	grep_file "Relevance: 0; left out: excluded: mentions \"Reinforcement Learning\"" ex &&
	grep_file "Digest: not sent" ex &&
	! grep -q "^Formula" ex
'

test_expect_success '--explain agrees with the ranking for every paper' '
	for id in $(grep -oE "2512\.[0-9]{5}" score | sort -u); do
		score seed-criteria --explain $id >ex &&
		rel=$(sed -n "s/^Relevance: \([0-9]*\).*/\1/p" ex) &&
		grep -E "^ +([0-9]+\.|-) +$rel +$id " score >/dev/null || {
			echo "$id: explain says $rel"; grep "$id" score; return 1; }
	done
'

test_expect_success '--explain of a paper not in the listing is a data error' '
	expect_status 65 score seed-criteria --explain 2512.99999 2>err &&
	grep_file "no paper 2512.99999 in the listing of 2025-12-30" err
'

test_expect_success 'require, a topic exclude, primary_only and announce_types in a profile' '
	cat >subscribers/picky.cfg <<-\EOF &&
	email = "picky@example.org";
	categories = ["cs.LG"];
	primary_only = true;
	announce_types = ["new"];
	topics = ( { name = "Long context"; keywords = ["test-time training"];
		     require = ["long context"]; },
		   { name = "Transformers"; keywords = ["transformer"];
		     exclude = ["sliding window"]; } );
	EOF
	score picky --explain 2512.23675 >ex &&
	grep_file "require \"long context\": title: \"... end test time training for [long context]\"" ex &&
	grep_file "exclude \"sliding window\": abstract:" ex &&
	grep_file "-> drops this topic" ex &&
	grep_file "Relevance: 7 (Matches Long context: test-time training)" ex &&
	score picky --all >all &&
	grep_file "not in your primary categories" all
'

test_done
