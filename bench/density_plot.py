# SPDX-License-Identifier: MIT
"""bench/density's plots: small SVG line plots written by hand (no plotting
package), from a results.json's contents. Trusts the numbers it is given."""
import math


def svg(path, title, ylabel, series, logx=True):
    """A small line plot (one series per contender), no dependencies."""
    W, H, L, R, T, Bm = 720, 400, 70, 230, 40, 50
    # A MemAvailable drop can be negative on a shared machine: no point below the axis.
    series = {n: [(x, y) for x, y in s if y is not None and y >= 0] for n, s in series.items()}
    pts = [(x, y) for s in series.values() for x, y in s]
    if not pts:
        return
    fx = (lambda x: math.log10(x)) if logx else (lambda x: x)
    x0, x1 = fx(min(p[0] for p in pts)), fx(max(p[0] for p in pts))
    y1 = max(p[1] for p in pts) * 1.1 or 1
    x1 = x1 if x1 > x0 else x0 + 1
    px = lambda x: L + (fx(x) - x0) / (x1 - x0) * (W - L - R)
    py = lambda y: H - Bm - y / y1 * (H - T - Bm)
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="20" font-size="14">%s</text>' % (L, title),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, H - Bm, W - R, H - Bm),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, T, L, H - Bm),
         '<text x="%d" y="%d">k (instances%s)</text>' % ((W - R) // 2, H - 10, ", log scale" if logx else ""),
         '<text x="15" y="%d" transform="rotate(-90 15 %d)">%s</text>' % (H // 2 + 40, H // 2 + 40, ylabel)]
    for i in range(5):
        y = y1 * i / 4
        o.append('<text x="%d" y="%d" text-anchor="end">%.3g</text>' % (L - 5, py(y) + 4, y))
    xs = sorted({p[0] for p in pts})
    if not logx:                               # every k would be a label: six ticks instead
        xs = sorted({round(xs[0] + (xs[-1] - xs[0]) * i / 5) for i in range(6)})
    for x in xs:
        o.append('<text x="%d" y="%d" text-anchor="middle">%d</text>' % (px(x), H - Bm + 15, x))
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    for n, (name, s) in enumerate(series.items()):
        s = [(x, y) for x, y in s if y is not None]
        col = colors[n % len(colors)]
        if s:
            o.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
                col, " ".join("%.1f,%.1f" % (px(x), py(y)) for x, y in s)))
            o += [] if len(s) > 50 else ['<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (px(x), py(y), col) for x, y in s]
        o.append('<text x="%d" y="%d" fill="%s">%s</text>' % (W - R + 10, T + 20 * n + 10, col, name))
    o.append("</svg>")
    open(path, "w").write("\n".join(o) + "\n")


def plots(res, out):
    """start.svg, mem.svg and start-all.svg from a results.json's contents."""
    cs = res["contenders"]
    svg(out + "/start.svg", "k-th start: launch to first answer (%s, %s net)" % (res["app"], res["net"]), "ms",
        {c: [(p["k"], p["kth_start_ms"]) for p in r["points"]] for c, r in cs.items()})
    mem = {}
    for c, r in cs.items():
        mem[c + " (cgroup)"] = [(p["k"], p.get("cgroup_per_instance_kib")) for p in r["points"]]
        mem[c + " (MemAvailable)"] = [(p["k"], p["mem_per_instance_kib"]) for p in r["points"]]
    svg(out + "/mem.svg", "host memory per instance (%s)" % res["app"], "KiB", mem)
    svg(out + "/start-all.svg", "every start, launch to first answer (%s, %s net)" % (res["app"], res["net"]), "ms",
        {c: [(s["k"], s["start_ms"]) for s in r["starts"]] for c, r in cs.items()}, logx=False)
