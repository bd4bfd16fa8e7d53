#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages spore needs (apt-get when root; otherwise prints
# the exact command). Called by make on first use; cheap when all are present.
set -e
PKGS="gcc binutils make xz-utils newlib-source qemu-system-x86 runc iproute2 socat curl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "spore: missing Debian packages:$missing" >&2
	echo "spore: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "  APT     installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
