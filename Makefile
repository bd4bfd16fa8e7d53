# SPDX-License-Identifier: MIT
# spore: one application + newlib + the kernel -> one PVH ELF per app.
#   make run [APP=hello] [HOST=microvm|q35|spore-kvm] [ARGS="..."] [MEM=16]
#   make test      every test; the last line is "N passed, N failed"
#   make test-xen  the guest tests as Xen PVH domUs, in the Xen lab (built once)
#   make bench     benchmarks (medians), see docs/benchmarks.md
#   make serverless-lab  httpd cold boot vs restore, spore-fn, idle memory: one kvm_amd lab boot (docs/serverless.md)
#   make bench-lab  echo, RTT, httpd, kv: spore-kvm vs QEMU vs a process, one lab boot (docs/network.md)
#   make density-lab K=N  N networked httpd on spore-kvm, runc, processes in one kvm_amd lab boot (docs/density.md)
#   make soak      10^6 requests each to httpd and kv, memory sampled (docs/reliability.md)
# Set-up (Debian packages, newlib from newlib-source) happens on first use.

APP   ?= hello
HOST  ?=
ARGS  ?=
MEM   ?=
DEBUG ?= 0

B        := build
NEWLIB_TAR := /usr/src/newlib/newlib-3.3.0.tar.xz
NEWLIB   := $(B)/newlib/install/x86_64-elf
GCCINC    = $(shell gcc -print-file-name=include)
LIBGCC    = $(shell gcc -print-libgcc-file-name)

OPT      := $(if $(filter 1,$(DEBUG)),-O0 -g,-O2)
COMMON   := $(OPT) -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone \
            -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
            -ffunction-sections -fdata-sections -Wall -Wextra -Werror -MMD -MP
# Our own code never uses SSE: interrupt handlers run over the app's SSE state.
KCFLAGS  := $(COMMON) -mgeneral-regs-only -nostdinc -isystem $(GCCINC) -Ikernel -Iarch/x86_64
# newlib declares clock_gettime() and CLOCK_MONOTONIC only where these are set.
LIBCINC  := -nostdinc -Ilibc/include -isystem $(NEWLIB)/include -isystem $(GCCINC) \
            -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L -D_POSIX_THREADS=1 -D_UNIX98_THREAD_MUTEX_ATTRIBUTES=1 -DFD_SETSIZE=1024
LCFLAGS  := $(COMMON) -mgeneral-regs-only $(LIBCINC)
# libc names the kernel's headers by folder ("kernel/net.h": libc/net has a
# net.h of its own); kernel.h finds the arch's (x86.h) on -Iarch/x86_64.
LKINC    := -I. -Iarch/x86_64
APPCFLAGS = $(COMMON) $(LIBCINC) $(LWIPINC)

KSRC := $(wildcard arch/x86_64/*.c arch/x86_64/*.S kernel/*.c drivers/*.c)
LSRC := $(wildcard libc/*.c)
NSRC := $(wildcard libc/net/*.c)
KOBJ := $(patsubst %,$(B)/%.o,$(KSRC))
LOBJ := $(patsubst %,$(B)/%.o,$(LSRC))
NOBJ := $(patsubst %,$(B)/%.o,$(NSRC))
APPS := $(notdir $(wildcard apps/*))
GUESTS := $(basename $(notdir $(wildcard tests/guest/*.c)))

.PHONY: all image lua sqlite redis run test test-kvm test-xen bench deps unit clean lint linux fuzz fuzz-http fuzz-resp fuzz-virtq fuzz-gdb fuzz-vq fuzz-vdev fuzz-snap compare density soak serverless-lab speedtest-lab bench-lab density-lab
all: $(APPS:%=$(B)/apps/%.elf) $(B)/spore-kvm

# ---- set-up: Debian packages and newlib, once -------------------------------
$(B)/.deps: tests/deps.sh
	@tests/deps.sh
	@mkdir -p $(B) && touch $@
deps: $(B)/.deps

$(NEWLIB)/lib/libc.a: | $(B)/.deps
	@echo "  NEWLIB  building newlib 3.3.0 (once, ~1 min)"
	@rm -rf $(B)/newlib && mkdir -p $(B)/newlib/obj
	@tar -C $(B)/newlib -xf $(NEWLIB_TAR)
	@cd $(B)/newlib/obj && ../newlib-salsa/configure --target=x86_64-elf \
	    --prefix=$(CURDIR)/$(B)/newlib/install --disable-multilib --disable-nls \
	    --disable-newlib-supplied-syscalls --enable-newlib-reent-small \
	    --enable-newlib-io-c99-formats --enable-newlib-io-long-long \
	    CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
	    RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
	    CFLAGS_FOR_TARGET="-O2 -mno-red-zone -fno-stack-protector -fno-pic \
	      -ffunction-sections -fdata-sections -fno-omit-frame-pointer" \
	    > ../configure.log 2>&1 || { tail -20 ../configure.log; exit 1; }
	@$(MAKE) -C $(B)/newlib/obj -j$$(nproc) all-target-newlib > $(B)/newlib/build.log 2>&1 \
	    || { tail -30 $(B)/newlib/build.log; exit 1; }
	@$(MAKE) -C $(B)/newlib/obj install-target-newlib > $(B)/newlib/install.log 2>&1
	@rm -rf $(B)/newlib/obj $(B)/newlib/newlib-salsa

# lwIP 2.1.3 from Debian's source package (patched by dpkg-source as Debian ships it).
LWIP     := $(B)/lwip/tree
$(LWIP)/src/include/lwip/opt.h: | $(B)/.deps
	@echo "  LWIP    fetching lwIP 2.1.3 (apt-get source lwip)"
	@rm -rf $(B)/lwip && mkdir -p $(B)/lwip
	@cd $(B)/lwip && apt-get source -qq lwip > fetch.log 2>&1 || { cat fetch.log; exit 1; }
	@cd $(B)/lwip && ln -sfn "$$(ls -d lwip-2.1.3*/ | head -1)" tree && rm -f *.tar.* *.dsc
