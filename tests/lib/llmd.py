#!/usr/bin/env python3
"""A local OpenAI-compatible chat completions server for the tests.

Listens on 127.0.0.1 only, answers POST /v1/chat/completions the way a
model would answer paperboy's judge prompt: it finds the "ArXiv ID: X"
lines in the user message and replies with one JSON object per paper,
inside a ```json fence with prose around it, in the shapes real models
produce (a trailing comma, a score as a string, a versioned ID). Scores
are a function of the ID, so a test can predict them, and the server
also logs them.

Design decision: every request is logged, with what was asked and what
was answered, before the response is sent, so a test checks from the
server's side which papers were asked about how often and what the
tokens added up to.

Options:
  --port-file F      the chosen (free) port, written once listening
  --pid-file F       this process's pid
  --log F            one JSON object per request: {"n": 1-based request
                     number, "model", "auth": Authorization header,
                     "ids": [asked], "scored": {id: [relevance, novelty]},
                     "garbage": bool, "prompt_tokens", "completion_tokens"}
  --skip-first       the first request's reply leaves out its last paper
  --garbage N        request number N gets prose with no JSON (repeatable)
  --no-usage         leave "usage" out of responses
  --max-seconds S    exit after S seconds whatever happens (default 120)

Usage: prompt_tokens = bytes of all messages // 4, completion_tokens =
bytes of the reply // 4 (a test recomputes the cost from the log).
"""
import argparse
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GARBAGE = ("I'm sorry, I could not read the papers today. Please try "
           "again with {ARXIVID, COMMENT} later.")


def scores(arxiv_id):
    """Relevance 6-10 and novelty 1-10 from the ID's last two digits."""
    n = int(re.sub(r"\D", "", arxiv_id)[-2:] or 0)
    return 6 + n % 5, 1 + n % 10


def reply_for(ids, skip_last):
    lines = []
    asked = ids[:-1] if skip_last and ids else ids
    scored = {}
    for i, aid in enumerate(asked):
        rel, nov = scores(aid)
        scored[aid] = [rel, nov]
        if i % 3 == 0:
            # a versioned ID and a trailing comma
            lines.append('{"ARXIVID": "%sv2", "COMMENT": "Matches the '
                         'criteria on %s.", "RELEVANCE": %d, '
                         '"NOVELTY": %d,}' % (aid, aid, rel, nov))
        elif i % 3 == 1:
            # scores as strings
            lines.append(json.dumps({"ARXIVID": aid,
                                     "COMMENT": "Close match (%s)." % aid,
                                     "RELEVANCE": str(rel),
                                     "NOVELTY": "%d/10" % nov}))
        else:
            lines.append(json.dumps({"ARXIVID": "arXiv:" + aid,
                                     "COMMENT": "Relevant: %s." % aid,
                                     "RELEVANCE": rel, "NOVELTY": nov}))
    text = ("Here are my scores for the papers:\n\n```json\n" +
            "\n".join(lines) + "\n```\n\nLet me know if you need more.")
    return text, scored


class State:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.lock = threading.Lock()


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            if self.path != "/v1/chat/completions":
                self.send(404, {"error": {"message": "no such path"}})
                return
            try:
                req = json.loads(raw)
                msgs = req["messages"]
                user = [m["content"] for m in msgs if m["role"] == "user"][0]
            except (ValueError, KeyError, IndexError, TypeError):
                self.send(400, {"error": {"message": "bad request"}})
                return
            ids = re.findall(r"^ArXiv ID: (\S+)$", user, re.M)
            with state.lock:
                state.count += 1
                n = state.count
                garbage = n in (state.args.garbage or [])
                skip = state.args.skip_first and n == 1
                if garbage:
                    text, scored = GARBAGE, {}
                else:
                    text, scored = reply_for(ids, skip)
                prompt = sum(len(m["content"].encode()) for m in msgs) // 4
                completion = len(text.encode()) // 4
                with open(state.args.log, "a") as f:
                    f.write(json.dumps({
                        "n": n, "model": req.get("model"),
                        "temperature": req.get("temperature"),
                        "auth": self.headers.get("Authorization"),
                        "ids": ids, "scored": scored, "garbage": garbage,
                        "prompt_tokens": prompt,
                        "completion_tokens": completion}) + "\n")
            body = {"id": "chatcmpl-%d" % n, "object": "chat.completion",
                    "model": req.get("model"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant",
                                             "content": text}}]}
            if not state.args.no_usage:
                body["usage"] = {"prompt_tokens": prompt,
                                 "completion_tokens": completion,
                                 "total_tokens": prompt + completion}
            self.send(200, body)

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--pid-file")
    ap.add_argument("--log", required=True)
    ap.add_argument("--skip-first", action="store_true")
    ap.add_argument("--garbage", type=int, action="append")
    ap.add_argument("--no-usage", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=120)
    args = ap.parse_args()
    state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
