#!/usr/bin/env python3
"""A real SMTP server for the shell tests (aiosmtpd), on 127.0.0.1 only.

Every message it accepts lands in a spool folder, byte for byte as the
client sent it, so that a test checks what a recipient's MTA would have
received, not what paperboy believes it sent. Faults are injected per
recipient address, so one run can mix delivered, deferred, failed and
in-doubt messages.

Design decision: the server proves it is reachable before it says so. It
connects to itself and reads the banner, then writes --port-file; that
probe is not counted as a session, so DIR/connections counts only the
connections that clients made.

Options:
  --host H --port P     listen address (port 0: pick a free one)
  --port-file F         the chosen port, written once it accepts connections
  --pid-file F          this process's pid
  --spool DIR           DIR/NNNNNN.eml (raw message) + DIR/NNNNNN.json
                        {"mail_from", "rcpt_tos", "session", "tls", "auth",
                        "helo": the name the client gave in EHLO/HELO}
                        ("tls": STARTTLS or implicit TLS);
                        DIR/connections: SMTP sessions so far
  --tls-cert F --tls-key F   offer STARTTLS with that certificate
  --implicit-tls        serve TLS from the first byte (SMTPS, as on port
                        465) with --tls-cert/--tls-key instead of offering
                        STARTTLS; AUTH is then offered at once. A client
                        whose handshake fails is not counted in
                        DIR/connections (no SMTP session began)
  --require-tls         530 to MAIL (and the rest) before STARTTLS
  --no-starttls         do not offer STARTTLS even with a certificate
  --auth USER:PASSWORD  offer AUTH PLAIN/LOGIN (after STARTTLS when TLS is
                        configured), 535 on wrong credentials, 530 to MAIL
                        before AUTH
  --greeting REPLY      greet every client with REPLY (say "554 5.7.1 no
                        service") instead of the 220 banner; a 421 closes
                        the connection after it
  --close-after N       once N messages are spooled (by this server), the
                        next MAIL FROM is answered "421" and the connection
                        closed, as by a server that shuts down mid-session;
                        later sessions are served as usual
  --fault SPEC          repeatable:
                          rcpt:ADDR:CODE       answer RCPT TO:<ADDR> with CODE
                          rcpt-once:ADDR:CODE  the same, first attempt only
                          data:ADDR:CODE       answer end-of-DATA with CODE
                                               (not spooled)
                          drop-after-data:ADDR spool the message, then close
                                               the connection without a reply
                          hang-after-data:ADDR spool the message, then never
                                               reply (until the client leaves)
                        CODE is "451" or a whole reply, "550 5.1.1 no such";
                        a 421 reply closes the connection after it, as a
                        server that shuts down does (RFC 5321 4.2.2);
                        ADDR matches case-insensitively, data faults apply
                        to a message with ADDR among its recipients, and
                        the first matching --fault wins.

Logs to stderr (aiosmtpd's own protocol log too with SMTPD_VERBOSE=1).
SIGTERM or SIGINT: closes every connection, exits 0.
Exit status: 0 after a clean shutdown, 2 on usage errors, 1 when the
server cannot start.
"""
import argparse
import asyncio
import json
import logging
import os
import re
import signal
import socket
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

log = logging.getLogger("smtpd")

# How long the self-probe may take before the server gives up starting.
PROBE_TIMEOUT = 5.0
# How long shutdown waits for the listening socket to close.
SHUTDOWN_TIMEOUT = 2.0
# Idle time after which a session is closed: a stuck client must not keep
# a test waiting for aiosmtpd's default of 300 s.
SESSION_TIMEOUT = 60.0
# Upper bound for one message; digests are far below it (16 MiB cap).
DATA_SIZE_LIMIT = 32 * 1024 * 1024

REPLY_RE = re.compile(r"^[45][0-9][0-9]( .*)?$")


