// SPDX-License-Identifier: MIT
/* The PVH boot data in low guest memory: hvm_start_info, its memory map, the command
 * line, a flat GDT and a TSS (layout in docs/monitor.md). Pure: writes into a RAM buffer.
 * Structs follow Xen's public/arch-x86/hvm/start_info.h (version 1). */
#include <stdint.h>
#include <string.h>

#include "monitor.h"
#include "pvh.h" /* kernel/pvh.h: the PVH wire structs, shared with the guest */

#define E820_RAM      1
#define E820_RESERVED 2

_Static_assert(sizeof(struct hvm_start_info) == 56, "start_info layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap layout");
_Static_assert(GPA_START_INFO + sizeof(struct hvm_start_info) <= GPA_MEMMAP, "low layout");
_Static_assert(GPA_MEMMAP + 5 * sizeof(struct hvm_memmap_table_entry) <= GPA_MODLIST, "low layout");
_Static_assert(GPA_GDT + GDT_SIZE <= GPA_START_INFO && GPA_MODLIST + 32 <= GPA_TSS, "low layout");
_Static_assert(GPA_TSS + 0x68 <= GPA_CMDLINE && GPA_CMDLINE + MON_CMDLINE_MAX + 1 <= 0x10000,
               "low layout");

/* Flat descriptors matching the hidden state kvm.c loads: the guest may reload a
 * segment register before its own lgdt and still get the same segment. */
static const uint64_t gdt[] = {
	0,                     /* 0x00 null */
	0,                     /* 0x08 unused */
	0x00cf9b000000ffffull, /* 0x10 code: base 0, limit 4 GiB, 32-bit, accessed */
	0x00cf93000000ffffull, /* 0x18 data: base 0, limit 4 GiB, writable, accessed */
	0x00008b0000000067ull, /* 0x20 TSS: base 0, limit 0x67, 32-bit busy (PVH start) */
	0x00affb000000ffffull, /* 0x28 code: 64-bit (L), DPL 3, accessed */
	0x00cff3000000ffffull, /* 0x30 data: flat, writable, DPL 3, accessed */
	0x00008b0058000067ull, /* 0x38 TSS: base GPA_TSS, limit 0x67, 64-bit busy ... */
	0,                     /*      ... its base bits 63:32 */
};
_Static_assert(sizeof(gdt) == GDT_SIZE, "GDT size");
_Static_assert(GPA_TSS == 0x5800 && GPA_GDT + GDT_SIZE <= GPA_TSS, "TSS base is in the descriptor");

/* mod_size 0: no module. Otherwise the module (the initrd) is already at
 * mod_addr; it is listed, and the guest keeps its allocator off it. -1 when RAM
 * does not reach past the low area (main.c's --mem minimum rules that out). */
int pvh_write(uint8_t *mem, uint64_t mem_size, const char *cmdline, uint64_t mod_addr,
              uint64_t mod_size)
{
	struct hvm_modlist_entry mod = { .paddr = mod_addr, .size = mod_size };
	struct hvm_memmap_table_entry map[] = {
		{ .addr = 0, .size = GPA_PT_BASE, .type = E820_RAM },
		{ .addr = GPA_PT_BASE, .size = GPA_PT_END - GPA_PT_BASE, .type = E820_RESERVED },
		{ .addr = GPA_PT_END, .size = GPA_EBDA - GPA_PT_END, .type = E820_RAM },
		{ .addr = GPA_EBDA, .size = GPA_LOW_END - GPA_EBDA, .type = E820_RESERVED },
		{ .addr = GPA_LOW_END, .size = mem_size - GPA_LOW_END, .type = E820_RAM },
	};
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = GPA_CMDLINE,
		.memmap_paddr = GPA_MEMMAP,
		.memmap_entries = sizeof(map) / sizeof(map[0]),
		.nr_modules = mod_size ? 1 : 0,
		.modlist_paddr = mod_size ? GPA_MODLIST : 0,
	};
	size_t n = strnlen(cmdline, MON_CMDLINE_MAX);

	if (mem_size < GPA_LOW_END)
		return -1; /* map[4]'s size would wrap */
	if (gm_write(mem, mem_size, GPA_GDT, gdt, sizeof(gdt)) < 0 ||
	    gm_write(mem, mem_size, GPA_START_INFO, &si, sizeof(si)) < 0 ||
	    gm_write(mem, mem_size, GPA_MEMMAP, map, sizeof(map)) < 0 ||
	    gm_write(mem, mem_size, GPA_MODLIST, &mod, sizeof(mod)) < 0 ||
	    gm_write(mem, mem_size, GPA_CMDLINE, cmdline, n) < 0 ||
	    gm_write(mem, mem_size, GPA_CMDLINE + n, "", 1) < 0)
		return -1;
	return 0;
}
