#!/usr/bin/env python3
"""No include circle inside a folder of src/ (issue 13): reads every `#include "..."` line of the
.c and .h files under ROOT (default src) and fails, naming the files, when a chain of includes
between files of one folder comes back to where it started (a.h -> b.h -> a.h). Includes that
leave the folder are not followed: the layering between folders is the architecture's, not this.

  scripts/check-includes.py [ROOT]    exit 0 when there is none, 1 (and each circle) otherwise
  scripts/check-includes.py --self-test   checks that a planted circle is found and a chain is not
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def graph(root):
    """file -> the files of its own folder it includes, paths relative to root."""
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith(('.c', '.h')):
                p = os.path.join(d, n)
                with open(p, encoding='utf-8', errors='replace') as f:
                    files[os.path.relpath(p, root)] = [m.group(1) for m in map(INCLUDE.match, f) if m]
    g = {}
    for p, incs in files.items():
        folder = os.path.dirname(p)
        for i in incs:
            # "dir/x.h" from the -Isrc root, or "x.h" beside the includer
            t = os.path.normpath(i) if os.path.normpath(i) in files else os.path.normpath(os.path.join(folder, i))
            if t in files and t != p and os.path.dirname(t) == folder:
                g.setdefault(p, set()).add(t)
    return g


def circles(g):
    """Strongly connected sets of more than one file (Tarjan), each as one circle's path."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(path_in(g, set(comp)))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def path_in(g, comp):
    """One circle through the set: from its first file along includes inside it, back again."""
    start = min(comp)
    prev, todo = {start: None}, [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(g.get(v, ())):
            if w == start:
                p = [v]
                while prev[p[-1]] is not None:
                    p.append(prev[p[-1]])
                return list(reversed(p)) + [start]
            if w in comp and w not in prev:
                prev[w] = v
                todo.append(w)
    return sorted(comp)


def self_test():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, 'x'))
        os.makedirs(os.path.join(d, 'y'))
        def put(name, *incs):
            with open(os.path.join(d, name), 'w') as f:
                f.write(''.join('#include "%s"\n' % i for i in incs))
        put('x/a.h', 'x/b.h')
        put('x/b.h', 'c.h')         # beside the includer
        put('x/c.h', 'x/a.h')       # back to a.h: a circle
        put('x/d.c', 'x/a.h', 'y/e.h')
        put('y/e.h', 'y/f.h')
        put('y/f.h', 'x/a.h')       # leaves the folder: not followed
        found = circles(graph(d))
        if found != [['x/a.h', 'x/b.h', 'x/c.h', 'x/a.h']]:
            print('self-test: want the circle x/a.h -> x/b.h -> x/c.h -> x/a.h, found %r' % found)
            return 1
        put('x/c.h')                # the chain without its last link
        if circles(graph(d)):
            print('self-test: a chain was taken for a circle')
            return 1
    print('self-test: ok')
    return 0


def main(argv):
    if argv[1:] == ['--self-test']:
        return self_test()
    root = argv[1] if len(argv) > 1 else 'src'
    if not os.path.isdir(root):
        print('check-includes: no folder %s' % root)
        return 2
    found = circles(graph(root))
    for c in found:
        print('include circle in %s/%s: %s' % (root, os.path.dirname(c[0]), ' -> '.join(c)))
    if not found:
        print('check-includes: no include circle inside a folder of %s' % root)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
