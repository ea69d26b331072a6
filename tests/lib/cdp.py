#!/usr/bin/env python3
"""cdp.py: drive a headless Chromium through the DevTools protocol, with
Python's standard library only (it has no WebSocket client, so this file
holds a minimal RFC 6455 one: client frames masked, text frames,
continuation frames, ping/pong and close).

    cdp.py DEVPORT STEP...

Chromium must already run with --remote-debugging-port=DEVPORT. The steps
act on its first page target, in order:

    wait-target:TEXT     wait until a page's URL contains TEXT, use it
    wait-load            wait until a document other than about:blank
                         has finished loading
    wait-selector:SEL    wait until document.querySelector(SEL) finds one
    wait-title:TEXT      wait until document.title contains TEXT
    click:SELECTOR       document.querySelector(SELECTOR).click()
    eval:EXPRESSION      print the expression's value (as JSON)
    size:WIDTHxHEIGHT    the viewport size, e.g. size:390x844 (a phone)
    dark / light         emulate prefers-color-scheme
    screenshot:FILE      save a PNG of the viewport

Every wait is bounded (CDP_TIMEOUT seconds, default 20): a page that never
comes fails the step with a message instead of hanging the test. Exits 0
when every step succeeded.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time
import urllib.request

TIMEOUT = float(os.environ.get("CDP_TIMEOUT", "20"))
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    """A client WebSocket over a plain TCP socket (ws:// only)."""

    def __init__(self, url):
        assert url.startswith("ws://"), url
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"
                           % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise OSError("connection closed during the handshake")
            head += chunk
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0]:
            raise OSError("handshake refused: " + lines[0])
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip()
                   for l in lines[1:] if ":" in l}
        if headers.get("sec-websocket-accept") != accept:
            raise OSError("bad Sec-WebSocket-Accept")

    def _frame(self, opcode, payload):
        # A client masks every frame it sends (RFC 6455, 5.3).
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._frame(0x1, text.encode())

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise OSError("connection closed")
            data += chunk
        return data

    def recv(self):
        """The next complete text message."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise OSError("the browser closed the connection")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def close(self):
        try:
            self._frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class Page:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg["result"]

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expression, what):
        deadline = time.monotonic() + TIMEOUT
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(expression)
                if last:
                    return last
            except RuntimeError as e:  # the page is navigating
                last = str(e)
            time.sleep(0.1)
        raise TimeoutError("%s: still not there after %gs (last: %r)" % (what, TIMEOUT, last))


def targets(devport):
    with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % devport, timeout=5) as r:
        return [t for t in json.load(r) if t.get("type") == "page"]


def wait_target(devport, text):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            for t in targets(devport):
                if text in t.get("url", ""):
                    return t
        except OSError:
            pass  # Chromium is still starting
        time.sleep(0.2)
    raise TimeoutError("no page with %r in its URL after %gs" % (text, TIMEOUT))


def main(argv):
    devport, steps = int(argv[1]), argv[2:]
    page = None
    for step in steps:
        name, _, arg = step.partition(":")
        if name == "wait-target":
            page = Page(wait_target(devport, arg)["webSocketDebuggerUrl"])
            continue
        if page is None:
            page = Page(wait_target(devport, "")["webSocketDebuggerUrl"])
        if name == "wait-load":
            page.wait_for("location.href !== 'about:blank' && "
                          "document.readyState === 'complete'", "page load")
        elif name == "wait-selector":
            page.wait_for("document.querySelector(%s) !== null" % json.dumps(arg),
                          "element " + arg)
        elif name == "wait-title":
            page.wait_for("document.title.includes(%s)" % json.dumps(arg), "title " + arg)
        elif name == "click":
            page.evaluate("document.querySelector(%s).click()" % json.dumps(arg))
        elif name == "eval":
            print(json.dumps(page.evaluate(arg)))
        elif name == "size":
            w, h = (int(x) for x in arg.split("x"))
            page.call("Emulation.setDeviceMetricsOverride", width=w, height=h,
                      deviceScaleFactor=1, mobile=w < 600)
        elif name in ("dark", "light"):
            page.call("Emulation.setEmulatedMedia",
                      features=[{"name": "prefers-color-scheme", "value": name}])
        elif name == "screenshot":
            png = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
            with open(arg, "wb") as f:
                f.write(png)
        else:
            sys.exit("cdp.py: unknown step " + step)
    if page:
        page.ws.close()


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (OSError, RuntimeError, TimeoutError) as e:
        sys.exit("cdp.py: %s" % e)
