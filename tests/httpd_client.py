#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Raw-socket checks for tests/httpd.sh (stdlib only, every socket timed out):
  httpd_client.py HOST PORT status 'REQUEST'   status line of the answer (\\r\\n, \\x00 escapes)
  ... pipeline | http10 | slowhead IDLE | maxconn N | reopen | slowread PATH FILE | headnobody PATH
  ... heldread PATH FILE [PATH...] | badsyn
Each prints one word or line that the shell compares."""
import hashlib, socket, sys, time

host, port, cmd, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]


def conn(t=5):
    return socket.create_connection((host, port), timeout=t)


def read_all(s):
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def responses(data):
    """Splits a byte stream into (status line, body) by Content-Length."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        n = 0
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v)
        out.append((lines[0].decode(), rest[:n]))
        data = rest[n:]
    return out


def req(path, extra="", ver="1.1", method="GET", body=b""):
    return (f"{method} {path} HTTP/{ver}\r\nHost: t\r\n{extra}".encode() +
            (f"Content-Length: {len(body)}\r\n" if body else "").encode() + b"\r\n" + body)


if cmd == "status":
    s = conn()
    s.sendall(args[0].encode("latin-1").decode("unicode_escape").encode("latin-1"))
    try:
        print(s.recv(300).split(b"\r\n")[0].decode(errors="replace") or "closed")
    except ConnectionResetError:
        print("reset")
elif cmd == "pipeline":  # three requests in one write, answered in order
    s = conn()
    s.sendall(req("/hello.txt") + req("/fn/upper", method="POST", body=b"abc") +
              req("/data.json", "Connection: close\r\n"))
    r = responses(read_all(s))
    ok = [x[0] for x in r] == ["HTTP/1.1 200 OK"] * 3 and r[0][1].startswith(b"hello") and \
        r[1][1] == b"ABC" and r[2][1].startswith(b"{")
    print("inorder" if ok else repr(r)[:300])
elif cmd == "http10":  # keep-alive only when asked for, then closed after a plain 1.0 request
    s = conn()
    s.sendall(req("/hello.txt", "Connection: keep-alive\r\n", "1.0"))
    time.sleep(0.3)
    s.sendall(req("/hello.txt", "", "1.0"))
    r = responses(read_all(s))
    print("kept-then-closed" if len(r) == 2 and all(x[0].endswith("200 OK") for x in r) else repr(r)[:300])
elif cmd == "slowhead":  # one byte a second never completes a head: closed near -t
    idle = float(args[0])
    s = conn(idle + 5)
    s.setblocking(True)
    t0 = time.time()
    s.settimeout(1)
    for c in b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"y" * 100:
        try:
            s.send(bytes([c]))
            if s.recv(100) == b"":
                break
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    took = time.time() - t0
    print("closed" if idle - 0.5 <= took <= idle + 2.5 else f"after {took:.1f} s")
elif cmd == "idle":  # an idle keep-alive connection is closed near -t
    idle = float(args[0])
    s = conn(idle + 5)
    s.sendall(req("/hello.txt"))
    s.recv(1000)
    t0 = time.time()
    read_all(s)
    took = time.time() - t0
    print("closed" if idle - 0.5 <= took <= idle + 2.5 else f"after {took:.1f} s")
elif cmd == "maxconn":  # N held connections, then one more: a 503 or a close, promptly
    # Connecting is not what is tested, so each connect may take long (a SYN
    # retransmitted on a loaded host); what must be prompt is the server's answer
    # once the extra connection is up. Every error is one line naming the step.
    held = []
    try:
        for i in range(int(args[0])):
            t = time.time()
            try:
                held.append(conn(20))
            except OSError as e:
                sys.exit(f"held connection {i + 1}: {e!r} after {time.time() - t:.1f} s")
        time.sleep(0.5)
        t = time.time()
        try:
            s = conn(20)
        except ConnectionRefusedError:  # a reset to the SYN: refused, promptly
            print("refused")
            sys.exit(0)
        except OSError as e:
            sys.exit(f"connection {len(held) + 1}: {e!r} after {time.time() - t:.1f} s")
        s.settimeout(3)
        t0 = time.time()
        try:
            got = s.recv(100)
        except ConnectionResetError:
            got = b""
        except socket.timeout:
            got = b"timeout"
        prompt = time.time() - t0 < 2
        print("refused" if prompt and (got == b"" or got.startswith(b"HTTP/1.1 503"))
              else f"{got[:40]!r} after {time.time() - t0:.1f} s")
    finally:
        for h in held:
            h.close()
elif cmd == "reopen":  # the server closes first, then the same client port connects again at once
    s = conn()
    s.sendall(req("/hello.txt", "Connection: close\r\n"))
    first = read_all(s)  # to the server's FIN: its side is in TIME-WAIT now
    me = s.getsockname()
    s.close()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(40):  # until our side has seen the ACK of its FIN
        try:
            s.bind(me)
            break
        except OSError:
            time.sleep(0.05)
    else:
        sys.exit(f"cannot bind {me} again")
    s.settimeout(5)
    t0 = time.time()
    try:
        s.connect((host, port))
    except OSError as e:
        sys.exit(f"first answer {first[:15]!r}; reconnect from port {me[1]}: {e!r} after {time.time() - t0:.1f} s")
    s.sendall(req("/hello.txt", "Connection: close\r\n"))
    r = responses(read_all(s))
    print("reopened" if first.startswith(b"HTTP/1.1 200") and r and r[0][0].startswith("HTTP/1.1 200")
          else f"{first[:15]!r} then {r[:1]!r}")
