# SPDX-License-Identifier: MIT
# SQLite 3 from Debian's source package (sqlite3, as dpkg-source patches it):
# its own configure and Makefile generate the amalgamation (sqlite3.c,
# shell.c; tclsh runs its generators) on the host, then build/spore-cc
# builds the shell and test/speedtest1.c into images, and the host's gcc
# builds the same with the same flags for Linux. Not a line of it patched:
# no WAL and no mmap (one address space has no shared memory to map), no
# extension loading (no dlopen); everything else as upstream builds it.
SQLITE     := $(B)/sqlite/tree
SQLITE_GEN := $(B)/sqlite/gen
SQLITE_FLAGS := -O2 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DSQLITE_MAX_MMAP_SIZE=0 \
                -DSQLITE_THREADSAFE=1 -DHAVE_USLEEP=1 -I$(SQLITE_GEN)
SQLITE_SRC  = $(firstword $(wildcard $(SQLITE_GEN)/$*.c $(SQLITE)/test/$*.c))

$(SQLITE)/configure: | $(B)/.deps
	@echo "  SQLITE  fetching SQLite 3 (apt-get source sqlite3)"
	@rm -rf $(B)/sqlite && mkdir -p $(B)/sqlite
	@cd $(B)/sqlite && apt-get source -qq sqlite3 > fetch.log 2>&1 || { cat fetch.log; exit 1; }
	@cd $(B)/sqlite && ln -sfn "$$(ls -d sqlite3-3*/ | head -1)" tree && rm -f *.tar.* *.dsc
	@touch $@
$(SQLITE_GEN)/sqlite3.c: $(SQLITE)/configure
	@echo "  SQLITE  generating sqlite3.c and shell.c (its configure and make, on the host)"
	@rm -rf $(SQLITE_GEN) && mkdir -p $(SQLITE_GEN)
	@cd $(SQLITE_GEN) && ../tree/configure --disable-tcl --disable-readline --disable-load-extension \
	    > configure.log 2>&1 || { tail -20 configure.log; exit 1; }
	@$(MAKE) -C $(SQLITE_GEN) sqlite3.c shell.c > $(SQLITE_GEN)/make.log 2>&1 || { tail -20 $(SQLITE_GEN)/make.log; exit 1; }
$(SQLITE_GEN)/shell.c: $(SQLITE_GEN)/sqlite3.c
# Third-party code: its warnings are not ours to fail on.
$(B)/sqlite/spore/%.o: $(SQLITE_GEN)/sqlite3.c | $(B)/spore-cc
	@mkdir -p $(@D); echo "  CC      sqlite/$*.c"
	@$(B)/spore-cc $(SQLITE_FLAGS) -w -c $(SQLITE_SRC) -o $@
$(B)/sqlite/linux/%.o: $(SQLITE_GEN)/sqlite3.c
	@mkdir -p $(@D); echo "  CC      sqlite/$*.c (Linux)"
	@gcc $(SQLITE_FLAGS) -w -c $(SQLITE_SRC) -o $@
$(B)/sqlite/%.elf: $(B)/sqlite/spore/%.o $(B)/sqlite/spore/sqlite3.o $(B)/spore.o | $(B)/spore-cc
	@echo "  LINK    $@"; $(B)/spore-cc -o $@ $(filter-out $(B)/spore.o,$^) -lm -lpthread
$(B)/sqlite/%-linux: $(B)/sqlite/linux/%.o $(B)/sqlite/linux/sqlite3.o
	@echo "  LINK    $@"; gcc -o $@ $^ -lm -lpthread
# What the kvm_amd lab copies into L1 (tests/kvm-lab/speedtest.sh), stripped:
# speedtest1 linked static, since L1 has busybox and no shared libraries.
$(B)/sqlite/lab/speedtest1.elf: $(B)/sqlite/speedtest1.elf $(B)/sqlite/linux/speedtest1.o $(B)/sqlite/linux/sqlite3.o
	@mkdir -p $(@D); echo "  LINK    $(@D)/speedtest1 (Linux, static)"
	@gcc -static -o $(@D)/speedtest1 $(B)/sqlite/linux/speedtest1.o $(B)/sqlite/linux/sqlite3.o -lm -lpthread
	@strip $(@D)/speedtest1 && strip -o $@ $<
$(B)/sqlite/lab/speedtest1: $(B)/sqlite/lab/speedtest1.elf
sqlite: $(B)/sqlite/shell.elf $(B)/sqlite/speedtest1.elf $(B)/sqlite/shell-linux $(B)/sqlite/speedtest1-linux \
        $(B)/sqlite/lab/speedtest1.elf