def atomic_write(path, data):
    """Writes data (bytes) to path through a rename, so that a reader sees
    the whole file or none of it. No fsync: readers are on this machine,
    and a test may spool hundreds of messages."""
    tmp = os.path.join(os.path.dirname(path),
                       ".tmp-%d-%s" % (os.getpid(), os.path.basename(path)))
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def parse_fault(spec):
    """"kind:ADDR[:CODE]" -> (kind, addr, reply). Raises ValueError."""
    kind, sep, rest = spec.partition(":")
    if not sep:
        raise ValueError("fault %r: expected KIND:ADDR..." % spec)
    if kind in ("drop-after-data", "hang-after-data"):
        if not rest or ":" in rest:
            raise ValueError("fault %r: expected %s:ADDR" % (spec, kind))
        return kind, rest.lower(), None
    if kind not in ("rcpt", "rcpt-once", "data"):
        raise ValueError("fault %r: unknown kind %r" % (spec, kind))
    addr, sep, code = rest.partition(":")
    if not addr or not sep or not REPLY_RE.match(code):
        raise ValueError("fault %r: expected %s:ADDR:CODE with CODE 4xx or "
                         "5xx" % (spec, kind))
    if len(code) == 3:
        code = "%s %s.0.0 Injected %s fault for <%s>" % (code, code[0],
                                                         kind, addr)
    return kind, addr.lower(), code


