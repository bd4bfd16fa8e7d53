#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What a tap's carrier costs L1's kernel as taps accumulate (docs/density.md). In
blocks of BLOCK up to N: makes the taps (persistent, up, no carrier), then attaches
each (TUNSETIFF on an open fd: the carrier comes up, as when spore-kvm attaches) and
waits 2 s for the kernel's deferred work (linkwatch, IPv6 address configuration);
prints the CPU time L1 spent (from /proc/stat, all of it, less the 2 s of a block
with nothing to do) per tap of the block, with IPv6 on every tap (the kernel's
default) or off (disable_ipv6=1 before the link is up). Cleans up its taps.
  tapcost.py N BLOCK on|off"""
import fcntl, os, struct, subprocess, sys, time

TUNSETIFF, TUNSETPERSIST, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x400454CB, 0x0002, 0x1000
HZ = os.sysconf("SC_CLK_TCK")


def busy():
    f = open("/proc/stat").readline().split()[1:]
    return (sum(map(int, f)) - int(f[3]) - int(f[4])) / HZ   # all but idle and iowait


def tap(name, persist):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    if persist:
        fcntl.ioctl(fd, TUNSETPERSIST, 1)
        os.close(fd)
    return fd


def main(n, block, v6):
    fds, names = [], []
    b0 = busy(); time.sleep(2); quiet = busy() - b0   # the 2 s wait's own
    try:
        for start in range(0, n, block):
            new = ["tc%d" % i for i in range(start, min(n, start + block))]
            for m in new:
                tap(m, True)
                names.append(m)
                if not v6:
                    with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % m, "w") as f:
                        f.write("1")
            subprocess.run(["ip", "-batch", "-"], input="".join("link set %s up\n" % m for m in new),
                           text=True, check=True)
            b0 = busy()
            for m in new:
                fds.append(tap(m, False))
            time.sleep(2)
            ms = (busy() - b0 - quiet) * 1e3 / len(new)
            print("tapcost ipv6=%s taps=%d cpu_ms_per_carrier %.2f" % ("on" if v6 else "off", len(names), ms),
                  flush=True)
    finally:
        for fd in fds:
            os.close(fd)
        subprocess.run(["ip", "-batch", "-"], input="".join("link del %s\n" % m for m in names), text=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "on")
