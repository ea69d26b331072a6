#!/usr/bin/env python3
"""Reads a message file (argv[1]) the way a mail reader does and prints it
as JSON, so that shell tests can check what a recipient would see.

The parsing is Python's own (email package, policy=email.policy.default),
not ours: a message paperboy wrote is only right if an independent reader
decodes it back to what was meant.

Output keys: headers (names in order), subject, from, to (decoded, as
"Display <addr>"), from_addr, from_display, to_addr, to_display,
content_type, parts (one {"content_type", "charset", "cte", "text"} per
part, in order), defects (what the parser complained about, per part).

Exit status: 0 when parsed, 2 on usage or read errors.
"""
import email
import email.policy
import json
import sys


def address_fields(msg, name):
    """(decoded header, addr_spec, display_name) of an address header."""
    value = msg[name]
    if value is None:
        return None, None, None
    addresses = getattr(value, "addresses", ())
    if len(addresses) != 1:
        return str(value), None, None
    return str(value), addresses[0].addr_spec, addresses[0].display_name


def part_info(part):
    try:
        text = part.get_content()
    except (LookupError, ValueError) as err:
        text = None
        part.defects.append("get_content: %s" % err)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return {
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "cte": part.get("Content-Transfer-Encoding"),
        "text": text,
    }


def main(argv):
    if len(argv) != 2:
        print("usage: mime_check.py MESSAGE-FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            raw = f.read()
    except OSError as err:
        print("mime_check.py: %s" % err, file=sys.stderr)
        return 2
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    from_, from_addr, from_display = address_fields(msg, "From")
    to, to_addr, to_display = address_fields(msg, "To")
    if msg.is_multipart():
        parts = list(msg.iter_parts())
    else:
        parts = [msg]
    infos = [part_info(p) for p in parts]
    defects = [[str(d) for d in msg.defects]]
    defects += [[str(d) for d in p.defects] for p in parts if p is not msg]
    out = {
        "headers": list(msg.keys()),
        "subject": str(msg["Subject"]) if msg["Subject"] is not None
        else None,
        "from": from_,
        "from_addr": from_addr,
        "from_display": from_display,
        "to": to,
        "to_addr": to_addr,
        "to_display": to_display,
        "content_type": msg.get_content_type(),
        "content_types": [i["content_type"] for i in infos],
        "parts": infos,
        "defects": defects,
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
