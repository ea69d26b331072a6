#!/bin/sh
test_description='contrib/: hardened systemd units, sysusers.d and tmpfiles.d, the crontab, and nginx serving the archive and proxying to serve'
. "$(dirname "$0")/test-lib.sh"

CONTRIB="$TEST_ROOT/contrib"
NGINX=${NGINX:-/usr/sbin/nginx}
UNITS="paperboy-run.service paperboy-serve.service"

# ---- systemd ----

test_expect_success 'systemd-analyze security rates each unit below 4.0' '
	for u in $UNITS; do
		systemd-analyze security --offline=true "$CONTRIB/$u" >sec.out 2>&1 &&
		score=$(sed -n "s/.*Overall exposure level for $u: \([0-9.]*\) .*/\1/p" sec.out) &&
		echo "$u: $score" &&
		test -n "$score" &&
		awk -v s="$score" "BEGIN { exit !(s < 4.0) }" || {
			cat sec.out; return 1; }
	done
'

# A root of our own with systemd's units, the binary where the units
# expect it, and ours: verify then checks every setting and path.
test_expect_success 'systemd-analyze verify finds nothing wrong with the units and the timer' '
	mkdir -p root/etc/systemd/system root/usr/local/bin root/usr/lib/systemd &&
	cp -a /lib/systemd/system root/usr/lib/systemd/ &&
	cp "$PAPERBOY" root/usr/local/bin/paperboy &&
	cp "$CONTRIB"/paperboy-*.service "$CONTRIB"/paperboy-run.timer \
		root/etc/systemd/system/ &&
	systemd-analyze verify --root="$PWD/root" $UNITS paperboy-run.timer \
		>verify.out 2>&1 &&
	test ! -s verify.out
'

test_expect_success 'systemd-analyze verify would notice a mistake (the check can fail)' '
	sed -i "s/^ProtectSystem=strict/ProtectSytem=strict/" \
		root/etc/systemd/system/paperboy-run.service &&
	systemd-analyze verify --root="$PWD/root" paperboy-run.service \
		>verify.out 2>&1
	grep_file "ProtectSytem" verify.out
'

test_expect_success 'the sysusers.d file makes the paperboy user, the tmpfiles.d file its folders' '
	mkdir -p sys/etc/paperboy sys/var/lib sys/usr/lib/sysusers.d \
		sys/usr/lib/tmpfiles.d &&
	: >sys/etc/paperboy/paperboy.cfg &&
	cp "$CONTRIB/paperboy-sysusers.conf" sys/usr/lib/sysusers.d/paperboy.conf &&
	cp "$CONTRIB/paperboy-tmpfiles.conf" sys/usr/lib/tmpfiles.d/paperboy.conf &&
	systemd-sysusers --root="$PWD/sys" paperboy.conf >/dev/null 2>&1 &&
	grep "^paperboy:" sys/etc/passwd >pw &&
	grep_file ":/var/lib/paperboy:/usr/sbin/nologin" pw &&
	uid=$(cut -d: -f3 pw) &&
	systemd-tmpfiles --create --root="$PWD/sys" paperboy.conf &&
	for want in "var/lib/paperboy 711 $uid" \
		    "var/lib/paperboy/state 700 $uid" \
		    "var/lib/paperboy/subscribers 700 $uid" \
		    "var/lib/paperboy/archive 755 $uid" \
		    "etc/paperboy 750 0" \
		    "etc/paperboy/paperboy.cfg 640 0"; do
		set -- $want &&
		test "$(stat -c "%a %u" "sys/$1")" = "$2 $3" || {
			echo "$1: $(stat -c "%a %u" "sys/$1"), want $2 $3"
			return 1; }
	done &&
	test "$(stat -c %g sys/etc/paperboy/paperboy.cfg)" = "$(cut -d: -f4 pw)"
'

test_expect_success 'the units and the crontab run the installed paths' '
	for f in paperboy-run.service paperboy-serve.service crontab; do
		grep_file "/usr/local/bin/paperboy" "$CONTRIB/$f" &&
		grep_file "-c /etc/paperboy/paperboy.cfg" "$CONTRIB/$f" &&
		grep_file "/var/lib/paperboy" "$CONTRIB/$f" || return 1
	done
'

test_expect_success 'the crontab is a valid /etc/cron.d file without CRON_TZ (Debian 12 has none)' '
	! grep -q "^CRON_TZ" "$CONTRIB/crontab" &&
	grep -v "^#" "$CONTRIB/crontab" | grep -v "^[A-Z_]*=" | grep . >jobs &&
	test $(wc -l <jobs) = 1 &&
	set -f && set -- $(cat jobs) && set +f &&
	test "$1" -ge 0 && test "$1" -le 59 &&
	test "$2 $3 $4 $5 $6" = "* * * * paperboy" &&
	grep_file "run >>state/run.log 2>&1" jobs
'

# ---- nginx ----

# The shipped server blocks on test ports, with a self-signed certificate,
# this site's archive folder and serve's port; nginx runs unprivileged in
# this folder.
nginx_conf() {
	sed -e "/listen \[::\]/d" \
	    -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|" \
	    -e "s|listen 443 ssl;|listen 127.0.0.1:$HTTPS_PORT ssl;|" \
	    -e "s|/etc/letsencrypt/live/digest.example.org/|$PWD/certs/|" \
	    -e "s|/var/lib/paperboy/archive/|$PWD/archive/|" \
	    -e "s|127.0.0.1:8025|127.0.0.1:$PORT|" \
		"$CONTRIB/nginx.conf" >site.conf &&
	mkdir -p ngx &&
	{
		[ "$(id -u)" != 0 ] || echo "user root root;"
		cat <<-EOF
		pid $PWD/ngx/nginx.pid;
		error_log $PWD/ngx/error.log;
		events { worker_connections 64; }
		http {
			access_log off;
			client_body_temp_path $PWD/ngx/body;
			proxy_temp_path $PWD/ngx/proxy;
			fastcgi_temp_path $PWD/ngx/fastcgi;
			uwsgi_temp_path $PWD/ngx/uwsgi;
			scgi_temp_path $PWD/ngx/scgi;
			include /etc/nginx/mime.types;
			include $PWD/site.conf;
		}
		EOF
	} >nginx.conf
}

