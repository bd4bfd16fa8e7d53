#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What a new tap's link events cost L1's kernel beside N taps that each hold a
/32 route and a permanent neighbour entry (bench/density's routed set-up;
docs/density.md). Interleaved, in batches of B new taps: "up at once" makes each
tap and sets it up in one ip -batch (its carrier-off event, which linkwatch
handles up to 1 s later, then finds it up: a walk of the whole neighbour table);
"up after settling" makes the taps, waits 1.5 s, then sets them up. Prints L1's
CPU (/proc/stat, less the same wait's idle cost) per new tap over the 2.5 s
after each batch. Cleans up its taps.
  tapflush.py N B ROUNDS"""
import fcntl, os, resource, socket, struct, subprocess, sys, time

TUNSETIFF, TUNSETPERSIST, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x400454CB, 0x0002, 0x1000
IP = "/usr/sbin/ip"     # iproute2's, not busybox's applet
HZ = os.sysconf("SC_CLK_TCK")


def busy():
    f = open("/proc/stat").readline().split()[1:]
    return (sum(map(int, f)) - int(f[3]) - int(f[4])) / HZ


def say(s):
    print(s, flush=True)
    with open("/dev/console", "w") as c:
        c.write("tapflush: %s\n" % s)


def ipaddr(i):
    return "10.77.%d.%d" % (2 + i // 250, 1 + i % 250)


def neigh(m, i):
    """bench/density's neigh_permanent: SIOCSARP with ATF_PERM."""
    pa = struct.pack("=H2s4s8x", socket.AF_INET, b"", socket.inet_aton(ipaddr(i)))
    ha = struct.pack("=H6s8x", 1, bytes([2, 0, 0, 0, i // 256 % 256, i % 256]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, 0x8955, pa + ha + struct.pack("=i", 6) + bytes(16) + struct.pack("16s", m.encode()))


def batch(lines):
    subprocess.run([IP, "-batch", "-"], input="".join(l + "\n" for l in lines), text=True, check=True)


def way(m, i):
    return ["link set %s up" % m, "route add %s/32 dev %s" % (ipaddr(i), m)]


def main(n, b, rounds):
    resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    for k in ("all", "default"):
        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % k, "w") as f:
            f.write("1")
    names, t = ["old%d" % i for i in range(n)], time.monotonic()
    for m in names:
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", m.encode(), IFF_TAP | IFF_NO_PI))
        fcntl.ioctl(fd, TUNSETPERSIST, 1)
        os.close(fd)
    batch(l for i, m in enumerate(names) for l in way(m, i))
    for i, m in enumerate(names):
        neigh(m, i)
    say("made %d taps in %.1f s" % (n, time.monotonic() - t))
    time.sleep(3)
    b0 = busy(); time.sleep(2.5); quiet = busy() - b0
    made, nxt = [], n
    try:
        for r in range(rounds):
            for how in ("at once", "after settling"):
                new = [("new%d" % j, j) for j in range(nxt, nxt + b)]
                nxt += b
                made += [m for m, _ in new]
                b0 = busy()
                if how == "at once":
                    batch(l for m, j in new for l in ["tuntap add %s mode tap" % m] + way(m, j))
                else:
                    batch("tuntap add %s mode tap" % m for m, _ in new)
                    time.sleep(1.5)
                    b0 += 0                  # the settling wait's own CPU counts: it is part of the way
                    batch(l for m, j in new for l in way(m, j))
                for m, j in new:
                    neigh(m, j)
                time.sleep(2.5)
                ms = (busy() - b0 - quiet * (1 if how == "at once" else 1.6)) * 1e3 / b
                say("round %d up %s: %d taps beside %d, L1 CPU %.2f ms a tap" % (r, how, b, nxt - b, ms))
    finally:
        batch("link del %s" % m for m in made + names)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