# core/timeouts.c is replaced by libc/net/timers.c (LWIP_TIMERS_CUSTOM).
LWIP_SRC := $(addprefix core/,init.c def.c inet_chksum.c ip.c mem.c memp.c netif.c pbuf.c \
              raw.c stats.c sys.c tcp.c tcp_in.c tcp_out.c udp.c \
              ipv4/dhcp.c ipv4/etharp.c ipv4/icmp.c ipv4/ip4.c ipv4/ip4_addr.c ipv4/ip4_frag.c) \
            $(addprefix api/,api_lib.c api_msg.c err.c netbuf.c netifapi.c sockets.c tcpip.c) \
            netif/ethernet.c
LWIP_OBJ := $(patsubst %.c,$(B)/lwip/obj/%.o,$(LWIP_SRC))
LWIPINC  := -I$(LWIP)/src/include -Ilibc/net -Ilibc/include
# Third-party code: our flags, but its warnings are not ours to fail on.
$(B)/lwip/obj/%.o: $(LWIP)/src/include/lwip/opt.h | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D); echo "  CC      lwip/$*.c"
	@gcc $(filter-out -Werror -Wextra,$(LCFLAGS)) -w $(LWIPINC) -c $(LWIP)/src/$*.c -o $@

# ---- the kernel: one relocatable object exporting only its ABI ---------------
$(B)/arch/%.o: arch/% | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D); echo "  CC      $<"; gcc $(KCFLAGS) -c $< -o $@
$(B)/kernel/%.o: kernel/% | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D); echo "  CC      $<"; gcc $(KCFLAGS) -c $< -o $@
$(B)/drivers/%.o: drivers/% | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D); echo "  CC      $<"; gcc $(KCFLAGS) -c $< -o $@
$(B)/libc/net/%.o: libc/net/% | $(NEWLIB)/lib/libc.a $(LWIP)/src/include/lwip/opt.h
	@mkdir -p $(@D); echo "  CC      $<"; gcc $(LCFLAGS) $(LWIPINC) $(LKINC) -c $< -o $@
# Long double on the x87 (libc/mathl.c) cannot be general registers only.
$(B)/libc/mathl.c.o: LCFLAGS := $(COMMON) $(LIBCINC)
$(B)/libc/%.o: libc/% | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D); echo "  CC      $<"; gcc $(LCFLAGS) $(LKINC) -c $< -o $@

# ld -r then objcopy -G: internal names cannot collide with newlib or the app.
# The network stack (lwIP + libc/net) first becomes one object that exports
# only the socket API, so lwIP's names (mem_init...) never meet the kernel's.
# --gc-sections drops it all from apps that never open a socket.
$(B)/net.o: $(NOBJ) $(LWIP_OBJ) libc/net/exports.txt
	@echo "  LD      $@"
	@ld -r -o $@.tmp $(NOBJ) $(LWIP_OBJ)
	@objcopy --keep-global-symbols=libc/net/exports.txt $@.tmp $@ && rm $@.tmp
