#!/bin/bash
# SPDX-License-Identifier: MIT
# make lint: our own C against .clang-format, and cppcheck's warning and portability checks (a
# small set the tree passes; findings that are meant, in tests of faults, carry an inline
# "cppcheck-suppress" naming the check). Files are what git tracks: third-party code (newlib,
# lwIP under build/) is never in the tree, so it is never linted. Prints "ok ..."/"FAIL ..."
# lines (tests/run-tests counts them). --fix rewrites the files to .clang-format instead.
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null) ||
	files=$(find apps arch bench drivers kernel libc monitor tests -name '*.[ch]' | sort)
for t in clang-format cppcheck; do
	command -v $t > /dev/null || { echo "FAIL $t: missing (apt-get install -y $t)"; exit 1; }
done
if [ "${1:-}" = --fix ]; then
	exec clang-format -i $files
fi
rc=0

# clang-format --dry-run names each place it would change; show the first few and the files.
out=$(clang-format --dry-run $files 2>&1)
bad=$(grep -oE '^[^:]+\.[ch]:[0-9]+:[0-9]+: warning: code should be clang-formatted' <<< "$out" | cut -d: -f1 | uniq)
if [ -z "$bad" ]; then
	echo "ok clang-format: $(wc -w <<< "$files") files match .clang-format"
else
	echo "FAIL clang-format: $(wc -l <<< "$bad") files differ from .clang-format (make lint FIX=1 rewrites them)"
	head -5 <<< "$bad"
	rc=1
fi

# cppcheck: -I as the Makefile compiles them; newlib's and the host's headers are left out
# (cppcheck does not need them and would only be slower).
out=$(cppcheck -q -j2 --std=c11 --enable=warning,portability --inline-suppr --error-exitcode=1 \
	-Ikernel -Iarch/x86_64 -Idrivers -Imonitor -Ilibc/include -Ilibc/net \
	--template='{file}:{line}: {severity}: {message} [{id}]' $(grep '\.c$' <<< "$files") 2>&1)
if [ $? = 0 ]; then
	echo "ok cppcheck: warning and portability checks find nothing in $(grep -c '\.c$' <<< "$files") files"
else
	echo "FAIL cppcheck: warning and portability checks: $(grep -c ': \(error\|warning\|portability\):' <<< "$out") findings"
	grep ': \(error\|warning\|portability\):' <<< "$out" | head -20
	rc=1
fi
exit $rc
