#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages spore needs (apt-get when root; otherwise prints
# the exact command). Called by make on first use; cheap when all are present.
set -e
PKGS="gcc binutils make libjansson-dev libssl-dev podman netavark iptables containerd xz-utils dpkg-dev newlib-source qemu-system-x86 runc iproute2 socat curl iputils-ping python3 wrk clang libclang-rt-14-dev redis-tools strace linux-perf tcl clang-format cppcheck"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
# lwIP comes from Debian's source package: apt needs a deb-src entry for it.
srcs=/etc/apt/sources.list.d/spore-src.sources
need_src=0
grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ || need_src=1
[ -z "$missing" ] && [ $need_src = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	[ -n "$missing" ] && echo "spore: missing Debian packages:$missing" >&2 &&
		echo "spore: run: sudo apt-get install -y$missing" >&2
	[ $need_src = 1 ] && echo "spore: apt has no deb-src entry (needed for lwIP); run:" >&2 &&
		echo "  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | sudo tee $srcs && sudo apt-get update" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ $need_src = 1 ]; then
	echo "  APT     adding a deb-src entry for bookworm main ($srcs)"
	printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > $srcs
fi
apt-get update -qq >/dev/null
[ -z "$missing" ] && exit 0
echo "  APT     installing$missing"
apt-get install -y -qq --no-install-recommends $missing >/dev/null
