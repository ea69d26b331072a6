#!/bin/sh
test_description='self-service profiles: the signed "change your topics" page in a real browser (headless Chromium): change a keyword, save; the .cfg is rewritten valid, locked and atomic, keeping its other lines and comments'
. "$(dirname "$0")/test-lib.sh"

ART="$TEST_ROOT/tests/artifacts/t0450-profile-browser"

# Fails unless alice's profile, apart from the lines of the lists the form
# edits (topics, authors, exclude, never, criteria), is line for line
# alice.orig.
others_kept() {
	$PYTHON - alice.orig subscribers/alice.cfg <<-\PY
	import re, sys
	def others(path):
	    out, inside = [], False
	    for l in open(path).read().splitlines():
	        if re.match(r"topics *=", l):
	            inside = ");"
	        elif re.match(r"criteria *=", l):
	            inside = "\";"
	        if inside:
	            if l.rstrip().endswith(inside):
	                inside = False
	            continue
	        if not re.match(r"(authors|exclude|never|criteria) *=", l):
	            out.append(l)
	    return out
	a, b = others(sys.argv[1]), others(sys.argv[2])
	assert a == b and len(a) == 7, (a, b)
	PY
}

need_chromium

setup_site && use_profiles alice || exit 1
cp subscribers/alice.cfg alice.orig
rm -rf "$ART" && mkdir -p "$ART" || exit 1
start_serve || exit 1
T=$(token profile alice alice@example.org)
URL="http://127.0.0.1:$PORT/profile?s=alice&t=$T"

test_expect_success 'GET shows the topics, keywords, authors and never terms and changes nothing' '
	test "$(req GET "/profile?s=alice&t=$T")" = 200 &&
	grep_file "value=\"Mixture of Experts\"" reply &&
	grep_file "expert routing" reply &&
	grep_file "Tatsunori Hashimoto" reply &&
	grep_file "<textarea name=\"exclude\" rows=\"3\"></textarea>" reply &&
	tr "\n" " " <reply | grep -q "name=\"never\" rows=\"3\">reinforcement learning medical imaging</textarea>" &&
	grep_file "<meta name=\"robots\" content=\"noindex\">" reply &&
	! grep -q "alice@example.org" reply &&
	cmp alice.orig subscribers/alice.cfg
'

test_expect_success 'a forged or foreign token is 403 and changes nothing' '
	u=$(token unsubscribe alice alice@example.org) &&
	test "$(req GET "/profile?s=alice&t=$u")" = 403 &&
	test "$(req --form s=alice --form "t=$u" --form "authors=Someone Else" POST /profile)" = 403 &&
	test "$(req --form s=bruno --form "t=$T" --form "authors=Someone Else" POST /profile)" = 403 &&
	cmp alice.orig subscribers/alice.cfg
'

test_expect_success 'a POST the loader refuses is 400, says why, and changes nothing' '
	long=$($PYTHON -c "print(\"x\" * 300)") &&
	test "$(req --form s=alice --form "t=$T" --form "topic0_name=Mixture of Experts" --form "topic0_keywords=$long" POST /profile)" = 400 &&
	grep_file "Not saved:" reply &&
	grep_file "longer than 200" reply &&
	grep_file "$long</textarea>" reply &&
	! grep -q "$TRASH" reply &&
	cmp alice.orig subscribers/alice.cfg
'

# The form posts every field; one the reader did not change is left as
# written, comments and layout included.
test_expect_success 'a POST that changes a keyword leaves never, authors and criteria as written' '
	cp subscribers/alice.cfg before.cfg &&
	sed -i "s|^never = \[\"reinforcement learning\", \"medical imaging\"\];|never = [ \"reinforcement learning\",  # RL\n          \"medical imaging\" ];|" subscribers/alice.cfg &&
	grep -q "# RL" subscribers/alice.cfg &&
	cp subscribers/alice.cfg commented.cfg &&
	test "$(req --form s=alice --form "t=$T" --form "topic0_name=Mixture of Experts" \
		--form "topic0_keywords=mixture of experts
