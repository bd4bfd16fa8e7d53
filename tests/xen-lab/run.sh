#!/bin/bash
# SPDX-License-Identifier: MIT
# Boots the Xen lab once (Xen + dom0 under QEMU TCG) and runs a batch of spore
# images in it as PVH domUs, all in that one boot.
#   tests/xen-lab/run.sh BATCH OUT
# BATCH: one domU a line, "NAME IMAGE RAMDISK|- CLIENT|- CMDLINE..." (NAME:
# [a-z0-9-]; CMDLINE may hold ' or ", not both: xl's config strings have no
# escapes). CLIENT: a shell script that dom0 runs against the domU (the
# domU then has a vif on dom0's bridge xenbr0, 10.0.5.1/24; the script gets
# the console log's path as $1 and finds the lab's files in /lab:
# netclient.py; the domU is destroyed once the script has ended).
# The domUs run one after the other. OUT gets NAME.log (the domU's console),
# NAME.end (poweroff, crash, gone, timeout or "create failed: why": how dom0
# saw it end; "client-done STATUS" for one with a client), NAME.client (the
# client's output), NAME.time (seconds from xl create's start until it returned,
# until the console had output, until dom0 saw the end) and qemu.log (the
# whole serial output).
# Exit 0 when the lab ran to its end; 1 (with a line saying why) otherwise.
# Needs the lab built first (tests/xen-lab/build.sh).
set -u
cd "$(dirname "$0")/../.."
L=build/xen-lab
batch=$1 out=$2
DEADLINE=${XEN_LAB_DEADLINE:-60}       # seconds for each domU once xl create has returned
CDEADLINE=${XEN_LAB_CLIENT_DEADLINE:-240}   # ... for one with a client (4 MiB at 0.2 MiB/s under load)
MEM=${XEN_LAB_MEM:-32}                 # MiB for each domU
[ -f $L/.done ] || { echo "xen-lab: not built (tests/xen-lab/build.sh)"; exit 1; }
rm -rf "$out" && mkdir -p "$out/cpio/lab"

# Each run's files travel as a second cpio after dom0's: Linux unpacks both.
c=$out/cpio
cp tests/xen-lab/init "$c/init"
cp tests/netclient.py "$c/lab/"
echo "$DEADLINE" > "$c/lab/deadline"
nclient=0
while read -r name img rd client cmd; do
	[ -n "$name" ] || continue
	# xl's config strings have no escapes: quote with the kind cmd lacks.
	q=\"; [[ $cmd == *\"* ]] && q=\'
	if ! [[ $name =~ ^[a-z0-9-]+$ ]] || [[ $cmd == *$q* ]]; then
		echo "xen-lab: bad batch line for '$name' (name [a-z0-9-], not both quote kinds)"; exit 1
	fi
	echo "$name" >> "$c/lab/batch"
	cp "$img" "$c/lab/$name.elf"
	{
		echo "name = \"$name\""
		echo "type = \"pvh\""
		echo "kernel = \"/lab/$name.elf\""
		echo "extra = $q$cmd$q"
		echo "memory = $MEM"
		echo "vcpus = 1"
		echo "on_poweroff = \"preserve\""
		echo "on_crash = \"preserve\""
		echo "on_reboot = \"destroy\""
		if [ "$rd" != - ]; then cp "$rd" "$c/lab/$name.rd"; echo "ramdisk = \"/lab/$name.rd\""; fi
		if [ "$client" != - ]; then
			cp "$client" "$c/lab/$name.client"; echo "vif = [ 'bridge=xenbr0' ]"
			echo "$CDEADLINE" > "$c/lab/$name.deadline"
			nclient=$((nclient + 1))
		fi
	} > "$c/lab/$name.cfg"
done < "$batch"
(cd "$c" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/run.cpio.gz"
cat $L/dom0.cpio.gz "$out/run.cpio.gz" > "$out/initrd.gz"

n=$(grep -c . "$c/lab/batch")
# The whole QEMU run: dom0 boots in 20-90 s, a domU takes 5-35 s, one with a client up to its deadline.
TIMEOUT=${XEN_LAB_TIMEOUT:-$((120 + n * 40 + nclient * CDEADLINE))}

# -cpu max,-rdtscp,-smap and noreboot: shared/xen-lab.md says why. -xsave (and
# the AVX family that needs it): with XSAVE, vector registers leaked between
# Xen's vCPUs under this TCG (QEMU 7.2): dom0's memcpy wrote 16-64 bytes of
# another context's XMM/YMM values (the domU's malloc pointers, dom0 stack
# addresses) into TCP data dom0 had received intact (a packet socket on the
# vif saw the frames clean), about once per MiB echoed. Without XSAVE, Xen
# switches FPU state with FXSAVE and 5 MiB came back byte-exact (docs/xen.md).
start=$(date +%s)
timeout --foreground -k 5 "$TIMEOUT" nice qemu-system-x86_64 -machine q35 -accel tcg,thread=multi \
	-cpu max,-rdtscp,-smap,-xsave,-avx,-avx2,-fma,-f16c -m 2048 -smp 2 -display none -serial stdio -monitor none -no-reboot \
	-kernel $L/xen.elf \
	-append "console=com1 com1=115200,8n1 dom0_mem=768M,max:768M loglvl=all guest_loglvl=all noreboot" \
	-initrd "$L/vmlinuz console=hvc0 rdinit=/init loglevel=4,$out/initrd.gz" \
	< /dev/null 2>&1 | tr -d '\r' > "$out/qemu.log"
rm -f "$out/initrd.gz"
echo "$(( $(date +%s) - start ))" > "$out/seconds"
while read -r name _; do
	[ -n "$name" ] || continue
	sed -n "s/^$name| //p" "$out/qemu.log" > "$out/$name.log"
	sed -n "s/^$name-client| //p" "$out/qemu.log" > "$out/$name.client"
	sed -n "s/^=== xen-lab: end $name //p" "$out/qemu.log" > "$out/$name.end"
	sed -n "s/^=== xen-lab: begin $name (\(.*\))$/\1/p" "$out/qemu.log" > "$out/$name.time"
done < "$batch"
grep -q '^=== xen-lab: done' "$out/qemu.log" && exit 0
echo "xen-lab: the run did not finish in ${TIMEOUT} s ($(tail -1 "$out/qemu.log" | cut -c1-100)) (see $out/qemu.log)"
exit 1
