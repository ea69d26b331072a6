#!/bin/sh
test_description='vote links: on every paper of the digest, signed; serve shows on GET, records on POST, refuses forgeries; concurrent votes all kept'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
FEEDBACK=state/feedback/alice

# Votes in alice's store (lines after the version line).
votes() {
	if [ -f "$FEEDBACK" ]; then tail -n +2 "$FEEDBACK" | wc -l; else echo 0; fi
}

# Fails, printing the store, unless it holds $1 votes.
votes_are() {
	[ "$(votes)" = "$1" ] || {
		echo "expected $1 votes, got $(votes):"
		cat "$FEEDBACK" serve.out serve.err 2>/dev/null
		return 1
	}
}

# links MESSAGE PART: the /vote paths (after the base URL) of the message's
# text or html part, one a line, in order.
links() {
	$PYTHON - "$1" "$2" <<-\PY
	import email, email.policy, html, re, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	part = m.get_body(preferencelist=(sys.argv[2],)).get_content()
	for u in re.findall(r"https://digest\.example\.org(/vote\?[^\s\"<>]*)", part):
	    print(html.unescape(u))
	PY
}

# param PATH NAME: one query parameter of a /vote path.
param() {
	echo "$1" | sed -e "s/.*[?&]$2=\([^&]*\).*/\1/"
}

# Fails unless req answers $1 for the rest of the arguments.
status_is() {
	want=$1
	shift
	got=$(req "$@") &&
	[ "$got" = "$want" ] || { echo "expected $want from $*, got $got"; return 1; }
}

test_expect_success 'setup: a real run mails alice' '
	setup_site &&
	use_profiles alice dana &&
	paperboy run --date 2025-12-30 --listing "$LISTING" >out &&
	ls outbox/new/*,alice >/dev/null
'

test_expect_success 'every paper has a More and a Fewer link, in the text and the HTML part' '
	msg=$(ls outbox/new/*,alice) &&
	links "$msg" plain >text.links &&
	links "$msg" html >html.links &&
	n=$(paperboy score alice --date 2025-12-30 | sed -n "1s/.*: \([0-9]*\) of .*/\1/p") &&
	test "$n" -gt 3 &&
	test "$(grep -c "&v=up&" text.links)" = "$n" &&
	test "$(grep -c "&v=down&" text.links)" = "$n" &&
	test "$(grep -c "&v=up&" html.links)" = "$n" &&
	test "$(grep -c "&v=down&" html.links)" = "$n" &&
	test "$(sort -u text.links | wc -l)" = $((2 * n)) &&
	sort text.links >a && sort html.links >b && cmp a b &&
	head -n 1 text.links | grep -E "^/vote\?s=alice&p=[0-9]{4}\.[0-9]{5}&d=2025-12-30&v=up&t=[A-Za-z0-9_-]{43}$"
'

test_expect_success 'start serve (the token check below reads its port file)' '
	start_serve
'

test_expect_success 'the token signs subscriber, day/paper and direction (recomputed independently)' '
	up=$(grep -m1 "&v=up&" text.links) &&
	p=$(param "$up" p) &&
	test "$(param "$up" t)" = "$(token vote-up alice "2025-12-30/$p")" &&
	down=$(grep "p=$p&" text.links | grep "&v=down&") &&
	test "$(param "$down" t)" = "$(token vote-down alice "2025-12-30/$p")"
'

test_expect_success 'a GET shows the paper and a button, and records nothing' '
	up=$(grep -m1 "&v=up&" text.links) &&
	p=$(param "$up" p) &&
	status_is 200 GET "$up" &&
	grep_file "<h1>More papers like this?</h1>" reply &&
	title=$(paperboy score alice --date 2025-12-30 --explain "$p" | head -n 1 | sed "s/^[^:]*: //") &&
	grep_file "<strong id=\"paper\">$title</strong>" reply &&
	grep_file "<form method=\"post\" action=\"vote\">" reply &&
	status_is 200 HEAD "$up" &&
	votes_are 0
'

test_expect_success 'the POST records the up-vote via http with the paper'"'"'s text' '
	up=$(grep -m1 "&v=up&" text.links) &&
	p=$(param "$up" p) &&
	status_is 200 POST "$up" &&
	grep_file "Thank you: noted." reply &&
	votes_are 1 &&
	tail -n 1 $FEEDBACK | grep -E "^[0-9T:-]+Z	up	http	2025-12-30	$p	[^	]+	[^	]{100,}	" &&
	grep_file "paperboy: alice up-voted $p of 2025-12-30 (http, 127.0." serve.out
'

