#!/bin/sh
test_description='the LLM judge against a local OpenAI-compatible server: scores, retries, fallbacks, cost, budget, cache'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
PAPERBOY_TEST_NOW=$(date -u -d 2025-12-30T12:00:00Z +%s)
export PAPERBOY_TEST_NOW
unset PAPERBOY_LLM_API_KEY

# Starts tests/lib/llmd.py with the given options; sets $port.
start_llmd() { start_pyserver llm llmd.py "$@"; }
stop_llmd() { stop_pyserver llm; }

# paperboy.cfg with the judge on the local server; extra llm settings
# may follow ("daily_budget_usd = 0.001;").
llm_cfg() {
	sed -e '/^llm = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	llm = { enabled = true;
		endpoint = "http://127.0.0.1:$port/v1/chat/completions";
		model = "test-model"; api_key_file = "llm.key";
		batch_size = 6; min_lexical = 3; timeout = 10; $*
		prices = ( { model = "test-model"; prompt_per_mtok = 2.5;
			     completion_per_mtok = 10.0; } ); };
	EOF
}

requests() {
	wc -l <llm.log | tr -d ' '
}

# The text part of the newest message in outbox/new.
text_part() {
	$PYTHON - "$(ls -t outbox/new/* | head -1)" <<-\PY
	import email, sys
	m = email.message_from_file(open(sys.argv[1]))
	for p in m.walk():
	    if p.get_content_type() == "text/plain":
	        sys.stdout.write(p.get_payload(decode=True).decode())
	PY
}

# Fails unless the digest text ($1) shows, in the block of every paper the
# server scored, that paper's "Relevance: R" and "Novelty: N".
check_scores() {
	$PYTHON - "$1" llm.log <<-\PY
	import json, sys
	text = open(sys.argv[1]).read()
	blocks = {}
	for b in text.split("=" * 78):
	    for line in b.splitlines():
	        if line.startswith("arXiv:"):
	            blocks[line[6:].split()[0]] = b
	n = 0
	for line in open(sys.argv[2]):
	    for aid, (rel, nov) in json.loads(line)["scored"].items():
	        b = blocks[aid]
	        assert "Relevance: %d" % rel in b, (aid, rel, b)
	        assert "Novelty: %d" % nov in b, (aid, nov, b)
	        n += 1
	assert n > 0
	print("checked", n, "papers")
	PY
}

test_expect_success 'setup: alice with criteria, a 0600 key, the server' '
	setup_site && use_profiles alice &&
	echo "criteria = \"Mixture of experts and model compression.\";" \
		>>subscribers/alice.cfg &&
	printf "sk-test-key\n" >llm.key && chmod 600 llm.key &&
	start_llmd --skip-first --garbage 2 && llm_cfg
'

test_expect_success 'run: the digest shows Relevance and Novelty from the model' '
	paperboy run --date 2025-12-30 --listing "$LISTING" >run.out 2>run.err &&
	cat run.out run.err &&
	text_part >digest.txt &&
	check_scores digest.txt &&
	grep_file "Matches the criteria on" digest.txt &&
	grep -q "\"auth\": \"Bearer sk-test-key\"" llm.log &&
	grep -q "\"temperature\": 0," llm.log &&
	grep -q "\"model\": \"test-model\"" llm.log
'

test_expect_success 'the paper a reply skipped is asked again, alone, and scored' '
	$PYTHON - llm.log digest.txt <<-\PY
	import json, sys
	reqs = [json.loads(l) for l in open(sys.argv[1])]
	first = reqs[0]
	skipped = [i for i in first["ids"] if i not in first["scored"]]
	assert len(skipped) == 1, skipped
	retry = reqs[-1]
	assert retry["ids"] == skipped, retry
	assert skipped[0] in retry["scored"]
	asked = sum(r["ids"].count(skipped[0]) for r in reqs)
	assert asked == 2, asked
	PY
'

test_expect_success 'a garbage reply falls back to lexical scores with a warning' '
	grep_file "held no scores; lexical scores kept for 6 papers" run.err &&
	$PYTHON - llm.log digest.txt <<-\PY
	import json, sys
	reqs = [json.loads(l) for l in open(sys.argv[1])]
	bad = [r for r in reqs if r["garbage"]]
	assert len(bad) == 1 and bad[0]["n"] == 2
	text = open(sys.argv[2]).read()
	blocks = {}
	for b in text.split("=" * 78):
	    for line in b.splitlines():
	        if line.startswith("arXiv:"):
	            blocks[line[6:].split()[0]] = b
	shown = 0
	for aid in bad[0]["ids"]:
	    # not asked again, and shown with its lexical score, no novelty
	    assert sum(r["ids"].count(aid) for r in reqs) == 1, aid
	    if aid in blocks:
	        assert "Relevance: " in blocks[aid], aid
	        assert "Novelty:" not in blocks[aid], aid
	        shown += 1
	assert shown > 0
	PY
'

