#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The guest's folders depend one way (docs/boot.md, "Layers"): arch at the
# bottom, then kernel, then drivers and libc (side by side, neither reaching the
# other), then apps. Reads every #include line and every top-level extern or
# prototype declaration in those folders and prints one FAIL file:line for each
# that reaches up or sideways, or reaches a header through "../"; and each read
# of boot_ring3 outside the one place that picks the host; and each circle of
# files in drivers/ that use each other's names (a driver calls the layer under
# it, never back: the transports hand devices up through a pointer). A plain text
# reader, not a compiler: it trusts the tree to follow the style (top-level
# declarations start in column 0, one internal header per folder).
#   tests/layers.py [ROOT]      check the tree (default: this checkout)
#   tests/layers.py --selftest  plant one violation of each kind in a copy; all must be found
import os, re, shutil, subprocess, sys, tempfile

RANK = {"arch": 0, "kernel": 1, "drivers": 2, "libc": 2, "apps": 3}
# The include search path of each folder, as the Makefile's KCFLAGS, LCFLAGS +
# LWIPINC + LKINC and APPCFLAGS give it (after the including file's own folder).
IPATH = {
    "arch": ["kernel", "arch/x86_64"],
    "kernel": ["kernel", "arch/x86_64"],
    "drivers": ["kernel", "arch/x86_64"],
    "libc": ["libc/include", "libc/net", ".", "arch/x86_64"],
    "apps": ["libc/include", "libc/net"],
}
# The entries a layer starts the one above with: the only names a lower layer
# may declare, each in one file. kmain() starts drivers (host_init) and libc
# (libc_start); libc starts the app (main: C's own contract). entry.S calls
# kmain from assembly, which declares nothing.
ENTRIES = {("host_init", "kernel/kernel.h"), ("libc_start", "kernel/kernel.h"),
           ("main", "libc/libc.h")}

# How spore-kvm's ring-3 entry shows: set by entry.S, declared by x86.h, read
# where the host is picked; everything else asks the host table (host->ring3).
RING3 = ("boot_ring3", {"arch/x86_64/entry.S", "arch/x86_64/x86.h", "drivers/host.c"})

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
IDENT = re.compile(r"[A-Za-z_]\w*")


def folder(path):
    return path.split("/", 1)[0]


def sources(root):
    for top in RANK:
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h", ".S")):
                    yield os.path.relpath(os.path.join(d, f), root)


def strip_comments(text):
    """Comments and string literals blanked, newlines kept (line numbers hold)."""
    def blank(m):
        s = m.group(0)
        return s if s[0] in "\"'" and len(s) < 3 else re.sub(r"[^\n]", " ", s)
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  blank, text, flags=re.S)


def statements(text):
    """Top-level statements as (line, text, ends_with) with ends_with ';' or '{';
    preprocessor lines and everything inside braces skipped."""
    depth, start, buf = 0, None, []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if depth == 0 and start is None and line.lstrip().startswith("#"):
            while line.endswith("\\") and i + 1 < len(lines):
                i += 1
                line = lines[i]
            i += 1
            continue
        for ch in line + "\n":
            if depth > 0:
                depth += ch == "{"
                depth -= ch == "}"
                continue
            if start is None:
                if ch.isspace() or ch in ";}":
                    continue
                start, buf = i + 1, []
            if ch in ";{":
                yield start, " ".join("".join(buf).split()), ch
                start = None
                depth = 1 if ch == "{" else 0
            else:
                buf.append(ch)
        i += 1


def declarators(stmt):
    """Names declared by one statement without its ending."""
    stmt = re.sub(r"__attribute__\s*\(\(.*?\)\)", "", stmt)
    parts, depth, cur = [], 0, ""
    for ch in stmt:
        depth += ch in "(["
        depth -= ch in ")]"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    names = []
    for p in parts:
        p = p.split("=")[0]
        m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)", p)      # (*name): a pointer to function
        if m:
            names.append((m.group(1), "var"))
            continue
        if "(" in p:                                        # name(...): a function
            ids = IDENT.findall(p[:p.index("(")])
            if ids:
                names.append((ids[-1], "fn"))
            continue
        ids = IDENT.findall(re.sub(r"\[.*?\]", "", p))
        if ids:
            names.append((ids[-1], "var"))
    return names


