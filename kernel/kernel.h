/* SPDX-License-Identifier: MIT */
/* The kernel's internal interface: prototypes grouped under the file that defines them.
 * The kernel sits on the arch (x86.h) and names nothing above it but the two
 * entries kmain() starts the layers above with (docs/boot.md, "Layers"). */
#ifndef KERNEL_H
#define KERNEL_H
#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include "x86.h"
#include "param.h"
#include "pvh.h"

/* GCC's freestanding contract: the compiler itself may emit calls to these,
 * so every image links them (newlib's; its memcpy uses no SSE register, so
 * it is safe under -mgeneral-regs-only, and fences its non-temporal stores). */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

/* host.c: the few things that differ between hosts; one instance per host
 * (drivers/), picked once by host_init(). Code above this never asks which
 * host it is: it asks the table. */
struct host {
	const char *name;
	int ring3;           /* no privileged instruction (spore-kvm's 64-bit entry): no
	                      * MSR, no page-table edit, no port I/O but hypercalls */
	void (*init)(void);  /* console up; nothing else is yet */
	void (*probe)(void); /* devices, once memory and the clock are up */
	void (*console_write)(const char *s, size_t n);
	void (*halt_until)(uint64_t deadline_ns); /* returns early on any event */
	uint64_t (*wall_ns)(void);                /* slow: read once when no kvmclock */
	/* NULL or 0: unknown, find it out; else also the wall time, read with it */
	uint64_t (*tsc_khz)(uint64_t *wall_ns);
	/* NULL, or the host's own pvclock record (Xen's shared_info) and the
	 * wall time at its time 0: clock.c reads it as it reads kvmclock. */
	const void *(*pvclock)(uint64_t *wall_base_ns);
	int (*entropy)(void *buf, size_t n); /* NULL: host has none */
	/* NULL, or: the app is ready (the first idle; a snapshot may be taken here).
	 * 1 when the guest was restored from a snapshot: the host's wall clock and
	 * fresh entropy are in *wall_ns and seed. */
	int (*ready)(uint64_t *wall_ns, uint8_t seed[32]);
	NORETURN void (*exit)(int status);
};
extern const struct host *host; /* NULL until host_init() */
void host_clock_init(void);     /* the best clock the host offers; panics if none */

/* The entries of the layers above, called by kmain() only, in boot order:
 * the kernel's only calls up by name (everything else registers). */
void host_init(void);                            /* drivers/host.c: pick the host, console up */
NORETURN void libc_start(int argc, char **argv); /* libc/start.c: exit(main(...)) */

/* printk.c: formatting without the heap (safe in the abort path) */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* console.c: line-buffered output, one host write per line */
void console_write(const char *s, size_t n);
void console_flush(void);
extern unsigned long console_host_writes;

/* panic.c */
NORETURN void panic(const char *file, int line, const char *msg);
NORETURN void kexit(int status);
#define kassert(x) ((x) ? (void)0 : panic(__FILE__, __LINE__, "assertion failed: " #x))

/* fault.c: the report of a CPU exception (registered with arch_init) */
void fault_report(const struct trapframe *tf); /* ends the VM */
extern const struct trapframe *fault_frame;    /* the exception being reported, or NULL: the
                                                * host's exit may hand it on (spore-kvm --core) */

/* cmdline.c: `KOPT=VAL... -- ARG...` (pure) */
int cmdline_split(char *s, char **words, int max); /* -1: too many or bad quote */
int cmdline_find_sep(char **words, int n);         /* index of "--" or -1 */

/* memmap.c: the PVH memory map (pure) */
struct ram_info {
	uint64_t free_start, free_end; /* after the image, in its RAM entry */
	uint64_t top;                  /* end of the highest RAM entry */
	uint64_t total;                /* bytes of RAM in all entries */
	struct {
		uint64_t start, end;
	} ram[MEMMAP_MAX]; /* the RAM entries */
	unsigned nram;
};
int memmap_read(const struct hvm_memmap_table_entry *e, unsigned n, uint64_t image_end,
                struct ram_info *ri); /* -1: no RAM entry holds the image */
