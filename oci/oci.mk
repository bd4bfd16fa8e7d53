# SPDX-License-Identifier: MIT
# spore-oci, the OCI runtime (docs/oci.md), and the OCI images of the apps.
# Included by the top-level Makefile.
#   build/spore-oci        the runtime (host program; jansson for JSON, libcrypto for SHA-256)
#   make oci               spore-oci and the podman images spore-hello, spore-httpd, spore-kv

OCI_CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP
OCI_SRC    := $(wildcard oci/*.c)
OCI_OBJ    := $(OCI_SRC:%.c=$(B)/%.o)

$(B)/oci/%.o: oci/%.c oci/oci.h | $(B)/.deps
	@mkdir -p $(@D); echo "  HOSTCC  $<"; $(HOSTCC) $(OCI_CFLAGS) -c $< -o $@

$(B)/spore-oci: $(OCI_OBJ)
	@echo "  LINK    $@"; $(HOSTCC) -o $@ $(OCI_OBJ) -ljansson -lcrypto

.PHONY: oci
oci: $(B)/spore-oci $(B)/apps/hello.elf $(B)/apps/httpd.elf $(B)/apps/kv.elf
	@oci/images.sh

# Static, for the kvm_amd lab's busybox root (tests/oci.sh's lab row), which has no libraries.
$(B)/spore-oci-static: $(OCI_OBJ)
	@echo "  LINK    $@"; $(HOSTCC) -static -o $@ $(OCI_OBJ) -ljansson -lcrypto -lpthread 2> $@.log \
	    || { cat $@.log; exit 1; }   # the log keeps glibc's warnings about static dlopen

# Unit tests of the pure parts, with ASan and UBSan (run by tests/oci.sh).
$(B)/oci/oci_test: tests/unit/oci_test.c tests/unit/unit.h oci/initrd.c oci/image.c oci/spec.c oci/state.c oci/cgroup.c oci/oci.h \
	kernel/cmdline.c
	@mkdir -p $(@D); echo "  HOSTCC  $<"
	@$(TEST_CC) -Ioci -Ikernel -Iarch/x86_64 -o $@ tests/unit/oci_test.c \
	    oci/initrd.c oci/image.c oci/spec.c oci/state.c oci/cgroup.c kernel/cmdline.c -ljansson -lcrypto
