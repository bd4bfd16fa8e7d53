#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The comparison: each app (httpd, kv) as spore on spore-kvm, spore on QEMU
microvm, the static Linux build in a runc container, and the same binary as a
plain process, on every row of the VM-vs-container table. Writes
build/compare/results.json, report.md and SVG plots (schema: docs/comparison.md).
All networking is in namespaces this run creates (a bridge in one client
namespace; each instance its own tap or its own namespace + veth); every
process, container and namespace it starts is removed at the end, also on
SIGINT/SIGTERM. Environment: QUICK=1, COMPARE_APPS=httpd,kv,
COMPARE_LAUNCHES, COMPARE_KS (e.g. 1,10,100,1000), COMPARE_MEMK (k of the
memory-alike rows, 20; 5 in QUICK), COMPARE_MEMROUNDS (2), COMPARE_ONLY=memory (only those rows: bench/report.py
is not run, the JSON is printed)."""
import hashlib, json, os, re, shutil, signal, socket, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
B, OUT = "build", "build/compare"
QUICK = os.environ.get("QUICK") == "1"
LAUNCHES = int(os.environ.get("COMPARE_LAUNCHES", 3 if QUICK else 30))
KS = [int(k) for k in os.environ.get("COMPARE_KS", "1,10" if QUICK else "1,10,100").split(",")]
APPS = os.environ.get("COMPARE_APPS", "httpd,kv").split(",")
MEMK = int(os.environ.get("COMPARE_MEMK", 5 if QUICK else 20))
MEMROUNDS = int(os.environ.get("COMPARE_MEMROUNDS", 2))
ONLY = os.environ.get("COMPARE_ONLY", "")
KVM_USABLE = os.access("/dev/kvm", os.R_OK | os.W_OK)
# Without a usable /dev/kvm spore-kvm cannot run: its column is left out and
# the report says why (QEMU runs the same image under TCG either way).
CONTENDERS = (["spore-kvm"] if KVM_USABLE else []) + ["qemu-microvm", "runc", "process"]
SKIPPED = {} if KVM_USABLE else {"spore-kvm": "no usable /dev/kvm on this machine"}
TAG = "spc%d" % (os.getpid() % 100000)
CNS = TAG + "c"                  # the client namespace, with the bridge
MEM_BUDGET_KIB = 8 << 20          # density stops before the instances use this much
FIXTURES = "tests/fixtures/root"
APP = {
    "httpd": {"port": 80, "args": ["-p", "80", "-t", "30"], "linux_args": ["-d", FIXTURES],
              "runc_args": ["-d", "/www"], "mem_mib": 16},
    "kv": {"port": 6379, "args": ["-p", "6379", "-m", "4M"], "linux_args": [], "runc_args": [],
           "mem_mib": 16},
}
procs, netns, containers = [], set(), set()


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def cleanup(*_):
    """Everything this run started: the processes in its namespaces first (one
    pass kills hundreds at once), then any session left, containers, namespaces."""
    for n in list(netns):
        for pid in sh("ip", "netns", "pids", n, check=False).stdout.split():
            if int(pid) != os.getpid():   # this process lives in the client namespace
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
    for p in procs:
        if p.poll() is None:
            kill_session(p.pid)
    for c in list(containers):
        sh("runc", "delete", "-f", c, check=False)
    for n in list(netns):
        sh("ip", "netns", "del", n, check=False)
    procs.clear(), containers.clear(), netns.clear()


def ip_of(i):
    return "10.77.%d.%d" % (i // 250 + 1, i % 250 + 2)


def probe(app, addr, timeout=0.5, dev=None):
    """One answered request: HTTP 200 for httpd, PONG for kv. From the client namespace
    (this process entered it: see main); over DEV only if given."""
    try:
        s = socket.socket()
        s.settimeout(timeout)
        if dev:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
        s.connect((addr, APP[app]["port"]))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" if app == "httpd" else b"PING\r\n")
        got = s.recv(64)
        s.close()
        return got.startswith(b"HTTP/1.1 200") if app == "httpd" else got.startswith(b"+PONG")
    except OSError:
        return False


def setns(name):
    import ctypes
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:   # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)


class Instance:
    def __init__(self, contender, app, i, mem_mib=None, snap=None, snap_i=None):
        self.c, self.app, self.i, self.addr = contender, app, i, ip_of(i)
        self.mem_mib, self.pid, self.cid, self.ns = mem_mib or APP[app]["mem_mib"], None, None, None
        self.snap, self.snap_i = snap, snap_i   # spore-kvm: --snapshot= or (snap_i given) --restore=
        if snap_i is not None:
            self.addr = ip_of(snap_i)   # a restored copy has the snapshot's address and MAC

    def prepare(self):
        """Untimed: the tap or namespace and veth this instance will use."""
        if self.c in ("spore-kvm", "qemu-microvm"):
            self.tap = "%st%d" % (TAG, self.i)
            sh("ip", "tuntap", "add", self.tap, "mode", "tap")
            if self.snap_i is not None:   # copies share an address: each on its own tap
                sh("ip", "addr", "add", "10.77.0.1/16", "dev", self.tap)
                sh("ip", "link", "set", self.tap, "up")
            else:
                sh("ip", "link", "set", self.tap, "master", "br0", "up")
        else:
            self.ns = "%sn%d" % (TAG, self.i)
            sh("ip", "netns", "add", self.ns)
            netns.add(self.ns)
            v = "%sv%d" % (TAG, self.i)
            sh("ip", "link", "add", v, "type", "veth", "peer", "name", v + "p", "netns", self.ns)
            sh("ip", "link", "set", v, "master", "br0", "up")
            sh("ip", "-n", self.ns, "addr", "add", self.addr + "/16", "dev", v + "p")
            sh("ip", "-n", self.ns, "link", "set", v + "p", "up")
            sh("ip", "-n", self.ns, "link", "set", "lo", "up")

    def argv(self):
        a = APP[self.app]
        if self.c == "spore-kvm" and self.snap_i is not None:
            return ["build/spore-kvm", "--net=" + self.tap, "--restore=" + self.snap]
        if self.c == "spore-kvm":
            return ["build/spore-kvm"] + (["--snapshot=" + self.snap] if self.snap else []) + ["--mem=%dM" % self.mem_mib, "--net=" + self.tap,
                    "--initrd=build/tests/root.tar", "build/apps/%s.elf" % self.app,
                    "ip=%s/16" % self.addr, "--"] + a["args"]
        if self.c == "qemu-microvm":
            # QEMU gives every NIC the same MAC unless told: one per instance on the bridge.
            return ["tests/spore-run", "--host=microvm", "--mem=%d" % self.mem_mib, "--net=" + self.tap,
                    "--mac=52:54:00:77:%02x:%02x" % (self.i // 256, self.i % 256),
                    "--initrd=build/tests/root.tar", "--timeout=3600", "build/apps/%s.elf" % self.app,
                    " ".join(["ip=%s/16" % self.addr, "--"] + a["args"])]
        if self.c == "process":
            return ["ip", "netns", "exec", self.ns, "build/linux/" + self.app] + a["args"] + a["linux_args"]
        self.cid = "%s-%s-%d" % (TAG, self.app, self.i)
        return ["runc", "run", "-d", "--pid-file", "%s/%s.pid" % (OUT, self.cid), "--bundle",
                bundle(self.app, self.ns, self.mem_mib), self.cid]

    def start(self):
        """Launch; returns ms from spawn to the first answered request, or None."""
        t0 = time.monotonic()
        p = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        procs.append(p)
        self.proc = p
        if self.cid:
            containers.add(self.cid)
        self.pid = p.pid
        while time.monotonic() - t0 < 60:
            if probe(self.app, self.addr, 0.2, self.tap if self.snap_i is not None else None):
                ms = (time.monotonic() - t0) * 1000
                if self.cid:   # runc may write its pid file after the app already answers
                    pidf = "%s/%s.pid" % (OUT, self.cid)
                    for _ in range(500):
                        if os.path.exists(pidf) and open(pidf).read().strip():
                            break
                        time.sleep(0.01)
                    self.pid = int(open(pidf).read())
                return ms
            if p.poll() is not None and not self.cid:
                return None
            time.sleep(0.001)
        return None

    def mem_kib(self):
        """Host memory it costs: the monitor's or QEMU's or the process's RSS (guest
        memory it touched included); for runc the container's cgroup usage."""
        if self.c == "runc":
            for base in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup"):
                for f in ("memory.usage_in_bytes", "memory.current"):
                    p = "%s/spore-compare/%s/%s" % (base, self.cid, f)
                    if os.path.exists(p):
                        return int(open(p).read()) // 1024
            return None
        pid = self.pid
        if self.c == "qemu-microvm":   # spore-run -> timeout -> qemu
            kids = sh("pgrep", "-s", str(self.pid), "qemu-system", check=False).stdout.split()
            pid = int(kids[0]) if kids else pid
        try:
            return int(re.search(r"VmRSS:\s+(\d+)", open("/proc/%d/status" % pid).read()).group(1))
        except (OSError, AttributeError):
            return None

    def cpu_ticks(self):
        pid = self.pid
        if self.c == "qemu-microvm":
            kids = sh("pgrep", "-s", str(self.pid), "qemu-system", check=False).stdout.split()
            pid = int(kids[0]) if kids else pid
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])

    def stop(self):
        if self.cid:
            sh("runc", "delete", "-f", self.cid, check=False)
            containers.discard(self.cid)
        if getattr(self, "proc", None):
            kill_session(self.proc.pid)
            self.proc.wait()
            procs.remove(self.proc)
        if self.c in ("spore-kvm", "qemu-microvm"):
            sh("ip", "link", "del", self.tap, check=False)
        elif self.ns:
            sh("ip", "netns", "del", self.ns, check=False)
            netns.discard(self.ns)


