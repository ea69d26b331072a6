#!/usr/bin/env python3
"""badfeed.py KIND OUT: writes a hostile variant of the sample listing
(sample/arxiv-2025-12-30.xml) to OUT for the bad-input tests (t07NN).
The first paper, 2512.21852, is the one changed:

  authors N     N authors on it ("Author 1, Author 2, ...")
  abstract N    its abstract grown to N bytes
  utf8          a byte that is not UTF-8 in its title (line reported)
  nul           a NUL byte in its title
  laughs        a billion-laughs entity bomb expanded in its title
  html          an HTML error page instead of the feed
"""
import os, sys

kind, out = sys.argv[1], sys.argv[-1]
here = os.path.dirname(os.path.abspath(__file__))
sample = os.path.join(here, "..", "..", "sample", "arxiv-2025-12-30.xml")
doc = open(sample, "rb").read()
title = b"<title>A Comedy of Estimators"
assert doc.count(title) == 1

if kind == "authors":
    n = int(sys.argv[2])
    start = doc.index(b"<dc:creator>", doc.index(title))
    end = doc.index(b"</dc:creator>", start)
    names = b", ".join(b"Author %d" % i for i in range(1, n + 1))
    doc = doc[:start + 12] + names + doc[end:]
elif kind == "abstract":
    n = int(sys.argv[2])
    start = doc.index(b"Abstract: ", doc.index(title)) + 10
    end = doc.index(b"</description>", start)
    words = b"estimator " * (n // 10 + 1)
    doc = doc[:start] + words[:n] + doc[end:]
elif kind in ("utf8", "nul"):
    bad = b"\xc3(" if kind == "utf8" else b"\0"
    doc = doc.replace(title, b"<title>A " + bad + b" Comedy of Estimators")
elif kind == "laughs":
    decl = b"<!DOCTYPE rss [\n  <!ENTITY lol \"lol\">\n"
    for i in range(1, 10):
        prev = b"lol" + (b"%d" % (i - 1) if i > 1 else b"")
        decl += b"  <!ENTITY lol%d \"%s\">\n" % (i, (b"&" + prev + b";") * 10)
    decl += b"]>\n"
    head_end = doc.index(b"?>") + 3
    doc = doc[:head_end] + decl + doc[head_end:]
    doc = doc.replace(title, b"<title>&lol9; A Comedy of Estimators")
elif kind == "html":
    doc = (b"<!DOCTYPE html>\n<html><head><title>arXiv</title></head>\n"
           b"<body><p>Service unavailable<br>\n<p>Please retry.</body>"
           b"</html>\n")
else:
    sys.exit("badfeed.py: unknown kind " + kind)
open(out, "wb").write(doc)