test_expect_success 'the cost table adds up: tokens from usage x the price table' '
	$PYTHON - llm.log >want.txt <<-\PY &&
	import json, sys
	reqs = [json.loads(l) for l in open(sys.argv[1])]
	p = sum(r["prompt_tokens"] for r in reqs)
	c = sum(r["completion_tokens"] for r in reqs)
	print("Prompt tokens: %d" % p)
	print("Completion tokens: %d" % c)
	print("Total tokens: %d" % (p + c))
	print("Cost: $%.4f" % (p * 2.5 / 1e6 + c * 10.0 / 1e6))
	print("usd %.8f" % (p * 2.5 / 1e6 + c * 10.0 / 1e6))
	PY
	cat want.txt &&
	head -4 want.txt | while read -r line; do
		grep_file "$line" digest.txt || exit 1
	done &&
	grep_file "$(sed -n 5p want.txt)" state/llm/spend-2025-12-30 &&
	grep_file "llm: $(wc -l <llm.log | tr -d " ") requests" run.out
'

test_expect_success 'a rerun makes no request: the verdicts come from the cache' '
	before=$(requests) &&
	paperboy run --date 2025-12-30 --listing "$LISTING" \
		--resend alice >rerun.out 2>&1 &&
	cat rerun.out &&
	test "$(requests)" = "$before" &&
	text_part >rerun.txt &&
	check_scores rerun.txt &&
	grep_file "Cost: \$0.0000" rerun.txt &&
	grep_file "llm: 0 requests" rerun.out
'

test_expect_success 'send-test makes no request and shows the cached verdicts' '
	before=$(requests) &&
	paperboy send-test --to tester@example.org --as alice \
		--date 2025-12-30 >st.out 2>&1 &&
	cat st.out &&
	test "$(requests)" = "$before" &&
	text_part >sendtest.txt &&
	check_scores sendtest.txt
'

test_expect_success 'score shows the cached verdicts and makes no request' '
	before=$(requests) &&
	paperboy score alice --date 2025-12-30 >score.out 2>&1 &&
	cat score.out &&
	test "$(requests)" = "$before" &&
	grep_file "LLM judge (" score.out &&
	$PYTHON - score.out llm.log <<-\PY
	import json, sys
	lines = open(sys.argv[1]).read().splitlines()
	n = 0
	for line in open(sys.argv[2]):
	    for aid, (rel, nov) in json.loads(line)["scored"].items():
	        at = [i for i, l in enumerate(lines) if " %s " % aid in l]
	        assert at, aid
	        want = "LLM judge: relevance %d, novelty %d" % (rel, nov)
	        assert want in lines[at[0] + 1], (aid, lines[at[0] + 1])
	        n += 1
	assert n > 0
	PY
'

test_expect_success 'an API key file others can read is refused' '
	chmod 644 llm.key &&
	before=$(requests) &&
	expect_status 78 paperboy run --date 2025-12-30 --resend alice \
		>perm.out 2>&1 &&
	cat perm.out && chmod 600 llm.key &&
	grep_file "LLM API key" perm.out &&
	test "$(requests)" = "$before"
'

test_expect_success 'the daily budget stops LLM calls and says so' '
	chmod 600 llm.key && rm -rf state/llm state/journal outbox &&
	start_llmd && llm_cfg "daily_budget_usd = 0.001;" &&
	paperboy run --date 2025-12-30 --listing "$LISTING" >budget.out \
		2>budget.err &&
	cat budget.out budget.err &&
	test "$(requests)" = 1 &&
	grep_file "daily budget of \$0.001 reached" budget.out &&
	grep_file "daily LLM budget" budget.err &&
	text_part >budget.txt &&
	grep_file "budget for the language-model judge ran out" budget.txt &&
	check_scores budget.txt &&
	paperboy run --date 2025-12-30 --resend alice >budget2.out 2>&1 &&
	cat budget2.out &&
	test "$(requests)" = 1 &&
	grep_file "daily budget of \$0.001 reached" budget2.out
'

test_expect_success 'the judge needs a priced model and a safe endpoint' '
	sed -e "/^llm = {/,/^};/d" .site.cfg >bad.cfg &&
	echo "llm = { enabled = true; model = \"m\"; };" >>bad.cfg &&
	expect_status 78 paperboy -c bad.cfg run --date 2025-12-30 \
		>bad.out 2>&1 &&
	grep_file "llm.prices has no row for model" bad.out &&
	sed -e "/^llm = {/,/^};/d" .site.cfg >bad2.cfg &&
	echo "llm = { enabled = true; model = \"m\"; endpoint = \"http://example.org/v1\"; prices = ({ model = \"m\"; prompt_per_mtok = 0; completion_per_mtok = 0; }); };" >>bad2.cfg &&
	expect_status 78 paperboy -c bad2.cfg run --date 2025-12-30 \
		>bad2.out 2>&1 &&
	grep_file "llm.endpoint must be an https" bad2.out
'

stop_llmd
test_done