def kill_session(sid, sig=signal.SIGKILL, spare=None):
    """Every process of the session (timeout(1) moves QEMU to a group of its own,
    so a process group is not enough)."""
    for pid in sh("pgrep", "-s", str(sid), check=False).stdout.split():
        if int(pid) != spare:
            try:
                os.kill(int(pid), sig)
            except OSError:
                pass


def run_instance(inst):
    inst.prepare()
    return inst.start()


_bundles = {}


def bundle(app, ns, mem_mib):
    """A minimal OCI bundle: the static binary (and httpd's files) as the rootfs,
    read-only; its network namespace is the instance's; memory limited."""
    key = (app, ns, mem_mib)
    if key in _bundles:
        return _bundles[key]
    d = "%s/bundle-%s-%s-%d" % (OUT, app, ns, mem_mib)
    rootfs = "%s/rootfs-%s" % (OUT, app)
    if not os.path.exists(rootfs):
        os.makedirs(rootfs)
        shutil.copy("build/linux/" + app, rootfs + "/" + app)
        if app == "httpd":
            shutil.copytree(FIXTURES, rootfs + "/www")
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(d + "/config.json"):
        sh("runc", "spec", cwd=d)
    c = json.load(open(d + "/config.json"))
    c["root"] = {"path": os.path.abspath(rootfs), "readonly": True}
    c["process"]["args"] = ["/" + app] + APP[app]["args"] + APP[app]["runc_args"]
    c["process"]["terminal"] = False
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"] + \
        [{"type": "network", "path": "/var/run/netns/" + ns}]
    c["linux"]["cgroupsPath"] = "/spore-compare/%s-%s-%s" % (TAG, app, ns.rsplit("n", 1)[1])
    c["linux"].setdefault("resources", {})["memory"] = {"limit": mem_mib << 20}
    json.dump(c, open(d + "/config.json", "w"))
    _bundles[key] = d
    return d


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))] if v else None


