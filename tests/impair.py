#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A userspace netem for tests/faults.sh, for hosts whose kernel has no
sch_netem. It joins two interfaces of the test's own namespace: GUEST_IF (the
tap QEMU uses, read and written through a packet socket) and HOST_TAP (a tap
this process attaches to, holding the host's address). Every frame it impairs
is lost with LOSS, duplicated with DUP, and delayed DELAY +- JITTER, except a
REORDER share sent at once (netem's "loss 5% reorder 25% duplicate 1% delay
20ms 10ms"). DIRECTION "to-guest" is what netem on the host's tap would
do; "both" impairs the guest's sending too. No rate limit, no corruption.
With PCAP, every frame as the guest's side sees it (from the guest as it comes,
to the guest as it is sent, after the impairment) goes into a pcap file, cut to
SNAP bytes (headers): what a stalled connection did is there to read.
  impair.py GUEST_IF HOST_TAP SEED to-guest|both [PCAP]   (SIGTERM: print counts, exit)"""
import fcntl, heapq, os, random, select, signal, socket, struct, sys, time

LOSS, REORDER, DUP, DELAY, JITTER = 0.05, 0.25, 0.01, 0.020, 0.010
TUNSETIFF, IFF_TAP, IFF_NO_PI, ETH_P_ALL = 0x400454CA, 0x0002, 0x1000, 0x0003
SNAP = 128

class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 16) if path else None
        if self.f:   # libpcap's header: magic, v2.4, GMT, accuracy, snaplen, Ethernet
            self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAP, 1))

    def frame(self, frame):
        if self.f:
            t = time.time()
            self.f.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), min(len(frame), SNAP), len(frame)))
            self.f.write(frame[:SNAP])

    def close(self):
        if self.f:
            self.f.close()

def main(guest_if, host_tap, seed, both, pcap_path):
    rnd, pcap = random.Random(seed), Pcap(pcap_path)
    tap = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", host_tap.encode(), IFF_TAP | IFF_NO_PI))
    pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    pk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    pk.bind((guest_if, 0))
    n = {"frames": 0, "lost": 0, "duplicated": 0, "reordered": 0, "send errors": 0}
    def done(*_):
        print("impair: " + ", ".join(f"{v} {k}" for k, v in n.items()), flush=True)
        pcap.close()
        sys.exit(0)
    signal.signal(signal.SIGTERM, done)
    print("impair: ready", flush=True)
    q, seq = [], 0   # (due, seq, to_guest, frame)
    while True:
        wait = max(0.0, q[0][0] - time.monotonic()) if q else None
        ready, _, _ = select.select([pk, tap], [], [], wait)
        now = time.monotonic()
        for src in ready:
            if src is tap:
                frame, to_guest = os.read(tap, 65536), True
            else:
                frame, addr = pk.recvfrom(65536)
                if addr[2] == socket.PACKET_OUTGOING:   # our own sends to the guest
                    continue
                to_guest = False
                pcap.frame(frame)
            if not to_guest and not both:   # netem on the host's tap: to the guest only
                heapq.heappush(q, (now, seq := seq + 1, to_guest, frame))
                continue
            n["frames"] += 1
            copies = 1
            if rnd.random() < DUP:
                copies, n["duplicated"] = 2, n["duplicated"] + 1
            for _ in range(copies):
                if rnd.random() < LOSS:
                    n["lost"] += 1
                    continue
                due = now + DELAY + rnd.uniform(-JITTER, JITTER)
                if rnd.random() < REORDER:
                    due, n["reordered"] = now, n["reordered"] + 1
                seq += 1
                heapq.heappush(q, (due, seq, to_guest, frame))
        while q and q[0][0] <= now:
            _, _, to_guest, frame = heapq.heappop(q)
            try:
                if to_guest:
                    pk.send(frame)
                    pcap.frame(frame)
                else:
                    os.write(tap, frame)
            except OSError:
                n["send errors"] += 1

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "both", sys.argv[5] if len(sys.argv) > 5 else None)
