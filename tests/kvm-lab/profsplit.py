#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Splits a system-wide perf profile (perf script -F comm,time,ip,sym of a record
with -g and -k CLOCK_MONOTONIC, on standard input) into the samples taken inside
the starts bench/density logged (--starts-log: CONTENDER K T0 T1, the same clock)
and the rest, so a cost that grows with k can be placed in the start or outside it
(docs/density.md). Prints, prefixed by TAG: the starts the profile covers and the
samples inside them; by comm and by leaf symbol, the share inside and outside; for
each WALK symbol, its samples inside and outside and its most common callers. Trusts
its input to be perf's; a line it cannot read is counted and skipped.
  perf script ... | profsplit.py TAG STARTS_LOG [WALK...]"""
import bisect, collections, sys


def top(counter, n):
    """Counter.most_common(n) without heapq, which L1's Python lacks (only what the
    harness imports is copied in: tests/kvm-lab/density-host.sh)."""
    return sorted(counter.items(), key=lambda kv: -kv[1])[:n]


def main(tag, log, walks):
    iv = []
    for line in open(log):
        f = line.split()
        if len(f) == 4:
            iv.append((float(f[2]), float(f[3]), f[1]))
    iv.sort()
    starts = [a for a, _, _ in iv]
    inside = lambda t: (lambda i: i >= 0 and iv[i][0] <= t <= iv[i][1])(bisect.bisect_right(starts, t) - 1)
    n = {True: 0, False: 0}
    comm = {True: collections.Counter(), False: collections.Counter()}
    sym = {True: collections.Counter(), False: collections.Counter()}
    walk = {w: {True: 0, False: 0, "callers": collections.Counter()} for w in walks}
    covered, t_lo, t_hi, bad = set(), None, None, 0
    sample = None

    def done(s):
        if not s:
            return
        t, c, chain = s
        where = inside(t)
        n[where] += 1
        comm[where][c] += 1
        leaf = chain[0] if chain else "?"
        sym[where][leaf] += 1
        for w in walks:
            if leaf.startswith(w):
                walk[w][where] += 1
                # who, and deep enough to reach the system call or work item
                walk[w]["callers"][c + ": " + " <- ".join(chain[1:12])] += 1

    for line in sys.stdin:
        if not line.strip():
            continue
        if not line[0].isspace():        # "comm  time: " then the chain, one frame a line
            done(sample)
            try:
                head, t = line.rsplit(None, 1)[0], float(line.split()[-1].rstrip(":"))
            except (ValueError, IndexError):
                bad, sample = bad + 1, None
                continue
            sample = (t, head.strip(), [])
            t_lo, t_hi = t if t_lo is None else min(t_lo, t), t if t_hi is None else max(t_hi, t)
        elif sample:
            f = line.split(None, 1)
            sample[2].append(f[1].split("+")[0].split(" (")[0].strip() if len(f) > 1 else "?")
    done(sample)
    if t_lo is None:
        print("%s: no samples" % tag)
        return
    for a, b, k in iv:
        if a >= t_lo and b <= t_hi:
            covered.add(k)
    ms_in = sum(b - a for a, b, _ in iv if a >= t_lo and b <= t_hi) * 1000
    print("%s window %.1f s, %d starts inside it (%.0f ms of starts), samples %d inside them, %d outside, %d unread" %
          (tag, t_hi - t_lo, len(covered), ms_in, n[True], n[False], bad))
    for where, name in ((True, "inside"), (False, "outside")):
        tot = max(1, n[where])
        for c, v in top(comm[where], 6):
            print("%s %s comm %5.1f%% %s" % (tag, name, 100 * v / tot, c))
        for s, v in top(sym[where], 15):
            print("%s %s sym %5.1f%% %s" % (tag, name, 100 * v / tot, s))
    for w, d in walk.items():
        print("%s walk %s: %d samples inside starts, %d outside" % (tag, w, d[True], d[False]))
        for c, v in top(d["callers"], 3):
            print("%s walk %s caller %d: %s" % (tag, w, v, c))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: profsplit.py TAG STARTS_LOG [WALK...]")
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