def startup(app, c):
    times = []
    for k in range(LAUNCHES):
        inst = Instance(c, app, 900 + k % 50)
        ms = run_instance(inst)
        if ms is not None:
            times.append(ms)
        if k == 0:
            time.sleep(0.3)
            idle_mem = inst.mem_kib()
        inst.stop()
    return times, idle_mem


def load(app, addr):
    if app == "httpd":
        w = sh("wrk", "-t2", "-c32", "-d%ds" % (3 if QUICK else 10), "--latency",
               "http://%s/index.html" % addr, check=False).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", w)
        lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", w, re.M))
        conv = lambda s: float(re.match(r"[\d.]+", s).group()) * {"us": 1e-3, "ms": 1, "s": 1e3}[re.sub(r"[\d.]", "", s)]
        return (float(rps.group(1)) if rps else None, conv(lat["50"]) if "50" in lat else None,
                conv(lat["99"]) if "99" in lat else None)
    r = sh("redis-benchmark", "-h", addr, "-t", "get", "-c", "32", "-n", "5000" if QUICK else "100000",
           "--csv", check=False).stdout.strip().splitlines()
    f = [x.strip('"') for x in r[-1].split(",")] if r else []
    return (float(f[1]), float(f[4]), float(f[6])) if len(f) >= 7 else (None, None, None)