# get URL-PATH [http]: the response through nginx as
# "STATUS\nLocation\nX-Robots-Tag\n" in resp.head and the body in resp.body.
get() {
	$PYTHON - "$1" "${2:-https}" "$HTTP_PORT" "$HTTPS_PORT" <<-\PY
	import http.client, ssl, sys
	path, scheme, hport, sport = sys.argv[1:]
	if scheme == "https":
	    ctx = ssl.create_default_context()
	    ctx.check_hostname = False
	    ctx.verify_mode = ssl.CERT_NONE
	    c = http.client.HTTPSConnection("127.0.0.1", int(sport), context=ctx, timeout=10)
	else:
	    c = http.client.HTTPConnection("127.0.0.1", int(hport), timeout=10)
	c.request("GET", path, headers={"Host": "digest.example.org"})
	r = c.getresponse()
	body = r.read()
	open("resp.head", "w").write("%d\n%s\n%s\n" % (r.status,
	    r.getheader("Location", "-"), r.getheader("X-Robots-Tag", "-")))
	open("resp.body", "wb").write(body)
	PY
}

status() { sed -n 1p resp.head; }

test_expect_success 'nginx is installed' '
	test -x "$NGINX"
'

test_expect_success 'a site with an archive, serve running, nginx with the shipped config' '
	setup_site && use_profiles alice chen &&
	printf "%s\n" "archive = { enabled = true; dir = \"archive\"; };" >>paperboy.cfg &&
	printf "%s\n" "archive = true;" >>subscribers/alice.cfg &&
	paperboy run --date 2025-12-30 --listing "$SAMPLE_LISTING" >out &&
	test -f archive/index.html && test -f archive/2025-12/2025-12-30.html &&
	reader=$(ls archive/readers/*/2025-12-30.html) &&
	test "$(echo "$reader" | wc -l)" = 1 && echo "$reader" >reader.path &&
	start_serve &&
	HTTP_PORT=$(free_port) && HTTPS_PORT=$(free_port) &&
	echo "$HTTP_PORT $HTTPS_PORT" >ports &&
	mkdir certs &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=digest.example.org \
		-keyout certs/privkey.pem -out certs/fullchain.pem 2>/dev/null &&
	nginx_conf &&
	"$NGINX" -t -p "$PWD/ngx" -c "$PWD/nginx.conf" >nginx-t.out 2>&1 &&
	grep_file "syntax is ok" nginx-t.out &&
	grep_file "test is successful" nginx-t.out &&
	{ "$NGINX" -p "$PWD/ngx" -c "$PWD/nginx.conf" -g "daemon off;" \
		2>nginx.err & } &&
	echo $! >"$TRASH/nginx.pid" &&
	i=0 &&
	while ! get /archive/ 2>/dev/null; do
		[ $i -lt 50 ] || { cat nginx.err ngx/error.log; return 1; }
		sleep 0.1; i=$((i + 1))
	done
'

read HTTP_PORT HTTPS_PORT <ports 2>/dev/null
PORT=$(cat serve.port 2>/dev/null)

test_expect_success '/archive/ serves the archive folder: index, day page, month' '
	get /archive/ && test "$(status)" = 200 &&
	cmp resp.body archive/index.html &&
	get /archive/2025-12/2025-12-30.html && test "$(status)" = 200 &&
	cmp resp.body archive/2025-12/2025-12-30.html &&
	grep -q "^-\$" resp.head &&
	get /archive/2025-12/ && test "$(status)" = 200 &&
	cmp resp.body archive/2025-12/index.html &&
	get /archive && test "$(status)" = 301 &&
	sed -n 2p resp.head | grep -q "/archive/\$"
'

test_expect_success 'readers pages are served with X-Robots-Tag: noindex' '
	reader=$(cat reader.path) &&
	get "/$reader" && test "$(status)" = 200 &&
	cmp resp.body "$reader" &&
	test "$(sed -n 3p resp.head)" = "noindex, nofollow"
'

test_expect_success 'nothing outside the archive folder, no listings, no symlinks out' '
	get /archive/../paperboy.cfg && test "$(status)" != 200 &&
	! grep -q secret_file resp.body &&
	get /archive/readers/ && test "$(status)" = 404 -o "$(status)" = 403 &&
	ln -s ../paperboy.cfg archive/cfg.txt &&
	get /archive/cfg.txt && test "$(status)" != 200
'

test_expect_success 'the rest goes to paperboy serve (its pages, its 403 for a bad token)' '
	t=$(token unsubscribe alice alice@example.org) &&
	get "/unsubscribe?s=alice&t=$t" && test "$(status)" = 200 &&
	grep -q "<form" resp.body &&
	get "/unsubscribe?s=alice&t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" &&
	test "$(status)" = 403
'

test_expect_success 'plain http is redirected to https' '
	get /archive/ http && test "$(status)" = 301 &&
	test "$(sed -n 2p resp.head)" = "https://digest.example.org/archive/"
'

test_done
