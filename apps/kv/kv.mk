# SPDX-License-Identifier: MIT
# kv's own targets, included by the top-level Makefile (which defines B):
#   build/linux/kv        the Linux build: static, the same sources as the spore app
#   build/fuzz/resp_fuzz  libFuzzer target for the RESP parser (resp.c alone)
#   fuzz-resp             runs it for FUZZ_SECONDS (default 20), corpus in build/fuzz/resp-corpus
#   kv-test               tests/kv-linux.sh: redis-cli, socat, redis-benchmark, persistence

B ?= build
KV_SRC := $(wildcard apps/kv/*.c)
# 20 s unless FUZZ_SECONDS comes from the command line or the environment.
KV_FUZZ_SECONDS = $(if $(filter command line environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),20)

.PHONY: fuzz-resp kv-test

$(B)/linux/kv: $(KV_SRC) apps/kv/kv.h apps/kv/resp.h
	@mkdir -p $(@D); echo "  CC      $@ (Linux, static)"
	@gcc -static -O2 -Wall -Wextra -Werror $(KV_SRC) -o $@

$(B)/fuzz/resp_fuzz: tests/fuzz/resp_fuzz.c apps/kv/resp.c apps/kv/resp.h
	@command -v clang >/dev/null || { echo "kv.mk: clang missing (apt-get install -y clang)"; exit 1; }
	@mkdir -p $(@D); echo "  FUZZ    $@"
	@clang -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -o $@ \
	    tests/fuzz/resp_fuzz.c apps/kv/resp.c

# Seeds: the first byte picks the piece size the fuzzer feeds, the rest is the stream.
fuzz-resp: $(B)/fuzz/resp_fuzz
	@mkdir -p $(B)/fuzz/resp-corpus
	@printf '\003*3\r\n$$3\r\nSET\r\n$$1\r\nk\r\n$$2\r\nvv\r\n*1\r\n$$4\r\nPING\r\n' > $(B)/fuzz/resp-corpus/seed-multibulk
	@printf '\001ECHO "a\\x41\\n" '"'"'b\\'"'"'c'"'"'\r\nPING\n\r\n' > $(B)/fuzz/resp-corpus/seed-inline
	@$< -max_total_time=$(KV_FUZZ_SECONDS) -max_len=4096 $(B)/fuzz/resp-corpus 2>&1 | tail -3

kv-test: $(B)/linux/kv
	@tests/kv-linux.sh
