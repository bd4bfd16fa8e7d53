#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the OCI images spore-hello, spore-httpd and spore-kv with `podman build`
# from FROM scratch Containerfiles: each holds only the spore image and its files.
#   oci/images.sh [NAME...]      PODMAN="podman --root ..." selects another store
# Trusts build/apps/*.elf (make all builds them).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PODMAN=${PODMAN:-podman}
names=${*:-hello httpd kv}
for n in $names; do
	ctx=$here/build/oci/ctx-$n
	rm -rf "$ctx" && mkdir -p "$ctx"
	[ -f "$here/build/apps/$n.elf" ] || { echo "images.sh: no build/apps/$n.elf (make all)" >&2; exit 1; }
	cp "$here/build/apps/$n.elf" "$ctx/$n"
	case $n in
	hello) entry='["/hello"]' ;;
	httpd) cp -r "$here/oci/site" "$ctx/site"
	       printf 'COPY site/ /site/\nEXPOSE 80\n' > "$ctx/extra"
	       entry='["/httpd", "-p", "80", "-d", "/site", "-l"]' ;;
	kv) printf 'EXPOSE 6379\n' > "$ctx/extra"; entry='["/kv"]' ;;
	*) echo "images.sh: unknown image $n (hello, httpd, kv)" >&2; exit 1 ;;
	esac
	{ echo "FROM scratch"; echo "COPY $n /$n"; cat "$ctx/extra" 2>/dev/null || true
	  echo "ENTRYPOINT $entry"; } > "$ctx/Containerfile"
	rm -f "$ctx/extra"
	$PODMAN build -q -t "spore-$n" "$ctx" >/dev/null
	echo "  OCI     spore-$n ($(stat -c %s "$ctx/$n") bytes of spore image)"
done
