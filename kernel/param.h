/* SPDX-License-Identifier: MIT */
/* Tunables, one place (xv6 style). Included by C and assembly. */
#define PAGE_SIZE        4096
#define BOOT_STACK_SIZE  (128 * 1024) /* kmain() and the app's main thread */
#define CMDLINE_MAX      4096         /* bytes of command line kept */
#define ARGV_MAX         64           /* app arguments */
#define MMIO_DEV_MAX     24           /* virtio_mmio.device= words taken */
#define MEMMAP_MAX       32           /* PVH memory map entries read */
#define CONSOLE_BUF      512          /* console line buffer */
#define TIMER_VECTOR     0x40         /* LAPIC timer interrupt */
#define VIRTIO_VECTOR    0x41         /* every virtio device's interrupt */
#define SPURIOUS_VECTOR  0xff
#define EXIT_FAULT       120          /* status after a CPU exception */
#define EXIT_PANIC       121          /* status after a kernel panic or assert */
#define EXIT_CMDLINE     122          /* bad kernel command line */
#define EXIT_VMFAULT     251          /* runner: guest died without an exit */
#define KSTACK_SIZE      (8 * 1024)   /* each trap stack: IST1, IST2 */
#define THREAD_STACK     (64 * 1024)  /* default thread stack */
#define STACK_CANARY     0x5370c4a7d0d0cafeull  /* guard-page pattern where it cannot be unmapped */
#define CANARY_WORDS     32           /* checked at every switch away */
#define MEMSTATS_MAX_S   86400        /* memstats=N: at most a day between lines */