class Spool:
    """Numbered message files and the connection counter."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        # Continue after what a previous server left in the same spool.
        last = 0
        for name in os.listdir(folder):
            m = re.match(r"^([0-9]{6,})\.eml$", name)
            if m:
                last = max(last, int(m.group(1)))
        self.messages = last
        self.connections = 0
        self.write_connections()

    def write_connections(self):
        atomic_write(os.path.join(self.folder, "connections"),
                     b"%d\n" % self.connections)

    def new_connection(self):
        self.connections += 1
        self.write_connections()
        return self.connections

    def save(self, content, meta):
        """The .json goes first: whoever sees a .eml finds its .json."""
        self.messages += 1
        base = os.path.join(self.folder, "%06d" % self.messages)
        atomic_write(base + ".json",
                     json.dumps(meta, sort_keys=True).encode() + b"\n")
        atomic_write(base + ".eml", content)
        return base + ".eml"


class Handler:
    def __init__(self, spool, faults, auth, close_after=None):
        self.spool = spool
        self.faults = faults
        self.auth = auth
        self.once_done = set()
        self.close_after = close_after
        self.saved = 0

    def fault_for(self, kinds, addrs):
        for kind, addr, reply in self.faults:
            if kind in kinds and addr in addrs:
                return kind, addr, reply
        return None

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        # With a handle_EHLO hook, aiosmtpd leaves this to the hook.
        session.host_name = hostname
        if self.auth is None:
            responses = [r for r in responses
                         if not r[4:].upper().startswith("AUTH")]
        return responses

    @staticmethod
    async def reply_and_maybe_close(server, reply):
        """A 421 says the server closes the connection: it writes the
        reply and closes at once, reading nothing more (what the client
        pipelined is left unread, as by a server that shuts down)."""
        if not reply.startswith("421"):
            return reply
        server.transport.write(reply.encode() + b"\r\n")
        server.transport.close()
        # connection_lost() cancels this coroutine: nothing more is said.
        await asyncio.sleep(SESSION_TIMEOUT)
        return reply

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        if self.close_after is not None and self.saved >= self.close_after:
            self.close_after = None
            reply = "421 4.3.2 Injected shutdown, closing the connection"
            log.info("session %d: MAIL -> %s", server.number, reply)
            return await self.reply_and_maybe_close(server, reply)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        addr = address.lower()
        for kind, faddr, reply in self.faults:
            if faddr != addr:
                continue
            if kind == "rcpt":
                log.info("session %d: RCPT %s -> %s", server.number,
                         address, reply)
                return await self.reply_and_maybe_close(server, reply)
            if kind == "rcpt-once" and (faddr, reply) not in self.once_done:
                self.once_done.add((faddr, reply))
                log.info("session %d: RCPT %s -> %s (once)", server.number,
                         address, reply)
                return await self.reply_and_maybe_close(server, reply)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rcpts = {a.lower() for a in envelope.rcpt_tos}
        fault = self.fault_for(("data",), rcpts)
        if fault:
            log.info("session %d: DATA for %s -> %s", server.number,
                     fault[1], fault[2])
            return await self.reply_and_maybe_close(server, fault[2])
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "session": server.number,
            # After STARTTLS aiosmtpd sets session.ssl; under implicit
            # TLS it never does, but the transport itself is TLS.
            "tls": (session.ssl is not None or
                    server.transport.get_extra_info("ssl_object")
                    is not None),
            "auth": session.auth_data if session.authenticated else None,
            "helo": session.host_name,
        }
        path = self.spool.save(envelope.original_content, meta)
        self.saved += 1
        log.info("session %d: saved %s (%d bytes) from <%s> to %s",
                 server.number, os.path.basename(path),
                 len(envelope.original_content), envelope.mail_from,
                 ", ".join(envelope.rcpt_tos))
        fault = self.fault_for(("drop-after-data",), rcpts)
        if fault:
            log.info("session %d: dropping the connection after DATA for %s",
                     server.number, fault[1])
            server.transport.abort()
            # connection_lost() cancels this coroutine: no reply is sent.
            await asyncio.sleep(SESSION_TIMEOUT)
            return "421 4.4.2 Injected drop failed to close"
        fault = self.fault_for(("hang-after-data",), rcpts)
        if fault:
            log.info("session %d: never answering the data for %s",
                     server.number, fault[1])
            # Ends when the client gives up and closes (connection_lost()
            # cancels this coroutine), or at aiosmtpd's session timeout.
            await asyncio.sleep(SESSION_TIMEOUT)
            return "421 4.4.2 Injected hang is over"
        return "250 2.0.0 Ok: queued as %06d" % self.spool.messages

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword) or self.auth is None:
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if (user, password) == self.auth:
            log.info("session %d: AUTH %s as %s", server.number, mechanism,
                     user)
            return AuthResult(success=True, auth_data=user)
        log.info("session %d: AUTH %s as %s: wrong credentials",
                 server.number, mechanism, user)
        return AuthResult(success=False, handled=False)


class Server:
    """Shared state of the listening socket: counter, probes, sessions."""

    def __init__(self, spool, greeting=None):
        self.spool = spool
        self.probes = set()
        self.live = set()
        self.greeting = greeting


def make_protocol(state, handler, kwargs):
    class CountingSMTP(SMTP):
        number = 0

        def connection_made(self, transport):
            # Called again with the TLS transport after STARTTLS: same
            # session, so count only the first call.
            first = self._original_transport is None and self.number == 0
            if first:
                peer = transport.get_extra_info("peername")
                if peer is not None and tuple(peer[:2]) in state.probes:
                    state.probes.discard(tuple(peer[:2]))
                    self.number = -1
                else:
                    self.number = state.spool.new_connection()
                    log.info("session %d from %s", self.number, peer)
                state.live.add(self)
            super().connection_made(transport)

        def connection_lost(self, error):
            state.live.discard(self)
            super().connection_lost(error)

        async def push(self, status):
            # aiosmtpd's first push is its banner; probes get it as is.
            first = not getattr(self, "greeted", False)
            self.greeted = True
            if first and state.greeting and self.number > 0:
                log.info("session %d: greeting %s", self.number,
                         state.greeting)
                await super().push(state.greeting)
                if state.greeting.startswith("421"):
                    self.transport.close()
                return
            await super().push(status)

    return lambda: CountingSMTP(handler, **kwargs)


async def read_banner_tls(sock):
    """The banner of an implicit-TLS server over the connected sock. The
    probe only proves the server answers: it trusts any certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection(sock=sock, ssl=ctx,
                                                   server_hostname="")
    try:
        return await reader.readline()
    finally:
        # The transport owns sock now: it must be done with it before
        # the caller's `with` closes it, or the selector would keep
        # watching a file descriptor that the next accepted connection
        # reuses.
        writer.close()
        await writer.wait_closed()


