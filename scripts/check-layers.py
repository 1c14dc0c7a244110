#!/usr/bin/env python3
"""Checks the layering of the sources and of the compiled objects (ARCHITECTURE.md
principle 4):

  lib <- crypto, proto <- core <- daemon <- platform <- chronyd
  chronyc uses lib, proto and itself.

Aspects, each reported as "PASS check-layers: <aspect>" or one
"FAIL check-layers: <aspect>: <details>" line per problem:

  layout      src/ holds only the layer folders; a layer folder holds only .c/.h files
              (a subfolder would escape the Makefile's wildcard and this check)
  includes    every preprocessor include line, in any spelling (spaces, digraph %:,
              comments, backslash-newline, include_next/import); quoted includes are
              "layer/file.h" of an allowed layer; pure layers (lib, proto, core) include
              only ISO C headers and contain no inline assembly
  objects     every .c of a layer has its object in $B/obj/<layer>/
  symbols     every undefined symbol of an object that a project object defines is
              defined in the same or an allowed lower layer (catches calls made through
              hand-written declarations)
  libc        the pure layers use only the pure part of libc/libm (PURE_LIBC below)
  node-internal
              only files of the daemon component `node` (the wiring) include
              "daemon/node_internal.h" (struct node); the other components include the
              headers of the components they use
  daemon-components
              files of src/daemon/ form components (name up to the first '_' or '.');
              no cycles between components and no use of the wiring component `node`,
              except the edges still listed in scripts/layers-known-edges.txt, a ratchet
              that may only shrink

Usage: check-layers.py [--root DIR] [--build B] [--known FILE] [--write-known]
"""

import argparse
import os
import re
import subprocess
import sys

LAYERS = ["lib", "crypto", "proto", "core", "daemon", "platform", "chronyd", "chronyc"]
PURE_LAYERS = ["lib", "proto", "core"]
ALLOWED = {
    "lib": ["lib"],
    "crypto": ["lib", "crypto"],
    "proto": ["lib", "proto"],
    "core": ["lib", "crypto", "proto", "core"],
    "daemon": ["lib", "crypto", "proto", "core", "daemon"],
    "platform": ["lib", "crypto", "proto", "core", "daemon", "platform"],
    "chronyd": ["lib", "crypto", "proto", "core", "daemon", "platform", "chronyd"],
    "chronyc": ["lib", "proto", "chronyc"],
}
ISO_HEADERS = set(
    """assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h
    locale.h math.h setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h
    stdint.h stdio.h stdlib.h stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h
    wchar.h wctype.h""".split()
)

# The pure part of libc/libm that lib, proto and core may call: functions that touch
# nothing but the memory and values they are given. Taken from what the tree uses (nm);
# add a name only if it reads no clock, file, socket, environment or random source.
# Keys: a layer, or "layer/object" for a single object.
PURE_LIBC = {
    ("lib", "proto", "core"): [
        # memory and strings: operate on the caller's buffers only
        "memchr memcmp memcpy memmove memset strchr strcmp strlen strncmp",
        # math: functions of their arguments
        "ceil cos exp floor fmax fmin ldexp log lround pow sin sqrt trunc",
        # formatting into and parsing from the caller's buffers (glibc names
        # sscanf __isoc99_sscanf in C11 mode)
        "snprintf vsnprintf __isoc99_sscanf strtod strtol strtoll strtoul",
        # errno (ISO C <errno.h>): the range error of the strto* functions; glibc reaches
        # the thread's variable through __errno_location
        "__errno_location",
        # sorting the caller's array
        "qsort",
        # ctype: classify and map one character (glibc's macros read the tables behind
        # __ctype_*_loc; at -O0/-Os tolower() is a call)
        "isalnum isalpha isdigit isprint isspace isxdigit tolower toupper",
        "__ctype_b_loc __ctype_tolower_loc __ctype_toupper_loc",
        # free() of memory from lib/mem; assert() and abort() end the process on our
        # own bugs, they do not reach the world
        "free abort __assert_fail",
        # compiler runtime: stack protector
        "__stack_chk_fail",
    ],
    # lib/mem is the one allocator (abort-on-OOM wrappers): malloc and friends only
    # there, and the out-of-memory message it writes to stderr before abort()
    ("lib/mem",): ["malloc calloc realloc", "fwrite fputs stderr"],
}
# Sanitizer runtime (build/san objects) and libFuzzer coverage counters (make fuzz,
# clang): instrumentation, not calls of the code.
PURE_PREFIXES = ("__asan_", "__ubsan_", "__sanitizer_", "__lsan_", "__sancov_",
                 "__start___sancov_", "__stop___sancov_")

