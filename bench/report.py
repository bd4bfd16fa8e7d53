#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes build/compare/report.md and the SVG plots from results.json, prints
the table, and checks (exit 1) that every row has a number for every
contender and that every density instance answered."""
import json, os, statistics, sys

res = json.load(open(sys.argv[1]))
out = os.path.dirname(sys.argv[1])
C = ["spore-kvm", "qemu-microvm", "runc", "process"]
COLORS = {"spore-kvm": "#1b9e77", "qemu-microvm": "#d95f02", "runc": "#7570b3", "process": "#666666"}
ROWS = [  # label, getter, unit, lower is better
    ("start-up: launch to first answer, median (p10-p90)", lambda r: r["startup_ms"]["median"], "ms", True),
    ("memory per instance, idle", lambda r: r["mem_kib"], "KiB", True),
    ("memory per instance, after load", lambda r: r["mem_kib_loaded"], "KiB", True),
    ("smallest RAM / memory limit that passes", lambda r: r["min_mem_kib"], "KiB", True),
    ("image size", lambda r: r["image_bytes"], "bytes", True),
    ("throughput", lambda r: r["rps"], "req/s", False),
    ("latency p50", lambda r: r["p50_ms"], "ms", True),
    ("latency p99", lambda r: r["p99_ms"], "ms", True),
    ("density: instances started", lambda r: r["density"]["k_reached"], "", False),
    ("density: time to start the k-th", lambda r: r["density"]["kth_start_ms"], "ms", True),
    ("density: host memory at k", lambda r: r["density"]["total_mem_kib"], "KiB", True),
    ("isolation: distinct host system calls", lambda r: r["host_syscalls"], "", True),
    ("idle CPU per instance", lambda r: r["idle_cpu_pct"], "% of a core", True),
]
CLAIM = {"start-up": "VMs boot in minutes, containers in seconds", "memory": "VMs weigh gigabytes, containers megabytes",
         "image size": "VM images are gigabytes", "density": "containers pack far more per host",
         "isolation": "VMs isolate better (a smaller interface)", "throughput": "containers run at native speed",
         "latency": "containers run at native speed", "smallest": "VMs need far more memory",
         "idle": "idle VMs cost CPU"}


def fmt(v):
    if v is None:
        return "n/a"
    return "%.2f" % v if isinstance(v, float) and v < 100 else "%d" % v if isinstance(v, (int, float)) else str(v)


def svg(path, title, series, ylabel):
    W, H, L, Bm = 520, 300, 70, 40
    pts = [p for s in series.values() for p in s]
    if not pts:
        return
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    import math
    lx = lambda x: L + (math.log10(x) / max(1e-9, math.log10(max(xs)))) * (W - L - 20) if max(xs) > 1 else L
    ymax = max(ys) or 1
    ly = lambda y: H - Bm - y / ymax * (H - Bm - 30)
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (W, H),
         '<text x="%d" y="16" font-size="13">%s</text>' % (L, title),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, H - Bm, W - 10, H - Bm),
         '<line x1="%d" y1="30" x2="%d" y2="%d" stroke="black"/>' % (L, L, H - Bm),
         '<text x="5" y="%d">%s</text>' % (H // 2, ylabel), '<text x="%d" y="%d">k (log scale)</text>' % (W // 2, H - 5),
         '<text x="%d" y="34">%s</text>' % (5, fmt(ymax))]
    for x in sorted(set(xs)):
        o.append('<text x="%d" y="%d">%d</text>' % (lx(x) - 5, H - Bm + 14, x))
    for i, (name, s) in enumerate(series.items()):
        s = sorted(s)
        o.append('<polyline fill="none" stroke-width="2" stroke="%s" points="%s"/>' % (
            COLORS[name], " ".join("%d,%d" % (lx(x), ly(y)) for x, y in s)))
        o.append('<text x="%d" y="%d" fill="%s">%s</text>' % (W - 150, 40 + 14 * i, COLORS[name], name))
    o.append("</svg>")
    open(path, "w").write("\n".join(o))


C = [c for c in res.get("contenders", C)]
lines, missing = [], []
lines.append("# spore against a container, row by row (%s%s)" % (res["date"], ", QUICK" if res["quick"] else ""))
lines.append("")
lines.append("Machine: %d cores, /dev/kvm = %s (QEMU therefore runs the guest under TCG). Schema and method: docs/comparison.md." % (
    res["machine"]["cores"], res["machine"]["kvm"]))
for c, why in res.get("skipped", {}).items():
    lines.append("Not measured in this run: %s (%s)." % (c, why))
verdict = []
for app, rs in res["apps"].items():
    lines += ["", "## %s" % app, "", "| row | " + " | ".join(C) + " |", "|---|" + "---|" * len(C)]
    for label, get, unit, lower in ROWS:
        vals = {}
        for c in C:
            try:
                vals[c] = get(rs[c])
            except (KeyError, TypeError):
                vals[c] = None
            if vals[c] is None and not (label.startswith("smallest") and c == "process"):
                missing.append("%s / %s / %s" % (app, label, c))
        cells = []
        for c in C:
            cell = fmt(vals[c])
            if label.startswith("start-up") and c in rs and rs[c]["startup_ms"]["p10"] is not None:
                cell += " (%s-%s)" % (fmt(rs[c]["startup_ms"]["p10"]), fmt(rs[c]["startup_ms"]["p90"]))
            cells.append(cell)
        lines.append("| %s%s | %s |" % (label, " (%s)" % unit if unit else "", " | ".join(cells)))
        have = {c: v for c, v in vals.items() if isinstance(v, (int, float)) and v > 0}
        if len(have) >= 2:
            best = (min if lower else max)(have, key=have.get)
            others = [c for c in have if c != best]
            ratio = {c: (have[c] / have[best] if lower else have[best] / have[c]) for c in others}
            claim = next((v for k, v in CLAIM.items() if label.lower().startswith(k) or k in label), "")
            verdict.append("- %s, %s: **%s** wins; %s.%s" % (app, label, best, ", ".join(
                "%.2fx better than %s" % (ratio[c], c) for c in others), " Classic table: %s." % claim if claim else ""))
    lines.append("| image size with a Debian minbase around the binary (bytes) | %s |" % " | ".join(
        fmt(rs.get(c, {}).get("image_bytes_debian")) if c == "runc" else "-" for c in C))
    lines.append("| isolation: seccomp allowlist | %s |" % " | ".join(fmt(rs.get(c, {}).get("seccomp_allowlist")) for c in C))
    lines.append("| isolation: what the app can reach | %s |" % " | ".join(rs.get(c, {}).get("interface", "n/a") for c in C))
    lines.append("| portability: hosts the artefact ran on in this run | %s |" % " | ".join(", ".join(rs.get(c, {}).get("portability", [])) for c in C))
    lines.append("| density: where it stopped | %s |" % " | ".join(rs.get(c, {}).get("density", {}).get("stopped", "n/a") for c in C))
    for c in C:
        if c in rs and not rs[c]["density"]["all_answered"]:
            silent = ["k=%d: %s" % (p["k"], p.get("silent")) for p in rs[c]["density"]["points"] if not p["all_answer"]]
            missing.append("%s / density: not every instance answered (%s) / %s" % (app, "; ".join(silent), c))
    svg("%s/density-start-%s.svg" % (out, app), "%s: time to start the k-th instance (ms)" % app,
        {c: [(p["k"], p["kth_start_ms"]) for p in rs[c]["density"]["points"]] for c in C if c in rs}, "ms")
    svg("%s/density-mem-%s.svg" % (out, app), "%s: host memory with k instances (KiB)" % app,
        {c: [(p["k"], p["total_mem_kib"]) for p in rs[c]["density"]["points"]] for c in C if c in rs}, "KiB")
    lines += ["", "![start](density-start-%s.svg) ![memory](density-mem-%s.svg)" % (app, app)]
for app, m in res.get("memory_alike", {}).items():
    # Memory counted alike (docs/serverless.md): the same two measures for every kind.
    lines += ["", "## %s: memory per idle instance, counted alike (k = %d, %d interleaved rounds)" % (
        app, m["k"], m["rounds"]), "",
        "| kind | MemAvailable drop / k, KiB: median (each round) | PSS / k, KiB: median (each round) |",
        "|---|---|---|"]
    for kind, v in m["kinds"].items():
        if not v["all_up"]:
            missing.append("%s / memory alike: not every instance answered / %s" % (app, kind))
        lines.append("| %s | %s | %s |" % (kind, *("%s (%s)" % (fmt(statistics.median(v[f])), ", ".join(map(str, v[f])))
                                                    for f in ("memavail_drop_kib", "pss_kib"))))
lines += ["", "## Verdict (generated from the numbers above)", ""] + verdict
lines += ["", "## Commands", "",
          "- spore-kvm: `build/spore-kvm --mem=16M --net=TAP --initrd=build/tests/root.tar build/apps/APP.elf ip=ADDR/16 -- ARGS`",
          "- qemu-microvm: `tests/spore-run --host=microvm --mem=16 --net=TAP --initrd=build/tests/root.tar build/apps/APP.elf \"ip=ADDR/16 -- ARGS\"`",
          "- runc: `runc run -d --bundle BUNDLE ID` (rootfs: the static binary, httpd's files; its network namespace and a memory limit in config.json)",
          "- process: `ip netns exec NS build/linux/APP ARGS`",
          "- ARGS: httpd `-p 80 -t 30` (`-d DIR` outside spore); kv `-p 6379 -m 4M`",
          "- load: `wrk -t2 -c32 -d10s --latency http://ADDR/index.html` (3 s in QUICK); `redis-benchmark -h ADDR -t get -c 32 -n 100000 --csv` (5000 in QUICK)",
          "- system calls: `strace -f -c` over a start, one request, a stop",
          "- memory alike: k instances of a kind started (each answers one request), 1 s idle, then (MemAvailable before - after) / k and the sum of their PSS (`/proc/PID/smaps_rollup`: spore-kvm, the container's app, the process) / k; kinds interleaved; restored: `build/spore-kvm --net=TAP --restore=SNAP` of one `--snapshot` of the spore-kvm command above, each copy on a tap of its own",
          "- reproduce: `make compare` (`QUICK=1`, `COMPARE_APPS=httpd`, `COMPARE_KS=1,10,100,1000`, `COMPARE_LAUNCHES=30`)"]
open(out + "/report.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
if missing:
    print("\nMISSING: " + "; ".join(missing))
    sys.exit(1)
