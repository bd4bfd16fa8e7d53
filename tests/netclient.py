#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Network test clients for the echo app, run inside the test's own network
namespace. Each check prints "ok NAME" or "FAIL NAME: why"; every socket has a
timeout, so nothing hangs.
  netclient.py tcp-bulk HOST PORT MIB [MSS] | tcp-many HOST PORT N | tcp-hold HOST PORT N
               | udp HOST PORT | rst HOST PORT | synflood HOST PORT N | alive HOST PORT"""
import hashlib, os, random, socket, struct, sys, threading, time

T = 30  # seconds, per socket operation

def result(name, ok, why=""):
    print(f"ok {name}" if ok else f"FAIL {name}: {why}", flush=True)
    return ok

def tcp_bulk(host, port, mib, mss=None):
    data = os.urandom(mib << 20)
    s = socket.create_connection((host, port), timeout=T)
    got = bytearray()
    def reader():
        while len(got) < len(data):
            b = s.recv(1 << 16)
            if not b:
                break
            got.extend(b)
    r = threading.Thread(target=reader)
    r.start()
    t0 = time.time()
    s.sendall(data)
    r.join(120)
    dt = time.time() - t0
    # struct tcp_info: 8 bytes of u8 fields, then rto, ato, snd_mss, rcv_mss: the
    # largest segment the server sent (a GSO frame counts its segment size)
    rcv_mss = struct.unpack_from("I", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 20)[0]
    s.close()
    same = hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    ok = result(f"tcp echo of {mib} MiB, sha256 equal ({mib / dt:.1f} MiB/s)", same,
                f"got {len(got)} of {len(data)} bytes" if not same else "")
    if mss is not None:
        ok &= result(f"the server's segments of {mss} bytes", rcv_mss == mss,
                     f"the largest was {rcv_mss} bytes")
    return ok

def tcp_many(host, port, n):
    socks, bad = [], 0
    for i in range(n):
        s = socket.create_connection((host, port), timeout=T)
        socks.append(s)
    for i, s in enumerate(socks):
        s.sendall(f"hello from connection {i}\n".encode())
    for i, s in enumerate(socks):
        want = f"hello from connection {i}\n".encode()
        got = b""
        while len(got) < len(want):
            b = s.recv(100)
            if not b:
                break
            got += b
        bad += got != want
        s.close()
    return result(f"{n} concurrent tcp connections echo", bad == 0, f"{bad} wrong")

def tcp_hold(host, port, n):
    """n connections each send 1 MiB while nobody reads the echo for 3 s: the echo
    app blocks sending on one, and the guest's stack holds every other's window
    (128 KiB) of received frames, more than the driver's spare receive buffers
    (drivers/virtio_net.c: lent frames, then copies once the spares run out). Then
    everything is read back, byte for byte."""
    data = [os.urandom(1 << 20) for _ in range(n)]
    socks = [socket.create_connection((host, port), timeout=T) for _ in range(n)]
    got = [bytearray() for _ in range(n)]
    go = threading.Event()
    def sender(i):
        try:
            socks[i].sendall(data[i])
        except OSError:
            pass
    def reader(i):
        go.wait()
        try:
            while len(got[i]) < len(data[i]):
                b = socks[i].recv(1 << 16)
                if not b:
                    break
                got[i].extend(b)
        except OSError:
            pass
    ts = [threading.Thread(target=f, args=(i,)) for i in range(n) for f in (sender, reader)]
    for t in ts:
        t.start()
    time.sleep(3)
    go.set()
    for t in ts:
        t.join(120)
    for s in socks:
        s.close()
    bad = [i for i in range(n) if bytes(got[i]) != data[i]]
    return result(f"{n} tcp connections of 1 MiB held unread, then echoed whole", not bad,
                  ", ".join(f"connection {i}: {len(got[i])} of {len(data[i])} bytes"
                            + (" (wrong bytes)" if len(got[i]) == len(data[i]) else "")
                            for i in bad))

def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    ok = 0
    for i in range(20):
        msg = os.urandom(random.randint(1, 1400))
        for attempt in range(3):   # UDP may drop; retry a little
            s.sendto(msg, (host, port))
            try:
                if s.recvfrom(2048)[0] == msg:
                    ok += 1
                    break
            except socket.timeout:
                pass
    return result("udp echo of 20 datagrams", ok == 20, f"{ok}/20")

def rst(host, port):
    for i in range(20):
        s = socket.create_connection((host, port), timeout=T)
        s.sendall(os.urandom(4096))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()   # linger 0: the close sends RST with data in flight
    return alive(host, port, "server alive after 20 reset connections")

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def synflood(host, port, n):
    """n SYNs from random ports of this namespace's own address, never answered."""
    src = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    src.connect((host, port))
    me = src.getsockname()[0]
    src.close()
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    d, s_ = socket.inet_aton(host), socket.inet_aton(me)
    for i in range(n):
        sport = random.randint(20000, 60000)
        tcp = struct.pack("!HHIIBBHHH", sport, port, random.getrandbits(32), 0, 5 << 4, 0x02, 8192, 0, 0)
        pseudo = s_ + d + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        raw.sendto(tcp, (host, 0))
    raw.close()
    time.sleep(1)
    return alive(host, port, f"server alive after {n} SYNs")

def alive(host, port, name="server alive"):
    try:
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(b"ping\n")
        got = s.recv(10)
        s.close()
        return result(name, got == b"ping\n", f"got {got!r}")
    except OSError as e:
        return result(name, False, str(e))

def main(a):
    cmd, host, port = a[0], a[1], int(a[2])
    try:
        ok = {"tcp-bulk": lambda: tcp_bulk(host, port, int(a[3]),
                                           int(a[4]) if len(a) > 4 else None),
              "tcp-many": lambda: tcp_many(host, port, int(a[3])),
              "tcp-hold": lambda: tcp_hold(host, port, int(a[3])),
              "udp": lambda: udp(host, port),
              "rst": lambda: rst(host, port),
              "synflood": lambda: synflood(host, port, int(a[3])),
              "alive": lambda: alive(host, port)}[cmd]()
    except (OSError, ValueError) as e:
        ok = result(cmd, False, repr(e))
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main(sys.argv[1:])