MoE
expert routing
gating" --form "authors=Yoshua Bengio
Tatsunori Hashimoto" --form "exclude=" --form "never=reinforcement learning
medical imaging" --form "criteria=" POST /profile)" = 200 &&
	grep_file "Saved." reply &&
	grep -q "\"gating\"" subscribers/alice.cfg &&
	grep -q "# RL" subscribers/alice.cfg &&
	grep -qx "          \"medical imaging\" ];" subscribers/alice.cfg &&
	! grep -q "^criteria\|^exclude" subscribers/alice.cfg &&
	grep -qx "authors = \[\"Yoshua Bengio\", \"Tatsunori Hashimoto\"\];" subscribers/alice.cfg &&
	cp before.cfg subscribers/alice.cfg
'

start_chromium 800,900 "$URL"

test_expect_success 'Chromium: change a keyword, a never term and the criteria, save; the profile changed and is valid' '
	$CDP \
		wait-target:/profile wait-selector:textarea wait-load \
		screenshot:"$ART/1-profile.png" \
		"eval:(t => (t.value = t.value.replace(\"MoE\", \"sparse experts\"), t.value))(document.querySelector(\"textarea[name=topic0_keywords]\"))" \
		"eval:(t => (t.value = t.value.replace(\"medical imaging\", \"protein folding\"), t.value))(document.querySelector(\"textarea[name=never]\"))" \
		"eval:(t => (t.value = \"Sparse experts that route tokens;\\nand \\\"pruning\\\" large models.\", t.value))(document.querySelector(\"textarea[name=criteria]\"))" \
		"click:button[type=submit]" wait-selector:#saved wait-load \
		"eval:document.querySelector(\"#saved\").textContent" \
		"eval:document.querySelector(\"textarea[name=topic0_keywords]\").value" \
		"eval:document.querySelector(\"textarea[name=never]\").value" \
		"eval:document.querySelector(\"textarea[name=criteria]\").value" \
		screenshot:"$ART/2-saved.png" >cdp.out &&
	cat cdp.out &&
	sed -n 4p cdp.out | grep -q "^\"Saved\." &&
	sed -n 5p cdp.out | grep -q "sparse experts" &&
	sed -n 6p cdp.out | grep -q "protein folding" &&
	sed -n 7p cdp.out | grep -qF "tokens;\\nand \\\"pruning\\\" large" &&
	tr "\n" "|" <subscribers/alice.cfg |
		grep -qF "criteria = \"Sparse experts that route tokens;|and \\\"pruning\\\" large models.\";|" &&
	grep -qx "never = \[\"reinforcement learning\", \"protein folding\"\];" subscribers/alice.cfg &&
	! grep -q "^exclude" subscribers/alice.cfg &&
	is_png "$ART/1-profile.png" 800 && is_png "$ART/2-saved.png" 800 &&
	grep -q "\"sparse experts\"" subscribers/alice.cfg &&
	! grep -q "\"MoE\"" subscribers/alice.cfg &&
	grep -q "\"expert routing\"" subscribers/alice.cfg &&
	grep -q "\"Tatsunori Hashimoto\"" subscribers/alice.cfg &&
	others_kept &&
	paperboy subscribers check >out 2>err &&
	grep -E "	profile	alice	alice@example.org	http$" state/unsubscribe.log &&
	grep_file "alice changed their profile (http," serve.out &&
	test ! -e subscribers/.alice.edit
'

test_expect_success 'the profile loads for the next run; the server logged only the refused POST' '
	stop_pid_file chrome.pid &&
	paperboy score alice --date 2025-12-30 --listing "$SAMPLE_LISTING" >out 2>err || { cat err; false; }
	grep -q "close to your criteria" out &&
	grep -q "profile of alice not changed: .*longer than 200" serve.err &&
	! grep -v "profile of alice not changed" serve.err
'

test_done