def min_mem(app, c):
    sizes = [2, 3, 4, 6, 8, 12, 16, 24, 32] if not QUICK else [4, 8, 16, 32]
    for m in sizes:
        inst = Instance(c, app, 960, mem_mib=m)
        ok = run_instance(inst) is not None
        inst.stop()
        if ok:
            return m * 1024
    return None


def density(app, c):
    """Instances started one after another; the memory budget is checked after
    every start (not only at the reported k), so the run never pushes the host
    into swapping or the OOM killer."""
    insts, points, stop_reason, total = [], [], "reached the largest k", 0
    for k in range(1, max(KS) + 1):
        inst = Instance(c, app, k - 1)
        ms = run_instance(inst)
        if ms is None:
            stop_reason = "instance %d did not answer" % k
            inst.stop()
            break
        insts.append(inst)
        total += inst.mem_kib() or 0
        avail = int(re.search(r"MemAvailable:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        full = total > MEM_BUDGET_KIB or avail < (6 << 20)
        if k in KS or full:
            mem = sum(x.mem_kib() or 0 for x in insts)
            silent = [i + 1 for i, x in enumerate(insts) if not any(probe(app, x.addr, 5) for _ in range(3))]
            points.append({"k": k, "kth_start_ms": round(ms, 2), "total_mem_kib": mem, "all_answer": not silent,
                           "silent": silent})
        if full:
            stop_reason = "memory budget at k=%d (%d KiB in use, %d KiB available)" % (k, total, avail)
            break
    for x in insts:
        x.stop()
    last = points[-1] if points else {}
    return {"k_reached": len(insts), "kth_start_ms": last.get("kth_start_ms"),
            "total_mem_kib": last.get("total_mem_kib"), "points": points, "stopped": stop_reason,
            "all_answered": all(p["all_answer"] for p in points)}


def meminfo_avail():
    return int(re.search(r"MemAvailable:\s+(\d+)", open("/proc/meminfo").read()).group(1))


def pss_kib(pid):
    try:
        return int(re.search(r"Pss:\s+(\d+)", open("/proc/%d/smaps_rollup" % pid).read()).group(1))
    except (OSError, AttributeError):
        return None


def memory_alike(app, rounds=MEMROUNDS):
    """Memory counted alike (issue 22): MEMK idle instances of each kind started, then
    (MemAvailable before - after) / MEMK and the instances' PSS / MEMK (spore-kvm's
    process, the container's or the plain process's app), kinds interleaved in
    ROUNDS rounds. Every instance has answered one request (as start() asks), and is
    running when MemAvailable is read. Restored spore-kvm instances are copies of one
    snapshot, with its address and MAC: each on a tap of its own, off the bridge, asked
    over it. KiB per instance, one figure per round."""
    kinds = [k for k in ("spore-kvm", "spore-kvm restored", "runc", "process")
             if k.split()[0] in CONTENDERS]
    snap = os.path.abspath("%s/%s.snap" % (OUT, app))
    if "spore-kvm restored" in kinds:
        if os.path.exists(snap):
            os.unlink(snap)   # never overwritten in place (docs/serverless.md)
        s = Instance("spore-kvm", app, 995, snap=snap)
        s.prepare()
        rc = subprocess.run(s.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode
        s.stop()
        if rc != 0 or not os.path.exists(snap):
            kinds.remove("spore-kvm restored")
    res = {k: {"memavail_drop_kib": [], "pss_kib": [], "all_up": True} for k in kinds}
    for r in range(rounds):
        for kind in kinds:
            c = kind.split()[0]
            time.sleep(1)   # the previous kind's teardown settles
            before, insts = meminfo_avail(), []
            for i in range(MEMK):
                inst = Instance(c, app, 700 + i, snap=snap if kind.endswith("restored") else None,
                                snap_i=995 if kind.endswith("restored") else None)
                ok = run_instance(inst) is not None
                insts.append(inst)
                res[kind]["all_up"] &= ok
            time.sleep(1)
            after = meminfo_avail()
            res[kind]["all_up"] &= all(x.proc.poll() is None or x.cid for x in insts)
            pss = sum(pss_kib(x.pid) or 0 for x in insts)
            res[kind]["memavail_drop_kib"].append(round((before - after) / MEMK))
            res[kind]["pss_kib"].append(round(pss / MEMK))
            print("compare: memory %s %s round %d: MemAvailable drop %d KiB, PSS %d KiB per instance"
                  % (app, kind, r + 1, (before - after) / MEMK, pss / MEMK), flush=True)
            for x in insts:
                x.stop()
    return {"k": MEMK, "rounds": rounds, "kinds": res}


def syscalls(app, c):
    """Distinct host system calls of the contender's host-side processes over a
    start, one request and a stop, by strace -f."""
    inst = Instance(c, app, 970)
    inst.prepare()
    log = "%s/strace-%s-%s.txt" % (OUT, app, c)
    argv = inst.argv()
    if c == "runc":
        argv = [a for a in argv if a != "-d"]
        argv = argv[:2] + argv[4:] if "--pid-file" in argv else argv
    p = subprocess.Popen(["strace", "-f", "-qq", "-c", "-o", log] + argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
    procs.append(p)
    inst.proc = p
    if inst.cid:
        containers.add(inst.cid)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60 and not probe(app, inst.addr, 0.3):
        time.sleep(0.01)
    probe(app, inst.addr)
    # Stop the traced processes, not strace, so it writes its summary.
    if inst.cid:
        sh("runc", "kill", inst.cid, "KILL", check=False)   # runc run then returns
    else:
        kill_session(p.pid, spare=p.pid)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
    inst.stop()
    names = set()
    for line in open(log) if os.path.exists(log) else []:
        f = line.split()
        if len(f) >= 5 and f[-1] not in ("syscall", "total") and f[0][0].isdigit():
            names.add(f[-1])
    return len(names)


_ported = {}


def portability(app):
    """The hosts the very same ELF answered on in this run (q35: one launch)."""
    if app not in _ported:
        ok = [h for h in ("spore-kvm", "qemu-microvm")
              if results_so_far.get(app, {}).get(h, {}).get("startup_ms", {}).get("n")]
        inst = Instance("qemu-microvm", app, 990)
        inst.argv_q35 = True
        inst.prepare()
        argv = inst.argv()
        argv[1] = "--host=q35"
        t0, p = time.monotonic(), subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                   stdin=subprocess.DEVNULL, start_new_session=True)
        procs.append(p)
        inst.proc = p
        while time.monotonic() - t0 < 60 and not probe(app, inst.addr, 0.3):
            time.sleep(0.05)
        if probe(app, inst.addr, 2):
            ok.append("qemu-q35")
        inst.stop()
        ok += xen_answered(app)
        _ported[app] = ok
    return _ported[app]


def xen_answered(app):
    """["xen"] when the last Xen lab run (tests/xen.sh) had this very ELF
    (same sha256) answer its network clients as a PVH domU: the lab runs
    under TCG for minutes, so it is not launched here but its record read."""
    rec, elf = "build/xen-lab/answered", "build/apps/%s.elf" % app
    if not os.path.exists(rec) or not os.path.exists(elf):
        return []
    digest = hashlib.sha256(open(elf, "rb").read()).hexdigest()
    for line in open(rec):
        f = line.split()
        if len(f) >= 3 and f[0] == app and f[1] == digest:
            return ["xen (lab run %s)" % f[2]]
    return []


results_so_far = {}


def debian_minbase_bytes():
    """A Debian-based image of the same binary: debootstrap --variant=minbase
    bookworm (from Debian's mirror, ~30 s, cached in build/compare), measured
    on disk. Skipped in QUICK mode."""
    d = OUT + "/debian-minbase"
    if QUICK:
        return None
    if not os.path.exists(d + "/.done"):
        if not shutil.which("debootstrap"):
            sh("apt-get", "install", "-y", "-qq", "debootstrap", check=False)
        shutil.rmtree(d, ignore_errors=True)
        if sh("debootstrap", "--variant=minbase", "bookworm", d, "http://deb.debian.org/debian",
              check=False).returncode != 0:
            return None
        open(d + "/.done", "w").close()
    return int(sh("du", "-sb", d).stdout.split()[0])


def seccomp_allow(c):
    if c == "spore-kvm":
        return len(set(re.findall(r"__NR_(\w+)", open("monitor/seccomp.c").read())) - {"seccomp"})
    return None   # QEMU runs without -sandbox here; runc spec and the process have no filter


def main():
    os.makedirs(OUT, exist_ok=True)
    signal.signal(signal.SIGINT, lambda *a: (cleanup(), sys.exit(130)))
    signal.signal(signal.SIGTERM, lambda *a: (cleanup(), sys.exit(143)))
    sh("tar", "--format=ustar", "--owner=0", "--group=0", "-C", FIXTURES, "-cf", "build/tests/root.tar", ".")
    print("compare: names start with %s" % TAG, flush=True)   # for the leftover check in tests
    debian = None if ONLY else debian_minbase_bytes()   # before entering the namespace: it needs Debian's mirror
    sh("ip", "netns", "add", CNS)
    netns.add(CNS)
    setns(CNS)   # this process and its children live in the client namespace from here
    for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "add", "br0", "type", "bridge"],
                ["ip", "addr", "add", "10.77.0.1/16", "dev", "br0"], ["ip", "link", "set", "br0", "up"]):
        sh(*cmd)
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "quick": QUICK,
               "machine": {"cores": os.cpu_count(), "kvm": ("kvm_pvm" if os.path.isdir("/sys/module/kvm_pvm") else "kvm")
                                   if KVM_USABLE else "none", "qemu_accel": "tcg"},
               "contenders": CONTENDERS, "skipped": SKIPPED, "apps": {}}
    try:
        results["memory_alike"] = {app: memory_alike(app) for app in APPS}
        if ONLY == "memory":
            json.dump(results, open(OUT + "/memory.json", "w"), indent=1)
            print(json.dumps(results["memory_alike"], indent=1))
            return
        for app in APPS:
            results["apps"][app] = {}
            for c in CONTENDERS:
                print("compare: %s on %s" % (app, c), flush=True)
                r = {}
                times, idle = startup(app, c)
                r["startup_ms"] = {"median": pct(times, .5), "p10": pct(times, .1), "p90": pct(times, .9), "n": len(times)}
                inst = Instance(c, app, 980)
                run_instance(inst)
                time.sleep(0.2)
                r["mem_kib"] = inst.mem_kib()
                t0, c0 = time.monotonic(), inst.cpu_ticks()
                time.sleep(2 if QUICK else 5)
                r["idle_cpu_pct"] = round(100 * (inst.cpu_ticks() - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0), 3)
                r["rps"], r["p50_ms"], r["p99_ms"] = load(app, inst.addr)
                r["mem_kib_loaded"] = inst.mem_kib()
                inst.stop()
                r["min_mem_kib"] = min_mem(app, c) if c != "process" else None
                if c == "process":
                    r["min_mem_kib"] = r["mem_kib_loaded"]   # no limit mechanism: its peak use
                elf = "build/apps/%s.elf" % app
                r["image_bytes"] = os.path.getsize(elf) if c in ("spore-kvm", "qemu-microvm") else (
                    sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk("%s/rootfs-%s" % (OUT, app)) for f in fs)
                    if c == "runc" else os.path.getsize("build/linux/" + app))
                if c == "runc":
                    r["image_bytes_debian"] = debian + os.path.getsize("build/linux/" + app) if debian else None
                r["density"] = density(app, c)
                r["host_syscalls"] = syscalls(app, c)
                r["seccomp_allowlist"] = seccomp_allow(c)
                r["interface"] = {"spore-kvm": "%d hypercalls" % len(re.findall(r"^\s+HC_[A-Z_]+\s+= \d+,", open("kernel/hypercall.h").read(), re.M)), "qemu-microvm": "emulated devices (virtio, serial, APIC...)",
                                  "runc": "Linux system calls", "process": "Linux system calls"}[c]
                r["portability"] = ["linux-x86_64 (the host's kernel)"]   # spore's: below
                results["apps"][app][c] = r
                results_so_far.setdefault(app, {})[c] = r
                json.dump(results, open(OUT + "/results.json", "w"), indent=1)
            hosts = portability(app)
            for c in ("spore-kvm", "qemu-microvm"):
                if c in results["apps"][app]:
                    results["apps"][app][c]["portability"] = hosts
    finally:
        cleanup()
    json.dump(results, open(OUT + "/results.json", "w"), indent=1)
    subprocess.run([sys.executable, "bench/report.py", OUT + "/results.json"], check=True)


if __name__ == "__main__":
    main()
