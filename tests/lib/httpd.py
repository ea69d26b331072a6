#!/usr/bin/env python3
"""A scriptable HTTP server for the tests, on 127.0.0.1 only.

Each path answers with the responses a JSON script lists for it, in order;
the last one repeats. That is enough to play an arXiv that is overloaded
(503 + Retry-After, then 200), rate-limits (429), stalls mid-response,
sends 50 MB, redirects, or answers a conditional GET with 304. Every
request is logged, with its arrival time on the monotonic clock, so a test
checks spacing and headers from the server's side, not from its own clock.

Design decision: the log line is written when a request arrives, before
any of the response is sent, so it exists even for a response the client
abandons (a stall, an oversized body) and is complete by the time the
client's call returns.

Options:
  --port P            port to listen on (0: pick a free one)
  --port-file F       the chosen port, written (atomically) once listening
  --pid-file F        this process's pid
  --log F             one JSON object per request, one per line:
                        {"time": monotonic seconds (float), "method",
                         "path" (with query), "headers": {name: value},
                         "client_port", "status", "index"}
                      (index: which response of the path's list was used)
  --script F          JSON: {"PATH": [RESPONSE, ...], ...}; a path with a
                      query is looked up with its query first, then
                      without. An unknown path gets 404.
  --max-seconds N     exit after N seconds whatever happens (default 120),
                      so a test that dies never leaves a server behind

A RESPONSE is an object; every key is optional:
  "status": 200               the status code
  "headers": {"N": "V"}       extra response headers
  "body": "text"              the body (UTF-8), or
  "file": "path"              the body read from a file (relative to the
                              current folder), or
  "size": N                   N bytes of filler
  "chunked": true             send the body with chunked transfer-encoding
                              (no Content-Length, as a streaming server)
  "stall": S                  after the headers, send nothing for S seconds
                              (then the body, if the client is still there)
  "retry_after_date": S       add Retry-After as an HTTP-date S seconds
                              after the next whole second
  "if_none_match": "V"        this response needs If-None-Match: V in the
                              request; without it the server answers 412
                              with a body saying what it got
  "if_modified_since": "V"    likewise for If-Modified-Since
  "close": true               close the connection after this response

SIGTERM or SIGINT: exits 0. Exit status 2 on usage errors, 1 when the
server cannot start.
"""
import argparse
import email.utils
import json
import math
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Filler and file bodies go out in blocks of this size, so a 50 MB body
# never sits in memory whole.
BLOCK = 64 * 1024
# An idle keep-alive connection is dropped after this many seconds.
IDLE_TIMEOUT = 30


class Script:
    def __init__(self, table):
        self.table = table
        self.next = {}
        self.lock = threading.Lock()

    def pick(self, path):
        """The response for path and its index, or (None, -1)."""
        key = path if path in self.table else path.split("?", 1)[0]
        responses = self.table.get(key)
        if not responses:
            return None, -1
        with self.lock:
            i = self.next.get(key, 0)
            self.next[key] = i + 1
        i = min(i, len(responses) - 1)
        return responses[i], i


class Log:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8") if path else None
        self.lock = threading.Lock()

    def write(self, record):
        if not self.file:
            return
        with self.lock:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server_version = "paperboy-test-httpd"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self.respond(send_body=False)

    def do_GET(self):
        self.respond(send_body=True)

    def respond(self, send_body):
        arrived = time.monotonic()
        response, index = self.server.script.pick(self.path)
        status = 404 if response is None else response.get("status", 200)
        failed = None
        if response is not None:
            failed = self.precondition_failure(response)
            if failed:
                status = 412
        self.server.log.write({
            "time": arrived,
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "client_port": self.client_address[1],
            "status": status,
            "index": index,
        })
        if response is None:
            self.send_simple(404, "no script for %s\n" % self.path)
            return
        if failed:
            self.send_simple(412, failed)
            return
        try:
            self.send_scripted(response, status, send_body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def precondition_failure(self, response):
        for key, header in (("if_none_match", "If-None-Match"),
                            ("if_modified_since", "If-Modified-Since")):
            want = response.get(key)
            got = self.headers.get(header)
            if want is not None and got != want:
                return "expected %s: %s, got: %s\n" % (header, want, got)
        return None

    def send_simple(self, status, text):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body_blocks(self, response):
        """The body as (total length, iterator of byte blocks)."""
        if "body" in response:
            data = response["body"].encode("utf-8")
            return len(data), iter([data] if data else [])
        if "file" in response:
            path = response["file"]
            size = os.path.getsize(path)

            def read():
                with open(path, "rb") as f:
                    while True:
                        block = f.read(BLOCK)
                        if not block:
                            return
                        yield block
            return size, read()
        size = int(response.get("size", 0))

        def filler():
            left = size
            block = b"x" * BLOCK
            while left > 0:
                n = min(left, BLOCK)
                yield block[:n]
                left -= n
        return size, filler()

    def send_scripted(self, response, status, send_body):
        no_body = status == 304 or status == 204 or status < 200
        size, blocks = self.body_blocks(response)
        chunked = bool(response.get("chunked")) and not no_body
        self.send_response(status)
        for name, value in response.get("headers", {}).items():
            self.send_header(name, value)
        if "retry_after_date" in response:
            when = math.ceil(time.time()) + float(response["retry_after_date"])
            self.send_header("Retry-After",
                             email.utils.formatdate(when, usegmt=True))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not no_body:
            self.send_header("Content-Length", str(size))
        if response.get("close"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.flush()
        if "stall" in response:
            time.sleep(float(response["stall"]))
        if no_body or not send_body:
            return
        for block in blocks:
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            else:
                self.wfile.write(block)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--pid-file")
    p.add_argument("--log")
    p.add_argument("--script", required=True)
    p.add_argument("--max-seconds", type=float, default=120)
    args = p.parse_args()

    try:
        with open(args.script, encoding="utf-8") as f:
            table = json.load(f)
        if not isinstance(table, dict) or not all(
                isinstance(v, list) for v in table.values()):
            raise ValueError("want an object of lists")
    except (OSError, ValueError) as e:
        print("httpd: %s: %s" % (args.script, e), file=sys.stderr)
        return 2

    try:
        server = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        print("httpd: cannot listen: %s" % e, file=sys.stderr)
        return 1
    server.script = Script(table)
    server.log = Log(args.log)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    watchdog = threading.Timer(args.max_seconds, server.shutdown)
    watchdog.daemon = True
    watchdog.start()

    if args.pid_file:
        write_atomic(args.pid_file, "%d\n" % os.getpid())
    if args.port_file:
        write_atomic(args.port_file, "%d\n" % server.server_address[1])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
