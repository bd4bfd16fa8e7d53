#!/bin/bash
# SPDX-License-Identifier: MIT
# No guest-memory arithmetic in the monitor outside monitor/guestmem.c: every guest
# address becomes a host pointer through gm_at() (or gm_read/gm_write on top of it),
# which checks the whole range. Flags `mem +`, `mem[` (so `vm->mem + gpa`, `g->mem[i]`)
# in code, not in comments, and names file:line. Checks itself on planted lines first,
# so a broken pattern cannot pass by matching nothing. Prints ok/FAIL lines.
cd "$(dirname "$0")/.."

# Comments out (/* */ across lines, //), then the pattern on what is left.
strays() {
	awk '
	{
		line = $0; code = ""
		while (line != "") {
			if (inc) {
				i = index(line, "*/")
				if (i == 0) { line = ""; break }
				line = substr(line, i + 2); inc = 0; continue
			}
			i = index(line, "/*"); j = index(line, "//")
			if (i == 0 && j == 0) { code = code line; break }
			if (j > 0 && (i == 0 || j < i)) { code = code substr(line, 1, j - 1); break }
			code = code substr(line, 1, i - 1); line = substr(line, i + 2); inc = 1
		}
		if (code ~ /(^|[^A-Za-z0-9_])mem[ \t]*(\+|\[)/)
			print FILENAME ":" FNR ": " $0
	}' "$@"
}

t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cat > "$t/planted.c" <<'EOF'
	memcpy(vm->mem + gpa, b, len);
	g->mem[gpa] = 0xcc;
	read(fd, mem+off, n);
	/* vm->mem + gpa in a comment is fine,
	 * and so is mem[x] on a comment's next line */
	x = gm_at(vm->mem, vm->mem_size, gpa, 8);   // vm->mem + 8
	y = vm->mem_size + 1; z = guestmem[0]; w = img + off;
EOF
got=$(strays "$t/planted.c" | cut -d: -f2 | tr '\n' ' ')
if [ "$got" = "1 2 3 " ]; then
	echo "ok monitor_guestmem_lint: finds planted strays (lines $got) and skips comments and look-alikes"
else
	echo "FAIL monitor_guestmem_lint: on planted lines flagged '${got}', want '1 2 3 '"
fi

files=$(ls monitor/*.c monitor/*.h | grep -v '^monitor/guestmem\.c$')
found=$(strays $files)
if [ -z "$found" ]; then
	echo "ok monitor_guestmem_lint: no guest-memory arithmetic outside monitor/guestmem.c ($(echo $files | wc -w) files)"
else
	while IFS= read -r l; do
		echo "FAIL monitor_guestmem_lint: ${l%%: *}: guest memory without gm_at(): ${l#*: }"
	done <<< "$found"
fi
