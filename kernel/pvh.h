/* SPDX-License-Identifier: MIT */
/* The PVH boot ABI's wire structs (Xen public/arch-x86/hvm/start_info.h, version 1). */
#ifndef PVH_H
#define PVH_H
#include <stdint.h>

#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

#define HVM_MEMMAP_RAM 1
struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};
#endif
