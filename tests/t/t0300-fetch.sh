#!/bin/sh
test_description='fetching the listing from a local HTTP server: retries, politeness, cache, limits'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
HF="$TEST_ROOT/tests/fixtures/hf/daily-2025-12-30.json"
# Tuesday 2025-12-30 12:00 UTC (07:00 in New York): the latest listing is
# that Tuesday's, in the feed since midnight; Monday's comes from the API.
PAPERBOY_TEST_NOW=$(date -u -d 2025-12-30T12:00:00Z +%s)
# The politeness interval, scaled down for the test (arXiv's is 3 s).
PAPERBOY_TEST_MIN_INTERVAL_MS=300
export PAPERBOY_TEST_NOW PAPERBOY_TEST_MIN_INTERVAL_MS

# Starts tests/lib/httpd.py with the script in $1; sets $port.
start_httpd() { start_pyserver http httpd.py --port 0 --script "$1"; }
stop_httpd() { stop_pyserver http; }

# paperboy.cfg with every source on the local server.
site_cfg() {
	sed -e "s|$NO_SERVER|http://127.0.0.1:$port|" .site.cfg >paperboy.cfg &&
	sed -i "s|announce_types = \[\"new\", \"cross\"\];|announce_types = [\"new\", \"cross\"]; api_page_size = 20;|" paperboy.cfg &&
	sed -i "s|^sources = {|sources = { stall_timeout = 2;|" paperboy.cfg &&
	grep -q "api_page_size = 20" paperboy.cfg
}

requests() {
	grep -c "\"path\": \"$1" http.log || true
}

test_expect_success 'setup: API pages, a subscriber, scripted server' '
	setup_site && use_profiles alice &&
	$PYTHON - "$LISTING" <<-\PY &&
	import re, sys, html
	import xml.etree.ElementTree as ET
	items = ET.parse(sys.argv[1]).getroot().findall("./channel/item")[:25]
	DC = "{http://purl.org/dc/elements/1.1/}"
	def entry(it):
	    aid = it.findtext("link").rsplit("/", 1)[1]
	    desc = it.findtext("description").split("Abstract: ", 1)[1]
	    cats = [c.text for c in it.findall("category")]
	    authors = "".join("<author><name>%s</name></author>" % html.escape(a.strip())
	                      for a in it.findtext(DC + "creator").split(","))
	    return ("<entry><id>http://arxiv.org/abs/%sv1</id><title>%s</title>"
	            "<summary>%s</summary>%s"
	            "<arxiv:primary_category term=\"%s\"/>%s</entry>\n"
	            % (aid, html.escape(it.findtext("title")), html.escape(desc),
	               authors, cats[0],
	               "".join("<category term=\"%s\"/>" % c for c in cats)))
	head = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	        "xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\" "
	        "xmlns:arxiv=\"http://arxiv.org/schemas/atom\"><title>arXiv Query</title>"
	        "<opensearch:totalResults>25</opensearch:totalResults>\n")
	open("api-1.xml", "w").write(head + "".join(entry(i) for i in items[:20]) + "</feed>\n")
	# Page 2 repeats an entry of page 1, as paging does when new papers
	# shift the results.
	open("api-2.xml", "w").write(head + "".join(entry(i) for i in items[19:25]) + "</feed>\n")
	open("api-ids", "w").write("\n".join(sorted({i.findtext("link").rsplit("/", 1)[1] for i in items})) + "\n")
	PY
	cat >script.json <<-EOF &&
	{ "/rss/cs.LG+cs.CL": [ { "status": 503, "headers": { "Retry-After": "2" } },
	                        { "status": 200, "file": "$LISTING" } ],
	  "/api/query": [ { "status": 200, "file": "api-1.xml" },
	                  { "status": 200, "file": "api-2.xml" } ],
	  "/api/daily_papers": [ { "status": 200, "file": "$HF" } ] }
	EOF
	start_httpd script.json && site_cfg
'

