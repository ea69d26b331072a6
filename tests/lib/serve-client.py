#!/usr/bin/env python3
"""serve-client.py: the HTTP client of the `paperboy serve` tests (Python's
standard library only) and an independent implementation of the token
(token.h). Run in the test's folder: it reads serve.port and
state/secret.key there.

  token PURPOSE ID EMAIL      the token, from state/secret.key
  req [opts] METHOD PATH      prints the status; headers in OUT.headers,
                              body in OUT (--out, default "reply")
  raw [--src A] TEXT          sends TEXT (backslash escapes such as \\r\\n
                              decoded) and prints the status code or
                              "closed"; "raw --file F" sends F's bytes
  burst SRC N [XFF]           N quick GETs from address SRC (with an
                              X-Forwarded-For header XFF, "$i" replaced
                              by the request's number); prints the
                              codes, and Retry-After of the first 429
  slowloris PATH              opens a connection that sends half a
                              request line, then GETs PATH on another:
                              fails unless PATH answers 200 at once and
                              the slow one is dropped after 1 to 10 s
  trickle N SECONDS SRC...    opens N connections, spread over the
                              source addresses SRC, that send a request
                              line and then one header byte per 0.5 s
                              for SECONDS; writes "ready" to trickle.ready
                              once all are open, and prints how many
                              the server dropped and when (seconds
                              after they connected)
  timed [--src A] PATH        GETs PATH; prints the status and the
                              seconds it took ("refused" / "timeout")
  storm N                     4 concurrent one-click POSTs for each of
                              s00..s(N-1), each reader from its own
                              loopback address

Every request comes from a fresh loopback address (127.0.X.Y), so the
per-client rate limit only applies where a test asks for it (--src).
"""
import base64, hashlib, hmac, http.client, os, socket, sys, threading, time

PORT = int(open("serve.port").read())

def token(purpose, sid, email):
    key = open("state/secret.key", "rb").read()
    msg = (b"paperboy-v1\0" + purpose.encode() + b"\0" + sid.encode() +
           b"\0" + email.encode().lower())
    mac = hmac.new(key, msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

def fresh_src():
    try:
        n = int(open(".src").read())
    except OSError:
        n = 0
    open(".src", "w").write(str(n + 1))
    return "127.0.%d.%d" % (2 + n // 250, 1 + n % 250)

def multipart(fields):
    b = "pbBoundary7MA4YWxkTrZu0gW"
    body = "".join('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                   % (b, k, v) for k, v in fields) + "--%s--\r\n" % b
    return body.encode(), "multipart/form-data; boundary=" + b

def request(method, path, src, body=None, headers=None, timeout=20):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout,
                                   source_address=(src, 0))
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data

def cmd_req(args):
    src, out, form, mp, body, headers = None, "reply", [], False, None, {}
    while args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--src": src = args.pop(0)
        elif opt == "--out": out = args.pop(0)
        elif opt == "--form": form.append(tuple(args.pop(0).split("=", 1)))
        elif opt == "--multipart": mp = True
        elif opt == "--body": body = args.pop(0).encode()
        elif opt == "--header":
            k, v = args.pop(0).split(":", 1)
            headers[k] = v.strip()
        else: sys.exit("unknown option " + opt)
    method, path = args
    if form and mp:
        body, headers["Content-Type"] = multipart(form)
    elif form:
        from urllib.parse import urlencode
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    r, data = request(method, path, src or fresh_src(), body, headers)
    open(out, "wb").write(data)
    with open(out + ".headers", "w") as f:
        for k, v in r.getheaders():
            f.write("%s: %s\n" % (k, v))
    print(r.status)

def cmd_raw(args):
    src = fresh_src()
    if args[0] == "--src":
        src = args[1]
        args = args[2:]
    if args[0] == "--file":
        data = open(args[1], "rb").read()
    else:
        data = args[0].encode().decode("unicode_escape").encode("latin-1")
    s = socket.create_connection(("127.0.0.1", PORT), timeout=20,
                                 source_address=(src, 0))
    try:
        s.sendall(data)
    except OSError:
        pass
    got = b""
    try:
        while b"\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    s.close()
    print(got.split(b" ")[1].decode() if got.startswith(b"HTTP/1.") else "closed")

def cmd_burst(args):
    src, n = args[0], int(args[1])
    codes, retry = [], None
    for i in range(1, n + 1):
        h = {"X-Forwarded-For": args[2].replace("$i", str(i))} if len(args) > 2 else {}
        r, _ = request("GET", "/unsubscribe", src, headers=h)
        codes.append(str(r.status))
        if r.status == 429 and retry is None:
            retry = r.getheader("Retry-After")
    print(" ".join(codes), "retry-after", retry)

def cmd_storm(args):
    n = int(args[0])
    barrier = threading.Barrier(4 * n)
    results, retries = [], []
    lock = threading.Lock()
    def one(i):
        sid = "s%02d" % i
        t = token("unsubscribe", sid, "reader-%02d@example.org" % i)
        barrier.wait()
        for attempt in range(50):
            try:
                r, _ = request("POST", "/unsubscribe?s=%s&t=%s" % (sid, t),
                               "127.0.1.%d" % (i + 1), b"List-Unsubscribe=One-Click",
                               {"Content-Type": "application/x-www-form-urlencoded"})
                with lock:
                    results.append((sid, r.status))
                return
            except OSError as e:
                with lock:
                    retries.append(repr(e))
                time.sleep(0.1)
        with lock:
            results.append((sid, "gave up"))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)
               for _ in range(4)]
    for th in threads: th.start()
    for th in threads: th.join()
    bad = [r for r in results if r[1] != 200]
    print("requests %d, not 200: %s, retried connections: %d"
          % (len(results), bad, len(retries)))
    sys.exit(1 if bad or len(results) != 4 * n else 0)

