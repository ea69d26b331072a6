#!/usr/bin/env python3
"""Checks paperboy's layering from the sources (run from the top folder).

- No module below the commands (src/*.c, src/*.h) includes "cmd.h" or
  calls a cmd_ function: calls go down only.
- No cycle between modules: module A depends on module B when A.c or A.h
  includes "B.h"; the dependency graph over src/ must be acyclic.
Prints each violation and exits 1, or prints a summary and exits 0.
"""
import glob
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)
CMD_CALL = re.compile(r'\bcmd_[a-z_]+\s*\(')


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def main():
    bad = []
    deps = {}
    for path in sorted(glob.glob('src/*.c') + glob.glob('src/*.h')):
        mod = os.path.splitext(os.path.basename(path))[0]
        raw = open(path, encoding='utf-8').read()
        incs = set(INCLUDE.findall(raw)) - {mod, 'banned'}
        if 'cmd' in incs:
            bad.append('%s: includes "cmd.h" (a command header)' % path)
        for m in CMD_CALL.finditer(strip_comments(raw)):
            bad.append('%s: calls %s) (a command)' % (path, m.group(0)))
        deps.setdefault(mod, set()).update(incs)
    # Depth-first search for a cycle.
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(deps.get(m, ())):
            if n not in deps:
                continue
            if state.get(n) == 1:
                cyc = stack[stack.index(n):] + [n]
                bad.append('module cycle: ' + ' -> '.join(cyc))
            elif not state.get(n):
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(deps):
        if not state.get(m):
            visit(m)
    for b in bad:
        print(b)
    if bad:
        return 1
    print('layers: %d modules below src/cmd/, no cmd_ call, no cycle'
          % len(deps))
    return 0


if __name__ == '__main__':
    sys.exit(main())
