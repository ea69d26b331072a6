# servers.sh: real SMTP servers for the shell tests, sourced after
# test-lib.sh by the tests that deliver over SMTP:
#
#   . "$TEST_ROOT/tests/lib/servers.sh"
#   make_test_cert certs
#   start_smtpd mx --tls-cert certs/cert.pem --tls-key certs/key.pem \
#           --require-tls --auth user:secret --fault rcpt:bob@example.org:451
#   ... deliver to 127.0.0.1:$mx_port, then look in $mx_spool ...
#   test "$(spool_count mx)" = 50 && test "$(connection_count mx)" -lt 50
#
# Every server listens on 127.0.0.1 on a free port, logs to $TRASH/NAME.log
# and is stopped when the test exits, however it exits. Every wait is
# bounded: a server that does not come up fails the test instead of
# hanging it.
#
# Design decision: the servers are registered in files under
# $TRASH/.servers/, not in shell variables, because test_expect_success runs
# each test in a subshell: a server started inside a test is still found and
# stopped at exit. Start servers at the top level of the test file (outside
# test_expect_success) when several tests need NAME_port: variables set in
# a test's subshell die with it.
#
# Functions:
#   free_port                  prints a free TCP port on 127.0.0.1
#   make_test_cert DIR         DIR/cert.pem, DIR/key.pem: self-signed,
#                              CN=localhost, SAN IP:127.0.0.1, DNS:localhost
#   start_smtpd NAME [opts]    tests/lib/smtpd.py (see its --help and the
#                              comment at its top: --tls-cert/--tls-key,
#                              --require-tls, --no-starttls, --auth U:P,
#                              --fault SPEC, --implicit-tls: TLS from the
#                              first byte, SMTPS as on port 465, with the
#                              --tls-cert/--tls-key certificate); sets
#                              NAME_port, NAME_spool, NAME_pid, NAME_log
#   stop_smtpd NAME            SIGTERM, bounded wait, then SIGKILL
#   start_smtp_sink NAME [opts]  Postfix smtp-sink; sets NAME_port,
#                              NAME_pid, NAME_log
#   stop_smtp_sink NAME
#   stop_all_servers           what the EXIT trap runs
#   spool_count NAME           number of messages in NAME's spool (.eml)
#   connection_count NAME      SMTP sessions NAME has seen
#   servers_left               pids of this test's servers still running
#   pid_alive PID              true while PID runs (zombies do not)
#   port_listening PORT        true once 127.0.0.1:PORT accepts connections
#   $SMTPD_PYTHON              the python3 that has aiosmtpd (a client too)
#
# smtp-sink options the delivery tests use (see smtp-sink(1); -u root is
# added when running as root, which smtp-sink otherwise refuses):
#   -r CMD,CMD   soft reject (4xx, "450 4.3.0 Error: command failed"),
#                e.g. -r rcpt: every RCPT is deferred
#   -f CMD,CMD   hard reject (5xx, "500 5.3.0 Error: command failed"),
#                e.g. -f rcpt or -f .  (the end of DATA)
#   -q CMD,CMD   disconnect without replying after CMD, e.g. -q . : the
#                message was sent but never acknowledged (in doubt)
#   -Q CMD,CMD   reply 421 and disconnect after CMD
#   -b/-B REPLY  the text of soft/hard rejects
#   -d TEMPLATE  dump each transaction to its own file (strftime template,
#                e.g. "$TRASH/sink.d/%M."); -D TEMPLATE appends all to one
#   -c           print running counters (sessions, messages) to the log
#   -M N / -n N  exit after N messages / N sessions
#   -a           do not announce AUTH (it announces PLAIN LOGIN by default)
# smtp-sink matches commands, not recipients: per-recipient faults are
# smtpd.py's --fault.

# How long a server may take to come up, and to go down after SIGTERM.
SERVER_START_TIMEOUT=10
SERVER_STOP_TIMEOUT=5
# Attempts at binding smtp-sink: free_port's port can be taken in between.
SINK_BIND_ATTEMPTS=5
# Listen backlog for smtp-sink: above any connection count a test uses.
SINK_BACKLOG=100

SERVERS_DIR="$TRASH/.servers"
mkdir -p "$SERVERS_DIR" || exit 1

# The interpreter that has aiosmtpd: Debian's python3-aiosmtpd lives in
# /usr/bin/python3, which may not be the python3 on PATH (pyenv, venv).
if /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
	SMTPD_PYTHON=/usr/bin/python3
else
	SMTPD_PYTHON=python3
fi

server_fail() {
	echo "servers.sh: $*" >&2
	return 1
}

# NAME must be usable as the prefix of a shell variable.
server_check_name() {
	case $1 in
	'' | [0-9]* | *[!A-Za-z0-9_]*)
		server_fail "bad server name '$1' (letters, digits, _)"
		;;
	esac
}

# True while PID is a live process (a zombie is not: nothing reaps the
# servers whose starting subshell has exited).
pid_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	srv_state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
	[ "$srv_state" != Z ]
}