void memmap_exclude(struct ram_info *ri, uint64_t base, uint64_t size);
int memmap_overlaps_ram(const struct ram_info *ri, uint64_t start, uint64_t end); /* [start, end) */

/* mem.c: pages from the top of free RAM, the sbrk heap from the bottom (pure) */
void mem_init(uintptr_t start, size_t len);
void *mem_alloc_pages(size_t n); /* NULL when memory runs out */
void mem_free_pages(void *p, size_t n);
void *mem_sbrk(intptr_t incr); /* (void *)-1 when out */
size_t mem_free_bytes(void);
extern const struct mmu_alloc mem_tables;    /* pages for the arch's page tables */
void mem_usage(size_t *heap, size_t *pages); /* bytes: sbrk heap, pages handed out */

/* options.c: kernel command-line options */
extern int opt_boottime;
extern int opt_entropy;
extern int opt_memstats;
extern int opt_lose_irqs;
extern uint64_t opt_memfs_bytes;
#define ENTROPY_HOST   1
#define ENTROPY_RDRAND 2
struct mmio_dev {
	uint64_t base, size;
	unsigned irq;
}; /* one virtio_mmio.device= word */
extern struct mmio_dev opt_mmio[MMIO_DEV_MAX];
extern int opt_nmmio;
int parse_ipv4(const char *s, const char **end, uint32_t *out); /* pure */
int options_parse(char **words, int n); /* -1 after printing the bad option */
int options_mmio(const char *word);     /* 1 taken, 0 not one, -1 after a message */

/* sched.c: cooperative threads (one vCPU; nothing preempts a thread) */
struct thread;
struct waitq {
	struct thread *head, *tail;
};
struct thread {
	uint64_t rsp; /* saved by ctx_switch */
	unsigned id;
	int state;
	const char *name;
	struct thread *next;       /* run queue or wait queue */
	struct thread *sleep_next; /* sleeper list */
	struct thread *all_next;
	struct waitq *waitq; /* the queue it waits on, if any */
	uint64_t deadline;   /* UINT64_MAX: none */
	int timed_out, detached;
	void *(*fn)(void *);
	void *arg, *ret;
	void *reent; /* newlib's struct _reent */
	char *stack; /* guard page first */
	size_t stack_pages;
	uint64_t *canary; /* NULL when the guard page is unmapped */
	struct waitq joiners;
};
struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, size_t stack_size,
                             void *reent); /* NULL: out of memory */
NORETURN void thread_exit(void *ret);
int thread_join(struct thread *t, void **ret);
void thread_detach(struct thread *t);
void thread_yield(void);
int thread_block(struct waitq *q, uint64_t deadline); /* 0 woken, -1 deadline passed */
int waitq_wake_one(struct waitq *q);
void waitq_wake_all(struct waitq *q);
struct thread *thread_self(void);
struct thread *thread_by_id(unsigned id); /* NULL: none (or already joined) */
struct thread *thread_of_guard(uint64_t addr);
void sleep_until(uint64_t deadline_ns); /* blocks this thread; the vCPU halts if idle */
/* The C library, at its start: the pointer to swap per thread (newlib's
 * _impure_ptr, a thread's reent) and malloc's bytes in use (memstats=N). */
void sched_libc(void **reent_slot, size_t (*heap_in_use)(void));

/* ready.c: the first idle tells the host the app is ready; after a restore, what a
 * copy of the guest must not share with its siblings is redrawn */
void ready_idle(void);
void ready_busy(int delta); /* +1 before a driver sleeps for its device, -1 after */
/* The layer above registers what it redraws after a restore (lwIP: the ISN key, ports). */
void ready_on_restore(void (*fn)(const uint8_t *seed, size_t n));

/* entropy.c */
int entropy_get(void *buf, size_t n); /* -1: no source */

/* main.c */
extern uint64_t ram_bytes;      /* RAM in the memory map */
extern struct ram_info ram_map; /* where RAM is: no device may claim it */
extern uint64_t initrd_base, initrd_size;
extern int app_argc;
extern char *app_argv[ARGV_MAX + 1];
extern const char app_name[]; /* generated per app by the Makefile */
#endif