UNDEF_TYPES = set("Uwv")
KNOWN_HEADER = """\
# Daemon component edges that take part in a cycle or point into `node` (the wiring),
# still accepted by scripts/check-layers.py (`make check-layers`). One `X -> Y` a line.
# This list must shrink to empty: never add a line; when the check says an edge is gone,
# remove it. Written once by `python3 scripts/check-layers.py --write-known`.
"""


class Report:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def aspect(self, name, problems, note=""):
        if problems:
            for p in problems:
                print("FAIL check-layers: %s: %s" % (name, p))
            self.failed += len(problems)
        else:
            print("PASS check-layers: %s%s" % (name, note))
            self.passed += 1


def layer_files(root, layer):
    d = os.path.join(root, "src", layer)
    if not os.path.isdir(d):
        return []
    return sorted(os.listdir(d))


def check_layout(root):
    problems = []
    src = os.path.join(root, "src")
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if name not in LAYERS or not os.path.isdir(path):
            problems.append("src/%s: not a layer folder (layers: %s)" % (name, " ".join(LAYERS)))
            continue
        for f in sorted(os.listdir(path)):
            p = os.path.join(path, f)
            if os.path.islink(p):
                problems.append("src/%s/%s: symbolic link in a layer folder" % (name, f))
            elif os.path.isdir(p):
                problems.append("src/%s/%s/: subfolder in layer %s (the build and this "
                                "check see only src/%s/*.c)" % (name, f, name, name))
            elif not os.path.isfile(p) or not (f.endswith(".c") or f.endswith(".h")):
                problems.append("src/%s/%s: not a .c or .h file" % (name, f))
    return problems


def strip_comments(text):
    """Splices backslash-newlines and replaces comments by a space, keeping the line
    count (a spliced line is joined with its continuation, its newlines kept after it)."""
    out = []
    i, n = 0, len(text)
    pending_newlines = 0
    while i < n:
        c = text[i]
        if c == "\\" and text.startswith("\n", i + 1):
            pending_newlines += 1
            i += 2
            continue
        if c == "\n":
            out.append("\n" * (1 + pending_newlines))
            pending_newlines = 0
            i += 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            pending_newlines += text.count("\n", i, j)
            out.append(" ")
            i = j
        elif text.startswith("//", i):
            j = i
            while j < n and text[j] != "\n":
                if text[j] == "\\" and text.startswith("\n", j + 1):
                    pending_newlines += 1
                    j += 1
                j += 1
            out.append(" ")
            i = j
        elif c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


DIRECTIVE = re.compile(r"^[ \t\f\v]*(?:#|%:)[ \t\f\v]*(include_next|include|import)\b(.*)$")
QUOTED = re.compile(r'^[ \t]*"([^"]*)"')
ANGLED = re.compile(r"^[ \t]*<([^>]*)>")
PROJECT_HEADER = re.compile(r"^([a-z]+)/([A-Za-z0-9_][A-Za-z0-9_-]*\.h)$")
ASM = re.compile(r"\b(?:asm|__asm|__asm__)\b")


def check_includes(root):
    problems = []
    for layer in LAYERS:
        ok = ALLOWED[layer]
        pure = layer in PURE_LAYERS
        for f in layer_files(root, layer):
            if not (f.endswith(".c") or f.endswith(".h")):
                continue
            rel = "src/%s/%s" % (layer, f)
            path = os.path.join(root, rel)
            if not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = strip_comments(fh.read())
            for lineno, line in enumerate(text.split("\n"), 1):
                where = "%s:%d" % (rel, lineno)
                if pure and ASM.search(line):
                    problems.append("%s: inline assembly in pure layer %s" % (where, layer))
                m = DIRECTIVE.match(line)
                if not m:
                    continue
                kind, rest = m.group(1), m.group(2)
                if kind != "include":
                    problems.append("%s: #%s is not allowed, use #include" % (where, kind))
                q, a = QUOTED.match(rest), ANGLED.match(rest)
                if q:
                    inc = q.group(1)
                    pm = PROJECT_HEADER.match(inc)
                    if not pm:
                        problems.append('%s: "%s" is not of the form "layer/file.h" (no '
                                        "'..', '.', or extra path components)" % (where, inc))
                    elif pm.group(1) not in ok:
                        problems.append('%s: layer %s must not include "%s" (allowed: %s)'
                                        % (where, layer, inc, " ".join(ok)))
                elif a:
                    h = a.group(1)
                    if h.split("/")[0] in LAYERS:
                        problems.append('%s: project header <%s> included with <>, use "%s"'
                                        % (where, h, h))
                    elif pure and h not in ISO_HEADERS:
                        problems.append("%s: pure layer %s includes non-ISO header <%s>"
                                        % (where, layer, h))
                else:
                    problems.append("%s: include of a macro or malformed name: %s"
                                    % (where, rest.strip()))
    return problems


