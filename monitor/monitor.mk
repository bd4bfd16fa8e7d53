# SPDX-License-Identifier: MIT
# spore-kvm, its host unit tests, its test guest and the bare-KVM floor program.
# Included by the top-level Makefile; also works alone: make -f monitor/monitor.mk build/spore-kvm
#   build/spore-kvm                   the monitor (static: faster exec, no ld.so)
#   build/spore-fn                    a fresh restored VM per connection (fn/spore-fn.c)
#   build/bench/kvm-floor             create VM + vCPU, run to HLT: the start-up floor
#   build/tests/unit/monitor_test     host unit tests (pure files and the seccomp filter, ASan + UBSan)
#   build/tests/unit/monitor_guest.elf  tiny PVH guest for tests/monitor.sh
#   build/tests/unit/monitor_guest64.elf  tiny 64-bit ring-3 guest (Spore note) for tests/monitor.sh
#   build/tests/unit/monitor_net64.elf    the same for --net: ARP over the tap

HOSTCC      ?= gcc
MON_B       ?= build
include tests/build.mk
MON_CFLAGS  := -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP -Ikernel -Imonitor -Idrivers
MON_LDFLAGS := -static
MON_SRC     := $(wildcard monitor/*.c)
MON_PURE    := monitor/args.c monitor/decode.c monitor/elf.c monitor/guestmem.c monitor/netcheck.c \
               monitor/paging.c monitor/pvh.c monitor/status.c monitor/gva.c monitor/rsp.c \
               monitor/gdb.c
# The unit tests link the pure files and those whose I/O needs no KVM (the image read,
# the hypercall handlers, the timer, the sandbox), driven with pipes and files over a fake guest RAM.
MON_TESTED  := $(MON_PURE) monitor/image.c monitor/seccomp.c monitor/hypercalls.c monitor/net.c \
               monitor/blk.c monitor/timer.c monitor/core.c monitor/gdbsock.c monitor/snap.c monitor/snapshot.c
MON_OBJ     := $(MON_SRC:%.c=$(MON_B)/%.o)

.PHONY: monitor monitor-test
monitor: $(MON_B)/spore-kvm $(MON_B)/bench/kvm-floor $(MON_B)/tests/unit/monitor_test \
	$(MON_B)/tests/unit/monitor_guest.elf $(MON_B)/tests/unit/monitor_guest64.elf \
	$(MON_B)/tests/unit/monitor_net64.elf
monitor-test: monitor
	@$(MON_B)/tests/unit/monitor_test && tests/monitor.sh

$(MON_B)/monitor/%.o: monitor/%.c monitor/monitor.h kernel/hypercall.h drivers/virtio_reg.h
	@mkdir -p $(@D); echo "  HOSTCC  $<"; $(HOSTCC) $(MON_CFLAGS) -c $< -o $@

$(MON_B)/spore-kvm: $(MON_OBJ)
	@echo "  LINK    $@"; $(HOSTCC) $(MON_LDFLAGS) -o $@ $(MON_OBJ)

$(MON_B)/bench/kvm-floor: bench/kvm-floor.c
	@mkdir -p $(@D); echo "  HOSTCC  $<"; $(HOSTCC) -O2 -Wall -Wextra -Werror $(MON_LDFLAGS) -o $@ $<

# Order-only: tests/monitor.sh, run next to the unit tests, needs the monitor and its guest.
$(MON_B)/tests/unit/monitor_test: tests/unit/monitor_test.c $(MON_TESTED) monitor/monitor.h \
	kernel/hypercall.h \
	| $(MON_B)/spore-kvm $(MON_B)/tests/unit/monitor_guest.elf $(MON_B)/tests/unit/monitor_guest64.elf \
	$(MON_B)/tests/unit/monitor_net64.elf
	@mkdir -p $(@D); echo "  HOSTCC  $<"
	@$(TEST_CC) -Ikernel -Imonitor -Idrivers -o $@ tests/unit/monitor_test.c $(MON_TESTED)

$(MON_B)/tests/unit/monitor_guest.elf: tests/unit/monitor_guest.S tests/unit/monitor_guest.ld
	@mkdir -p $(@D); echo "  AS      $<"
	@$(HOSTCC) -c -o $(@:.elf=.o) $<
	@ld -m elf_x86_64 -static -nostdlib -N --no-warn-rwx-segments \
	    -T tests/unit/monitor_guest.ld -o $@ $(@:.elf=.o)

# Both ring-3 test guests share one linker script.
$(MON_B)/tests/unit/monitor_%64.elf: tests/unit/monitor_%64.S tests/unit/monitor_guest64.ld
	@mkdir -p $(@D); echo "  AS      $<"
	@$(HOSTCC) -c -o $(@:.elf=.o) $<
	@ld -m elf_x86_64 -static -nostdlib -T tests/unit/monitor_guest64.ld -o $@ $(@:.elf=.o)

# The snapshot reader under hostile files (tests/unit/snap_test.c).
$(MON_B)/tests/unit/snap_test: tests/unit/snap_test.c monitor/snap.c monitor/guestmem.c monitor/monitor.h \
	kernel/hypercall.h tests/unit/unit.h
	@mkdir -p $(@D); echo "  HOSTCC  $<"
	@$(TEST_CC) -Ikernel -Imonitor -Idrivers -Itests/unit -o $@ tests/unit/snap_test.c monitor/snap.c monitor/guestmem.c

$(MON_B)/spore-fn: fn/spore-fn.c
	@mkdir -p $(@D); echo "  HOSTCC  $<"; $(HOSTCC) -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	    $(MON_LDFLAGS) -o $@ $<
