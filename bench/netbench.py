#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Echo-server benchmark client, run inside the benchmark's own network
namespace: bulk echo throughput (MiB/s of payload sent and received back) and
request/response latency (1-byte round trips, p50/p99). Prints one JSON line.
  netbench.py HOST PORT MIB ROUNDTRIPS"""
import json, os, socket, sys, threading, time

host, port, mib, rr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = os.urandom(mib << 20)
s = socket.create_connection((host, port), timeout=60)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
got = [0]
def reader():
    while got[0] < len(data):
        b = s.recv(1 << 16)
        if not b:
            break
        got[0] += len(b)
r = threading.Thread(target=reader)
t0 = time.perf_counter()
r.start()
s.sendall(data)
r.join(300)
bulk = time.perf_counter() - t0
lat = []
for i in range(rr):
    t = time.perf_counter()
    s.sendall(b"x")
    if s.recv(1) != b"x":
        break
    lat.append((time.perf_counter() - t) * 1e6)
s.close()
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * (len(lat) - 1)))] if lat else float("nan")
print(json.dumps({"mib": mib, "ok": got[0] == len(data), "mib_s": mib / bulk,
                  "rr": len(lat), "p50_us": q(0.5), "p99_us": q(0.99)}))