def scan(root):
    """defs: name -> set of folders defining it; decls: (file, line, name);
    incs: (file, line, quote, header)."""
    defs, decls, incs, ring3 = {}, [], [], []
    for path in sources(root):
        text = open(os.path.join(root, path), encoding="utf-8", errors="replace").read()
        if path not in RING3[1]:
            code = strip_comments(text).split("\n")
            ring3 += [(path, n) for n, line in enumerate(code, 1)
                      if re.search(rf"\b{RING3[0]}\b", line)]
        for n, line in enumerate(text.split("\n"), 1):
            m = INCLUDE.match(line)
            if m:
                incs.append((path, n, m.group(1), m.group(2)))
        if path.endswith(".S"):
            for name in re.findall(r"^\s*\.globl\s+(\w+)", text, re.M):
                defs.setdefault(name, set()).add(folder(path))
            continue
        for line, stmt, end in statements(strip_comments(text)):
            words = stmt.split()
            if not words or words[0] in ("static", "typedef") or stmt.startswith("__asm__"):
                continue
            if re.fullmatch(r"(struct|union|enum)(\s+\w+)?", stmt):
                continue                                     # a type, or its forward declaration
            proto = (end == ";" and "=" not in stmt and re.search(r"\w\s*\(", stmt)
                     and not re.search(r"\(\s*\*", stmt))
            if words[0] == "extern" or proto:
                for name, _ in declarators(stmt[len("extern"):] if words[0] == "extern" else stmt):
                    decls.append((path, line, name))
                continue
            if end == "{" and "=" not in stmt and not re.search(r"\w\s*\(", stmt):
                continue                                     # struct/union/enum body
            for name, _ in declarators(stmt):
                defs.setdefault(name, set()).add(folder(path))
    return defs, decls, incs, ring3


# The folders whose files may not use each other in a circle (file A names a
# function or variable that B defines, and B, through any others, one of A's).
ACYCLIC = ("drivers",)
# The circles still there, each exactly as listed (a file more or less fails):
# xen.c is both the host, which starts the drivers, and the event-channel layer
# they call, the shape virtio.c was split out of virtio_mmio.c to undo.
KNOWN_CIRCLES = [["drivers/xen.c", "drivers/xen_net.c", "drivers/xen_store.c"]]


def uses(root):
    """file -> the files whose names it uses, over the .c files of ACYCLIC: the
    names each defines outside static (function bodies and variables), and
    every identifier each uses that is not a member (.x, ->x) or its own."""
    own, used = {}, {}
    for path in sources(root):
        if folder(path) not in ACYCLIC or not path.endswith(".c"):
            continue
        text = strip_comments(open(os.path.join(root, path), encoding="utf-8",
                                   errors="replace").read())
        own[path], mine = set(), set()
        for _, stmt, end in statements(text):
            words = stmt.split()
            if not words or words[0] == "extern":
                continue
            fn = re.search(r"\w\s*\(", stmt) and "=" not in stmt
            if words[0] in ("static", "typedef") or (end == ";" and fn) or \
                    (end == "{" and not fn and "=" not in stmt):
                mine.update(n for n, _ in declarators(stmt))  # own names, prototypes, types
                continue
            own[path].update(n for n, _ in declarators(stmt))
        used[path] = set(IDENT.findall(re.sub(r"(\.|->)\s*\w+", " ", text))) - mine
    owner = {}
    for path, names in own.items():
        for n in names:
            owner.setdefault(n, set()).add(path)
    return {p: {q for n in used[p] - own[p] for q in owner.get(n, ()) if q != p}
            for p in used}