# True when PID is still the server that was started with MARK in its
# command line (not a recycled pid).
server_is_ours() {
	[ -r "/proc/$1/cmdline" ] || return 0
	srv_cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)
	case $srv_cmd in
	*"$2"*) return 0 ;;
	esac
	return 1
}

# Waits, at most $2 seconds, for PID $1 to be gone; reaps it if it is a
# child of this shell.
wait_gone() {
	srv_n=$(($2 * 10))
	while pid_alive "$1"; do
		[ "$srv_n" -gt 0 ] || return 1
		srv_n=$((srv_n - 1))
		sleep 0.1
	done
	wait "$1" 2>/dev/null
	return 0
}

stop_server() {
	srv_pidf="$SERVERS_DIR/$1.pid"
	[ -f "$srv_pidf" ] || return 0
	srv_pid=$(cat "$srv_pidf")
	srv_mark=$(cat "$SERVERS_DIR/$1.mark" 2>/dev/null)
	if [ -n "$srv_pid" ] && pid_alive "$srv_pid" &&
		server_is_ours "$srv_pid" "$srv_mark"; then
		kill -TERM "$srv_pid" 2>/dev/null
		if ! wait_gone "$srv_pid" "$SERVER_STOP_TIMEOUT"; then
			echo "servers.sh: $1 ($srv_pid) ignored SIGTERM," \
				"killing it" >&2
			kill -KILL "$srv_pid" 2>/dev/null
			wait_gone "$srv_pid" 2
		fi
	fi
	rm -f "$srv_pidf" "$SERVERS_DIR/$1.mark" "$SERVERS_DIR/$1.port"
}

stop_all_servers() {
	for srv_f in "$SERVERS_DIR"/*.pid; do
		[ -f "$srv_f" ] || continue
		srv_f=${srv_f##*/}
		stop_server "${srv_f%.pid}"
	done
}

# pids of the servers registered in this test that are still running,
# plus any smtpd.py left running from this test's TRASH.
servers_left() {
	for srv_f in "$SERVERS_DIR"/*.pid; do
		[ -f "$srv_f" ] || continue
		srv_pid=$(cat "$srv_f")
		pid_alive "$srv_pid" && echo "$srv_pid"
	done
	for srv_f in /proc/[0-9]*/cmdline; do
		srv_cmd=$(tr '\0' ' ' <"$srv_f" 2>/dev/null) || continue
		case $srv_cmd in
		*smtpd.py*"$TRASH/"*)
			srv_pid=${srv_f#/proc/}
			srv_pid=${srv_pid%/cmdline}
			pid_alive "$srv_pid" && echo "$srv_pid"
			;;
		esac
	done | sort -u
}

# A test shell killed with SIGKILL runs no trap: each server gets a
# watchdog that stops it once the test shell ($$, also in subshells) is
# gone, and ends by itself when the server does. Its own subshell must not
# run the test's traps. $2 is the server's mark, read now: the registry
# file may be gone by then.
server_watchdog() {
	(
		trap - EXIT INT TERM HUP
		while kill -0 "$SERVERS_SHELL" 2>/dev/null && pid_alive "$1"; do
			sleep 1
		done
		if pid_alive "$1" && server_is_ours "$1" "$2"; then
			kill -TERM "$1" 2>/dev/null
			sleep 2
			pid_alive "$1" && kill -KILL "$1" 2>/dev/null
		fi
	) </dev/null >/dev/null 2>&1 &
}
SERVERS_SHELL=$$