test_expect_success 'fetch: the feed answers 503 + Retry-After: 2, then 200' '
	paperboy fetch >out 2>err &&
	grep_file "fetching the listing of 2025-12-30" out &&
	grep_file "HTTP 200, 86 items" out &&
	test $(requests /rss/) -eq 2 &&
	$PYTHON - http.log <<-\PY
	import json, sys
	log = [json.loads(l) for l in open(sys.argv[1])]
	t = [r["time"] for r in log if r["path"].startswith("/rss/")]
	assert t[1] - t[0] >= 2.0, t
	ua = log[0]["headers"].get("User-Agent", "")
	assert ua.startswith("paperboy/") and "mailto:digest@example.org" in ua, ua
	PY
'

test_expect_success 'the fetched listing equals the offline parse of the same feed' '
	paperboy fetch --list >network.list &&
	mkdir offline && (
		cd offline && cp ../paperboy.cfg . && cp -r ../templates . && mkdir subscribers &&
		paperboy run --date 2025-12-30 --listing "$LISTING" >/dev/null &&
		paperboy fetch --list --date 2025-12-30 >../offline.list
	) &&
	test $(grep -c "^2512\." network.list) -eq 85 &&
	cmp network.list offline.list
'

test_expect_success 'a run of a fetched day makes no network request at all' '
	before=$(wc -l <http.log) &&
	paperboy run >out &&
	grep -E "^  sent +1$" out &&
	paperboy run >out2 && paperboy fetch >out3 &&
	test $(wc -l <http.log) -eq "$before" &&
	grep_file "already-sent" out2
'

test_expect_success 'a past day comes from the API in pages, deduplicated' '
	paperboy fetch --list --date 2025-12-29 >api.list 2>err &&
	grep_file "selects by submission date" api.list &&
	test $(requests /api/query) -eq 2 &&
	grep "/api/query" http.log | grep -q "start=0&max_results=20" &&
	grep "/api/query" http.log | grep -q "start=20&max_results=20" &&
	grep "^2512\." api.list | cut -f1 | sort >got-ids &&
	cmp got-ids api-ids &&
	test -e state/cache/2025-12-29/arxiv-api-2.xml
'

# The interval holds between the requests of one fetcher, that is of one
# command: the feed's two (test 2) and the API's pages (test 5). Between
# two commands it need not (the commands in between may take less).
test_expect_success 'requests to the arXiv host are never closer than the interval' '
	$PYTHON - http.log 0.3 <<-\PY
	import json, sys
	log = [json.loads(l) for l in open(sys.argv[1])]
	gaps = []
	for api in (False, True):
	    t = [r["time"] for r in log
	         if r["path"].startswith("/api/query") == api]
	    gaps += [b - a for a, b in zip(t, t[1:])]
	assert len(gaps) >= 2, log
	ratio = min(gaps) / float(sys.argv[2])
	assert ratio >= 1.0, (ratio, gaps)
	print("min gap / interval = %.2f" % ratio)
	PY
'

test_expect_success 'a day with no announcement: one line, no request' '
	before=$(wc -l <http.log) &&
	paperboy run --date 2025-12-27 >out &&
	grep_file "no arXiv announcement for 2025-12-27 (Saturday)" out &&
	test $(wc -l <http.log) -eq "$before"
'

test_expect_success 'Hugging Face papers are merged into the listing by arXiv ID' '
	rm -rf state/cache &&
	sed -i "s|huggingface = { enabled = false;|huggingface = { enabled = true;|" paperboy.cfg &&
	stop_httpd && start_httpd script.json && site_cfg &&
	sed -i "s|huggingface = { enabled = false;|huggingface = { enabled = true;|" paperboy.cfg &&
	paperboy fetch --list >hf.list 2>err &&
	grep_file "huggingface  HTTP 200, 5 items" hf.list &&
	test $(grep -c "^2512\." hf.list) -eq 85 &&
	test $(grep -c "^2512.23447	" hf.list) -eq 1 &&
	grep -q "hf hf.json" state/cache/2025-12-30/MANIFEST
