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
	grep_file "keyword \"Transformers\": abstract: \"... use a standard architectur a [transform] with" ex &&
	grep_file "(abstract hit, 1 x, idf 1.65)" ex &&
	grep_file "= 1 x 1.65 (idf of 0 title x 3 + 1 abstract) = 1.65 points, counted" ex &&
	grep_file "Criteria (BM25, k1 1.2, b 0.75): " ex &&
	grep_file "Exclusions (19): none found" ex &&
	grep_file "Day (85 papers): keywords mean " ex &&
	grep -E "^Latent space \(the day.s 85 papers, 20 directions\): cosine -?[0-9.]+ to your criteria, -?[0-9.]+ to your exclusions$" ex &&
	grep -E "^Day \(85 papers\): .*; latent criteria mean [0-9.]+ sd [0-9.]+; latent exclusions mean [0-9.]+ sd [0-9.]+$" ex &&
	grep -E "^Formula: z = \(1 x keywords \(7.04 - [0-9.]+\) / [0-9.]+ \+ 1 x criteria \([0-9.]+ - [0-9.]+\) / [0-9.]+ \+ 1 x latent criteria \(-?[0-9.]+ - [0-9.]+\) / [0-9.]+ - 1 x latent exclusions \(-?[0-9.]+ - [0-9.]+\) / [0-9.]+\) x 0.707 \(4 signals at the spread of 2\) = -?[0-9.]+$" ex &&
	grep -E "^Calibration: round\(3 \+ 1.5 x -?[0-9.]+ = -?[0-9.]+\) = -?[0-9]+, within 1-10: [0-9]+$" ex &&
	grep_file "(Matches Model Architecture: Transformers; Model Compression and Efficiency: Compression; Representation Learning: contrastive)" ex &&
	grep -E "^Digest: sent, rank [0-9]+ of [0-9]+$" ex
'

test_expect_success '--explain of an exclusion in passing: a penalty, not a veto' '
	score seed-criteria --explain arXiv:2512.21852v1 >ex &&
	grep_file "\"Reinforcement Learning\": abstract: \"... improv by train them with [reinforc learn] rl" ex &&
	grep_file "-> in passing: -1" ex &&
	grep_file " - 1 x 1 exclusion in passing = " ex &&
	grep_file "(mentions \"Reinforcement Learning\": penalized)" ex &&
	! grep -q "drops the paper" ex
'

test_expect_success '--explain of an exclusion in the title: the paper is dropped' '
	score seed-criteria --explain 2512.90008 >ex &&
	grep_file "\"Reinforcement Learning\": title: \"agnost [reinforc learn] foundat and algorithm\" -> central (title or repeated): drops the paper" ex &&
	grep_file "Relevance: 0; left out: excluded: mentions \"Reinforcement Learning\"" ex &&
	grep_file "Digest: not sent" ex &&
	! grep -q "^Formula" ex
'

test_expect_success 'a never term drops a paper that mentions it once, even an author match' '
	sed -e "s/^exclude = \[/never = [\"reinforcement learning\"];\nauthors = [\"Yoshua Bengio\"];\nexclude = [/" \
		subscribers/seed-criteria.cfg >subscribers/strict.cfg &&
	sed -i "s/foundations@example.org/strict@example.org/" subscribers/strict.cfg &&
	score strict --explain 2512.21852 >ex &&
	grep_file "Never (1):" ex &&
	grep_file "\"reinforcement learning\": abstract:" ex &&
	grep_file "-> drops the paper" ex &&
	grep_file "Relevance: 0; left out: never: mentions \"reinforcement learning\"" ex
'

# votes DAY: the feedback file of seed-criteria, its votes on papers of DAY.
votes() {
	mkdir -p state/feedback &&
	T="$(printf "\t")" &&
	{
		echo "paperboy-feedback 1" &&
		for v in "up${T}2512.21487${T}Mixture of experts inference scheduling" \
			 "up${T}2512.22106${T}Pruning and sparsification of networks" \
			 "up${T}2512.23447${T}Routers in mixture of experts" \
			 "up${T}2512.22804${T}Mixed precision training with representations" \
			 "up${T}2512.23675${T}Test-time training for long context" \
			 "down${T}2512.21852${T}KL regularization in RL training"; do
			echo "$v" | sed "s/^\([a-z]*\)$T\([^$T]*\)$T\(.*\)/2026-01-01T00:00:00Z$T\1${T}cli${T}$1$T\2$T\3$T\3 abstract${T}A B${T}cs.LG/"
		done
	} >state/feedback/seed-criteria
}

test_expect_success 'votes on the day scored wait for the next day' '
	votes 2025-12-30 &&
	score seed-criteria --explain 2512.23068 >ex &&
	! grep "Model (learned" ex &&
	rm -r state/feedback
'

test_expect_success 'votes of an earlier day: a learned model scores and explains' '
	votes 2025-12-29 &&
	score seed-criteria --explain 2512.23068 >ex &&
	grep_file "Model (learned from your 5 up-votes: " ex &&
	grep -E "^Formula: z = \(\(1 x keywords .* x 0.707 \(4 signals at the spread of 2\) \+ [0-9.]+ x model \([-0-9.]+ - [-0-9.]+\) / [0-9.]+\) x [0-9.]+ \(the profile.s scale\)" ex &&
	score seed-criteria >score.model &&
	grep_file "like the papers you voted up" score.model &&
	test ! -e state/models/seed-criteria &&
	rm -r state/feedback
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
	grep_file "require \"long context\": title: \"... end test time train for [long context]\"" ex &&
	grep_file "exclude \"sliding window\": abstract:" ex &&
	grep_file "-> drops this topic" ex &&
	grep -E "^Relevance: [0-9]+ \(Matches Long context: test-time training\)$" ex &&
	score picky --all >all &&
	grep_file "not in your primary categories" all
'

test_done