# Sourced after test-lib.sh, this trap replaces its own: the processes a
# test started through test-lib.sh (serve) are stopped here too. The
# benches source this file alone.
trap 'stop_all_servers
	if command -v stop_pid_file >/dev/null 2>&1; then
		for f in "$TRASH"/*.pid; do stop_pid_file "$f"; done
	fi
	[ -n "$KEEP_TRASH" ] || rm -rf "$TRASH"' EXIT
# Without these, a test killed by a signal would skip the EXIT trap and
# leave its servers running.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

free_port() {
	"$SMTPD_PYTHON" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

make_test_cert() {
	mkdir -p "$1" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
		-keyout "$1/key.pem" -out "$1/cert.pem" -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		>"$1/openssl.log" 2>&1 || {
		cat "$1/openssl.log" >&2
		server_fail "openssl could not make a certificate in $1"
	}
}

# Sets NAME_port, NAME_spool, NAME_pid and NAME_log once the server has
# answered its own probe connection (smtpd.py writes its port file only
# then, and does not count that probe as a session).
start_smtpd() {
	server_check_name "$1" || return 1
	srv_name=$1
	shift
	[ ! -f "$SERVERS_DIR/$srv_name.pid" ] ||
		server_fail "a server named $srv_name is running" || return 1
	"$SMTPD_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
		server_fail "aiosmtpd is missing (apt-get install" \
			"python3-aiosmtpd, or make deps)" || return 1
	srv_portf="$SERVERS_DIR/$srv_name.port"
	srv_spool="$TRASH/$srv_name.spool"
	srv_log="$TRASH/$srv_name.log"
	rm -f "$srv_portf"
	echo "$SERVERS_DIR/$srv_name.port" >"$SERVERS_DIR/$srv_name.mark"
	"$SMTPD_PYTHON" "$TEST_ROOT/tests/lib/smtpd.py" --host 127.0.0.1 \
		--port 0 --port-file "$srv_portf" \
		--pid-file "$SERVERS_DIR/$srv_name.pid" --spool "$srv_spool" \
		"$@" </dev/null >>"$srv_log" 2>&1 &
	srv_pid=$!
	echo "$srv_pid" >"$SERVERS_DIR/$srv_name.pid"
	server_watchdog "$srv_pid" "$(cat "$SERVERS_DIR/$srv_name.mark")"
	srv_n=$((SERVER_START_TIMEOUT * 10))
	while [ ! -s "$srv_portf" ]; do
		if ! pid_alive "$srv_pid" || [ "$srv_n" -le 0 ]; then
			cat "$srv_log" >&2
			stop_server "$srv_name"
			server_fail "smtpd $srv_name did not start (log above)"
			return 1
		fi
		srv_n=$((srv_n - 1))
		sleep 0.1
	done
	srv_port=$(cat "$srv_portf")
	eval "${srv_name}_port=\$srv_port ${srv_name}_spool=\$srv_spool" \
		"${srv_name}_pid=\$srv_pid ${srv_name}_log=\$srv_log"
}

stop_smtpd() {
	server_check_name "$1" && stop_server "$1"
}

# True once something listens on 127.0.0.1:PORT. Read from the kernel's
# table rather than by connecting, so smtp-sink's session counters (-c,
# -n) see only the test's own connections.
port_listening() {
	srv_hex=$(printf '%04X' "$1")
	awk -v p=":$srv_hex" '$2 == "0100007F" p && $4 == "0A" { f = 1 }
		END { exit !f }' /proc/net/tcp
}

# Runs smtp-sink on 127.0.0.1:FREEPORT with the given options, e.g.
# `start_smtp_sink sink -r rcpt`. Sets NAME_port, NAME_pid, NAME_log.
start_smtp_sink() {
	server_check_name "$1" || return 1
	srv_name=$1
	shift
	[ ! -f "$SERVERS_DIR/$srv_name.pid" ] ||
		server_fail "a server named $srv_name is running" || return 1
	if [ -z "$SMTP_SINK" ]; then
		SMTP_SINK=$(sh "$TEST_ROOT/tests/lib/smtp-sink.sh" sink) ||
			server_fail "no smtp-sink (see above)" || return 1
	fi
	# smtp-sink refuses to run as root without -u; as root it stays root,
	# so that it can write dump files (-d) into the test's TRASH.
	srv_user=
	[ "$(id -u)" = 0 ] && srv_user="-u root"
	srv_log="$TRASH/$srv_name.log"
	srv_attempt=0
	while [ "$srv_attempt" -lt "$SINK_BIND_ATTEMPTS" ]; do
		srv_attempt=$((srv_attempt + 1))
		srv_port=$(free_port) || return 1
		echo "127.0.0.1:$srv_port " >"$SERVERS_DIR/$srv_name.mark"
		# shellcheck disable=SC2086
		"$SMTP_SINK" $srv_user "$@" "127.0.0.1:$srv_port" \
			"$SINK_BACKLOG" </dev/null >>"$srv_log" 2>&1 &
		srv_pid=$!
		echo "$srv_pid" >"$SERVERS_DIR/$srv_name.pid"
		server_watchdog "$srv_pid" \
			"$(cat "$SERVERS_DIR/$srv_name.mark")"
		srv_n=$((SERVER_START_TIMEOUT * 10))
		while pid_alive "$srv_pid" && ! port_listening "$srv_port"; do
			[ "$srv_n" -gt 0 ] || break
			srv_n=$((srv_n - 1))
			sleep 0.1
		done
		if pid_alive "$srv_pid" && port_listening "$srv_port"; then
			eval "${srv_name}_port=\$srv_port" \
				"${srv_name}_pid=\$srv_pid" \
				"${srv_name}_log=\$srv_log"
			return 0
		fi
		stop_server "$srv_name"
		# Only a lost race for the port is worth another attempt.
		grep -q "Address already in use" "$srv_log" || break
	done
	cat "$srv_log" >&2
	server_fail "smtp-sink $srv_name did not start (log above)"
}

stop_smtp_sink() {
	server_check_name "$1" && stop_server "$1"
}

spool_count() {
	srv_n=0
	for srv_f in "$TRASH/$1.spool"/*.eml; do
		[ -f "$srv_f" ] && srv_n=$((srv_n + 1))
	done
	echo "$srv_n"
}

connection_count() {
	cat "$TRASH/$1.spool/connections" 2>/dev/null || echo 0
}
