/* SPDX-License-Identifier: MIT */
/* spore-kvm internals: one header, prototypes grouped by the file that defines them.
 * The guest-facing ABI is kernel/hypercall.h, not this file. */
#ifndef SPORE_MONITOR_H
#define SPORE_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MON_MEM_DEFAULT  (8ull << 20)
#define MON_MEM_MIN      (2ull << 20)
#define MON_MEM_MAX      (64ull << 30)
#define MON_CMDLINE_MAX  4095         /* bytes, without the NUL */

/* Low guest memory the monitor writes before the first instruction (docs/monitor.md). */
#define GPA_GDT          0x5000ull
#define GPA_START_INFO   0x6000ull
#define GPA_MEMMAP       0x6040ull
#define GPA_CMDLINE      0x7000ull
#define GPA_LOW_END      0x100000ull  /* images load at or above 1 MiB */
#define GPA_EBDA         0x9fc00ull

/* One guest: everything the run loop and the hypercall handlers need. */
struct vm {
	uint8_t *mem;
	uint64_t mem_size;
	int vcpu_fd;
	struct kvm_run *run;
	uint64_t tsc_khz;       /* 0 when KVM cannot tell */
	int64_t tsc_offset;     /* guest TSC = host TSC + tsc_offset */
	int tsc_known;          /* tsc_offset is valid */
	struct timespec t0;     /* CLOCK_MONOTONIC at VM creation */
};

/* args.c: command-line parsing (pure) */
int args_parse_size(const char *s, uint64_t *out);     /* "8M" -> bytes; -1 if malformed */
int args_parse_uint(const char *s, uint64_t *out);     /* decimal; -1 if malformed */
int args_join(char *buf, size_t size, int n, char **words); /* -1 if it does not fit */

/* guestmem.c: guest-physical range checks (pure) */
int gm_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);
int gm_block_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);

/* elf.c: the ELF64 loader (pure: works on a byte buffer) */
int elf_load(const uint8_t *img, size_t size, uint8_t *mem, uint64_t mem_size,
	     uint32_t *entry, char *err, size_t errlen);

/* pvh.c: the PVH start_info, memory map, command line and GDT in low memory (pure) */
void pvh_write(uint8_t *mem, uint64_t mem_size, const char *cmdline);

/* kvm.c: VM, vCPU, CPUID and register set-up */
int kvm_setup(struct vm *vm, uint32_t entry);          /* -1 after printing a message */

/* hypercalls.c: one guest call */
int hc_dispatch(struct vm *vm, unsigned nr, uint64_t gpa); /* -1 to resume, else exit status */

/* seccomp.c */
int seccomp_install(int vcpu_fd);

/* main.c */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
