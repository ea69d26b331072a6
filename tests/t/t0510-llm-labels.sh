#!/bin/sh
test_description='the LLM judge'"'"'s verdicts of a real run are kept as labels and teach the model; dry runs and other commands keep none'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
PAPERBOY_TEST_NOW=$(date -u -d 2025-12-30T12:00:00Z +%s)
export PAPERBOY_TEST_NOW
unset PAPERBOY_LLM_API_KEY
FEEDBACK=state/feedback/alice

start_llmd() { start_pyserver llm llmd.py "$@"; }

llm_cfg() {
	sed -e '/^llm = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	llm = { enabled = true;
		endpoint = "http://127.0.0.1:$port/v1/chat/completions";
		model = "test-model"; api_key_file = "llm.key";
		batch_size = 6; min_lexical = 3; timeout = 10;
		prices = ( { model = "test-model"; prompt_per_mtok = 2.5;
			     completion_per_mtok = 10.0; } ); };
	EOF
}

test_expect_success 'setup: alice, the judge on a local server' '
	setup_site && use_profiles alice &&
	echo "criteria = \"Mixture of experts and model compression.\";" \
		>>subscribers/alice.cfg &&
	printf "sk-test-key\n" >llm.key && chmod 600 llm.key &&
	start_llmd && llm_cfg
'

test_expect_success 'a dry run, score, render and send-test keep no label' '
	paperboy run --date 2025-12-30 --listing "$LISTING" --dry-run >out 2>err &&
	paperboy fetch --date 2025-12-30 --listing "$LISTING" >out 2>err &&
	paperboy score alice --date 2025-12-30 >out 2>err &&
	paperboy render alice --date 2025-12-30 >out 2>err &&
	paperboy send-test --to t@example.org --as alice --date 2025-12-30 >out 2>err &&
	test ! -e $FEEDBACK
'

test_expect_success 'the real run keeps the verdicts: relevance >= 8 up, via judge, with the text' '
	paperboy run --date 2025-12-30 >out 2>err &&
	test -s llm.log &&
	$PYTHON - llm.log $FEEDBACK <<-\PY
	import json, sys
	want = {}
	for line in open(sys.argv[1]):
	    for aid, (rel, nov) in json.loads(line)["scored"].items():
	        if rel >= 8:
	            want[aid] = "up"
	        elif rel <= 3:
	            want[aid] = "down"
	lines = open(sys.argv[2]).read().splitlines()
	assert lines[0] == "paperboy-feedback 1", lines[0]
	got = {}
	for l in lines[1:]:
	    f = l.split("\t")
	    assert f[2] == "judge" and f[3] == "2025-12-30", f[:4]
	    assert f[5] and len(f[6]) > 100, f[4]
	    got[f[4]] = f[1]
	assert want and got == want, (want, got)
	print(len(got), "labels")
	PY
'

test_expect_success 'a second run of the day adds none; the reader'"'"'s own vote wins over the judge' '
	n=$(wc -l <$FEEDBACK) &&
	paperboy run --date 2025-12-30 >out 2>err &&
	test "$(wc -l <$FEEDBACK)" = "$n" &&
	id=$(grep -m1 "	up	judge	" $FEEDBACK | cut -f5) &&
	paperboy feedback alice --down "$id" --date 2025-12-30 >out &&
	ups=$(grep -c "	up	judge	" $FEEDBACK) &&
	sed -e "/^llm = {/,/^};/d" .site.cfg >paperboy.cfg &&
	paperboy score alice --date 2025-12-31 --listing "$LISTING" \
		--force-date --explain "$id" >ex &&
	grep -E "^Model \(learned from your $((ups - 1)) up-votes: " ex
'

test_done