def circles(graph):
    """The strongly connected groups of more than one file (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on.discard(group[-1])
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def resolve(root, path, quote, header):
    dirs = ([os.path.dirname(path)] if quote == '"' else []) + IPATH[folder(path)]
    for d in dirs:
        p = os.path.normpath(os.path.join(d, header))
        if os.path.isfile(os.path.join(root, p)):
            return p
    return None                                              # a system or third-party header


def reaches(src, dst):
    """Why src's folder may not use dst's, or None when it may."""
    a, b = folder(src), folder(dst)
    if a == b or b not in RANK:
        return None
    if RANK[b] > RANK[a]:
        return f"{a} reaches up to {b}"
    if RANK[b] == RANK[a]:
        return f"{a} reaches sideways to {b}"
    return None


def check(root):
    defs, decls, incs, ring3 = scan(root)
    bad = [f"{path}:{line}: reads {RING3[0]}: ask the host table (host->ring3)"
           for path, line in ring3]
    for path, line, quote, header in incs:
        target = resolve(root, path, quote, header)
        why = [w for w in ("../" in header and "through ../, not the include path",
                           target and reaches(path, target)) if w]
        if why:
            bad.append(f"{path}:{line}: #include {header}: {'; '.join(why)}")
    for path, line, name in decls:
        if (name, path) in ENTRIES:
            continue
        for where in sorted(defs.get(name, ())):
            why = reaches(path, where + "/")
            if why:
                bad.append(f"{path}:{line}: declares {name}, defined in {where}/: {why}")
    for group in circles(uses(root)):
        if group not in KNOWN_CIRCLES:
            bad.append(f"{group[0]}: uses and is used by {', '.join(group[1:])}: a circle")
    return bad, len(incs), len(decls), len(defs)


def selftest():
    """Plants one violation of each kind in a copy; each must be reported."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    plants = [  # file, line to add, what the report must contain
        ("arch/x86_64/cpu.c", '#include "kernel.h"', "arch reaches up to kernel"),
        ("arch/x86_64/cpu.c", '#include "virtio.h"', None),   # not on arch's path: no report
        ("kernel/panic.c", "size_t libc_heap_in_use(void);", "declares libc_heap_in_use"),
        ("kernel/kernel.h", "extern const struct host host_qemu;", "declares host_qemu"),
        ("drivers/qemu.c", '#include "libc/libc.h"', None),   # not on drivers' path either
        ("drivers/qemu.c", "int fd_alloc(void);", "drivers reaches sideways to libc"),
        ("libc/start.c", "void virtio_probe(void);", "libc reaches sideways to drivers"),
        ("kernel/main.c", '#include "../arch/x86_64/x86.h"', "through ../"),
        ("kernel/main.c", "void kmain(void);", None),         # kernel's own: fine
        ("arch/x86_64/mmu.c", "int f(void) { return boot_ring3; }", "reads boot_ring3"),
        ("drivers/virtq.c", "int virtq_f(void) { return vnet_init(0); }", "a circle"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for top in RANK:
            shutil.copytree(os.path.join(here, top), os.path.join(tmp, top))
        bad, *_ = check(tmp)
        if bad:
            print(f"FAIL selftest: the clean copy already fails: {bad[0]}")
            return 1
        for path, text, _ in plants:
            with open(os.path.join(tmp, path), "a") as f:
                f.write("\n" + text + "\n")
        bad, *_ = check(tmp)
        want = [p for p in plants if p[2]]
        missed = [p for p in want if not any(p[0] in b and p[2] in b for b in bad)]
        if missed or len(bad) != len(want):
            print(f"FAIL selftest: planted {len(want)}, reported {len(bad)}; missed: "
                  + "; ".join(f"{p[0]}: {p[1]}" for p in missed))
            for b in bad:
                print(f"     {b}")
            return 1
        print(f"ok selftest: each of {len(want)} planted violations reported by file:line")
        return 0


def main():
    if sys.argv[1:] == ["--selftest"]:
        return selftest()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bad, nincs, ndecls, ndefs = check(root)
    if ndefs < 100 or nincs < 100:
        print(f"FAIL read only {ndefs} definitions and {nincs} includes: wrong root {root}?")
        return 1
    for b in bad:
        print(f"FAIL {b}")
    if not bad:
        print(f"ok {nincs} includes and {ndecls} declarations keep arch < kernel < "
              f"drivers | libc < apps, no ../ ({ndefs} names defined); no circle in "
              f"{', '.join(ACYCLIC)} but the {len(KNOWN_CIRCLES)} known")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
