#!/bin/sh
test_description='a 100-paper digest fits the 102 KB of Gmail; the text part is 78 columns with every paper'
. "$(dirname "$0")/test-lib.sh"

ART="$TEST_ROOT/tests/artifacts/t0620-digest-budget"

# An RSS listing of $1 papers about transformers, each with a long
# abstract (~2,400 characters) and a title with HTML metacharacters.
make_listing() {
	$PYTHON - "$1" <<-\PY
	import sys
	from xml.sax.saxutils import escape
	n = int(sys.argv[1])
	words = ("attention transformer sparse routing experts tokens memory "
	         "scaling training dynamics quantization heads layers").split()
	print('<?xml version="1.0" encoding="UTF-8"?>')
	print('<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
	      'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>')
	print('<title>cs.LG updates on arXiv.org</title>')
	print('<link>http://rss.arxiv.org/rss/cs.LG</link>')
	print('<description>cs.LG</description>')
	print('<pubDate>Tue, 30 Dec 2025 00:00:00 -0500</pubDate>')
	for i in range(n):
	    aid = "2512.%05d" % (30000 + i)
	    body = " ".join(words[(i + k) % len(words)] for k in range(330))
	    title = "Transformer study %d: attention <&> sparse experts at scale" % (i + 1)
	    print("<item><title>%s</title><link>https://arxiv.org/abs/%s</link>"
	          % (escape(title), aid))
	    print("<description>arXiv:%sv1 Announce Type: new \nAbstract: A transformer %s.</description>"
	          % (aid, body))
	    print('<guid isPermaLink="false">oai:arXiv.org:%sv1</guid>' % aid)
	    print("<category>cs.LG</category>"
	          "<arxiv:announce_type>new</arxiv:announce_type>"
	          "<dc:creator>Ada Lovelace, Alan Turing, Grace Hopper</dc:creator></item>")
	print("</channel></rss>")
	PY
}

setup_site || exit 1
rm -rf "$ART" && mkdir -p "$ART" || exit 1
printf '%s\n' 'archive = { enabled = true; dir = "archive"; };' >>paperboy.cfg
cat >subscribers/wide.cfg <<-\PROFILE
name = "Wide Reader";
email = "wide@example.org";
topics = ( { name = "Transformers"; keywords = ["transformer", "attention"]; } );
min_relevance = 1;
max_papers = 100;
PROFILE
make_listing 100 >listing.xml

# The size Gmail counts: the HTML part as sent, quoted-printable encoded
# (its body between its part headers and the next boundary line).
encoded_html_size() {
	$PYTHON - "$1" <<-\PY
	import re, sys
	raw = open(sys.argv[1], "rb").read()
	b = re.search(rb'boundary="([^"]+)"', raw).group(1)
	for part in raw.split(b"\r\n--" + b):
	    head, sep, body = part.partition(b"\r\n\r\n")
	    if b"Content-Type: text/html" in head:
	        assert b"quoted-printable" in head
	        print(len(body))
	PY
}

test_expect_success 'the HTML part of 100 long papers stays under 102 KB as sent' '
	paperboy render wide --date 2025-12-30 --listing listing.xml \
		--html >wide.html &&
	paperboy render wide --date 2025-12-30 --listing listing.xml \
		--text >wide.txt &&
	paperboy render wide --date 2025-12-30 --listing listing.xml \
		--eml >wide.eml &&
	cp wide.html wide.txt wide.eml "$ART/" &&
	size=$(encoded_html_size wide.eml) &&
	echo "HTML part: $(wc -c <wide.html) bytes, $size encoded" &&
	test "$size" -le 100000 &&
	test "$size" -gt 90000
'

test_expect_success 'it says how many more papers are on the archive, and links there' '
	cards=$(grep -c "^<tr><td id=\"p[0-9]*\"" wide.html) &&
	more=$(sed -n "s|.*>\([0-9]*\) more papers on the archive<.*|\1|p" wide.html) &&
	echo "$cards cards, $more more" &&
	test "$cards" -ge 10 &&
	test $((cards + more)) = 100 &&
	grep_file "href=\"https://digest.example.org/archive/2025-12/2025-12-30.html\"" wide.html &&
	test "$(grep -c "^<li style=\"margin:0 0 5px;\"><a class=\"l\" href=\"https://arxiv.org/abs/" wide.html)" = "$more"
'

test_expect_success 'the text part has no line over 78 columns except URLs' '
	$PYTHON - wide.txt <<-\PY
	import sys
	bad = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n")
	       if len(l) > 78 and "https://" not in l]
	assert not bad, bad[:5]
	PY
'

test_expect_success 'the text part holds every paper: title, and its link as a reference' '
	$PYTHON - wide.txt <<-\PY
	import re, sys
	text = open(sys.argv[1], encoding="utf-8").read()
	flat = " ".join(text.split())
	refs = dict(re.findall(r"^\[(\d+)\] (https://\S+)$", text, re.M))
	for i in range(100):
	    aid = "2512.%05d" % (30000 + i)
	    title = "Transformer study %d: attention <&> sparse experts at scale" % (i + 1)
	    assert title in flat, title
	    m = re.search(r"arXiv:%s \[(\d+)\]" % re.escape(aid), text)
	    assert m, aid
	    assert refs[m.group(1)] == "https://arxiv.org/abs/" + aid, aid
	PY
'

test_expect_success 'a small digest keeps every abstract whole' '
	make_listing 5 >small.xml &&
	paperboy render wide --date 2025-12-30 --listing small.xml \
		--html >small.html &&
	! grep -q "more papers on the archive" small.html &&
	! grep -q "Read on arXiv" small.html &&
	test "$(grep -c "^<tr><td id=\"p[0-9]*\"" small.html)" = 5
'

test_done