async def self_probe(host, port, state, implicit_tls):
    """Connects to the server and reads its banner: the port file is
    written only after a client could really talk to us."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setblocking(False)
        s.bind((host, 0))
        # Known before connecting, so the server can tell it apart.
        state.probes.add(tuple(s.getsockname()[:2]))
        await loop.sock_connect(s, (host, port))
        banner = b""
        if implicit_tls:
            banner = await read_banner_tls(s)
        else:
            while not banner.endswith(b"\r\n"):
                chunk = await loop.sock_recv(s, 512)
                if not chunk:
                    break
                banner += chunk
    if not banner.startswith(b"220"):
        raise RuntimeError("self-probe got %r instead of a 220 banner"
                           % banner)


async def serve(args, faults, auth):
    loop = asyncio.get_running_loop()
    tls = None
    implicit = None
    if args.tls_cert and args.implicit_tls:
        implicit = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        implicit.load_cert_chain(args.tls_cert, args.tls_key)
    elif args.tls_cert and not args.no_starttls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    spool = Spool(args.spool)
    handler = Handler(spool, faults, auth, args.close_after)
    kwargs = {
        "hostname": "smtpd.test",
        "tls_context": tls,
        "require_starttls": bool(args.require_tls and tls),
        "timeout": SESSION_TIMEOUT,
        "data_size_limit": DATA_SIZE_LIMIT,
        "auth_required": auth is not None,
        "auth_require_tls": tls is not None,
        "authenticator": handler.authenticator,
    }
    if auth is None:
        kwargs["auth_exclude_mechanism"] = ["LOGIN", "PLAIN"]
    state = Server(spool, args.greeting)
    server = await loop.create_server(make_protocol(state, handler, kwargs),
                                      host=args.host, port=args.port,
                                      ssl=implicit)
    port = server.sockets[0].getsockname()[1]
    await asyncio.wait_for(self_probe(args.host, port, state,
                                      implicit is not None), PROBE_TIMEOUT)
    if args.port_file:
        atomic_write(args.port_file, b"%d\n" % port)
    log.info("listening on %s:%d, spool %s%s%s%s%s", args.host, port,
             args.spool, ", implicit TLS" if implicit else "",
             ", STARTTLS" if tls else "",
             " required" if kwargs["require_starttls"] else "",
             ", AUTH required" if auth else "")

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    server.close()
    for proto in list(state.live):
        if proto.transport is not None:
            proto.transport.abort()
    try:
        await asyncio.wait_for(server.wait_closed(), SHUTDOWN_TIMEOUT)
    except asyncio.TimeoutError:
        log.warning("listening socket did not close in %.0f s",
                    SHUTDOWN_TIMEOUT)


def main():
    p = argparse.ArgumentParser(description="SMTP server for tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--pid-file")
    p.add_argument("--spool", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-tls", action="store_true")
    p.add_argument("--no-starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC")
    p.add_argument("--close-after", type=int, metavar="N")
    p.add_argument("--greeting", metavar="REPLY")
    args = p.parse_args()

    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if args.require_tls and (not args.tls_cert or args.no_starttls or
                             args.implicit_tls):
        p.error("--require-tls needs --tls-cert/--tls-key and STARTTLS")
    if args.implicit_tls and not args.tls_cert:
        p.error("--implicit-tls needs --tls-cert/--tls-key")
    auth = None
    if args.auth is not None:
        user, sep, password = args.auth.partition(":")
        if not sep or not user:
            p.error("--auth wants USER:PASSWORD")
        auth = (user, password)
    try:
        faults = [parse_fault(f) for f in args.fault]
    except ValueError as e:
        p.error(str(e))

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s smtpd[%(process)d] %(name)s: "
                               "%(message)s")
    # AUTH without TLS is what a test without a certificate asks for.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not")
    logging.getLogger("mail.log").setLevel(
        logging.INFO if os.environ.get("SMTPD_VERBOSE") else logging.ERROR)
    if args.pid_file:
        atomic_write(args.pid_file, b"%d\n" % os.getpid())
    try:
        asyncio.run(serve(args, faults, auth))
    except (OSError, ssl.SSLError, RuntimeError,
            asyncio.TimeoutError) as e:
        log.error("cannot start: %s", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