def cmd_slowloris(args):
    slow = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    slow.sendall(b"GET /unsubscribe?s=s0")
    start = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=20)
    c.request("GET", args[0])
    status = c.getresponse().status
    served = time.monotonic() - start
    assert status == 200, status
    slow.setblocking(False)
    try:
        slow.recv(1)
        raise AssertionError("the slow client was dropped before the other was served")
    except BlockingIOError:
        pass  # still connected, nothing sent to it
    slow.settimeout(30)
    try:
        got = slow.recv(100)
    except ConnectionResetError:
        got = b""
    dropped = time.monotonic() - start
    print("served after %.2fs, dropped after %.2fs, got %r" % (served, dropped, got))
    assert got == b"", got
    assert 1.0 < dropped < 10, dropped

def cmd_trickle(args):
    import select
    n, seconds, srcs = int(args[0]), float(args[1]), args[2:]
    socks, opened, dropped, refused = [], {}, {}, 0
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=5,
                                         source_address=(srcs[i % len(srcs)], 0))
            s.sendall(b"GET /unsubscribe HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            s.setblocking(False)
            socks.append(s)
            opened[s] = time.monotonic()
        except OSError:
            refused += 1
    open("trickle.ready", "w").write("ready\n")
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(dropped) < len(socks):
        live = [s for s in socks if s not in dropped]
        r, _, _ = select.select(live, [], [], 0.5)
        now = time.monotonic()
        for s in r:
            try:
                got = s.recv(4096)
            except OSError:
                got = b""
            if not got:
                dropped[s] = now - opened[s]
        for s in live:
            if s in dropped:
                continue
            try:
                s.send(b"a")
            except OSError:
                dropped[s] = now - opened[s]
    times = sorted(dropped.values())
    print("opened %d refused %d dropped %d first %.1f last %.1f" % (
        len(socks), refused, len(times), times[0] if times else -1,
        times[-1] if times else -1))
    for s in socks:
        s.close()

def cmd_timed(args):
    src = fresh_src()
    if args[0] == "--src":
        src = args[1]
        args = args[2:]
    start = time.monotonic()
    try:
        r, _ = request("GET", args[0], src, timeout=15)
        status = str(r.status)
    except socket.timeout:
        status = "timeout"
    except OSError:
        status = "refused"
    print(status, "%.2f" % (time.monotonic() - start))

{"token": lambda a: print(token(*a)), "trickle": cmd_trickle,
 "timed": cmd_timed, "req": cmd_req, "raw": cmd_raw,
 "burst": cmd_burst, "storm": cmd_storm, "slowloris": cmd_slowloris}[sys.argv[1]](sys.argv[2:])
