#!/bin/sh
test_description='a real browser (headless Chromium) follows a digest'"'"'s "More like this" link: the page records nothing, its button does'
. "$(dirname "$0")/test-lib.sh"

# Debian's chromium (make deps installs it). The screenshots survive the
# run in tests/artifacts/, for a person to look at.
ART="$TEST_ROOT/tests/artifacts/t0480-vote-browser"
LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
FEEDBACK=state/feedback/alice

need_chromium

setup_site && use_profiles alice || exit 1
rm -rf "$ART" && mkdir -p "$ART" || exit 1
start_serve

test_expect_success 'setup: the day'"'"'s digest, its links pointed at the local server' '
	paperboy run --date 2025-12-30 --listing "$LISTING" >out &&
	$PYTHON - "$(ls outbox/new/*,alice)" "http://127.0.0.1:$PORT" <<-\PY
	import email, email.policy, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	html = m.get_body(preferencelist=("html",)).get_content()
	assert html.count(">More like this</a>") > 3, "no vote links"
	open("digest.html", "w").write(html.replace("https://digest.example.org", sys.argv[2]))
	PY
'

start_chromium 800,900 "file://$TRASH/digest.html"

test_expect_success 'clicking "More like this" opens the vote page, which records nothing' '
	$CDP \
		wait-load wait-selector:a.v \
		"eval:document.querySelector(\"a.v\").closest(\"td\").scrollIntoView()" \
		screenshot:"$ART/1-digest.png" \
		"eval:document.querySelector(\"a.v\").textContent" \
		"eval:document.querySelector(\"a.v\").closest(\"td\").querySelector(\"h2\").textContent" \
		click:a.v wait-target:/vote wait-selector:button wait-load \
		"eval:document.querySelector(\"h1\").textContent" \
		"eval:document.querySelector(\"#paper\").textContent" \
		screenshot:"$ART/2-vote-page.png" >cdp.out &&
	cat cdp.out &&
	test "$(sed -n 2p cdp.out)" = "\"More like this\"" &&
	title=$(sed -n 3p cdp.out) &&
	test "$(sed -n 4p cdp.out)" = "\"More papers like this?\"" &&
	test "$(sed -n 5p cdp.out)" = "$title" &&
	is_png "$ART/1-digest.png" 800 &&
	is_png "$ART/2-vote-page.png" 800 &&
	test ! -e $FEEDBACK
'

test_expect_success 'the button POSTs: the up-vote is recorded with the paper'"'"'s text' '
	$CDP \
		wait-target:/vote wait-selector:button \
		click:button wait-title:"Thank you" wait-load \
		"eval:document.querySelector(\"h1\").textContent" \
		"eval:location.pathname" \
		screenshot:"$ART/3-recorded.png" \
		dark screenshot:"$ART/4-recorded-dark.png" \
		size:390x844 screenshot:"$ART/5-recorded-phone.png" >cdp.out &&
	cat cdp.out &&
	test "$(sed -n 1p cdp.out)" = "\"Thank you: noted.\"" &&
	test "$(sed -n 2p cdp.out)" = "\"/vote\"" &&
	is_png "$ART/3-recorded.png" 800 &&
	is_png "$ART/4-recorded-dark.png" 800 &&
	is_png "$ART/5-recorded-phone.png" 390 &&
	test "$(tail -n +2 $FEEDBACK | wc -l)" = 1 &&
	tail -n 1 $FEEDBACK | grep -E "	up	http	2025-12-30	[0-9.]+	[^	]+	[^	]{100,}	"
'

test_expect_success 'the server logged the vote and no error' '
	stop_pid_file "$TRASH/chrome.pid" &&
	grep -E "paperboy: alice up-voted [0-9.]+ of 2025-12-30 \(http, 127.0.0.1\)" serve.out &&
	test ! -s serve.err
'

test_done
