# SPDX-License-Identifier: MIT
# Launch benchmark: the Linux builds of the apps and the launch timer. Included
# by the top-level Makefile (which defines B); bench/run builds what it needs
# through these targets and the Makefile's own.
#   build/linux/APP       apps/APP/*.c built as a static Linux binary (runc's contender)
#   build/bench/launch    times one fork-to-exit of a command (bench/launch.c)
#   bench-deps            everything bench/run measures, built

B ?= build

.PHONY: bench-deps
bench-deps: $(B)/apps/hello.elf $(B)/spore-kvm $(B)/bench/kvm-floor $(B)/bench/launch \
	$(B)/linux/hello $(B)/tests/guest/exit7.elf $(B)/tests/unit/monitor_guest64.elf

# The same source as the spore app, for Linux: no spore headers, no port files.
.SECONDEXPANSION:
$(B)/linux/%: $$(wildcard apps/$$*/*.c)
	@mkdir -p $(@D); echo "  CC      $@ (Linux, static)"
	@gcc -static -O2 -Wall -Wextra -Werror -o $@ $(wildcard apps/$*/*.c)

$(B)/bench/launch: bench/launch.c
	@mkdir -p $(@D); echo "  HOSTCC  $<"
	@gcc -O2 -Wall -Wextra -Werror -o $@ $<
