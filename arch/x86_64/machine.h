/* SPDX-License-Identifier: MIT */
/* The arch's constants, included by C and assembly: page size, the boot and
 * trap stacks, the vectors the arch itself owns. The kernel's tunables are in
 * kernel/param.h; device vectors are the drivers' (they register them). */
#define PAGE_SIZE       4096
#define BOOT_STACK_SIZE (128 * 1024) /* kmain() and the app's main thread */
#define KSTACK_SIZE     (8 * 1024)   /* each trap stack: IST1, IST2 */
#define TIMER_VECTOR    0x40         /* LAPIC timer interrupt */
#define SPURIOUS_VECTOR 0xff