test_expect_success 'a Fewer link from the form fields records a down-vote' '
	down=$(grep -m2 "&v=down&" text.links | tail -n 1) &&
	p=$(param "$down" p) &&
	status_is 200 --form s=alice --form "p=$p" --form d=2025-12-30 \
		--form v=down --form "t=$(param "$down" t)" POST /vote &&
	votes_are 2 &&
	tail -n 1 $FEEDBACK | grep -E "	down	http	2025-12-30	$p	"
'

test_expect_success 'flipped or forged links: 403, nothing recorded' '
	up=$(grep -m1 "&v=up&" text.links) &&
	other=$(grep -m2 "&v=up&" text.links | tail -n 1) &&
	p=$(param "$up" p) && t=$(param "$up" t) &&
	q=$(param "$other" p) &&
	status_is 403 POST "$(echo "$up" | sed "s/v=up/v=down/")" &&
	grep_file "This link is not valid." reply &&
	status_is 403 POST "$(echo "$up" | sed "s/p=$p/p=$q/")" &&
	status_is 403 POST "$(echo "$up" | sed "s/s=alice/s=dana/")" &&
	status_is 403 POST "$(echo "$up" | sed "s/d=2025-12-30/d=2025-12-29/")" &&
	case "$t" in *A) c=B ;; *) c=A ;; esac &&
	status_is 403 POST "$(echo "$up" | sed "s/t=$t/t=${t%?}$c/")" &&
	status_is 403 POST "/vote?s=alice&p=$p&d=2025-12-30&v=up" &&
	status_is 403 POST "/vote?s=alice&p=$p&d=2025-12-30&v=sideways&t=$t" &&
	status_is 403 POST "/vote?s=alice&p=$p&d=2025-12-30&v=up&t=$(token unsubscribe alice alice@example.org)" &&
	status_is 403 POST "/vote?s=alice&p=$p&d=2025-12-30&v=up&v=down&t=$t" &&
	status_is 403 GET "$(echo "$up" | sed "s/v=up/v=down/")" &&
	votes_are 2 && test ! -e state/feedback/dana
'

test_expect_success 'a test issue'"'"'s vote links are inert' '
	paperboy send-test --to tester@example.org --as alice --date 2025-12-30 >out &&
	f=$(ls -t outbox/new/* | head -n 1) &&
	links "$f" plain >test.links &&
	test -s test.links &&
	while read -r l; do
		status_is 403 POST "$l" || return 1
	done <test.links &&
	votes_are 2
'

test_expect_success 'a day that is not cached: the vote fails (500) and records nothing' '
	p=2512.23675 &&
	status_is 500 POST "/vote?s=alice&p=$p&d=2025-12-29&v=up&t=$(token vote-up alice 2025-12-29/$p)" &&
	grep_file "no cached listing of 2025-12-29" serve.err &&
	votes_are 2
'

test_expect_success '50 concurrent POSTs: every vote is recorded' '
	before=$(votes) &&
	$PYTHON - text.links 50 <<-\PY >storm.out &&
	import http.client, sys, threading
	port = int(open("serve.port").read())
	links = open(sys.argv[1]).read().split()
	n = int(sys.argv[2])
	codes = [None] * n
	start = threading.Barrier(n)
	def one(i):
	    start.wait()
	    path, _, body = links[i % len(links)].partition("?")
	    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
	                       source_address=("127.0.9.%d" % (i + 1), 0))
	    c.request("POST", path, body=body,
	          headers={"Content-Type": "application/x-www-form-urlencoded"})
	    codes[i] = c.getresponse().status
	    c.close()
	ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
	for t in ts: t.start()
	for t in ts: t.join()
	print(sum(1 for c in codes if c == 200), "of", n)
	PY
	cat storm.out &&
	test "$(cat storm.out)" = "50 of 50" &&
	votes_are $((before + 50)) &&
	test "$(grep -c "	http	2025-12-30	" $FEEDBACK)" = $((before + 50))
'

test_expect_success 'concurrent CLI and HTTP votes: none lost' '
	before=$(votes) &&
	p=$(param "$(head -n 1 text.links)" p) &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		paperboy feedback alice --down "$p" --date 2025-12-30 >/dev/null &
	done &&
	i=0 &&
	for l in $(head -n 10 text.links); do
		i=$((i + 1)) &&
		req --src "127.0.8.$i" POST "$l" >/dev/null &
	done &&
	wait &&
	votes_are $((before + 20))
'

test_expect_success 'no base_url: no vote links' '
	sed -e "/base_url/d" .site.cfg >paperboy.cfg &&
	paperboy render alice --date 2025-12-30 --text >t.txt &&
	! grep -q "like this" t.txt &&
	paperboy render alice --date 2025-12-30 >t.html &&
	! grep -q "/vote" t.html &&
	cp .site.cfg paperboy.cfg
'

test_done