def quoted_includes(root):
    """Yields (layer, file, line number, header) of every quoted include of src/."""
    for layer in LAYERS:
        for f in layer_files(root, layer):
            path = os.path.join(root, "src", layer, f)
            if not (f.endswith(".c") or f.endswith(".h")) or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = strip_comments(fh.read())
            for lineno, line in enumerate(text.split("\n"), 1):
                m = DIRECTIVE.match(line)
                q = QUOTED.match(m.group(2)) if m else None
                if q:
                    yield layer, f, lineno, q.group(1)


NODE_INTERNAL = "daemon/node_internal.h"


def check_node_internal(root):
    problems = []
    for layer, f, lineno, inc in quoted_includes(root):
        if inc != NODE_INTERNAL or (layer == "daemon" and component(f) == "node"):
            continue
        problems.append('src/%s/%s:%d: only the daemon component node (the wiring) may '
                        'include "%s"; include the headers of the components used'
                        % (layer, f, lineno, inc))
    return problems


def objects(root, build):
    """Returns ({(layer, name): object path}, problems) for every .c of every layer."""
    objs, problems = {}, []
    for layer in LAYERS:
        for f in layer_files(root, layer):
            if not f.endswith(".c") or not os.path.isfile(os.path.join(root, "src", layer, f)):
                continue
            name = f[:-2]
            o = os.path.join(build, "obj", layer, name + ".o")
            if os.path.isfile(o):
                objs[(layer, name)] = o
            else:
                problems.append("src/%s/%s: no object %s (build first: make B=%s)"
                                % (layer, f, o, build))
    return objs, problems


