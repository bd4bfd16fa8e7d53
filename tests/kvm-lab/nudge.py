#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The lab's hang watchdog (tests/kvm-lab/run.sh starts one per L1 boot).
L1 (Debian's kernel under QEMU TCG with nested SVM) now and then goes idle and
never wakes: its QEMU then sits in ppoll with no timer due for hours and uses no
CPU (docs/density.md, run L3). This watches the QEMU process: when its console
log has not grown and it has used less than MIN_CPU seconds of CPU for SILENT
seconds, it records the vCPU's state through QEMU's QMP socket ("info
registers", "info lapic") into OUT.N and presses a key (shift) on L1's PS/2
keyboard; then one line on stderr. At most MAX nudges a boot, each after a fresh
silent period. Why a key: in the hangs seen, L1's local APIC held its timer's
interrupt in IRR, deliverable (PPR 0x10, IF set), while the halted vCPU was
never told (QEMU 7.2's TCG with nested SVM loses the request now and then). An
NMI woke L1's idle loop but not the interrupt; the keyboard's interrupt reaches
the APIC through the I/O APIC, which makes QEMU look at IRR again, and L1 ran
on. A healthy L1 that is only idle ignores a shift key.
With JIT_EVERY > 0 it also appends, every JIT_EVERY seconds, one line of the
emulator's own counters to OUT.jit (seconds since start, QEMU's CPU seconds,
then "info jit": translated bytes, TBs, TB flushes, TB invalidations, full TLB
flushes), which tell the emulator's costs from L1's (docs/density.md).
  nudge.py QEMU_PID QMP_SOCKET CONSOLE_LOG OUT [SILENT=60] [MAX=20] [JIT_EVERY=0]
(run.sh passes SILENT=20: L1's clock runs on through a hang, so the command
it was running nears its timeout: the sooner the better.)
Trusts: QEMU's QMP (the socket is the run's own)."""
import json, os, socket, sys, time

MIN_CPU = 0.02  # seconds of QEMU CPU in a silent period that still count as hung (an idle L1: ~0.2 s a minute)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return -1


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        self.reply()  # the greeting
        self.run("qmp_capabilities")

    def reply(self):
        while True:
            line = self.f.readline()
            if not line:
                raise OSError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def run(self, cmd, **args):
        self.f.write(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        self.f.flush()
        msg = self.reply()
        if "error" in msg:
            raise OSError("%s: %s" % (cmd, msg["error"].get("desc", msg["error"])))
        return msg.get("return")

    def hmp(self, line):
        return self.run("human-monitor-command", **{"command-line": line})


def nudge(sock, out):
    q = Qmp(sock)
    state = []
    for line in ("info registers", "info lapic"):
        try:
            state.append("(qemu) %s\n%s" % (line, q.hmp(line)))
        except OSError as e:
            state.append("(qemu) %s: %s\n" % (line, e))
    with open(out, "w") as f:
        f.write("".join(state))
    said = q.hmp("sendkey shift")  # HMP answers an error in words, success with nothing
    q.s.close()
    if said.strip():
        raise OSError("sendkey: " + said.strip())
    rip = [l for s in state for l in s.splitlines() if l.startswith(("RIP=", "EIP="))]
    return rip[0].split()[0] if rip else "RIP unknown"


JIT_KEYS = ("gen code size", "TB count", "TB flush count", "TB invalidate count", "TLB full flushes")


def jit_line(sock, t, cpu):
    """One sample of "info jit" as "t cpu code tbs flushes invalidations tlb_full"."""
    q = Qmp(sock)
    try:
        text = q.hmp("info jit")
    finally:
        q.s.close()
    got = {}
    for line in text.splitlines():
        for k in JIT_KEYS:
            if line.startswith(k + " "):
                got[k] = line[len(k):].split()[0].split("/")[0]
    return "%.0f %.2f %s\n" % (t, cpu, " ".join(got.get(k, "-") for k in JIT_KEYS))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__.split("\n\n")[0])
    pid, sock, log, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    silent = float(sys.argv[5]) if len(sys.argv) > 5 else 60
    most = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    jit_every = float(sys.argv[7]) if len(sys.argv) > 7 else 0
    done = 0
    start = since = jit_at = time.monotonic()
    cpu0 = size0 = None
    while done < most:
        time.sleep(5)
        try:
            cpu, sz = cpu_seconds(pid), size(log)
        except (OSError, IndexError, ValueError):
            return  # QEMU is gone
        now = time.monotonic()
        if jit_every > 0 and now - jit_at >= jit_every:
            jit_at = now
            try:
                line = jit_line(sock, now - start, cpu)
                with open(out + ".jit", "a") as f:
                    f.write(line)
                # The sample's own CPU (QEMU walks every TB: ~0.1 s at 1.5 million)
                # must not hide a hang: it does not count as L1's.
                if cpu0 is not None:
                    cpu0 += cpu_seconds(pid) - cpu
            except (OSError, IndexError, ValueError):
                pass  # QMP busy or gone: the next sample
        if cpu0 is None or sz != size0 or cpu - cpu0 >= MIN_CPU:
            since, cpu0, size0 = now, cpu, sz
            continue
        if now - since < silent:
            continue
        done += 1
        try:
            where = nudge(sock, "%s.%d" % (out, done))
            print("kvm-lab: L1 silent and idle for %.0f s (QEMU used %.2f s of CPU): pressed a key "
                  "(%s; state in %s.%d)" % (now - since, cpu - cpu0, where, out, done),
                  file=sys.stderr, flush=True)
        except OSError as e:
            print("kvm-lab: L1 silent and idle for %.0f s; no key pressed: QMP %s" % (now - since, e),
                  file=sys.stderr, flush=True)
        since, cpu0, size0 = time.monotonic(), None, None


if __name__ == "__main__":
    main()
