#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The clients of tests/faults.sh. "echo" sends MIB random MiB to the echo app
and reads them back, each socket call bounded (netclient.py's single sendall
is bounded as a whole, too short for a lossy link). "load" sends SET key:I
VALUE(I), one at a time, and appends I to LOG only after reading +OK, so LOG
holds exactly the writes kv acknowledged; it runs until the server goes away.
"check" reads every key in LOG back (MGET) and wants each value. Values are
1..700 bytes so that log records straddle disk sectors.
  faultclient.py echo HOST PORT MIB | load HOST PORT LOG | check HOST PORT LOG"""
import hashlib, os, socket, subprocess, sys, threading, time

def echo(s, mib, host, port):
    data, got, sent, err = os.urandom(int(mib) << 20), bytearray(), [0], []
    last = [time.time()]   # of the last progress either way
    def reader():
        try:
            while len(got) < len(data):
                b = s.recv(1 << 16)
                if not b:
                    break
                got.extend(b)
                last[0] = time.time()
        except OSError as e:
            err.append("recv: %r" % e)
    r = threading.Thread(target=reader, daemon=True)
    t0 = time.time()
    r.start()
    try:
        for at in range(0, len(data), 1 << 16):
            s.sendall(data[at:at + (1 << 16)])
            sent[0], last[0] = at + (1 << 16), time.time()
    except OSError as e:
        err.append("send: %r" % e)
    r.join(300)
    dt = time.time() - t0
    if err or hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
        # What the stall looked like: the host's view of the connection (window,
        # retransmissions, backoff) and whether the guest still echoes on a new one.
        print(f"FAIL tcp echo of {mib} MiB: {'; '.join(err) or 'data differs'}; sent {sent[0]}, "
              f"got {len(got)} of {len(data)} bytes, nothing moved for {time.time() - last[0]:.0f} s, "
              f"a new connection {probe(host, port)}", flush=True)
        ss = subprocess.run(["ss", "-tinoem", "dst", host], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True).stdout
        print("  ss: " + " ".join(ss.split()), flush=True)
        return 1
    print(f"ok tcp echo of {mib} MiB, sha256 equal ({int(mib) / dt:.2f} MiB/s)", flush=True)
    return 0

def probe(host, port):
    try:
        with socket.create_connection((host, port), timeout=5) as c:
            c.sendall(b"ping")
            return "echoes" if c.recv(16) == b"ping" else "answers wrongly"
    except OSError as e:
        return "fails: %r" % e

def value(i):
    h = hashlib.sha256(str(i).encode()).hexdigest()
    return (h * 11)[: 1 + i * 37 % 700]

def acked(log):
    try:
        with open(log) as f:
            return [int(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []

def resp(*args):
    out = f"*{len(args)}\r\n"
    for a in args:
        out += f"${len(a)}\r\n{a}\r\n"
    return out.encode()

def load(s, log):
    done = acked(log)
    i = max(done) + 1 if done else 0
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    f = s.makefile("rb")
    while True:
        s.sendall(resp("SET", f"key:{i}", value(i)))
        line = f.readline()
        if line != b"+OK\r\n":
            print(f"load: SET key:{i} answered {line!r}", flush=True)
            return 0 if not line else 1
        os.write(fd, f"{i}\n".encode())   # the acknowledgement, before the next write
        i += 1

def check(s, log):
    keys, f, bad = acked(log), s.makefile("rb"), 0
    for at in range(0, len(keys), 200):
        batch = keys[at:at + 200]
        s.sendall(resp("MGET", *[f"key:{i}" for i in batch]))
        if f.readline() != f"*{len(batch)}\r\n".encode():
            print("FAIL MGET: bad reply", flush=True)
            return 1
        for i in batch:
            head = f.readline()
            got = f.read(int(head[1:]) + 2)[:-2].decode() if head[:1] == b"$" and head != b"$-1\r\n" else None
            if got != value(i):
                bad += 1
                if bad <= 3:
                    print(f"key:{i}: got {got if got is None else got[:40]!r}, want {value(i)[:40]!r}", flush=True)
    s.sendall(resp("DBSIZE"))
    size = int(f.readline()[1:])
    print(f"{len(keys)} acknowledged, {bad} missing or wrong, dbsize {size}", flush=True)
    return 1 if bad else 0

if __name__ == "__main__":
    cmd, host, port, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    for attempt in range(20):   # a guest just booted may not answer ARP yet
        try:
            s = socket.create_connection((host, port), timeout=30)
            break
        except OSError as e:
            err = e
            time.sleep(0.5)
    else:
        print(f"FAIL {cmd}: connect: {err!r}", flush=True)
        sys.exit(1)
    try:
        sys.exit(echo(s, arg, host, port) if cmd == "echo" else {"load": load, "check": check}[cmd](s, arg))
    except OSError as e:   # "load": the VM was killed under it, as expected
        print(f"{'' if cmd == 'load' else 'FAIL '}{cmd}: {e!r}", flush=True)
        sys.exit(0 if cmd == "load" else 1)
