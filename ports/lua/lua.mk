# SPDX-License-Identifier: MIT
# Lua 5.4 from Debian's source package (lua5.4, as dpkg-source patches it),
# built unmodified by build/spore-cc into build/lua/lua.elf, and by the host's
# gcc with the same flags into build/lua/lua-linux, the comparison. Debian's
# own Makefile drives libtool, so the files are listed here (upstream's
# src/Makefile "posix" target: every src/*.c but luac.c, -DLUA_USE_POSIX).
LUA      := $(B)/lua/tree
LUA_C    := lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser \
            lstate lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib ldblib liolib \
            lmathlib loadlib loslib lstrlib ltablib lutf8lib linit lua
LUA_FLAGS := -O2 -std=gnu99 -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -Iports/lua

$(LUA)/src/lua.h: | $(B)/.deps
	@echo "  LUA     fetching Lua 5.4 (apt-get source lua5.4)"
	@rm -rf $(B)/lua/tree $(B)/lua/lua5.4-* && mkdir -p $(B)/lua
	@cd $(B)/lua && apt-get source -qq lua5.4 > fetch.log 2>&1 || { cat fetch.log; exit 1; }
	@cd $(B)/lua && ln -sfn "$$(ls -d lua5.4-5.4*/ | head -1)" tree && rm -f *.tar.* *.dsc
	@touch $@
# Third-party code: its warnings are not ours to fail on.
$(B)/lua/spore/%.o: $(LUA)/src/lua.h | $(B)/spore-cc
	@mkdir -p $(@D); echo "  CC      lua/$*.c"
	@$(B)/spore-cc $(LUA_FLAGS) -w -c $(LUA)/src/$*.c -o $@
$(B)/lua/lua.elf: $(LUA_C:%=$(B)/lua/spore/%.o) $(B)/spore.o
	@echo "  LINK    $@"; $(B)/spore-cc -o $@ $(filter %.o,$(filter-out $(B)/spore.o,$^)) -lm
$(B)/lua/linux/%.o: $(LUA)/src/lua.h
	@mkdir -p $(@D); gcc $(LUA_FLAGS) -w -c $(LUA)/src/$*.c -o $@
$(B)/lua/lua-linux: $(LUA_C:%=$(B)/lua/linux/%.o)
	@echo "  LINK    $@"; gcc -o $@ $^ -lm
lua: $(B)/lua/lua.elf $(B)/lua/lua-linux