def read_symbols(objs, nm):
    """Returns {(layer, name): (defined set, undefined set)} of global symbols."""
    syms = {key: (set(), set()) for key in objs}
    by_path = {path: key for key, path in objs.items()}
    paths = sorted(by_path)
    for i in range(0, len(paths), 200):
        chunk = paths[i : i + 200]
        out = subprocess.run([nm, "-P", "-A"] + chunk, check=True, stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
        for line in out.splitlines():
            head, _, tail = line.partition(": ")
            fields = tail.split()
            if head not in by_path or len(fields) < 2:
                continue
            name, typ = fields[0], fields[1]
            defined, undefined = syms[by_path[head]]
            if typ in UNDEF_TYPES:
                undefined.add(name)
            elif typ.isupper() or typ == "i":
                defined.add(name)
    return syms


def definers(syms):
    d = {}
    for key, (defined, _) in syms.items():
        for s in defined:
            d.setdefault(s, set()).add(key)
    return d


def check_symbols(syms, defs):
    problems = []
    for (layer, name), (_, undefined) in sorted(syms.items()):
        ok = ALLOWED[layer]
        for s in sorted(undefined):
            owners = defs.get(s)
            if not owners or any(l in ok for l, _ in owners):
                continue
            where = ", ".join(sorted("%s/%s.o" % o for o in owners))
            problems.append("obj/%s/%s.o (layer %s) uses %s defined in %s (allowed layers: %s)"
                            % (layer, name, layer, s, where, " ".join(ok)))
    return problems


def pure_allowlist(layer, name):
    allowed = set()
    for keys, groups in PURE_LIBC.items():
        if layer in keys or "%s/%s" % (layer, name) in keys:
            for g in groups:
                allowed.update(g.split())
    return allowed


def check_libc(syms, defs):
    problems = []
    for (layer, name), (_, undefined) in sorted(syms.items()):
        if layer not in PURE_LAYERS:
            continue
        allowed = pure_allowlist(layer, name)
        for s in sorted(undefined):
            if s in defs or s in allowed or s.startswith(PURE_PREFIXES):
                continue
            problems.append("obj/%s/%s.o (pure layer %s) uses %s, which is not in the pure "
                            "libc allowlist (scripts/check-layers.py PURE_LIBC)"
                            % (layer, name, layer, s))
    return problems


def component(name):
    return re.split(r"[_.]", name, 1)[0]


def component_edges(syms, defs):
    """Returns {(X, Y): {symbol: set of objects of X}} between daemon components."""
    edges = {}
    for (layer, name), (_, undefined) in syms.items():
        if layer != "daemon":
            continue
        x = component(name)
        for s in undefined:
            for l, n in defs.get(s, ()):
                y = component(n)
                if l == "daemon" and y != x:
                    edges.setdefault((x, y), {}).setdefault(s, set()).add(name)
    return edges


def sccs(nodes, succ):
    """Tarjan's strongly connected components (iterative)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                result.append(sorted(comp))
    return result


def bad_edges(edges):
    """Returns {(X, Y): reason} of edges into node and edges inside a cycle (node, which
    may use everybody, left out of the cycle search)."""
    bad = {}
    nodes = set()
    succ = {}
    for (x, y) in edges:
        if y == "node":
            bad[(x, y)] = "into the wiring component node"
        elif x != "node":
            nodes.update((x, y))
            succ.setdefault(x, set()).add(y)
    for comp in sccs(nodes, succ):
        if len(comp) < 2:
            continue
        members = set(comp)
        for (x, y) in edges:
            if x in members and y in members:
                bad[(x, y)] = "in the cycle of components %s" % ", ".join(comp)
    return bad


def read_known(path):
    known = set()
    if not os.path.exists(path):
        return known
    with open(path) as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^(\S+)\s*->\s*(\S+)$", line)
            if not m:
                raise SystemExit("%s: bad line: %s" % (path, line))
            known.add((m.group(1), m.group(2)))
    return known


def describe(edge, edges):
    syms = edges[edge]
    parts = []
    for s in sorted(syms)[:6]:
        parts.append("%s (%s)" % (s, ", ".join(sorted(o + ".o" for o in syms[s]))))
    more = len(syms) - 6
    return ", ".join(parts) + (" and %d more" % more if more > 0 else "")


def check_components(syms, defs, known_path, write_known, root):
    edges = component_edges(syms, defs)
    bad = bad_edges(edges)
    if write_known:
        with open(known_path, "w") as fh:
            fh.write(KNOWN_HEADER)
            for x, y in sorted(bad):
                fh.write("%s -> %s\n" % (x, y))
        print("wrote %d edges to %s" % (len(bad), known_path))
    known = read_known(known_path)
    problems = []
    name = os.path.relpath(known_path, root)
    if name.startswith(".."):
        name = known_path
    for e in sorted(bad):
        if e not in known:
            problems.append("%s -> %s is %s, via %s" % (e[0], e[1], bad[e], describe(e, edges)))
    for e in sorted(known - set(bad)):
        why = "no longer part of a cycle" if e in edges else "the edge is gone"
        problems.append("remove %s -> %s from %s (%s)" % (e[0], e[1], name, why))
    notes = []
    for e in sorted(known & set(bad)):
        notes.append("note: known edge %s -> %s (%s) via %s"
                     % (e[0], e[1], bad[e], describe(e, edges)))
    note = ""
    if notes:
        note = " (%d known edges left in %s)" % (len(notes), name)
    return problems, note, notes


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Checks the layering of sources and objects.")
    ap.add_argument("--root", default=os.path.dirname(here), help="source tree (holds src/)")
    ap.add_argument("--build", default=None, help="build dir B holding obj/<layer>/*.o "
                    "(default: $B or <root>/build)")
    ap.add_argument("--known", default=None, help="known component edges "
                    "(default: <root>/scripts/layers-known-edges.txt)")
    ap.add_argument("--write-known", action="store_true",
                    help="write today's cycle/into-node edges to the known-edges file")
    ap.add_argument("--nm", default=os.environ.get("NM", "nm"))
    args = ap.parse_args()
    root = args.root
    build = args.build or os.environ.get("B") or os.path.join(root, "build")
    known = args.known or os.path.join(root, "scripts", "layers-known-edges.txt")

    r = Report()
    r.aspect("layout", check_layout(root))
    r.aspect("includes", check_includes(root))
    r.aspect("node-internal", check_node_internal(root))
    objs, missing = objects(root, build)
    r.aspect("objects", missing)
    syms = read_symbols(objs, args.nm)
    defs = definers(syms)
    r.aspect("symbols", check_symbols(syms, defs))
    r.aspect("libc", check_libc(syms, defs))
    problems, note, notes = check_components(syms, defs, known, args.write_known, root)
    r.aspect("daemon-components", problems, note)
    for n in notes:
        print(n)
    if r.failed:
        print("check-layers: %d problem%s (build dir %s)" % (r.failed, "" if r.failed == 1 else "s", build))
        return 1
    print("check-layers: ok (build dir %s)" % build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
