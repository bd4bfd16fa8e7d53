# SPDX-License-Identifier: MIT
# How host unit tests and fuzzers are compiled: the one place (included by the Makefile and by
# monitor/monitor.mk; every test and fuzz target uses these). ASan and UBSan on all of them, and
# -fno-sanitize-recover=all: UBSan's default is to print its report and carry on to exit 0, so
# undefined behaviour passed. Now any report ends the program non-zero, and tests/run-tests
# counts a report or a death by signal as a FAIL even then (docs/reliability.md).
ifndef TEST_CFLAGS
SANITIZE    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror $(SANITIZE)
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -fsanitize=fuzzer $(SANITIZE)
TEST_CC     := gcc $(TEST_CFLAGS)
FUZZ_CC     := clang $(FUZZ_CFLAGS)
endif
