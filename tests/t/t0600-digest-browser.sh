#!/bin/sh
test_description='the HTML digest in a real browser: phone and desktop, light and dark, no overflow'
. "$(dirname "$0")/test-lib.sh"

# Debian's chromium (make deps installs it). The screenshots and the page
# survive the run in tests/artifacts/, for a person to look at.
ART="$TEST_ROOT/tests/artifacts/t0600-digest-browser"
LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

need_chromium

setup_site && use_profiles seed-criteria alice || exit 1
sed -i 's|^\tsecret_file = .*|&\n\tpostal = "Paperboy digests, 1 Example Street, 12345 Example City";|' paperboy.cfg
rm -rf "$ART" && mkdir -p "$ART" || exit 1

test_expect_success 'render prints the HTML part of the seed profile' '
	paperboy render seed-criteria --date 2025-12-30 --listing "$LISTING" \
		--html >digest.html &&
	cp digest.html "$ART/seed-criteria.html" &&
	grep_file "<meta name=\"color-scheme\" content=\"light dark\">" digest.html &&
	grep_file "Paperboy digests, 1 Example Street" digest.html &&
	paperboy render alice --date 2025-12-30 --listing "$LISTING" \
		--html >alice.html &&
	cp alice.html "$ART/alice.html"
'

start_chromium 1024,800 "file://$TRASH/digest.html"
WIDTH='eval:document.documentElement.scrollWidth'

test_expect_success 'at 360 px (a phone) nothing overflows, light and dark' '
	$CDP wait-target:digest.html wait-load size:360x1400 light \
		"$WIDTH" screenshot:"$ART/360-light.png" \
		"eval:document.getElementById(\"p1\").scrollIntoView()" \
		screenshot:"$ART/360-light-card.png" \
		"eval:window.scrollTo(0, 0)" dark \
		"$WIDTH" screenshot:"$ART/360-dark.png" \
		"eval:document.getElementById(\"p1\").scrollIntoView()" \
		screenshot:"$ART/360-dark-card.png" >cdp.out &&
	cat cdp.out &&
	test "$(sed -n 1p cdp.out)" -le 360 &&
	test "$(sed -n 4p cdp.out)" -le 360 &&
	for f in 360-light 360-light-card 360-dark 360-dark-card; do
		is_png "$ART/$f.png" 360 || return 1
	done
'

test_expect_success 'at 1024 px (a desktop) the column stays readable, light and dark' '
	$CDP wait-target:digest.html size:1024x1400 light "eval:window.scrollTo(0, 0)" \
		"$WIDTH" \
		"eval:Math.round(document.querySelector(\".pb-card\").getBoundingClientRect().width)" \
		screenshot:"$ART/1024-light.png" dark \
		screenshot:"$ART/1024-dark.png" \
		"eval:getComputedStyle(document.querySelector(\".pb-card\")).backgroundColor" \
		>cdp.out &&
	cat cdp.out &&
	test "$(sed -n 2p cdp.out)" -le 1024 &&
	test "$(sed -n 3p cdp.out)" = 640 &&
	test "$(sed -n 4p cdp.out)" != "\"rgb(255, 255, 255)\"" &&
	is_png "$ART/1024-light.png" 1024 &&
	is_png "$ART/1024-dark.png" 1024
'

test_expect_success 'every paper of the table of contents has its card' '
	$CDP wait-target:digest.html \
		"eval:[...document.querySelectorAll(\"ol a[href^=\\\"#\\\"]\")].every(a => document.getElementById(a.hash.slice(1)))" \
		"eval:document.querySelectorAll(\"td[id^=p]\").length" >cdp.out &&
	cat cdp.out &&
	test "$(sed -n 1p cdp.out)" = true &&
	test "$(sed -n 2p cdp.out)" = "$(grep -c "^<li[^>]*><a [^>]*href=\"#p" digest.html)"
'

stop_pid_file chrome.pid
test_done
