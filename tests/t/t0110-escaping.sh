#!/bin/sh
test_description='hostile text in titles and abstracts is escaped in HTML, readable in text'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a profile that selects the synthetic hostile items' '
	setup_site &&
	cat >subscribers/sparse.cfg <<-\EOF &&
	email = "sparse@example.org";
	min_relevance = 1;
	topics = ( { name = "Sparse"; keywords = ["sparse attention", "mixture of experts"]; } );
	EOF
	paperboy run --date 2025-12-30 --listing "$FIXTURES/listing-small.xml" >out &&
	f=$(ls outbox/new/*,sparse) &&
	$PYTHON "$MIME_CHECK" "$f" >m.json &&
	$PYTHON -c "import json; m = json.load(open(\"m.json\")); open(\"text\", \"w\").write(m[\"parts\"][0][\"text\"]); open(\"html\", \"w\").write(m[\"parts\"][1][\"text\"])"
'

test_expect_success 'the title with <, & and $x<y$ is escaped in HTML' '
	grep_file "Bounds for \$x&lt;y\$ &amp; Other &lt;Inequalities&gt; in Sparse Attention" html &&
	! grep -F "<Inequalities>" html
'

test_expect_success 'markup in an abstract is text, never markup, in HTML' '
	grep_file "&lt;b&gt;not bold&lt;/b&gt;" html &&
	grep_file "&lt;script&gt;alert(1)&lt;/script&gt;" html &&
	! grep -F "<script>" html &&
	! grep -F "<b>not bold" html
'

test_expect_success 'the text part shows the same text as written' '
	grep_file "Bounds for \$x<y\$ & Other <Inequalities> in Sparse" text &&
	grep_file "<b>not bold</b>" text &&
	grep_file "\$\\alpha<\\beta\$" text
'

test_expect_success 'render --html prints exactly the mailed HTML part' '
	paperboy render sparse --date 2025-12-30 --html >rendered.html &&
	$PYTHON - rendered.html html <<-\PY
	import sys
	a = open(sys.argv[1]).read()
	b = open(sys.argv[2]).read().replace("\r\n", "\n")
	assert a == b, "render --html differs from the mailed part"
	PY
'

test_done
