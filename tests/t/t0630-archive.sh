#!/bin/sh
test_description='the web archive: day pages linked to each other, the month, readers who opt in'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
ART="$TEST_ROOT/tests/artifacts/t0630-archive"
TIDY=${TIDY:-tidy}

setup_site && use_profiles seed-criteria alice || exit 1
rm -rf "$ART" && mkdir -p "$ART" || exit 1
printf '%s\n' 'archive = { enabled = true; dir = "archive"; };' >>paperboy.cfg
printf '%s\n' 'archive = true;' >>subscribers/alice.cfg
# Alice's pages are in readers/KEY/, KEY an HMAC of her id and address
# (the secret is made by the first run).
reader_dir() { echo 1 >serve.port && echo "archive/readers/$(token archive alice alice@example.org)"; }

# Prints "PREV MONTH NEXT" of day page $1: where its navigation links lead,
# resolved against the page ("-" for a missing link).
nav_of() {
	$PYTHON - "$1" <<-\PY
	import os, sys
	from html.parser import HTMLParser
	page = sys.argv[1]
	found = {}
	class P(HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.href = None
	    def handle_starttag(self, tag, attrs):
	        if tag == "a":
	            self.href = dict(attrs).get("href")
	    def handle_data(self, data):
	        if self.href:
	            for key in ("Previous day", "Monthly overview", "Next day"):
	                if key in data and key not in found:
	                    found[key] = os.path.normpath(os.path.join(os.path.dirname(page), self.href))
	            self.href = None
	P().feed(open(page, encoding="utf-8").read())
	print(" ".join(found.get(k, "-") for k in ("Previous day", "Monthly overview", "Next day")))
	PY
}

# Days are archived out of order: the middle one comes last.
test_expect_success 'three consecutive days are archived' '
	for d in 2025-12-29 2025-12-31 2025-12-30; do
		paperboy run --date $d --force-date --listing "$LISTING" \
			>run-$d.out ||
			return 1
	done &&
	for d in 29 30 31; do
		test -s archive/2025-12/2025-12-$d.html || return 1
	done &&
	cp -r archive "$ART/"
'

test_expect_success 'Previous day / Monthly overview / Next day link the days to each other' '
	A=archive/2025-12 &&
	test "$(nav_of $A/2025-12-29.html)" = "- $A/index.html $A/2025-12-30.html" &&
	test "$(nav_of $A/2025-12-30.html)" = "$A/2025-12-29.html $A/index.html $A/2025-12-31.html" &&
	test "$(nav_of $A/2025-12-31.html)" = "$A/2025-12-30.html $A/index.html -"
'

test_expect_success 'the monthly page lists all three days' '
	for d in 29 30 31; do
		grep_file "href=\"2025-12-$d.html\"" archive/2025-12/index.html ||
			return 1
	done &&
	grep_file "85 papers" archive/2025-12/index.html &&
	grep_file "href=\"2025-12/index.html\"" archive/index.html
'

test_expect_success 'a day page holds the whole listing, grouped by category' '
	test "$(grep -c "<div class=\"p\" id=" archive/2025-12/2025-12-30.html)" = 85 &&
	grep_file "<h2 id=\"cat-cs.LG\">cs.LG" archive/2025-12/2025-12-30.html &&
	grep_file "<h2 id=\"cat-cs.CL\">cs.CL" archive/2025-12/2025-12-30.html
'

test_expect_success 'the pages are valid HTML' '
	for f in archive/2025-12/2025-12-30.html archive/2025-12/index.html \
		 archive/index.html $(reader_dir)/2025-12-30.html; do
		"$TIDY" -errors -quiet $f >tidy.out 2>&1
		test $? -lt 2 && test ! -s tidy.out || { cat tidy.out; return 1; }
	done
'

test_expect_success 'regenerating a day is idempotent' '
	cp -r archive before &&
	paperboy run --date 2025-12-30 --listing "$LISTING" --resend alice \
		>rerun.out &&
	diff -r before archive
'

test_expect_success 'a reader who opts in gets pages without budget, unsubscribe link or address, noindex, at an unguessable path' '
	R=$(reader_dir) &&
	test -s $R/2025-12-30.html &&
	test "$(ls archive/readers)" = "$(basename $R)" &&
	test "${#R}" -ge 59 &&
	test ! -e archive/readers/alice &&
	test ! -e archive/readers/seed-criteria &&
	! grep -q unsubscribe $R/2025-12-30.html &&
	! grep -q "more papers on the archive" $R/2025-12-30.html &&
	test "$(grep -c "<meta name=\"robots\" content=\"noindex\">" $R/2025-12-30.html)" = 1 &&
	! grep -q "alice@example.org" $R/2025-12-30.html &&
	grep -q "(address not shown)" $R/2025-12-30.html
'

test_expect_success 'the mail links to the archive: the reader page, or the day page' '
	paperboy render alice --date 2025-12-30 --text >alice.txt &&
	grep_file "https://digest.example.org/$(reader_dir)/2025-12-30.html" alice.txt &&
	paperboy render seed-criteria --date 2025-12-30 --html >seed.html &&
	grep_file "href=\"https://digest.example.org/archive/2025-12/2025-12-30.html\"" seed.html
'

test_expect_success 'a dry run writes no archive' '
	paperboy run --date 2026-01-02 --force-date --listing "$LISTING" \
		--dry-run >dry.out &&
	test ! -e archive/2026-01
'

test_done