elif cmd == "slowread":  # a reader slower than the file: every byte still arrives
    s = conn(20)
    s.sendall(req(args[0], "Connection: close\r\n"))
    data = b""
    for _ in range(8):  # the server meanwhile fills the socket and waits for it
        data += s.recv(8192)
        time.sleep(0.25)
    data += read_all(s)
    r = responses(data)
    want = hashlib.sha256(open(args[1], "rb").read()).hexdigest()
    print("intact" if r and hashlib.sha256(r[0][1]).hexdigest() == want else f"{len(data)} bytes")
elif cmd == "headnobody":  # HEAD: the headers of the GET, and not one byte more
    s = conn()
    s.sendall(req(args[0], "Connection: close\r\n", method="HEAD"))
    data = read_all(s)
    print("nobody" if data.endswith(b"\r\n\r\n") and b"Content-Length: " in data else repr(data[-60:]))
elif cmd == "badsyn":  # a corrupt SYN with the right 4-tuple leaves the server's TIME-WAIT alone
    # Raw sockets (root, in the test's namespace): the server's segments are
    # read to learn its TIME-WAIT's rcv_nxt (the ack of our FIN); then a SYN
    # beyond it with a wrong checksum, then an old duplicate SYN as the probe:
    # TIME-WAIT answers it with a bare ACK, a listener (TIME-WAIT gone) with
    # a SYN-ACK. libc/net/twsyn.c checks the checksum the hook once skipped.
    import struct
    def csum(b):
        b += b"\0" * (len(b) & 1)
        t = sum(struct.unpack(f"!{len(b) // 2}H", b))
        while t >> 16:
            t = (t & 0xffff) + (t >> 16)
        return ~t & 0xffff
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s = conn()
    me = s.getsockname()
    s.sendall(req("/hello.txt", "Connection: close\r\n"))
    first = read_all(s)
    s.close()
    def segments(quiet):  # the server's segments to our port until quiet
        raw.settimeout(quiet)
        out = []
        while True:
            try:
                p = raw.recv(2000)
            except socket.timeout:
                return out
            i = (p[0] & 15) * 4
            sp, dp, seq, ack, _, fl = struct.unpack("!HHIIBB", p[i:i + 14])
            if p[12:16] == socket.inet_aton(host) and (sp, dp) == (port, me[1]):
                out.append((fl, ack))
    got = segments(0.5)
    if not got or not first.startswith(b"HTTP/1.1 200"):
        sys.exit(f"no TIME-WAIT to probe: {first[:15]!r}, {len(got)} segments seen")
    rcv_nxt = got[-1][1]
    def syn(seq, good):
        h = struct.pack("!HHIIBBHHH", me[1], port, seq & 0xffffffff, 0, 5 << 4, 0x02, 64240, 0, 0)
        ph = socket.inet_aton(me[0]) + socket.inet_aton(host) + struct.pack("!BBH", 0, 6, len(h))
        c = csum(ph + h) ^ (0 if good else 0x0100)
        return h[:16] + struct.pack("!H", c) + h[18:]
    raw.sendto(syn(rcv_nxt + 100000, False), (host, 0))
    time.sleep(0.3)
    raw.sendto(syn(rcv_nxt - 1, True), (host, 0))
    got = segments(1)
    fl = got[0][0] if got else None
    print("kept" if fl is not None and fl & 0x12 == 0x10 else
          "ended: the probe got a SYN-ACK" if fl is not None and fl & 0x12 == 0x12 else f"probe answered {got!r}")
elif cmd == "heldread":  # a download held open while others GET PATHS..., then a 4 KiB head
    # tarfs once added a directory the archive only implied (docs/a.txt without
    # docs/) at lookup, moving the table an open file points into; the next
    # allocation of its size (a request buffer) then decided what the held
    # download sent. Every other connection stays open until the end, so its
    # buffers stay allocated and the pad's is the one that can reuse the block.
    a = conn(20)
    a.sendall(req(args[0], "Connection: close\r\n"))
    data = a.recv(4096)
    held = []
    for p in args[2:]:
        s = conn(20)
        s.sendall(req(p))
        held.append((s, s.recv(65536)))
    pad = conn(20)
    pad.sendall(req("/hello.txt", "X-Pad: " + "A" * 4000 + "\r\n"))
    pad.recv(1000)
    data += read_all(a)
    r = responses(data)
    want = hashlib.sha256(open(args[1], "rb").read()).hexdigest()
    others = " ".join(x[1].split(b"\r\n")[0].decode(errors="replace") for x in held)
    print("intact" if r and hashlib.sha256(r[0][1]).hexdigest() == want
          else f"{len(data)} bytes, not the file (meanwhile: {others})")
else:
    sys.exit("httpd_client.py: unknown check " + cmd)
