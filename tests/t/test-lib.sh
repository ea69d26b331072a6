# test-lib.sh: sourced by every tests/t/tNNNN-*.sh, after setting
# test_description. Like git's test-lib: each test runs the real ./paperboy
# in its own scratch folder (a copy of the config, templates and the
# profiles it needs), and reports "ok N - what" / "not ok N - what".
#
#   test_expect_success 'what a user would check' '
#           commands
#   '

TEST_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAPERBOY="$TEST_ROOT/paperboy"
FIXTURES="$TEST_ROOT/tests/fixtures"
PYTHON=${PYTHON:-python3}
MIME_CHECK="$TEST_ROOT/tests/unit/mime_check.py"
test_count=0
test_failed=0

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/paperboy-test.XXXXXX")
# However the test file ends, every server a test started (its pid in
# $TRASH/NAME.pid, even from the subshell a test runs in) is stopped,
# then the scratch folder goes.
trap 'for f in "$TRASH"/*.pid; do stop_pid_file "$f"; done
	[ -n "$KEEP_TRASH" ] || rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1

if [ ! -x "$PAPERBOY" ]; then
	echo "Bail out! $PAPERBOY is not built (run make)"
	exit 1
fi

paperboy() {
	"$PAPERBOY" "$@"
}

# Tests never reach the internet: every source URL points at a loopback
# port where nothing listens (tests that fetch start their own server),
# and retries are fast.
NO_SERVER="http://127.0.0.1:9"
PAPERBOY_TEST_MIN_INTERVAL_MS=20
PAPERBOY_TEST_BACKOFF_MS=20
export PAPERBOY_TEST_MIN_INTERVAL_MS PAPERBOY_TEST_BACKOFF_MS