'

test_expect_success 'trending: min_upvotes and sort = "upvotes" use the merged counts' '
	cat >subscribers/trend.cfg <<-\EOF &&
	email = "trend@example.org";
	topics = ( { name = "Any"; keywords = ["model", "learning"]; } );
	min_upvotes = 5;
	sort = "upvotes";
	min_relevance = 1;
	EOF
	paperboy render trend --text >trend.txt &&
	grep -n "upvotes on Hugging Face" trend.txt &&
	test $(grep -c "upvotes on Hugging Face" trend.txt) -eq 3 &&
	first=$(grep -n "31 upvotes" trend.txt | cut -d: -f1) &&
	second=$(grep -n "12 upvotes" trend.txt | cut -d: -f1) &&
	third=$(grep -n " 9 upvotes" trend.txt | cut -d: -f1) &&
	test "$first" -lt "$second" && test "$second" -lt "$third" &&
	grep -q "^\[[0-9]*\] https://github.com/example-lab/erc-loss$" trend.txt &&
	grep -q "  Code \[[0-9]*\]" trend.txt &&
	! grep -q ", 2 upvotes" trend.txt &&
	paperboy score trend --all >score.out &&
	grep_file "fewer than 5 upvotes on Hugging Face" score.out
'

test_expect_success '429 five times: exit 75, no mail, and a later rerun works' '
	rm -rf state outbox &&
	cat >script429.json <<-EOF &&
	{ "/rss/cs.LG+cs.CL": [ { "status": 429 }, { "status": 429 }, { "status": 429 },
	                        { "status": 429 }, { "status": 429 },
	                        { "status": 200, "file": "$LISTING" } ] }
	EOF
	stop_httpd && start_httpd script429.json && site_cfg &&
	expect_status 75 paperboy run >out 2>err &&
	grep_file "429" err && grep_file "nothing was sent" err &&
	test $(requests /rss/) -eq 5 &&
	test -z "$(ls outbox/new 2>/dev/null)" &&
	test ! -e state/cache/2025-12-30/MANIFEST &&
	paperboy run >out &&
	grep -E "^  sent +1$" out
'


test_expect_success 'a 50 MB response, a stall, invalid XML, wrong JSON: clear errors, no mail' '
	printf "<rss><channel><item><title>x</title></item" >bad.xml &&
	printf "[{\"paper\": 12}, 3]" >bad.json &&
	cat >scriptbad.json <<-EOF &&
	{ "/rss/big/cs.LG+cs.CL": [ { "status": 200, "size": 52428800, "chunked": true } ],
	  "/rss/stall/cs.LG+cs.CL": [ { "status": 200, "stall": 20 } ],
	  "/rss/xml/cs.LG+cs.CL": [ { "status": 200, "file": "bad.xml" } ],
	  "/rss/hf/cs.LG+cs.CL": [ { "status": 200, "file": "$LISTING" } ],
	  "/api/daily_papers": [ { "status": 200, "file": "bad.json" } ] }
	EOF
	stop_httpd && start_httpd scriptbad.json && site_cfg &&
	for case in big stall xml hf; do
		rm -rf state outbox &&
		sed "s|/rss/\"|/rss/$case/\"|" paperboy.cfg >case.cfg &&
		if [ $case = hf ]; then
			sed -i "s|huggingface = { enabled = false;|huggingface = { enabled = true;|" case.cfg
		fi &&
		paperboy -c case.cfg run >out.$case 2>err.$case;
		status=$? &&
		echo "$case: exit $status: $(head -1 err.$case)" &&
		test $status -ne 0 &&
		grep -q "nothing was sent" err.$case &&
		test -z "$(ls outbox/new 2>/dev/null)" || return 1
	done &&
	grep_file "larger than" err.big &&
	grep_file "127.0.0.1" err.stall &&
	grep_file "bad.xml" err.xml || grep_file "cs.LG+cs.CL:1:" err.xml &&
	grep_file "paper 0" err.hf
'

test_done
