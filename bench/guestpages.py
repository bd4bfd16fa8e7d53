#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Which pages an idle spore-kvm instance holds, page by page (docs/density.md): the
# monitor's /proc/PID/pagemap over guest RAM (anonymous pages only: the image's pages
# mapped from its file are the page cache's, shared by every instance) and over the
# monitor's own writable mappings. Guest pages are named by the image's symbol table
# (read here, no nm: the lab's L1 has none) and by kernel/mem.c's heap and page
# bounds read from guest RAM. Trusts /proc of a spore-kvm it may read (root) and the
# image the monitor runs (the one given).
#   bench/guestpages.py [-v] ELF PID...   one line of counts per PID, then the median
#   -v: every page with the symbols it holds
import os
import statistics
import struct
import sys

PAGE = 4096


def elf_read(path):
    """(PT_LOADs as (offset, vaddr, filesz, memsz), sections {name: (addr, size)},
    symbols [(addr, size, name)] of data and bss) of an ELF64 file."""
    d = open(path, "rb").read()
    if d[:4] != b"\x7fELF" or d[4] != 2:
        sys.exit("guestpages: %s: not an ELF64 file" % path)
    phoff, shoff = struct.unpack_from("<QQ", d, 0x20)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", d, 0x36)
    loads = []
    for i in range(phnum):
        t, _, off, va, _, fsz, msz, _ = struct.unpack_from("<IIQQQQQQ", d, phoff + i * phentsize)
        if t == 1:
            loads.append((off, va, fsz, msz))
    sh = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]
    strs = sh[shstrndx][4]

    def name(tab, at):
        return d[tab + at:d.index(b"\0", tab + at)].decode()
    secs, syms = {}, []
    for s in sh:
        if s[3] and s[1] in (1, 8):  # PROGBITS, NOBITS with an address
            secs[name(strs, s[0])] = (s[3], s[5])
        if s[1] == 2:  # SYMTAB; its strings are section sh_link
            stab = sh[s[6]][4]
            for j in range(s[5] // 24):
                nm, info, _, _, val, size = struct.unpack_from("<IBBHQQ", d, s[4] + j * 24)
                if info & 15 == 1 and val:  # STT_OBJECT
                    syms.append((val, size, name(stab, nm)))
    return loads, secs, sorted(syms)


def pagemap(pid, start, end):
    """Addresses of the anonymous (not file-backed) present pages in [start, end)."""
    n = (end - start) // PAGE
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        f.seek(start // PAGE * 8)
        e = struct.unpack("<%dQ" % n, f.read(n * 8))
    return [start + i * PAGE for i, x in enumerate(e) if x >> 63 & 1 and not x >> 61 & 1]


def mem_size(pid):
    for a in open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0"):
        if a.startswith(b"--mem="):
            v, k = a[6:].decode(), 1
            if v[-1] in "KMG":
                v, k = v[:-1], 1 << {"K": 10, "M": 20, "G": 30}[v[-1]]
            return int(v) * k
    return 8 << 20  # the monitor's default


def instance(pid, elf, verbose):
    loads, secs, syms = elf
    maps = []
    for line in open("/proc/%d/maps" % pid):
        f = line.split()
        a, b = (int(x, 16) for x in f[0].split("-"))
        maps.append((a, b, f[1], int(f[2], 16), f[5] if len(f) > 5 else ""))
    # Guest RAM: where the image's lowest mapped page sits, less its guest address.
    img = min((m for m in maps if m[4].endswith(".elf")), default=None)
    if not img:
        sys.exit("guestpages: %d maps no image file (--image=copy?)" % pid)
    seg = [s for s in loads if s[0] <= img[3] < s[0] + s[2]][0]
    base = img[0] - (seg[1] + img[3] - seg[0])
    size = mem_size(pid)
    gpages = pagemap(pid, base, base + size)
    mem = open("/proc/%d/mem" % pid, "rb")

    def q(gpa):
        mem.seek(base + gpa)
        return struct.unpack("<Q", mem.read(8))[0]
    sym = {n: a for a, s, n in syms}
    heap = (q(sym["heap_start"]), q(sym["brk"])) if "heap_start" in sym else (0, 0)
    pages = (q(sym["top"]), q(sym["limit"])) if "top" in sym else (0, 0)
    img_end = max(a + s for a, s in secs.values())
    # Named ranges in the page allocator's part: every thread's stack (kernel/sched.c's
    # list "all"; struct thread's offsets of name, all_next, stack, stack_pages, as in
    # kernel/kernel.h) and the virtio-net driver's buffers (drivers/virtio_net.c).
    named = []
    t, seen = q(sym["all"]) if "all" in sym else 0, 0
    while t and seen < 64:
        stack, npages = q(t + 104), q(t + 112)
        if stack:
            named.append((stack, stack + npages * PAGE, "stack of thread at %#x" % t))
        t, seen = q(t + 40), seen + 1
    if "rxbuf" in sym and "nrx" in sym and q(sym["rxbuf"]):
        nrx, rxsz = q(sym["nrx"]) & 0xffffffff, q(sym["rxsz"]) & 0xffffffff
        named.append((q(sym["rxbuf"]), q(sym["rxbuf"]) + nrx * rxsz, "virtio-net receive buffers"))
    if "txbuf" in sym and q(sym["txbuf"]):
        named.append((q(sym["txbuf"]), q(sym["txbuf"]) + 32 * 2048, "virtio-net transmit buffers"))

    def region(gpa):
        if gpa < 0x100000:
            return "low"
        for n, (a, s) in secs.items():
            if a <= gpa < a + s:
                return ".bss" if n.startswith(".bss") else n
        if heap[0] <= gpa < heap[1]:
            return "heap"
        if pages[0] <= gpa < pages[1]:
            return "pages"
        return "other" if gpa >= img_end else "image gap"
    count = {}
    for p in gpages:
        r = region(p - base)
        count[r] = count.get(r, 0) + 1
        if verbose:
            g = p - base
            held = sorted(((min(a + s, g + PAGE) - max(a, g), n) for a, s, n in syms
                           if a < g + PAGE and a + max(s, 1) > g), reverse=True)[:5]
            where = [n for a, b, n in named if a <= g < b]
            print("  guest %#9x %-6s %s" % (g, r, " ".join(["%s(%d)" % (n, b) for b, n in held] + where)))
    mon = 0
    for a, b, perm, _, path in maps:
        if "w" in perm and not (base <= a < base + size) and not path.startswith("anon_inode"):
            k = len(pagemap(pid, a, b))
            mon += k
            if verbose and k:
                print("  monitor %x-%x %s %s: %d pages" % (a, b, perm, path or "(anonymous)", k))
    roll = {}
    for line in open("/proc/%d/smaps_rollup" % pid):
        f = line.split()
        if len(f) == 3 and f[2] == "kB":
            roll[f[0].rstrip(":")] = int(f[1])
    return {"pid": pid, "guest": len(gpages), "monitor": mon, "rss": roll["Rss"], "pss": roll["Pss"],
            "anon_kib": roll["Anonymous"], "threads": len(os.listdir("/proc/%d/task" % pid)),
            "regions": count}


def main():
    a = sys.argv[1:]
    verbose = a[:1] == ["-v"]
    a = a[1:] if verbose else a
    if len(a) < 2:
        sys.exit("usage: guestpages.py [-v] ELF PID...")
    elf = elf_read(a[0])
    rows = []
    for pid in map(int, a[1:]):
        r = instance(pid, elf, verbose)
        rows.append(r)
        print("pid %d: guest %d pages (%s), monitor %d pages; Rss %d KiB, Pss %d, Anonymous %d; "
              "%d threads" % (pid, r["guest"], " ".join("%s %d" % kv for kv in sorted(r["regions"].items())),
                              r["monitor"], r["rss"], r["pss"], r["anon_kib"], r["threads"]))
    if len(rows) > 1:
        med = {k: statistics.median(r[k] for r in rows) for k in ("guest", "monitor", "rss", "pss", "anon_kib")}
        rng = {k: (min(r[k] for r in rows), max(r[k] for r in rows)) for k in med}
        print("median of %d: " % len(rows) + ", ".join("%s %g (%d-%d)" % (k, med[k], *rng[k]) for k in med))


main()
