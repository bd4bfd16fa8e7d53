#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Do idle guests still answer? K instances of an app started one after another
on one contender (as bench/compare.py's density row starts them: each answers one
request), left idle for S seconds, then each asked again (3 tries of 5 s, as that
row does). Several builds of the app, interleaved round by round, so a change to
the guest can be counted against the code before it (docs/density.md, "Idle").
  bench/idle-answer.py [--contender spore-kvm|qemu-microvm] [-k 10] [--rounds 4]
                       [--idle 25] [--app kv|httpd] [--no-ipv6] NAME=DIR ...
DIR holds the app's ELF (e.g. build/apps). --no-ipv6: no IPv6 on the bridge and
taps, so no router solicitation reaches a guest and an idle one stays without
frames. Prints one line a round and build, then the totals; exit 1 if any
instance did not answer. Console output of the silent ones: OUT/NAME-ROUND-I.log.
Everything networked lives in a namespace this run makes (bench/compare.py's
helpers); every process, tap and namespace is removed at the end. Trusts: ip(8)."""
import argparse, os, signal, subprocess, sys, time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare as C  # noqa: E402  (its main() does not run on import)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contender", default="spore-kvm", choices=["spore-kvm", "qemu-microvm"])
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--idle", type=float, default=25, help="seconds idle before asking again")
    ap.add_argument("--app", default="kv", choices=sorted(C.APP))
    ap.add_argument("--no-ipv6", action="store_true")
    ap.add_argument("--out", default="build/idle-answer")
    ap.add_argument("builds", nargs="+", metavar="NAME=DIR")
    a = ap.parse_args()
    builds = [b.split("=", 1) for b in a.builds]
    if any(len(b) != 2 or not os.path.isfile("%s/%s.elf" % (b[1], a.app)) for b in builds):
        sys.exit("idle-answer: each build is NAME=DIR with DIR/%s.elf" % a.app)
    os.makedirs(a.out, exist_ok=True)
    argv = C.Instance.argv

    def start(self):
        """compare's start, with the build's ELF and the console kept."""
        t0 = time.monotonic()
        cmd = [x.replace("build/apps/", self.dir + "/", 1) for x in argv(self)]
        self.log = "%s/%s-%d-%d.log" % (a.out, self.name, self.rnd, self.i)
        with open(self.log, "w") as f:
            self.proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        C.procs.append(self.proc)
        self.pid = self.proc.pid
        while time.monotonic() - t0 < 60 and self.proc.poll() is None:
            if C.probe(self.app, self.addr, 0.2):
                return (time.monotonic() - t0) * 1000
            time.sleep(0.001)
        return None

    C.Instance.start = start
    signal.signal(signal.SIGINT, lambda *_: (C.cleanup(), sys.exit(130)))
    signal.signal(signal.SIGTERM, lambda *_: (C.cleanup(), sys.exit(143)))
    C.sh("ip", "netns", "add", C.CNS)
    C.netns.add(C.CNS)
    C.setns(C.CNS)
    if a.no_ipv6:
        C.sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "add", "br0", "type", "bridge"],
                ["ip", "addr", "add", "10.77.0.1/16", "dev", "br0"], ["ip", "link", "set", "br0", "up"]):
        C.sh(*cmd)
    tot = {n: [0, 0] for n, _ in builds}
    try:
        for r in range(a.rounds):
            for name, d in builds:
                insts = []
                for i in range(a.k):
                    x = C.Instance(a.contender, a.app, i)
                    x.dir, x.name, x.rnd = d, name, r
                    x.prepare()
                    if x.start() is None:
                        print("round %d %s: instance %d did not answer at start (%s)" % (r, name, i + 1, x.log))
                    insts.append(x)
                time.sleep(a.idle)
                silent = [(i + 1, "running" if x.proc.poll() is None else "exited %d" % x.proc.returncode, x.log)
                          for i, x in enumerate(insts) if not any(C.probe(a.app, x.addr, 5) for _ in range(3))]
                tot[name][0] += len(silent)
                tot[name][1] += a.k
                print("round %d %s: %d of %d silent after %.0f s idle %s" % (r, name, len(silent), a.k, a.idle,
                                                                           silent or ""), flush=True)
                for x in insts:
                    x.stop()
                    if all(s[2] != x.log for s in silent):
                        os.unlink(x.log)
    finally:
        C.cleanup()
    print("totals (silent, asked): %s; %s, k=%d, idle %.0f s%s" % (
        tot, a.contender, a.k, a.idle, ", no IPv6" if a.no_ipv6 else ""))
    sys.exit(1 if any(s for s, _ in tot.values()) else 0)


if __name__ == "__main__":
    main()