$(B)/spore.o: $(KOBJ) $(LOBJ) $(B)/net.o libc/exports.txt libc/net/exports.txt
	@echo "  LD      $@"
	@ld -r -o $@.tmp $(KOBJ) $(LOBJ) $(B)/net.o
	@objcopy --keep-global-symbols=libc/exports.txt --keep-global-symbols=libc/net/exports.txt \
	    $@.tmp $@ && rm $@.tmp

# ---- images: apps/NAME/*.c and tests/guest/NAME.c ---------------------------
$(B)/apps/%.o: apps/%.c | $(NEWLIB)/lib/libc.a $(LWIP)/src/include/lwip/opt.h
	@mkdir -p $(@D); echo "  CC      $<"; gcc $(APPCFLAGS) -c $< -o $@
$(B)/tests/guest/%.o: tests/guest/%.c | $(NEWLIB)/lib/libc.a $(LWIP)/src/include/lwip/opt.h
	@mkdir -p $(@D); echo "  CC      $<"; gcc $(APPCFLAGS) -c $< -o $@
# spin.elf with debug information: gdb's source-level test (tests/kvm-lab/gdb.sh).
$(B)/tests/guest/spin.o: APPCFLAGS += -g
$(B)/name/%.o:
	@mkdir -p $(@D); echo 'const char app_name[] = "$*";' | gcc $(KCFLAGS) -x c -c - -o $@

define image
	@mkdir -p $(@D); echo "  LINK    $@"
	@ld -static -nostdlib --gc-sections -z noexecstack -z max-page-size=4096 -T linker.ld -o $@ \
	    $(B)/spore.o $(filter-out $(B)/spore.o,$(filter %.o,$^)) \
	    --start-group $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a $(LIBGCC) --end-group
