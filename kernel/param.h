/* SPDX-License-Identifier: MIT */
/* Tunables, one place (xv6 style). The arch's own (page size, stacks, its
 * vectors) are in arch/x86_64/machine.h. */
#define CMDLINE_MAX    4096                  /* bytes of command line kept */
#define ARGV_MAX       64                    /* app arguments */
#define MMIO_DEV_MAX   24                    /* virtio_mmio.device= words taken */
#define MEMMAP_MAX     32                    /* PVH memory map entries read */
#define CONSOLE_BUF    512                   /* console line buffer */
#define VIRTIO_VECTOR  0x41                  /* every virtio device's interrupt */
#define EXIT_FAULT     120                   /* status after a CPU exception */
#define EXIT_PANIC     121                   /* status after a kernel panic or assert */
#define EXIT_CMDLINE   122                   /* bad kernel command line */
#define EXIT_VMFAULT   251                   /* runner: guest died without an exit */
#define THREAD_STACK   (64 * 1024)           /* default thread stack */
#define STACK_CANARY   0x5370c4a7d0d0cafeull /* guard-page pattern where it cannot be unmapped */
#define CANARY_WORDS   32                    /* checked at every switch away */
#define MEMSTATS_MAX_S 86400                 /* memstats=N: at most a day between lines */
