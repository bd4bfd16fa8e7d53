#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/density at a tiny K: its JSON has every contender that can run here,
# every instance answered at every step, and nothing is left behind (namespaces,
# containers, processes). Prints ok/FAIL/skip lines (tests/run-tests counts them).
set -u
cd "$(dirname "$0")/.."
out=build/tests/density; log=build/tests/log/density.out
mkdir -p build/tests/log
K=${DENSITY_TEST_K:-3}
if ! timeout 600 bench/density -k "$K" --idle-seconds 1 --out $out > $log 2>&1; then
	echo "FAIL density: bench/density -k $K failed: $(grep -m1 -i 'error\|traceback' $log) (see $log)"
fi
python3 - "$out/results.json" "$K" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("FAIL density: no results.json: %s" % e)
    sys.exit(0)
k = int(sys.argv[2])
for c, why in r["skipped"].items():
    print("skip density: %s: %s" % (c, why))
if not r["contenders"]:
    print("FAIL density: no contender ran")
for c, v in r["contenders"].items():
    bad = [p["k"] for p in v["points"] if not p["all_answered"]]
    if v["k_reached"] != k or bad or not v["points"]:
        print("FAIL density: %s reached k=%d of %d (%s); steps where some did not answer: %s" %
              (c, v["k_reached"], k, v["stopped"], bad))
    else:
        p = v["points"][-1]
        print("ok density: %s: %d instances all answered (start %.1f ms, PSS %d KiB each)" %
              (c, k, p["kth_start_ms"], p["pss_per_instance_kib"]))
EOF
tag=$(sed -n 's/^density: names start with //p' $log)
[ -n "$tag" ] || { echo "FAIL density: no run tag in $log"; exit 0; }
left=$(( $(ip netns list 2>/dev/null | grep -c "^$tag") + $(runc list -q 2>/dev/null | grep -c "^$tag") +
	$(pgrep -fc -- "--net=${tag}t" || true) ))
[ "$left" = 0 ] && echo "ok density: no namespace, container or instance left behind" ||
	echo "FAIL density: $left namespaces, containers or instances of $tag left behind"

# bench/floorgrowth at a tiny K on this host's KVM: both kinds of holder reach K
# beside the floor's starts, none is left, and bad input is refused with one line.
if [ ! -w /dev/kvm ] || [ ! -x build/bench/kvm-floor ]; then
	echo "skip floorgrowth: no usable /dev/kvm or no build/bench/kvm-floor"
	exit 0
fi
fg=$(timeout 300 bench/floorgrowth -k 20 --steps 0,10 --runs 3 --out build/tests/floorgrowth 2>&1)
st=$?
held=$(pgrep -fc -- 'kvm-floor.* --hold' || true)
if [ $st = 0 ] && echo "$fg" | grep -q '^floorgrowth: vm k=20 floor [0-9.]* ms' &&
	echo "$fg" | grep -q '^floorgrowth: mem k=20 floor [0-9.]* ms' && [ "$held" = 0 ] &&
	[ -s build/tests/floorgrowth/floorgrowth.json ]; then
	echo "ok floorgrowth: 20 bare VMs, then 20 processes of 930 KiB, beside the floor; none left"
else
	echo "FAIL floorgrowth: status $st, $held holders left: $(echo "$fg" | tail -1)"
fi
e1=$(bench/floorgrowth --kinds vm,nope 2>&1); s1=$?
e2=$(build/bench/kvm-floor --touch -1 2>&1); s2=$?
[ $s1 = 2 ] && [ $s2 = 2 ] && echo "$e1" | grep -q 'unknown kind nope' && echo "$e2" | grep -q -- '--touch: a size' &&
	echo "ok floorgrowth: bad input refused: '$(echo "$e1" | tail -1)', '$(echo "$e2" | head -1)'" ||
	echo "FAIL floorgrowth: bad input: statuses $s1 $s2: $e1 / $e2"