endef
.SECONDARY:
.SECONDEXPANSION:
$(B)/apps/%.elf: $(B)/spore.o $(NEWLIB)/lib/libc.a $$(addprefix $(B)/,$$(addsuffix .o,$$(basename $$(wildcard apps/$$*/*.c)))) $(B)/name/%.o linker.ld
	$(image)
$(B)/tests/guest/%.elf: $(B)/spore.o $(NEWLIB)/lib/libc.a $(B)/tests/guest/%.o $(B)/name/%.o linker.ld
	$(image)

# ---- how host tests and fuzzers are compiled: TEST_CC, FUZZ_CC ----------------
include tests/build.mk

# ---- your own program: build/spore-cc (docs/porting.md) ----------------------
# gcc for spore images, with this tree's paths: make CC=build/spore-cc, or
# make image SRC=DIR [NAME=N] links DIR/*.c into build/image/N.elf.
$(B)/spore-cc: sdk/spore-cc.in $(B)/spore.o $(NEWLIB)/lib/libc.a | $(LWIP)/src/include/lwip/opt.h
	@echo "  GEN     $@"
	@sed -e 's|@ROOT@|$(CURDIR)|' -e 's|@B@|$(CURDIR)/$(B)|' $< > $@ && chmod +x $@
NAME ?= $(notdir $(abspath $(SRC)))
image: $(B)/spore-cc
	@test -d "$(SRC)" || { echo "make image: SRC=DIR, a directory of C sources" >&2; exit 2; }
	@mkdir -p $(B)/image; echo "  LINK    $(B)/image/$(NAME).elf"
	@$(B)/spore-cc -O2 -o $(B)/image/$(NAME).elf $(wildcard $(SRC)/*.c)

# ---- spore-kvm, its tests and the floor program -----------------------------
include monitor/monitor.mk
include oci/oci.mk

# ---- running ------------------------------------------------------------------
# ARGS reaches the guest verbatim (through the environment, so quotes survive).
export ARGS
run: $(B)/apps/$(APP).elf $(B)/spore-kvm
	@tests/spore-run $(if $(HOST),--host=$(HOST)) $(if $(MEM),--mem=$(MEM)) $< "$$ARGS"

# ---- tests --------------------------------------------------------------------
UNIT := $(basename $(notdir $(wildcard tests/unit/*_test.c)))
# Every unit test includes the one runner: a change to it rebuilds them all.
$(UNIT:%=$(B)/tests/unit/%): tests/unit/unit.h
$(B)/tests/unit/kernel_test: tests/unit/kernel_test.c kernel/cmdline.c kernel/memmap.c kernel/mem.c kernel/options.c
	@mkdir -p $(@D); $(TEST_CC) -Ikernel -Iarch/x86_64 -o $@ $(filter %.c,$^)

$(B)/tests/unit/idle_test: tests/unit/idle_test.c arch/x86_64/trap.c arch/x86_64/x86.h kernel/net.c kernel/net.h kernel/kernel.h
	@mkdir -p $(@D); $(TEST_CC) -Ikernel -Iarch/x86_64 -o $@ tests/unit/idle_test.c arch/x86_64/trap.c kernel/net.c
$(B)/tests/unit/virtq_test: tests/unit/virtq_test.c drivers/virtq.c drivers/virtio.h drivers/virtio_reg.h \
		          drivers/netcsum.c drivers/netcsum.h drivers/netcoal.c drivers/netcoal.h
	@mkdir -p $(@D); $(TEST_CC) -Idrivers -Iarch/x86_64 -o $@ \
	    tests/unit/virtq_test.c drivers/virtq.c drivers/netcsum.c drivers/netcoal.c
$(B)/tests/unit/vq_test: tests/unit/vq_test.c monitor/vq.c monitor/vmmio.c monitor/vnet.c monitor/vblk.c monitor/guestmem.c \
		       monitor/vhost.c monitor/monitor.h drivers/virtio_reg.h
	@mkdir -p $(@D); $(TEST_CC) -Ikernel -Imonitor -Idrivers -o $@ tests/unit/vq_test.c monitor/vq.c \
	    monitor/vmmio.c monitor/vnet.c monitor/vblk.c monitor/guestmem.c monitor/vhost.c
$(B)/tests/unit/pci_test: tests/unit/pci_test.c drivers/pci_region.c kernel/memmap.c drivers/virtio.h kernel/kernel.h
	@mkdir -p $(@D); $(TEST_CC) -Ikernel -Idrivers -Iarch/x86_64 -o $@ \
	    tests/unit/pci_test.c drivers/pci_region.c kernel/memmap.c
# virtio_rng.c is #included whole by its test, which stubs the device under it.
$(B)/tests/unit/netring_test: tests/unit/netring_test.c drivers/xen_netring.c drivers/xen.h drivers/xen_reg.h
	@mkdir -p $(@D); $(TEST_CC) -Idrivers -Iarch/x86_64 -o $@ \
	    tests/unit/netring_test.c drivers/xen_netring.c
$(B)/tests/unit/xenstore_test: tests/unit/xenstore_test.c drivers/xen_store.c drivers/xen.h drivers/xen_reg.h kernel/kernel.h
	@mkdir -p $(@D); $(TEST_CC) -Ikernel -Idrivers -Iarch/x86_64 -o $@ \
	    tests/unit/xenstore_test.c
$(B)/tests/unit/netfront_test: tests/unit/netfront_test.c drivers/xen_net.c drivers/xen_netring.c drivers/xen.h \
		drivers/xen_reg.h kernel/kernel.h kernel/net.h
	@mkdir -p $(@D); $(TEST_CC) -Ikernel -Idrivers -Iarch/x86_64 -o $@ \
	    tests/unit/netfront_test.c drivers/xen_netring.c
$(B)/tests/unit/rng_test: tests/unit/rng_test.c drivers/virtio_rng.c drivers/virtq_wait.c drivers/virtio.h drivers/virtio_reg.h kernel/kernel.h
	@mkdir -p $(@D); $(TEST_CC) -Ikernel -Idrivers -Iarch/x86_64 -o $@ \
	    tests/unit/rng_test.c

# The test build's own check: built as every unit test and fuzz target are, each commits a
# fault that tests/run-tests (its "sancheck" rows) must count as a FAIL.
$(B)/tests/unit/sancheck: tests/unit/sancheck.c tests/build.mk
	@mkdir -p $(@D); $(TEST_CC) -o $@ $<
$(B)/fuzz/sancheck_fuzz: tests/fuzz/sancheck_fuzz.c tests/build.mk | $(B)/.deps
	@mkdir -p $(@D); $(FUZZ_CC) -o $@ $<

# tarfs.c against newlib's headers (its struct stat and DIR), linked with the
# host's C library for the rest; the test renames tarfs's POSIX entry points.
$(B)/tests/unit/tarfs_test: tests/unit/tarfs_test.c libc/tarfs.c libc/fd.h libc/libc.h | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D); $(TEST_CC) $(LIBCINC) -Ilibc -o $@ tests/unit/tarfs_test.c
test: $(B)/tests/unit/tarfs_test

# kv's commands as the Linux build runs them; UBSan stops at a signed overflow.
$(B)/tests/unit/kvcmd_test: tests/unit/kvcmd_test.c apps/kv/cmd.c apps/kv/db.c apps/kv/out.c apps/kv/resp.c apps/kv/kv.h
	@mkdir -p $(@D); $(TEST_CC) -o $@ $(filter %.c,$^)
test: $(B)/tests/unit/kvcmd_test

# timers.c whole against lwIP's headers (the fetched source tree; none of lwIP's code).
$(B)/tests/unit/timers_test: tests/unit/timers_test.c libc/net/timers.c libc/net/net.h libc/net/lwipopts.h \
		            | $(LWIP)/src/include/lwip/opt.h
	@mkdir -p $(@D); $(TEST_CC) -I$(LWIP)/src/include -Ilibc/net -I. -o $@ tests/unit/timers_test.c libc/net/timers.c
test: $(B)/tests/unit/timers_test

$(B)/tests/unit/twsyn_test: tests/unit/twsyn_test.c libc/net/twsyn.c libc/net/timewait.h
	@mkdir -p $(@D); $(TEST_CC) -Ilibc/net -o $@ tests/unit/twsyn_test.c libc/net/twsyn.c
test: $(B)/tests/unit/twsyn_test

# xen.c whole, its hypercalls answered by a SIGTRAP handler (no red zone: the
# hypercall's call pushes below the stack pointer, as in the guest).
$(B)/tests/unit/xenhost_test: tests/unit/xenhost_test.c drivers/xen.c drivers/xen.h drivers/xen_reg.h kernel/kernel.h
	@mkdir -p $(@D); $(TEST_CC) -mno-red-zone -Ikernel -Idrivers -Iarch/x86_64 -o $@ tests/unit/xenhost_test.c
test: $(B)/tests/unit/xenhost_test

$(B)/tests/unit/memfs_test: tests/unit/memfs_test.c libc/memfs.c libc/memfs.h
	@mkdir -p $(@D); $(TEST_CC) -Ilibc -o $@ tests/unit/memfs_test.c libc/memfs.c

# Fuzzing the request parsers (libFuzzer); a bounded run is part of make test.
FUZZ_SECONDS ?= 10
$(B)/fuzz/resp_fuzz: tests/fuzz/resp_fuzz.c apps/kv/resp.c apps/kv/kv.h | $(B)/.deps
	@mkdir -p $(@D); $(FUZZ_CC) -o $@ tests/fuzz/resp_fuzz.c apps/kv/resp.c
fuzz-resp: $(B)/fuzz/resp_fuzz
	@mkdir -p $(B)/fuzz/resp-corpus
	@$< -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/resp-corpus 2>&1 | tail -3

# The guest's virtqueue under a hostile device (libFuzzer). Its corpus starts
# from the seeds: inputs that crashed an earlier virtq.c stay in every run.
$(B)/fuzz/virtq_fuzz: tests/fuzz/virtq_fuzz.c drivers/virtq.c drivers/virtio.h drivers/virtio_reg.h \
		      $(wildcard tests/fuzz/virtq-seeds/*) | $(B)/.deps
	@mkdir -p $(@D) $(B)/fuzz/virtq-corpus; cp tests/fuzz/virtq-seeds/* $(B)/fuzz/virtq-corpus/
	@$(FUZZ_CC) -Idrivers -Iarch/x86_64 -o $@ \
	    tests/fuzz/virtq_fuzz.c drivers/virtq.c
fuzz-virtq: $(B)/fuzz/virtq_fuzz
	@mkdir -p $(B)/fuzz/virtq-corpus
	@$< -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/virtq-corpus 2>&1 | tail -3

# spore-kvm's trust boundary under libFuzzer: the ELF loader (seeds: the test
# guests) and the hypercall handlers over a fake guest RAM.
$(B)/fuzz/elf_fuzz: tests/fuzz/elf_fuzz.c monitor/elf.c monitor/image.c monitor/guestmem.c monitor/monitor.h \
		    | $(B)/.deps $(B)/tests/unit/monitor_guest.elf $(B)/tests/unit/monitor_guest64.elf
	@mkdir -p $(@D) $(B)/fuzz/elf-corpus; cp $(B)/tests/unit/monitor_guest*.elf $(B)/fuzz/elf-corpus/
	@$(FUZZ_CC) -Ikernel -Imonitor -o $@ tests/fuzz/elf_fuzz.c monitor/elf.c monitor/image.c monitor/guestmem.c
$(B)/fuzz/hc_fuzz: tests/fuzz/hc_fuzz.c $(MON_TESTED) monitor/monitor.h kernel/hypercall.h | $(B)/.deps
	@mkdir -p $(@D)
	@$(FUZZ_CC) -Ikernel -Imonitor -Idrivers -o $@ tests/fuzz/hc_fuzz.c $(MON_TESTED)
# The gdb stub's packet layer and commands over a fake guest RAM and page tables.
$(B)/fuzz/gdb_fuzz: tests/fuzz/gdb_fuzz.c monitor/rsp.c monitor/gdb.c monitor/gva.c monitor/guestmem.c \
		    monitor/monitor.h $(wildcard tests/fuzz/gdb-seeds/*) | $(B)/.deps
	@mkdir -p $(@D) $(B)/fuzz/gdb-corpus; cp tests/fuzz/gdb-seeds/* $(B)/fuzz/gdb-corpus/
	@$(FUZZ_CC) -Ikernel -Imonitor -o $@ tests/fuzz/gdb_fuzz.c monitor/rsp.c monitor/gdb.c \
	    monitor/gva.c monitor/guestmem.c
fuzz-gdb: $(B)/fuzz/gdb_fuzz
	@mkdir -p $(B)/fuzz/gdb-corpus
	@$< -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/gdb-corpus 2>&1 | tail -3
# The monitor's device-side virtqueue over a small guest RAM the input rewrites.
$(B)/fuzz/vq_fuzz: tests/fuzz/vq_fuzz.c monitor/vq.c monitor/guestmem.c monitor/monitor.h \
		   drivers/virtio_reg.h | $(B)/.deps
	@mkdir -p $(@D)
	@$(FUZZ_CC) -Ikernel -Imonitor -Idrivers -o $@ tests/fuzz/vq_fuzz.c monitor/vq.c \
	    monitor/guestmem.c
fuzz-vq: $(B)/fuzz/vq_fuzz
	@mkdir -p $(B)/fuzz/vq-corpus
	@$< -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/vq-corpus 2>&1 | tail -3
# The monitor's virtio devices (registers, net, blk) driven by a hostile guest.
$(B)/fuzz/vdev_fuzz: tests/fuzz/vdev_fuzz.c monitor/vq.c monitor/vmmio.c monitor/vnet.c monitor/vblk.c \
		     monitor/guestmem.c monitor/vhost.c monitor/monitor.h drivers/virtio_reg.h | $(B)/.deps
	@mkdir -p $(@D)
	@$(FUZZ_CC) -Ikernel -Imonitor -Idrivers -o $@ tests/fuzz/vdev_fuzz.c monitor/vq.c \
	    monitor/vmmio.c monitor/vnet.c monitor/vblk.c monitor/guestmem.c monitor/vhost.c
fuzz-vdev: $(B)/fuzz/vdev_fuzz
	@mkdir -p $(B)/fuzz/vdev-corpus
	@$< -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/vdev-corpus 2>&1 | tail -3
# The snapshot reader: any bytes as a --restore file.
$(B)/fuzz/snap_fuzz: tests/fuzz/snap_fuzz.c monitor/snap.c monitor/guestmem.c monitor/monitor.h \
		     kernel/hypercall.h | $(B)/.deps
	@mkdir -p $(@D); $(FUZZ_CC) -Ikernel -Imonitor -Idrivers -o $@ tests/fuzz/snap_fuzz.c monitor/snap.c monitor/guestmem.c
fuzz-snap: $(B)/fuzz/snap_fuzz
	@mkdir -p $(B)/fuzz/snap-corpus
	@$< -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/snap-corpus 2>&1 | tail -3
FUZZERS := http resp virtq elf hc gdb vq vdev snap
# Every target for FUZZ_SECONDS each (make fuzz FUZZ_SECONDS=600 for a campaign).
fuzz: $(FUZZERS:%=$(B)/fuzz/%_fuzz)
	@for f in $(FUZZERS); do mkdir -p $(B)/fuzz/$$f-corpus; echo "  FUZZ    $$f"; \
	    $(B)/fuzz/$${f}_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=12000 $(B)/fuzz/$$f-corpus 2>&1 \
	    | grep -E '^Done|ERROR|SUMMARY' || exit 1; done

# The lab's echo client, first-answer timer, GET client, ISN reader and 1-byte RTT
# client (static: L1 has busybox only).
$(B)/tests/kvm-lab/echoflood $(B)/tests/kvm-lab/firstanswer $(B)/tests/kvm-lab/fnget $(B)/tests/kvm-lab/snapget $(B)/tests/kvm-lab/rtt: $(B)/tests/kvm-lab/%: tests/kvm-lab/%.c
	@mkdir -p $(@D); echo "  HOSTCC  $<"; gcc -O2 -static -Wall -Wextra -Werror -o $@ $<
$(B)/tests/kvm-lab/fnget $(B)/tests/kvm-lab/snapget: tests/kvm-lab/connect20.h
# --vhost's device from a fake guest against the real vhost-net (tests/kvm-lab/vhost.sh reset).
$(B)/tests/kvm-lab/vhostreset: tests/kvm-lab/vhostreset.c monitor/vhost.c monitor/vmmio.c monitor/vq.c \
		monitor/vnet.c monitor/guestmem.c monitor/monitor.h
	@mkdir -p $(@D); echo "  HOSTCC  $<"; gcc -O2 -static -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -Ikernel -Imonitor -Idrivers -o $@ $(filter %.c,$^) -lpthread
# bench/launch.c, static, for tests/kvm-lab/launch.sh.
$(B)/tests/kvm-lab/launch: bench/launch.c
	@mkdir -p $(@D); echo "  HOSTCC  $<"; gcc -O2 -static -Wall -Wextra -Werror -o $@ $<
# httpd cold boot vs restore, spore-fn's requests and idle instances' memory in one boot
# of the kvm_amd lab (docs/serverless.md): a measurement, not a test (not in make test);
# SERVERLESS_ROUNDS interleaved rounds of launches, SERVERLESS_FN requests through spore-fn
# (rounds SERVERLESS_GAP ms apart, then SERVERLESS_BURST back to back, then SERVERLESS_FRESH
# fresh restores asked straight: a first request against a second), SERVERLESS_MEM
# idle instances of each kind in SERVERLESS_MEMROUNDS rounds.
SERVERLESS_ROUNDS ?= 15
SERVERLESS_FN ?= 200
SERVERLESS_GAP ?= 250
SERVERLESS_BURST ?= 100
SERVERLESS_FRESH ?= 30
SERVERLESS_MEM ?= 50
SERVERLESS_MEMROUNDS ?= 2
serverless-lab: $(B)/spore-kvm $(B)/apps/httpd.elf $(B)/tests/kvm-lab/firstanswer $(B)/spore-fn $(B)/tests/kvm-lab/fnget
	@mkdir -p $(B)/serverless-lab; { printf 'serverless\ttests/kvm-lab/serverless.sh %s\n' $(SERVERLESS_ROUNDS); \
	    printf 'serverless-fn\ttests/kvm-lab/serverless-fn.sh %s %s %s %s\n' $(SERVERLESS_FN) $(SERVERLESS_GAP) $(SERVERLESS_BURST) $(SERVERLESS_FRESH); \
	    printf 'serverless-mem\ttests/kvm-lab/serverless-mem.sh %s %s\n' $(SERVERLESS_MEM) $(SERVERLESS_MEMROUNDS); } \
	    > $(B)/serverless-lab/batch
	@tests/kvm-lab/run.sh -o $(B)/serverless-lab -t 1200 -c 400 -m 2048 $(B)/serverless-lab/batch $^ \
	    tests/kvm-lab/serverless.sh tests/kvm-lab/serverless-fn.sh tests/kvm-lab/serverless-mem.sh \
	    tests/kvm-lab/memcount.sh
	@cat $(B)/serverless-lab/serverless.out $(B)/serverless-lab/serverless-fn.out $(B)/serverless-lab/serverless-mem.out
# What the lab batch of tests/run-tests copies into L1 besides the images.
LABDEPS := $(B)/tests/unit/monitor_guest.elf $(B)/tests/kvm-lab/echoflood $(B)/tests/kvm-lab/launch \
	$(B)/tests/kvm-lab/vhostreset \
	$(B)/bench/kvm-floor $(B)/spore-fn $(B)/tests/kvm-lab/fnget $(B)/tests/kvm-lab/snapget lua redis linux
test-kvm: all $(GUESTS:%=$(B)/tests/guest/%.elf) $(LABDEPS)
	@tests/run-tests lab

# SQLite's speedtest1 on spore-kvm against an L1 process, interleaved, in one
# boot of the kvm_amd lab (issue 25; docs/porting.md); not in test.
SPEEDTEST_SIZE ?= 5
SPEEDTEST_ROUNDS ?= 11
speedtest-lab: all $(B)/sqlite/lab/speedtest1.elf
	@mkdir -p $(B)/kvm-lab/speedtest && rm -f $(B)/kvm-lab/speedtest/speedtest.out
	@printf 'speedtest\ttests/kvm-lab/speedtest.sh $(SPEEDTEST_SIZE) $(SPEEDTEST_ROUNDS)\n' > $(B)/kvm-lab/speedtest.batch
	@tests/kvm-lab/run.sh -o $(B)/kvm-lab/speedtest -t 300 $(B)/kvm-lab/speedtest.batch $(B)/spore-kvm \
	    $(B)/sqlite/lab/speedtest1.elf $(B)/sqlite/lab/speedtest1 tests/kvm-lab/speedtest.sh
	@[ ! -f $(B)/kvm-lab/speedtest/speedtest.out ] || cat $(B)/kvm-lab/speedtest/speedtest.out

# The network benchmark in one boot of the kvm_amd lab (docs/network.md): spore-kvm vs
# QEMU microvm -accel kvm (userspace virtio-net, vhost-net) vs a Linux process behind
# a veth; not in test. Sizes: BENCH_LAB_ROUNDS, _MIB, _RTT, _SECONDS, _REQUESTS.
bench-lab: all linux $(B)/redis/lab/redis.elf $(B)/tests/kvm-lab/echoflood $(B)/tests/kvm-lab/rtt
	@tests/kvm-lab/bench-lab

test: all linux $(FUZZERS:%=$(B)/fuzz/%_fuzz) $(B)/tests/unit/httpd_test $(GUESTS:%=$(B)/tests/guest/%.elf) $(B)/tests/unit/kernel_test $(B)/tests/unit/monitor_test \
      $(B)/tests/unit/virtq_test $(B)/tests/unit/rng_test $(B)/tests/unit/pci_test $(B)/tests/unit/netring_test \
      $(B)/tests/unit/xenstore_test $(B)/tests/unit/netfront_test $(B)/tests/unit/sancheck $(B)/fuzz/sancheck_fuzz \
      $(B)/tests/unit/memfs_test lua sqlite redis $(B)/tests/unit/vq_test $(LABDEPS) \
      $(B)/tests/unit/snap_test $(B)/tests/guest/snapshot.elf $(B)/spore-fn
	@tests/run-tests

# The guest tests as Xen PVH domUs, in the Xen lab (tests/xen-lab/, built once).
test-xen: $(B)/apps/hello.elf $(B)/apps/echo.elf $(B)/apps/httpd.elf $(GUESTS:%=$(B)/tests/guest/%.elf)
	@tests/run-tests xen

# 10^6 requests each to httpd and kv, memory sampled (docs/reliability.md); not in test.
soak: all
	@tests/soak.sh

# Linux builds of the apps (runc's and the plain process's contenders) and the
# launch timer: bench/bench.mk; httpd's unit test and fuzz target: its own fragment.
include bench/bench.mk
include apps/httpd/httpd.mk
include ports/lua/lua.mk
include ports/sqlite/sqlite.mk
include ports/redis/redis.mk
linux: $(APPS:%=$(B)/linux/%)

# The comparison with a container (docs/comparison.md): QUICK=1 for a short run.
compare: all linux $(B)/tests/guest/exit7.elf
	@QUICK=$(QUICK) bench/compare.py

# Density (docs/density.md): up to K instances on spore-kvm, runc and as processes.
K ?= 100
density: all linux $(B)/bench/kvm-floor
	@bench/density -k $(K) $(DENSITY_ARGS)
# The same in one boot of the kvm_amd lab (bench/density-lab): L1 with LAB_MEM.
LAB_MEM ?= 8G
LAB_TIMEOUT ?= 3600
density-lab: all linux $(B)/bench/kvm-floor
	@bench/density-lab -m $(LAB_MEM) -t $(LAB_TIMEOUT) $(K) $(DENSITY_ARGS)

bench: all linux bench-deps
	@bench/run
	@bench/net
	@bench/apps

# .clang-format and cppcheck over our own C (tests/lint.sh; part of make test). FIX=1
# rewrites the files to .clang-format.
lint: | $(B)/.deps
	@tests/lint.sh $(if $(filter 1,$(FIX)),--fix)

clean:
	rm -rf $(B)/arch $(B)/kernel $(B)/drivers $(B)/libc $(B)/apps $(B)/tests $(B)/name $(B)/spore.o \
	    $(B)/spore-cc $(B)/image $(B)/lua/spore $(B)/lua/linux $(B)/sqlite/spore $(B)/sqlite/linux $(B)/sqlite/lab \
	    $(B)/redis/spore $(B)/redis/linux $(B)/redis/redis-server.elf $(B)/redis/redis-server-linux \
	    $(B)/redis/redis-benchmark-linux $(B)/redis/lab

# Dependency files of our own objects only: build/ also holds foreign trees
# (the comparison's Debian root has directories such as etc/rc2.d, the KVM
# lab an unpacked kernel package, the Xen lab a dom0 root), whose *.d names
# are not make fragments (nor is SQLite's www/search.d).
-include $(shell find $(B) \( -path $(B)/compare -o -path $(B)/kvm-lab -o -path $(B)/xen-lab \
	-o -path $(B)/newlib -o -path $(B)/lua -o -path $(B)/sqlite -o -path $(B)/redis \) -prune \
	-o -type f -name '*.d' -print 2>/dev/null)