# Sets up a site in the current folder: paperboy.cfg with delivery to
# ./outbox and sources on NO_SERVER, the real templates, and an empty
# subscribers/ folder.
setup_site() {
	mkdir -p subscribers templates
	cp "$TEST_ROOT"/templates/* templates/
	sed -e "s|https://rss.arxiv.org/rss/|$NO_SERVER/rss/|" \
	    -e "s|https://export.arxiv.org/api/query|$NO_SERVER/api/query|" \
	    -e "s|https://huggingface.co/api/daily_papers|$NO_SERVER/api/daily_papers|" \
		"$TEST_ROOT/paperboy.cfg" >paperboy.cfg &&
	! grep -E "(^|[[:space:]])(rss_url|api_url|url) = \"https" paperboy.cfg &&
	cp paperboy.cfg .site.cfg
}

# Writes N generated profiles PREFIX001 ... PREFIXNNN (PREFIX defaults to
# "sub") at PREFIXNNN@example.org, who all get a digest (everybody reads
# about transformers).
make_subscribers() {
	mkdir -p subscribers &&
	i=1 &&
	while [ $i -le "$1" ]; do
		id=$(printf "%s%03d" "${2:-sub}" $i)
		printf 'name = "Reader %d";\nemail = "%s@example.org";\ntopics = ( { name = "Transformers"; keywords = ["transformer", "attention"]; } );\n' \
			$i $id >subscribers/$id.cfg
		i=$((i + 1))
	done
}

# paperboy.cfg (from the site's .site.cfg) for authenticated SMTP delivery
# to localhost:PORT with TLS mode TLS ("starttls" or "implicit"), BATCH
# messages per connection, trusting certs/cert.pem, user "digest" with
# smtp.pw; extra smtp settings may follow ("retries = 1; ...").
write_smtp_cfg() {
	port=$1 tls=$2 batch=$3
	shift 3
	sed -e '/^delivery = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		smtp = { host = "localhost"; port = $port; tls = "$tls";
			 ca_file = "certs/cert.pem"; user = "digest";
			 password_file = "smtp.pw"; batch = $batch;
			 retries = 2; retry_delay_ms = 10; timeout = 10; $* };
	};
	EOF
}

# paperboy.cfg (from the site's .site.cfg) for SMTP delivery in clear
# (tls = "none") to 127.0.0.1:PORT; the smtp settings that follow
# ("batch = 25; retries = 2; ...") complete its group.
write_plain_smtp_cfg() {
	port=$1
	shift
	sed -e '/^delivery = {/,/^};/d' .site.cfg >paperboy.cfg &&
	cat >>paperboy.cfg <<-EOF
	delivery = {
		method = "smtp";
		smtp = { host = "127.0.0.1"; port = $port; tls = "none";
			 $* };
	};
	EOF
}

# Copies the example profiles named on the command line into subscribers/.
use_profiles() {
	for p in "$@"; do
		cp "$TEST_ROOT/subscribers/$p.cfg" subscribers/ || return 1
	done
}

test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

test_done() {
	echo "# passed $((test_count - test_failed)) of $test_count"
	if [ "$test_failed" -gt 0 ]; then
		echo "# failed $test_failed"
		exit 1
	fi
	exit 0
}

# wait_until CMD [ARG...]: runs CMD until it succeeds, for at most 10 s:
# for what a server does after it answered (serve's mailer thread).
wait_until() {
	wait_n=0
	until "$@"; do
		wait_n=$((wait_n + 1))
		[ $wait_n -lt 100 ] || return 1
		sleep 0.1
	done
}

# Fails, printing the file, unless it contains the fixed string.
grep_file() {
	grep -F -- "$1" "$2" >/dev/null || {
		echo "expected '$1' in $2:"
		cat "$2"
		return 1
	}
}

# Fails unless a command exits with exactly the given status.
expect_status() {
	want=$1
	shift
	"$@"
	got=$?
	[ "$got" -eq "$want" ] || {
		echo "expected exit $want from '$*', got $got"
		return 1
	}
}

# ---- the bad-input catalogue (t07NN): shared checks ----

# The sample day and its listing.
SAMPLE_LISTING="$TEST_ROOT/sample/arxiv-2025-12-30.xml"

# run_sample STATUS [LISTING]: runs the sample day (from LISTING instead
# of the sample's), expecting exit STATUS; stdout in out, stderr in err.
run_sample() {
	expect_status "$1" paperboy run --date 2025-12-30 \
		--listing "${2:-$SAMPLE_LISTING}" >out 2>err
}

# mailed ID...: fails unless outbox/new holds exactly one message for
# each ID and nothing else (no ID: nothing at all).
mailed() {
	got=$(ls outbox/new 2>/dev/null | sed 's/.*,//' | sort | tr '\n' ' ')
	want=$(for id in "$@"; do echo "$id"; done | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || {
		echo "expected mail for '$want', the outbox has '$got'"
		return 1
	}
}

# profile_refused ID MESSAGE: subscribers/ID.cfg, next to alice's and
# chen's, makes `subscribers check` and `run` exit 78 with MESSAGE (a
# fixed string) on stderr; alice and chen get their digest, nobody else
# does, and the refused file (or what a link points at) is left as it was.
profile_refused() {
	cat "subscribers/$1.cfg" >"$1.before" &&
	expect_status 78 paperboy subscribers check >out 2>err &&
	grep_file "$2" err &&
	run_sample 78 &&
	grep_file "$2" err &&
	mailed alice chen &&
	grep -E "broken-profiles +1" out &&
	cmp "$1.before" "subscribers/$1.cfg"
}

# listing_refused LISTING MESSAGE [ID...]: running the sample day from
# LISTING exits 65 with MESSAGE (a fixed string) and "nothing was sent"
# on stderr, mails nobody and caches nothing; the same day from the good
# listing then mails the IDs (default: alice and chen).
listing_refused() {
	run_sample 65 "$1" &&
	grep_file "$2" err &&
	grep_file "nothing was sent" err &&
	mailed &&
	test ! -e state/cache/2025-12-30/arxiv.xml &&
	test ! -s state/journal/2025-12-30 &&
	shift 2 &&
	if [ $# -eq 0 ]; then set -- alice chen; fi &&
	run_sample 0 &&
	mailed "$@"
}

# build_enospc: compiles tests/lib/enospc.c into ./enospc.so.
# with_enospc PATH CMD...: runs CMD with every write and fsync to PATH
# (a file, or anything in a folder) failing with ENOSPC (sanitizer
# builds: the shim is preloaded ahead of the sanitizer runtime).
build_enospc() {
	${CC:-cc} -shared -fPIC -o enospc.so "$TEST_ROOT/tests/lib/enospc.c" -ldl
}
with_enospc() {
	full=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	shift
	ENOSPC_DIR=$full LD_PRELOAD=$PWD/enospc.so \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0" \
		"$@"
}

# ---- servers and browsers the tests start ----

free_port() {
	$PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_pid_file FILE: stops the process whose pid FILE holds: SIGTERM, up
# to 5 seconds, then SIGKILL. Nothing if FILE is gone.
stop_pid_file() {
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	rm -f "$1"
	kill "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

# start_pyserver NAME SCRIPT ARG...: runs tests/lib/SCRIPT (a python
# server that takes --port-file, --pid-file, --log, --max-seconds) with
# its log in NAME.log (emptied), waits until it listens, sets $port; it
# is stopped when the test file exits (stop_pyserver NAME: sooner).
start_pyserver() {
	name=$1 script=$2
	shift 2
	stop_pyserver "$name"
	rm -f "$name.port" && : >"$name.log" || return 1
	$PYTHON "$TEST_ROOT/tests/lib/$script" --port-file "$name.port" \
		--pid-file "$TRASH/$name.pid" --log "$name.log" \
		--max-seconds 100 "$@" 2>"$name.err" &
	i=0
	while [ ! -s "$name.port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	port=$(cat "$name.port")
	[ -n "$port" ]
}

stop_pyserver() {
	stop_pid_file "$TRASH/$1.pid"
}

# Debian's headless chromium (make deps installs it).
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic
	--no-first-run --no-default-browser-check --disable-background-networking
	--disable-component-update --disable-sync --disable-dev-shm-usage
	--hide-scrollbars --allow-file-access-from-files
	--user-data-dir=$TRASH/chrome"

# need_chromium: ends the test file unless chromium is installed: a
# failure, or a skip with PAPERBOY_SKIP_BROWSER=1.
need_chromium() {
	[ -x "$CHROMIUM" ] && return 0
	if [ "$PAPERBOY_SKIP_BROWSER" = 1 ]; then
		echo "ok 1 # skip $CHROMIUM is not installed (PAPERBOY_SKIP_BROWSER=1)"
		echo "# passed 0 of 0"
		exit 0
	fi
	echo "not ok 1 - $CHROMIUM is installed (run make deps, or set PAPERBOY_SKIP_BROWSER=1 to skip)"
	echo "# passed 0 of 1"
	echo "# failed 1"
	exit 1
}

# start_chromium WxH URL: chromium with its DevTools port on a free
# loopback port ($DEVPORT); $CDP then runs tests/lib/cdp.py against it.
start_chromium() {
	DEVPORT=$(free_port) || return 1
	"$CHROMIUM" $CHROME_FLAGS --window-size="$1" \
		--remote-debugging-port="$DEVPORT" "$2" >chrome.log 2>&1 &
	echo $! >"$TRASH/chrome.pid"
	CDP="$PYTHON $TEST_ROOT/tests/lib/cdp.py $DEVPORT"
}

# is_png FILE MIN [MAX]: FILE is a PNG from MIN to MAX (default MIN)
# pixels wide and over 100 high.
is_png() {
	$PYTHON - "$1" "$2" "${3:-$2}" <<-\PY
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
	w, h = struct.unpack("!II", data[16:24])
	assert int(sys.argv[2]) <= w <= int(sys.argv[3]) and h > 100, (w, h)
	PY
}

# ---- paperboy serve ----

# start_serve [OPTION...]: starts `paperboy serve` on a free loopback port
# (in $PORT and serve.port; output in serve.out and serve.err) and waits
# until it listens.
start_serve() {
	PORT=$(free_port) || return 1
	echo "$PORT" >serve.port
	"$PAPERBOY" serve --listen "127.0.0.1:$PORT" "$@" >serve.out 2>serve.err &
	echo $! >"$TRASH/serve.pid"
	i=0
	while ! grep -q "serving" serve.out 2>/dev/null; do
		[ $i -lt 100 ] || { cat serve.err; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
}

stop_serve() {
	stop_pid_file "$TRASH/serve.pid"
}

# The client of tests/lib/serve-client.py (see there): serve_client CMD
# ARGS, and the shorthands token, req and raw.
serve_client() { $PYTHON "$TEST_ROOT/tests/lib/serve-client.py" "$@"; }
token() { serve_client token "$@"; }
req() { serve_client req "$@"; }
raw() { serve_client raw "$@"; }
