# SPDX-License-Identifier: MIT
# Redis 7.0 from Debian's source package (redis, as dpkg-source patches it),
# built unmodified by its own Makefile twice, in two copies of the tree:
# with build/spore-cc as CC into build/redis/redis-server.elf, and with the
# host's gcc and the same flags into build/redis/redis-server-linux, the
# comparison. Its deps (hiredis, Lua, hdr_histogram) are built by its deps
# Makefile with the same CC; no jemalloc (MALLOC=libc), no TLS, no systemd.
# On spore, its portable POSIX paths (select, no /proc): spore-cc defines
# __linux__ for newlib's sake (docs/porting.md), which would send Redis to
# epoll, <features.h> and /proc, so its build undefines it; that changes no
# newlib ABI on x86_64 (sys/config.h tests __linux__ only for i386).
# _GNU_SOURCE is what Redis's fmacros.h would set on Linux. linenoise (a
# terminal line editor, for redis-cli) is left out of the deps.
REDIS       := $(B)/redis/tree
REDIS_FLAGS := MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no uname_S=spore \
               DEPENDENCY_TARGETS="hiredis lua hdr_histogram"
REDIS_SPORE := -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -D__LINUX_ERRNO_EXTENSIONS__ -D_GNU_SOURCE

$(REDIS)/src/server.c: | $(B)/.deps
	@echo "  REDIS   fetching Redis 7 (apt-get source redis)"
	@rm -rf $(B)/redis && mkdir -p $(B)/redis
	@cd $(B)/redis && apt-get source -qq redis > fetch.log 2>&1 || { cat fetch.log; exit 1; }
	@cd $(B)/redis && ln -sfn "$$(ls -d redis-7*/ | head -1)" tree && rm -f *.tar.* *.dsc
	@touch $@
# GIT_DIR: mkreleasehdr.sh asks git for a commit, and would find spore's.
$(B)/redis/redis-server.elf: $(REDIS)/src/server.c $(B)/spore.o | $(B)/spore-cc
	@echo "  REDIS   building redis-server with spore-cc (its own Makefile, ~3 min)"
	@rm -rf $(B)/redis/spore && cp -a $(REDIS)/ $(B)/redis/spore
	@GIT_DIR=/nonexistent $(MAKE) -C $(B)/redis/spore/src redis-server $(REDIS_FLAGS) \
	    CC=$(CURDIR)/$(B)/spore-cc CFLAGS="$(REDIS_SPORE)" > $(B)/redis/spore.log 2>&1 \
	    || { grep -m20 -i 'error' $(B)/redis/spore.log; exit 1; }
	@cp $(B)/redis/spore/src/redis-server $@
# Static, so that the kvm_amd lab's busybox L1 runs it (and redis-benchmark)
# as a process next to spore-kvm.
$(B)/redis/redis-server-linux: $(REDIS)/src/server.c
	@echo "  REDIS   building redis-server for Linux (the same flags, the host's gcc)"
	@rm -rf $(B)/redis/linux && cp -a $(REDIS)/ $(B)/redis/linux
	@GIT_DIR=/nonexistent $(MAKE) -C $(B)/redis/linux/src redis-server redis-benchmark $(REDIS_FLAGS) \
	    CC=gcc LDFLAGS=-static > $(B)/redis/linux.log 2>&1 || { grep -m20 -i 'error' $(B)/redis/linux.log; exit 1; }
	@cp $(B)/redis/linux/src/redis-benchmark $(B)/redis/redis-benchmark-linux
	@cp $(B)/redis/linux/src/redis-server $@
$(B)/redis/redis-benchmark-linux: $(B)/redis/redis-server-linux
# What the lab copies into L1 (tests/kvm-lab/redis.sh), stripped.
$(B)/redis/lab/redis.elf: $(B)/redis/redis-server.elf $(B)/redis/redis-server-linux
	@mkdir -p $(@D)
	@strip -o $(@D)/redis-server $(B)/redis/redis-server-linux
	@strip -o $(@D)/redis-benchmark $(B)/redis/redis-benchmark-linux
	@strip -o $@ $<
redis: $(B)/redis/redis-server.elf $(B)/redis/redis-server-linux $(B)/redis/lab/redis.elf
