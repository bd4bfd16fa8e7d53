#!/bin/sh
# SPDX-License-Identifier: MIT
# Run by busybox sh inside the kvm_amd lab (tests/kvm-lab/run.sh, from tests/oci.sh): spore-oci's
# lifecycle on a bundle under spore-kvm. Prints the states it saw; the host judges them.
#   oci/lab.sh SPORE-OCI BUNDLE
SO=$1 B=$2 R=/tmp/oci-state
st() { $SO --root $R state c1 | sed -n 's/.*"\(status\|vmm\)": "\([^"]*\)".*/\1=\2/p' | tr '\n' ' '; echo; }
$SO --root $R --log /tmp/oci.log create --bundle $B --pid-file /tmp/oci.pid c1 > /tmp/oci.out 2>&1 || { cat /tmp/oci.out; exit 1; }
echo "after create: $(st)"
$SO --root $R start c1 || exit 1
i=0; while [ $i -lt 100 ] && ! grep -q 'listening on 80' /tmp/oci.out; do sleep 0.1; i=$((i + 1)); done
echo "after start: $(st)"
cat /tmp/oci.out
$SO --root $R kill c1 TERM || exit 1
i=0; while [ $i -lt 50 ] && kill -0 "$(cat /tmp/oci.pid)" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
echo "after kill: $(st)"
$SO --root $R delete c1 || exit 1
[ -e $R/c1 ] && echo "state left behind" || echo "deleted: no state"
cat /tmp/oci.log
