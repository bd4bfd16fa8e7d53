// SPDX-License-Identifier: MIT
/* The boot sequence, in order: from the PVH entry's long-mode jump to main(). */
#include "kernel.h"
#include "x86.h"

uint64_t ram_bytes;
struct ram_info ram_map;
uint64_t initrd_base, initrd_size; /* the PVH module (a tar archive), if any */
int app_argc;
char *app_argv[ARGV_MAX + 1];
static char cmdline[CMDLINE_MAX];

/* Copy what we need out of low memory before anything can overwrite it. */
static void bootinfo_read(const struct hvm_start_info *si, struct ram_info *ri)
{
	if (si->magic != HVM_START_MAGIC)
		panic(__FILE__, __LINE__, "no PVH start info (bad magic)");
	if (si->cmdline_paddr) {
		const char *s = (const char *)si->cmdline_paddr;
		size_t i;
		for (i = 0; i < sizeof cmdline - 1 && s[i]; i++)
			cmdline[i] = s[i];
		if (s[i])
			kprintf("spore: command line cut at %d bytes\n", CMDLINE_MAX - 1);
	}
	if (si->nr_modules >= 1 && si->modlist_paddr) {
		const struct hvm_modlist_entry *m = (const void *)si->modlist_paddr;
		initrd_base = m->paddr;
		initrd_size = m->size;
	}
	if (si->version < 1 || !si->memmap_paddr ||
	    memmap_read((const void *)si->memmap_paddr, si->memmap_entries, (uint64_t)_end, ri) < 0)
		panic(__FILE__, __LINE__, "no usable RAM in the PVH memory map");
}

static void args_init(void)
{
	char *words[ARGV_MAX];
	int n = cmdline_split(cmdline, words, ARGV_MAX);
	if (n < 0) {
		kprintf("spore: bad command line (unterminated quote, or over %d words)\n",
		        ARGV_MAX);
		kexit(EXIT_CMDLINE);
	}
	/* The host's virtio_mmio.device= words come after the user's, so past
	 * "--" too: take them out first, wherever they are. */
	int k = 0;
	for (int i = 0; i < n; i++) {
		int r = options_mmio(words[i]);
		if (r < 0)
			kexit(EXIT_CMDLINE);
		if (r == 0)
			words[k++] = words[i];
	}
	n = k;
	int sep = cmdline_find_sep(words, n);
	if (sep >= 0 && options_parse(words, sep) < 0)
		kexit(EXIT_CMDLINE);
	app_argv[app_argc++] = (char *)app_name;
	for (int i = sep + 1; i < n && app_argc < ARGV_MAX; i++)
		app_argv[app_argc++] = words[i];
	app_argv[app_argc] = NULL;
}

void kmain(const struct hvm_start_info *si)
{
	struct ram_info *ri = &ram_map;

	arch_init(fault_report, panic); /* where CPU exceptions are reported */
	host_init();                    /* spore-kvm, Xen or QEMU: console, exit */
	bootinfo_read(si, ri);          /* command line, memory map, initrd */
	memmap_exclude(ri, initrd_base, initrd_size);
	mem_init(ri->free_start, ri->free_end - ri->free_start); /* heap and page allocator */
	ram_bytes = ri->total;
	if (!host->ring3)
		mmu_init(ri->top, &mem_tables); /* W^X page tables (spore-kvm's ring 3: its own) */
	host_clock_init();                      /* pvclock, kvmclock or calibrated TSC */
	args_init();                            /* kernel options, app argv */
	if (host->probe)
		host->probe(); /* devices: hypercall devices or virtio */
	if (opt_boottime)
		kprintf("spore: boot %lu us from PVH entry to main (host %s, clock %s, %lu KiB free)\n",
		        clock_tsc_delta_ns(rdtsc() - boot_tsc) / 1000, host->name, clock_source(),
		        mem_free_bytes() / 1024);
	libc_start(app_argc, app_argv); /* the app; never returns */
}
