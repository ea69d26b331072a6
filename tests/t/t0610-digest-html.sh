#!/bin/sh
test_description='the HTML part: valid (tidy), absolute https links, render = what is mailed, operator templates'
. "$(dirname "$0")/test-lib.sh"

LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"
ART="$TEST_ROOT/tests/artifacts/t0610-digest-html"
TIDY=${TIDY:-tidy}

setup_site && use_profiles seed-criteria alice bruno || exit 1
rm -rf "$ART" && mkdir -p "$ART" || exit 1

# Prints every href and src of the HTML file $1, one a line.
links() {
	$PYTHON - "$1" <<-\PY
	import sys
	from html.parser import HTMLParser
	class P(HTMLParser):
	    def handle_starttag(self, tag, attrs):
	        for k, v in attrs:
	            if k in ("href", "src"):
	                print(v)
	P().feed(open(sys.argv[1], encoding="utf-8").read())
	PY
}

# The decoded text/html part of the message in file $1.
html_part() {
	$PYTHON - "$1" <<-\PY
	import email, email.policy, sys
	msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
	                                     policy=email.policy.default)
	part = msg.get_body(preferencelist=("html",))
	sys.stdout.buffer.write(part.get_payload(decode=True))
	PY
}

test_expect_success 'the day runs and mails the digests' '
	paperboy run --date 2025-12-30 --listing "$LISTING" >run.out &&
	ls outbox/new/*,seed-criteria
'

test_expect_success 'render --html is exactly the HTML part that was mailed' '
	for s in seed-criteria alice bruno; do
		paperboy render $s --date 2025-12-30 --html >$s.html &&
		html_part outbox/new/*,$s >$s.mailed.html &&
		cmp $s.html $s.mailed.html || return 1
	done &&
	cp seed-criteria.html "$ART/"
'

test_expect_success 'tidy finds no error in the HTML part' '
	command -v "$TIDY" >/dev/null || {
		echo "$TIDY is not installed (make deps)"; return 1; }
	for s in seed-criteria alice bruno; do
		"$TIDY" -errors -quiet $s.html >tidy.out 2>&1
		test $? -lt 2 && test ! -s tidy.out || { cat tidy.out; return 1; }
	done
'

test_expect_success 'every link is absolute https, but the contents anchors' '
	for s in seed-criteria alice bruno; do
		links $s.html >links.out &&
		test -s links.out &&
		if grep -v -e "^https://" -e "^#p[0-9][0-9]*$" -e "^#more$" links.out
		then
			echo "$s: links above are not absolute https"; return 1
		fi || return 1
		for a in $(grep "^#" links.out); do
			grep -q "id=\"${a#\#}\"" $s.html || {
				echo "$s: anchor $a has no target"; return 1; }
		done
	done
'

test_expect_success 'a paper card links the abstract and the PDF; followed authors stand out' '
	grep_file "href=\"https://arxiv.org/abs/" alice.html &&
	grep_file "href=\"https://arxiv.org/pdf/" alice.html &&
	grep_file "Author you follow" alice.html &&
	grep -q "<b class=\"a\"[^>]*>Tatsunori Hashimoto</b>" alice.html
'

test_expect_success 'the preheader and header tell the truth' '
	n=$(grep -c "^<tr><td id=\"p[0-9]*\"" alice.html) &&
	grep_file ">$n papers for you today: " alice.html &&
	grep_file "<title>Daily arXiv digest: 2025-12-30</title>" alice.html &&
	grep_file ">85</span><span class=\"m\" style=\"font-size:12px;color:#5b6470;\">in the listing<" alice.html
'

test_expect_success 'the footer: why, how to change the profile, unsubscribe, postal line' '
	sed -i "s|^\tsecret_file = .*|&\n\tpostal = \"Paperboy, 1 Example Street, Springfield\";|" paperboy.cfg &&
	paperboy render alice --date 2025-12-30 --html >alice2.html &&
	grep_file "Why you get this:" alice2.html &&
	grep_file "Change your profile:" alice2.html &&
	grep_file "href=\"https://digest.example.org/unsubscribe?s=alice&amp;t=" alice2.html &&
	grep_file "Paperboy, 1 Example Street, Springfield" alice2.html &&
	paperboy render alice --date 2025-12-30 --text >alice2.txt &&
	grep_file "Paperboy, 1 Example Street, Springfield" alice2.txt
'

test_expect_success 'an operator template from the config replaces the HTML part' '
	mkdir -p mine &&
	printf "<p>{{list.name}}: {{selected}} for {{subscriber.email}}</p>\n" >mine/digest.html &&
	printf "%s\n" "templates = { html = \"mine/digest.html\"; };" >>paperboy.cfg &&
	paperboy render alice --date 2025-12-30 --html >mine.html &&
	grep_file "<p>Daily arXiv digest: " mine.html &&
	paperboy render alice --date 2025-12-30 --text >mine.txt &&
	grep_file "Why you get this" mine.txt
'

test_expect_success 'an error in an operator template names its file and line' '
	printf "<p>ok</p>\n<p>{{no_such_value}}</p>\n" >mine/digest.html &&
	expect_status 65 paperboy render alice --date 2025-12-30 --html \
		>/dev/null 2>err &&
	grep_file "mine/digest.html:2: unknown variable '"'"'no_such_value'"'"'" err &&
	printf "{{#papers}}\n<p>x</p>\n" >mine/digest.html &&
	expect_status 78 paperboy render alice --date 2025-12-30 --html \
		>/dev/null 2>err &&
	grep_file "mine/digest.html:1:" err &&
	expect_status 78 paperboy run --date 2025-12-30 --resend alice \
		>/dev/null 2>err &&
	grep_file "mine/digest.html:1:" err &&
	grep_file "nothing was sent" err
'

test_done
