#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cold boot vs restore of httpd under spore-kvm (docs/serverless.md), in a network
namespace of its own:
  1. time from launch to the first HTTP answer, cold-booted and restored from one
     snapshot, interleaved, ROUNDS rounds: medians and spread, with the hypercalls
     (each one exit) --stats counted up to that answer;
  2. the latency spore-fn adds: GET /fn/random through it (a fresh VM per request, four
     made ahead) and straight to a long-running restored httpd, alternated, 5 x ROUNDS
     requests each: p50 and p90, GAP ms after each pair (default 0: back to back, when
     spore-fn's refills compete with the requests for the CPU);
  3. memory of N idle instances of each kind (MemAvailable drop / N, PSS / N),
     interleaved, MEMROUNDS rounds.
Run as root from the tree: bench/serverless.py [ROUNDS [N [MEMROUNDS [GAP]]]]. Prints Markdown.
Nothing is left behind: the namespace goes with every process in it."""
import os, re, signal, socket, statistics, subprocess, sys, tempfile, time

K, IMG = "build/spore-kvm", "build/apps/httpd.elf"
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
MEMROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
GAP = int(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0
NS = "spore-sl-%d" % os.getpid()
GUEST = "ip=10.0.0.2/24 -- -p 80"
MAC = "02:00:00:00:00:02"


def sh(*a):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL)


def netns_make():
    """The namespace and its taps; this script then runs again inside it."""
    sh("ip", "netns", "add", NS)
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    for i in range(N):
        sh("ip", "-n", NS, "tuntap", "add", "tap%d" % i, "mode", "tap")
        sh("ip", "-n", NS, "link", "set", "tap%d" % i, "up")
    sh("ip", "-n", NS, "addr", "add", "10.0.0.1/24", "dev", "tap0")
    sh("ip", "-n", NS, "neigh", "replace", "10.0.0.2", "lladdr", MAC, "dev", "tap0", "nud", "permanent")
    for i in range(4):   # spore-fn's slots: every copy has the snapshot's address
        t = "fn%d" % i
        sh("ip", "-n", NS, "tuntap", "add", t, "mode", "tap")
        sh("ip", "-n", NS, "addr", "add", "10.0.0.1/24", "dev", t)
        sh("ip", "-n", NS, "link", "set", t, "up")
        sh("ip", "-n", NS, "neigh", "replace", "10.0.0.2", "lladdr", MAC, "dev", t, "nud", "permanent")


def first_answer(deadline=10.0):
    """The time the guest first answers GET /fn/random. Until the monitor opens the tap
    it has no carrier and drops what is sent to it (TCP would resend a second later),
    so wait for the carrier first; after that the tap queues frames until the guest
    reads them, and only a refused connection (a cold guest not listening yet) is
    retried. The neighbour entry is static: no ARP wait either."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with open("/sys/class/net/tap0/carrier") as f:
                if f.read().strip() == "1":
                    break
        except OSError:
            pass
    while time.monotonic() < end:
        try:
            s = socket.create_connection(("10.0.0.2", 80), timeout=2)
            s.sendall(b"GET /fn/random HTTP/1.0\r\n\r\n")
            if s.recv(100).startswith(b"HTTP/1."):
                t = time.monotonic()
                s.close()
                return t
        except OSError:
            time.sleep(0.0001)
    raise RuntimeError("no answer from the guest")


def hypercalls(err):
    m = re.search(rb"stats: (\d+) hypercalls", err)
    return int(m.group(1)) if m else -1


def once(args):
    """Launch to first answer (ms), and the hypercalls up to it."""
    t0 = time.monotonic()
    p = subprocess.Popen([K, "--stats", "--net=tap0"] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        t = first_answer()
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
    return (t - t0) * 1000, hypercalls(err)


def request(addr):
    """One GET /fn/random on a new connection, to the end of the answer: seconds."""
    t0 = time.monotonic()
    s = socket.create_connection(addr, timeout=5)
    s.sendall(b"GET /fn/random HTTP/1.0\r\n\r\n")
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    if not got.startswith(b"HTTP/1.1 200") and not got.startswith(b"HTTP/1.0 200"):
        raise RuntimeError("answer: %r" % got[:60])
    return time.monotonic() - t0


def frontend(snap, n):
    """spore-fn's added latency: (direct, through spore-fn) lists of ms."""
    httpd = subprocess.Popen([K, "--net=tap0", "--restore=" + snap], stdout=subprocess.DEVNULL)
    fn = subprocess.Popen(["build/spore-fn", "-n", "4", "-p", "8080", "-t", "fn", "-k", K, snap],
                          stderr=subprocess.PIPE)
    try:
        first_answer()
        fn.stderr.readline()          # "listening": its four VMs are being restored
        time.sleep(0.5)
        direct, via = [], []
        for i in range(n):
            direct.append(request(("10.0.0.2", 80)) * 1000)
            via.append(request(("127.0.0.1", 8080)) * 1000)
            time.sleep(GAP)
    finally:
        httpd.send_signal(signal.SIGTERM)
        fn.send_signal(signal.SIGTERM)
        httpd.wait(timeout=10)
        fn.communicate(timeout=10)
    return direct, via


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def meminfo():
    with open("/proc/meminfo") as f:
        return int(re.search(r"MemAvailable:\s+(\d+)", f.read()).group(1))


def pss(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        return int(re.search(r"Pss:\s+(\d+)", f.read()).group(1))


def idle_instances(argsf):
    """N idle instances, each on its own tap: (MemAvailable drop, PSS) per instance, KiB."""
    before = meminfo()
    procs = [subprocess.Popen([K, "--net=tap%d" % i] + argsf(i), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for i in range(N)]
    time.sleep(2)    # every one booted (or resumed) and idle
    dead = [p for p in procs if p.poll() is not None]
    drop = before - meminfo()
    total_pss = sum(pss(p.pid) for p in procs if p.poll() is None)
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=10)
    if dead:
        raise RuntimeError("%d instances died" % len(dead))
    time.sleep(1)
    return drop / N, total_pss / N


def spread(v):
    return "%.2f (%.2f-%.2f)" % (statistics.median(v), min(v), max(v))


def main():
    tmp = tempfile.mkdtemp()
    snap = os.path.join(tmp, "httpd.snap")
    try:
        subprocess.run([K, "--net=tap0", "--mac=" + MAC, "--snapshot=" + snap, IMG, GUEST], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cold, rest, hc_cold, hc_rest = [], [], [], []
        for r in range(ROUNDS):
            t, h = once(["--mac=" + MAC, IMG, GUEST])
            cold.append(t); hc_cold.append(h)
            t, h = once(["--restore=" + snap])
            rest.append(t); hc_rest.append(h)
        kvm = "kvm_pvm" if os.path.exists("/sys/module/kvm_pvm") else "KVM"
        print("### Launch to first HTTP answer (%s, %d interleaved rounds)\n" % (kvm, ROUNDS))
        print("| httpd | ms, median (min-max) | hypercalls to the answer, median |")
        print("|---|---|---|")
        print("| cold boot | %s | %d |" % (spread(cold), statistics.median(hc_cold)))
        print("| restored | %s | %d |" % (spread(rest), statistics.median(hc_rest)))
        print("\nrestored / cold: %.2f (time), %.2f (hypercalls)\n" % (
            statistics.median(rest) / statistics.median(cold),
            statistics.median(hc_rest) / statistics.median(hc_cold)))
        sys.stdout.flush()
        direct, via = frontend(snap, 5 * ROUNDS)
        print("### spore-fn's added latency (%d requests each, alternated, %d ms after each pair)\n" %
              (len(direct), GAP * 1000))
        print("| GET /fn/random | p50 ms | p90 ms |")
        print("|---|---|---|")
        print("| long-running restored httpd | %.2f | %.2f |" % (pct(direct, 0.5), pct(direct, 0.9)))
        print("| through spore-fn (a fresh VM each) | %.2f | %.2f |" % (pct(via, 0.5), pct(via, 0.9)))
        print("\nadded, p50: %.2f ms; the cold boot's time to first answer / 4: %.2f ms\n" % (
            pct(via, 0.5) - pct(direct, 0.5), statistics.median(cold) / 4))
        sys.stdout.flush()
        mc, mr = [], []
        for r in range(MEMROUNDS):
            mc.append(idle_instances(lambda i: [IMG, GUEST.replace("10.0.0.2", "10.0.1.%d" % (i + 2))]))
            mr.append(idle_instances(lambda i: ["--restore=" + snap]))
        print("### %d idle instances (%d interleaved rounds), KiB per instance\n" % (N, MEMROUNDS))
        print("| httpd | MemAvailable drop / N | PSS / N |")
        print("|---|---|---|")
        for name, m in (("cold boot", mc), ("restored", mr)):
            print("| %s | %s | %s |" % (name, " ".join("%.0f" % d for d, _ in m),
                                        " ".join("%.0f" % p for _, p in m)))
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


if os.environ.get("SPORE_SL_INSIDE"):
    main()
else:
    try:
        netns_make()
        r = subprocess.run(["ip", "netns", "exec", NS, sys.executable] + sys.argv,
                           env=dict(os.environ, SPORE_SL_INSIDE="1")).returncode
    finally:
        subprocess.run(["ip", "netns", "pids", NS], stdout=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", NS])
    sys.exit(r)
