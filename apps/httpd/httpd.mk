# SPDX-License-Identifier: MIT
# httpd's own targets, included by the top-level Makefile (which defines B):
#   build/linux/httpd          the Linux build: static, the same sources as the spore app
#   build/tests/unit/httpd_test  SHA-256 vectors, parser verdicts, dates, paths (ASan, UBSan)
#   build/fuzz/http_fuzz       libFuzzer target for the request-head parser
#   fuzz-http                  runs it for FUZZ_SECONDS (default 20), corpus in build/fuzz/http-corpus
#   httpd-test                 the unit test, then tests/httpd-linux.sh (curl, raw sockets, wrk)

B ?= build
HTTPD_SRC := $(wildcard apps/httpd/*.c)
# 20 s unless FUZZ_SECONDS comes from the command line or the environment.
HTTP_FUZZ_SECONDS = $(if $(filter command line environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),20)

.PHONY: fuzz-http httpd-test

$(B)/linux/httpd: $(HTTPD_SRC) apps/httpd/http.h
	@mkdir -p $(@D); echo "  CC      $@ (Linux, static)"
	@gcc -static -O2 -Wall -Wextra -Werror $(HTTPD_SRC) -o $@

$(B)/tests/unit/httpd_test: tests/unit/httpd_test.c $(HTTPD_SRC) apps/httpd/http.h
	@mkdir -p $(@D); echo "  HOSTCC  $@"
	@$(TEST_CC) -o $@ tests/unit/httpd_test.c $(filter-out apps/httpd/main.c,$(HTTPD_SRC))

$(B)/fuzz/http_fuzz: tests/fuzz/http_fuzz.c apps/httpd/http.c apps/httpd/http.h
	@command -v clang >/dev/null || { echo "httpd.mk: clang missing (apt-get install -y clang)"; exit 1; }
	@mkdir -p $(@D); echo "  FUZZ    $@"
	@$(FUZZ_CC) -o $@ tests/fuzz/http_fuzz.c apps/httpd/http.c

fuzz-http: $(B)/fuzz/http_fuzz
	@mkdir -p $(B)/fuzz/http-corpus
	@$< -max_total_time=$(HTTP_FUZZ_SECONDS) -max_len=12000 $(B)/fuzz/http-corpus 2>&1 | tail -3

httpd-test: $(B)/tests/unit/httpd_test $(B)/linux/httpd
	@$(B)/tests/unit/httpd_test
	@tests/httpd-linux.sh
