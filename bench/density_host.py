# SPDX-License-Identifier: MIT
"""bench/density's views of the host: link events of its client namespace
(rtnetlink) and the memory cgroups it charges its instances to. Trusts the
kernel's netlink messages and cgroup files."""
import os
import socket
import struct
import threading
import time


class Links:
    """Link events of the client namespace (rtnetlink, RTMGRP_LINK), read by a
    thread as they come: when a tap's carrier came up, i.e. when its monitor
    attached and the kernel began to pass it frames."""
    IFF_LOWER_UP = 0x10000

    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind((0, 1))                        # RTMGRP_LINK
        self.up = {}
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        while True:
            try:
                buf = self.s.recv(1 << 16)
            except OSError:                        # ENOBUFS after a burst: later events still come
                continue
            now, off = time.monotonic(), 0
            while off + 32 <= len(buf):
                ln, typ = struct.unpack_from("=IH", buf, off)
                if ln < 16:
                    break
                if typ == 16:                      # RTM_NEWLINK
                    flags = struct.unpack_from("=I", buf, off + 24)[0]
                    a = off + 32
                    while a + 4 <= off + ln:
                        alen, atyp = struct.unpack_from("=HH", buf, a)
                        if alen < 4:
                            break
                        if atyp == 3:              # IFLA_IFNAME
                            name = buf[a + 4:a + alen].split(b"\0")[0].decode()
                            if flags & self.IFF_LOWER_UP and name not in self.up:
                                self.up[name] = now
                        a += (alen + 3) & ~3
                off += (ln + 3) & ~3


class Cgroup:
    """Memory cgroups of this run: one under this process's own, which the
    harness moves into, so every instance, tap and namespace it starts is
    charged there, kernel objects included; runc's containers go under
    /spore-density/TAG (runc makes that path in every hierarchy). Their sum is
    this run's memory alone on a shared machine, where MemAvailable moves with
    everyone's. cgroup v1 (a memory hierarchy) or v2."""

    def __init__(self, tag):
        self.path, self.tag = None, tag
        v1 = "/sys/fs/cgroup/memory"
        rel = {l.split(":")[1]: l.rstrip("\n").split(":", 2)[2] for l in open("/proc/self/cgroup")}
        mine = [k for k in rel if "memory" in k.split(",")]
        if mine and os.path.isdir(v1):
            self.home, self.file, self.runc = v1 + rel[mine[0]], "memory.usage_in_bytes", v1 + "/spore-density/" + tag
        elif "" in rel and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            self.home, self.file = "/sys/fs/cgroup" + rel[""], "memory.current"
            self.runc = "/sys/fs/cgroup/spore-density/" + tag
        else:
            print("density: note: no memory cgroup: memory by MemAvailable and PSS only", flush=True)
            return
        try:
            os.mkdir(self.home.rstrip("/") + "/" + tag)
            self.path = self.home.rstrip("/") + "/" + tag
            open(self.path + "/cgroup.procs", "w").write(str(os.getpid()))
        except OSError as e:
            print("density: note: no memory cgroup of its own (%s): memory by MemAvailable and PSS only" % e,
                  flush=True)
            self.path = None

    def kib(self):
        if not self.path:
            return None
        total = 0
        for d in (self.path, self.runc):
            try:
                total += int(open("%s/%s" % (d, self.file)).read()) // 1024
            except OSError:
                pass       # runc's directory exists only while it has containers
        return total

    def remove(self):
        """Back to the cgroup it came from; the run's directories removed (the
        containers' own are gone with runc delete)."""
        if not self.path:
            return
        try:
            open(self.home + "/cgroup.procs", "w").write(str(os.getpid()))
            os.rmdir(self.path)
        except OSError:
            pass
        for h in os.listdir("/sys/fs/cgroup"):
            for d in ("/sys/fs/cgroup/%s/spore-density/%s" % (h, self.tag), "/sys/fs/cgroup/%s/spore-density" % h):
                if os.path.isdir(d):
                    try:
                        os.rmdir(d)        # the parent only when no other run uses it
                    except OSError:
                        pass
        self.path = None
