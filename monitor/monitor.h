/* SPDX-License-Identifier: MIT */
/* spore-kvm internals: one header, prototypes grouped by the file that defines them.
 * The guest-facing ABI is kernel/hypercall.h, not this file. */
#ifndef SPORE_MONITOR_H
#define SPORE_MONITOR_H

#include <linux/kvm.h>
#include <signal.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "hypercall.h"

#define MON_MEM_DEFAULT (8ull << 20)
#define MON_MEM_MIN     (2ull << 20)
#define MON_MEM_MAX     (64ull << 30)
#define MON_CMDLINE_MAX 4095         /* bytes, without the NUL */
#define MON_IMAGE_MAX   (1ull << 30) /* image file bytes: it is read whole into the monitor */

/* Low guest memory the monitor writes before the first instruction (docs/monitor.md). */
#define GPA_GDT 0x5000ull
#define GPA_TSS 0x5800ull /* the 64-bit TSS (zeroed; never used: IDT limit 0) */
/* The start info, memory map and module list share the GDT's page, the command line
 * has the next: two pages of every instance's RAM, not three (docs/density.md). */
#define GPA_START_INFO 0x5100ull
#define GPA_MEMMAP     0x5140ull
#define GPA_MODLIST    0x5200ull /* one hvm_modlist_entry: --initrd */
#define GPA_CMDLINE    0x6000ull
#define GPA_LOW_END    0x100000ull /* images load at or above 1 MiB */
#define GPA_EBDA       0x9fc00ull
#define GPA_PT_BASE    0x10000ull /* the monitor's page tables (ring-3 entry) */
#define GPA_PT_END     0x9f000ull /* reserved in the memory map, not mapped */

/* GDT selectors (pvh.c writes the descriptors, kvm.c loads the hidden state). */
#define SEL_CODE32   0x10
#define SEL_DATA32   0x18
#define SEL_TSS32    0x20
#define SEL_CODE64_U 0x2b /* 0x28 | RPL 3 */
#define SEL_DATA_U   0x33 /* 0x30 | RPL 3 */
#define SEL_TSS64    0x38 /* 16-byte descriptor */
#define GDT_SIZE     0x48

/* CR2 before any guest page fault: non-canonical, so no real fault can report it. */
#define CR2_NONE 0xdead000000000000ull

/* The image as the ELF loader found it. */
#define MON_SEG_MAX 16
struct seg {
	uint64_t gpa, memsz;
	uint64_t vaddr;
	uint32_t flags; /* PF_X | PF_W | PF_R; 0 = no access (a guard page) */
};
struct image {
	int has32, has64; /* which entry notes are present */
	uint32_t entry32; /* Xen PVH: 32-bit protected mode, paging off */
	uint64_t entry64; /* Spore: 64-bit ring 3 on the monitor's page tables */
	int nseg;
	struct seg seg[MON_SEG_MAX];                    /* PT_LOADs with memsz > 0 */
	uint64_t off[MON_SEG_MAX], filesz[MON_SEG_MAX]; /* seg[i]'s checked bytes in the file */
	struct image_map {
		uint64_t gpa, off, len; /* guest pages [gpa, +len) from file offset off; 0: none */
	} map[MON_SEG_MAX];             /* image_share: seg[i]'s pages mapped from the file */
};

/* --core=FILE: an unnamed file made at start, named FILE at a crash (core.c). */
struct core {
	int fd;                  /* O_TMPFILE in FILE's directory */
	int dir;                 /* that directory, O_PATH */
	const char *from, *name; /* linkat's paths, in a read-only page (the sandbox pins them) */
	const char *path;        /* FILE, for messages */
	const char *image;       /* the image's name, for the core's NT_PRPSINFO */
	int irqchip_fd;          /* --snapshot on the virtio path: the VM fd it reads the irqchip
	                          * from (KVM_GET_IRQCHIP, allowed by the sandbox); 0: none */
};

/* One guest: everything the run loop and the hypercall handlers need. */
struct vm {
	uint8_t *mem;
	uint64_t mem_size;
	int vcpu_fd;
	struct kvm_run *run;
	uint64_t tsc_khz;   /* 0 when KVM cannot tell */
	int64_t tsc_offset; /* guest TSC = host TSC + tsc_offset */
	int tsc_known;      /* tsc_offset is valid */
	struct timespec t0; /* CLOCK_MONOTONIC at VM creation */
	const struct image *im;
	int ring3;     /* started at the 64-bit ring-3 entry: exceptions are traps */
	int kvm_pvm;   /* this KVM is kvm_pvm: ring 0 emulated, ring 3 native */
	int sync_regs; /* KVM_CAP_SYNC_REGS: registers come with kvm_run */
	int tap_fd;    /* --net: -1 when none */
	const char *tap_name;
	unsigned tap_mtu; /* its MTU when opened (virtio-net's F_MTU), 0: unknown */
	uint8_t net_mac[6];
	int net_mac_set;               /* --mac given */
	uint64_t net_tx_calls, net_tx; /* --stats: send exits, frames sent */
	uint64_t net_rx_calls, net_rx; /* receive exits, frames received */
	uint64_t net_rx_most;          /* most frames one receive exit moved */
	uint64_t hypercalls;
	int disk_fd; /* --disk: -1 when none */
	uint64_t disk_sectors;
	const sigset_t *poll_mask; /* --timeout: ppoll's mask, SIGALRM unblocked; else NULL */
	struct hc_regs fault;      /* a guest CPU exception's registers (fault.c, hc_exit) */
	int fault_known;           /* fault is set */
	struct core *core;         /* --core: NULL when not given */
	struct gdb *gdb;           /* --gdb: NULL when not given or detached */
	int gdb_fd;                /* --gdb: the connection; -1 when none */
	/* The virtio path (iothread.c; docs/monitor.md "Devices on ordinary KVM"): */
	int vm_fd;
	int irqchip;       /* KVM_CREATE_IRQCHIP done: in-kernel LAPIC and I/O APIC */
	int vhost_wanted;  /* --vhost: net's interrupts are the host kernel's (no retry) */
	struct vdev *vdev; /* nvdev devices at VMMIO_BASE + i * VMMIO_SIZE */
	int nvdev;
	int vnet_tap;  /* the tap, once the virtio-net device owns it; else -1 */
	int vblk_disk; /* the disk, once the virtio-blk device owns it; else -1 */
	int io_epoll;
	int vhost_fd;                  /* --vhost: /dev/vhost-net; else -1 */
	uint64_t io_kicks, io_wakeups; /* --stats: ioeventfd kicks, I/O thread wake-ups */
	uint64_t io_retries;           /* --stats: interrupts raised again (iothread.c) */
	uint64_t io_looks, io_found;   /* --stats: looks after a yield, those that moved frames */
	uint64_t exits[64];            /* --stats: returns from KVM_RUN by exit reason */
	struct snapshot *snap;         /* --snapshot: NULL when not given */
	int image_copy;                /* --image=copy: no page of guest RAM from the image file */
	struct image_map initrd_map;   /* --initrd's pages mapped from its file (load_initrd) */
	struct core *snap_out;         /* --snapshot: the file to write and name (as --core's) */
	int snap_due;                  /* HC_READY under --snapshot: write it before resuming */
	uint64_t image_hash;           /* --snapshot: snap_hash of the image file */
	const struct snap *restored;   /* --restore: the accepted snapshot; NULL when booted */
	uint64_t generation;           /* HC_READY's answer: 0 booted, n restored */
};

/* args.c: command-line parsing (pure) */
int args_parse_size(const char *s, uint64_t *out);          /* "8M" -> bytes; -1 if malformed */
int args_parse_uint(const char *s, uint64_t *out);          /* decimal; -1 if malformed */
int args_join(char *buf, size_t size, int n, char **words); /* -1 if it does not fit */

/* guestmem.c: guest-physical range checks and the one accessor (pure). Nothing else in
 * the monitor adds to a guest RAM pointer: tests/guestmem-lint.sh fails on a stray one. */
int gm_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);
int gm_block_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);
void *gm_at(uint8_t *mem, uint64_t mem_size, uint64_t gpa, uint64_t len); /* NULL: outside RAM */
int gm_read(const uint8_t *mem, uint64_t mem_size, uint64_t gpa, void *out,
            size_t len); /* -1: outside */
int gm_write(uint8_t *mem, uint64_t mem_size, uint64_t gpa, const void *in,
             size_t len); /* -1: outside */

/* elf.c: the ELF64 loader (pure: works on a byte buffer) */
int elf_load(const uint8_t *img, size_t size, uint8_t *mem, uint64_t mem_size, struct image *im,
             char *err, size_t errlen);
int elf_check(const uint8_t *img, size_t size, uint64_t mem_size, struct image *im, char *err,
              size_t errlen);

/* image.c: reading the image file once into the monitor's memory */
int image_read(int fd, uint64_t size, uint8_t **out, char *err, size_t errlen);
int image_load(int fd, uint64_t size, uint8_t *mem, uint64_t mem_size, struct image *im, char *err,
               size_t errlen);
int image_load_head(int fd, uint64_t size, uint64_t head, uint8_t *mem, uint64_t mem_size,
                    struct image *im, char *err, size_t errlen);
int image_share(int fd, uint64_t size, uint8_t *mem, uint64_t mem_size, struct image *im, char *err,
                size_t errlen); /* mem: the caller's own anonymous mapping */
#define IMAGE_PAGE 4096ull
struct image_map image_plan(const struct image *im, int i, int tail_zero); /* pure */

/* status.c: which exit statuses a guest may ask for (pure) */
int status_guest(int32_t s); /* 0..255, or -1 for one of the monitor's own */

/* pvh.c: the PVH start_info, memory map, command line, GDT and TSS in low memory (pure) */
int pvh_write(uint8_t *mem, uint64_t mem_size, const char *cmdline, uint64_t mod_addr,
              uint64_t mod_size); /* -1: RAM below 1 MiB */

/* paging.c: the ring-3 entry's identity page tables (pure) */
#define PTE_P  (1ull << 0)
#define PTE_W  (1ull << 1)
#define PTE_U  (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
uint64_t paging_prot(const struct image *im, uint64_t mem_size, uint64_t va); /* 0 = not present */
int paging_guard(const struct image *im, uint64_t va); /* va is in a flags-0 segment */
int paging_build(uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t *cr3, char *err,
                 size_t errlen);

/* decode.c: reading guest code and stacks through the monitor's page tables (pure) */
size_t decode_fetch(const uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t rip,
                    uint8_t *buf, size_t max); /* bytes fetchable at rip */
int decode_outl(const uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t rip,
                uint64_t rdx, unsigned *port, unsigned *len); /* 1 = an outl */
int decode_read64(const uint8_t *mem, uint64_t mem_size, const struct image *im, uint64_t va,
                  uint64_t *out); /* 0 = read, -1 = not readable */

/* gva.c: guest-virtual addresses through the guest's own page tables (pure) */
struct gva_mmu {
	uint64_t cr0, cr3, cr4, efer; /* paging off (cr0.PG clear): virtual = physical */
};
int gva_translate(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m, uint64_t va,
                  uint64_t *gpa, uint64_t *len, uint64_t *prot); /* -1: not mapped to RAM */
size_t gva_read(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m, uint64_t va,
                void *buf, size_t len); /* bytes read before the first unmapped one */
size_t gva_write(uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m, uint64_t va,
                 const void *buf, size_t len);
int gva_walk(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m,
             int (*fn)(void *ctx, uint64_t va, uint64_t gpa, uint64_t len, uint64_t prot),
             void *ctx); /* each mapping of RAM; -1: tables too big */

/* core.c: --core=FILE, an ELF core of a crashed guest */
#define CORE_SEG_MAX 256
struct core_seg {
	uint64_t va, gpa, len;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};
int core_pwrite_all(int fd, const void *buf, size_t len, uint64_t off); /* -1: failed */
int core_segments(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m,
                  struct core_seg *seg, int max, int *truncated); /* the count; pure */
size_t core_headers(uint8_t *buf, size_t size, const struct core_seg *seg, int nseg,
                    const struct hc_regs *r, uint64_t fs_base, uint64_t gs_base, const char *name,
                    uint64_t *data_off);        /* bytes, 0 if too small; pure */
int core_open(struct vm *vm, const char *path); /* before the sandbox; -1 after a message */
int core_write(struct vm *vm, const struct gva_mmu *m, const struct hc_regs *r, uint64_t fs_base,
               uint64_t gs_base); /* 0, or -1 after a message */
int core_dump(struct vm *vm);     /* core_write with the vCPU's state */

/* rsp.c: GDB's remote serial protocol, the wire layer (pure) */
#define RSP_MAX 4096 /* packet data bytes accepted: qSupported's PacketSize */
enum { RSP_NONE, RSP_PACKET, RSP_BADSUM, RSP_TOOLONG, RSP_INTR };
struct rsp_rx {
	int state, overflow;
	size_t len;
	uint8_t sum, got;
	char buf[RSP_MAX + 1]; /* the packet's data, unescaped, NUL-terminated */
};
int rsp_feed(struct rsp_rx *rx, uint8_t c); /* RSP_*: what that byte completed */
size_t rsp_frame(char *out, size_t size, const char *data, size_t len); /* 0: no room */
int rsp_u64(const char **p, const char *end, uint64_t *v); /* hex, 1..16 digits; -1 if none */
int rsp_unhex(const char *s, uint8_t *out, size_t n);      /* 2n digits -> n bytes; -1 if bad */
size_t rsp_hex(char *out, const uint8_t *b, size_t n);

/* gdb.c: the stub's commands over a stopped vCPU's copy and guest RAM (pure) */
#define GDB_BP_MAX 64
struct gdb_cpu {
	uint64_t gpr[16]; /* gdb's order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	uint64_t rip, rflags;
	uint32_t seg[6]; /* cs ss ds es fs gs */
	int fpu_ok;      /* the rest is valid */
	uint8_t st[8][10];
	uint32_t fpctl[8]; /* fctrl fstat ftag fiseg fioff foseg fooff fop */
	uint8_t xmm[16][16];
	uint32_t mxcsr;
};
struct gdb {
	struct gdb_cpu cpu;
	int dirty; /* cpu was written: load it into the vCPU before resuming */
	struct gva_mmu mmu;
	uint8_t *mem;
	uint64_t mem_size;
	struct {
		uint64_t va, gpa;
		uint8_t saved;
	} bp[GDB_BP_MAX];
	int nbp;
	uint8_t insn; /* the breakpoint instruction; 0: int3 */
	int sig;      /* the last stop's signal */
	int swbreak;  /* ... was one of bp[] */
};
enum { GDB_REPLY, GDB_CONTINUE, GDB_STEP, GDB_KILL, GDB_DETACH };
int gdb_command(struct gdb *g, const char *pkt, size_t len, char *reply, size_t size,
                size_t *rlen); /* GDB_*; reply[0..*rlen) for GDB_REPLY and DETACH */
size_t gdb_stop_reply(const struct gdb *g, char *reply, size_t size);
void gdb_clear_breakpoints(struct gdb *g);     /* the guest's own bytes back */
int gdb_hit(const struct gdb *g, uint64_t pc); /* one of gdb's breakpoints is at pc */

/* gdbsock.c: --gdb=PATH, the Unix socket gdb connects to */
const char *gdbsock_check(const char *path); /* pure: NULL, or what is wrong with it */
int gdbsock_wait(const char *path);          /* one checked gdb's fd; -1 after a message */

/* gdbstub.c: --gdb=PATH, the KVM side */
#define GDB_KILLED 137                             /* exit status after gdb's kill, as SIGKILL's */
int gdbstub_open(struct vm *vm, const char *path); /* waits for gdb; -1 after a message */
int gdbstub_stop(struct vm *vm, int sig, int first); /* -1 to resume, else exit status */
int gdbstub_debug(struct vm *vm);                    /* KVM_EXIT_DEBUG; as gdbstub_stop */
int gdbstub_halt(struct vm *vm);                     /* KVM_EXIT_HLT: -2 if not gdb's */
int gdbstub_interrupted(struct vm *vm);              /* after EINTR: 1 if gdb sent Ctrl-C */
int gdbstub_exit(struct vm *vm, int status);         /* the guest ends: tell gdb; status */

/* fault.c: the guest fault report */
struct kvm_regs;
int fault_report(struct vm *vm, const struct kvm_regs *r, uint64_t cr2); /* HC_EXIT_FAULT */

/* kvm.c: VM, vCPU, CPUID and register set-up; kvm_open, then kvm_start */
int kvm_open(struct vm *vm);                /* sets kvm_pvm; -1 after a message */
int kvm_start(struct vm *vm, uint64_t cr3); /* vm->ring3 chosen; -1 after a message */

/* hypercalls.c: one guest call */
int hc_dispatch(struct vm *vm, unsigned nr, uint64_t gpa); /* -1 to resume, else exit status */

/* hypercalls.c: helpers for the handlers in other files */
int hc_bad(unsigned nr, const char *what, uint64_t gpa);      /* message; returns 250 */
int hc_get(struct vm *vm, uint64_t gpa, void *b, size_t len); /* 0, or -1 if out of RAM */
void hc_put(struct vm *vm, uint64_t gpa, const void *b, size_t len);

/* netcheck.c: --net's checks (pure) */
#define NET_RECV_MAX (64 * 1024) /* largest receive buffer; > any frame a tap hands out */
struct hc_net;
int net_parse_mac(const char *s, uint8_t mac[6]); /* -1 unless unicast XX:..:XX */
const char *net_check(const struct hc_net *b, uint64_t mem_size, int send, unsigned *bad_frame);

/* net.c: --net=TAP */
int net_open(struct vm *vm, const char *name,
             int vnet); /* vnet: IFF_VNET_HDR; -1 after a message */
int hc_net(struct vm *vm, unsigned nr, uint64_t gpa);

/* blk.c: --disk=FILE */
struct hc_blk;
int blk_open(struct vm *vm, const char *path); /* -1 after a message */
const char *blk_check(const struct hc_blk *b, uint64_t disk_sectors, uint64_t mem_size);
int hc_blk(struct vm *vm, unsigned nr, uint64_t gpa);

/* seccomp.c: the run loop's allowlist */
#define SECCOMP_MAX    192 /* filter instructions, at most */
#define SECCOMP_EV_MAX 12  /* eventfds the vCPU thread may write */
struct sock_filter;
unsigned seccomp_build(struct sock_filter *f, int vcpu_fd, int tap_fd, int disk_fd, int gdb_fd,
                       const struct core *core, const struct core *snap, const int *ev,
                       unsigned nev, int vhost_fd,
                       int vhost_tap); /* pure; gdb_fd -1, core/snap NULL, nev 0, vhost_fd -1:
                                          absent. ev: eventfds the vCPU thread wakes */
unsigned seccomp_build_io(struct sock_filter *f, int epoll_fd, const int *rd, unsigned nrd,
                          const int *wr, unsigned nwr, int disk_fd, int tap_fd,
                          int line_fd);      /* the I/O thread's (pure) */
int seccomp_install_io(const struct vm *vm); /* -1 after a message */
size_t seccomp_report(char *buf, size_t size, int nr, uint32_t arch, uint64_t a0, uint64_t a1);
int seccomp_install(const struct vm *vm); /* -1 after a message */

/* timer.c: --timeout */
int timer_arm(struct vm *vm, uint64_t secs); /* sets vm->poll_mask; -1 with errno */
int timer_expired(void);
void timer_take(const struct vm *vm);  /* run a SIGALRM KVM_RUN left pending */
void timer_io_begin(const char *what); /* a blocking host write: --timeout may end it */
void timer_io_end(void);

/* vq.c: the device side of one split virtqueue over guest RAM (pure; the trust boundary) */
#define VQ_MAX 256 /* largest queue offered: QueueNumMax */
struct vq_seg {
	void *p; /* host address of the buffer, checked by gm_at() */
	uint32_t len;
	int write; /* device-writable */
};
struct vq_chain {
	uint16_t head;
	unsigned n;
	uint64_t rlen, wlen; /* device-readable and -writable bytes */
	struct vq_seg seg[VQ_MAX];
};
struct vq {
	uint8_t *mem;
	uint64_t mem_size;
	uint16_t size;
	int event_idx;                /* VIRTIO_F_EVENT_IDX negotiated */
	uint8_t *desc, *avail, *used; /* host addresses of the rings, checked at set-up */
	uint16_t last_avail;          /* next avail entry to take */
	uint16_t avail_idx;           /* the guest's avail index as last read (checked) */
	uint16_t used_idx;            /* ours: the guest's copy is only written from it */
	uint16_t signalled;           /* used_idx at the last vq_need_irq() */
	uint16_t owed;                /* used_idx of the last interrupt the guest asked for */
	int owing;                    /* ... and not yet seen answered (vq_owing) */
	const char *broken;           /* NULL, or why the queue is dead (sticky) */
};
int vq_setup(struct vq *q, uint8_t *mem, uint64_t mem_size, uint16_t size, uint64_t desc,
             uint64_t avail, uint64_t used, int event_idx); /* -1: broken */
int vq_pop(struct vq *q, struct vq_chain *c);               /* 1 a chain, 0 none, -1 broken */
void vq_push(struct vq *q, uint16_t head, uint32_t len);
void vq_push_n(struct vq *q, const uint16_t *head, const uint32_t *len, unsigned n); /* one idx */
void vq_unpop(struct vq *q, unsigned n); /* the last n popped: not taken after all */
int vq_need_irq(struct vq *q);           /* interrupt the guest now */
int vq_owing(struct vq *q);              /* that interrupt not yet answered */
int vq_arm(struct vq *q);                /* before sleeping: 1 if more came */
int vq_arm_more(struct vq *q);           /* the same on too few: 1 if more came */
void vq_quiet(struct vq *q);             /* while polling: no notifications */
uint32_t vq_read(const struct vq_chain *c, uint32_t off, void *buf, uint32_t len);
uint32_t vq_write(const struct vq_chain *c, uint32_t off, const void *buf, uint32_t len);

/* vmmio.c: the virtio-mmio transport (4.2.2) of the monitor's devices */
#define VMMIO_BASE  0xfeb00000ull /* device i at VMMIO_BASE + i * VMMIO_SIZE, as on microvm */
#define VMMIO_SIZE  0x200u
#define VMMIO_GSI   16u /* device i on I/O APIC pin 16 + i: no ISA line there */
#define VMMIO_MAX   4
#define VDEV_QUEUES 2
struct vdev_qcfg {
	uint32_t num, ready;
	uint64_t desc, avail, used;
};
struct vdev {
	unsigned id;        /* VIRTIO_ID_* */
	uint64_t features;  /* offered */
	uint8_t config[16]; /* the device config space (0x100 on) */
	unsigned config_len, nq;
	uint8_t *mem;
	uint64_t mem_size;
	int kick[VDEV_QUEUES];    /* ioeventfds on QueueNotify, one per queue */
	int irqfd, ctl;           /* eventfds: --vhost's interrupt (else -1), the wake-up */
	int line, vm_fd;          /* line: the pin pulsed by KVM_IRQ_LINE on vm_fd, not an irqfd */
	unsigned gsi;             /* the device's I/O APIC pin */
	pthread_mutex_t lock;     /* the vCPU thread's register accesses vs the I/O thread */
	uint64_t driver_features; /* the rest under lock */
	uint32_t dev_sel, drv_sel, queue_sel, status;
	int live;  /* DRIVER_OK with every queue ready: the I/O thread serves */
	int vhost; /* --vhost: the host kernel serves the queues (vhost.c), not the I/O thread */
	struct vdev_qcfg qcfg[VDEV_QUEUES];
	struct vq q[VDEV_QUEUES];
	uint32_t isr;  /* InterruptStatus; atomic */
	uint64_t irqs; /* --stats: interrupts raised */
	unsigned mtu;  /* virtio-net: the MTU its config says (F_MTU offered), else 0 */
};
/* The MTU the guest took on virtio-net device d (F_MTU negotiated), else 0. It reads
 * it once, at boot: a snapshot keeps it, and a restore onto a tap of another MTU is
 * refused (snapshot.c, restore.c). The bit is VIRTIO_NET_F_MTU (drivers/virtio_reg.h,
 * which not every file including this one may reach; vnet.c checks they agree). */
#define VDEV_NET_F_MTU 3
static inline unsigned vdev_mtu(const struct vdev *d)
{
	return d->driver_features & 1ull << VDEV_NET_F_MTU ? d->mtu : 0;
}
void vmmio_access(struct vdev *d, uint64_t off, uint8_t *data, unsigned len, int is_write);
void vmmio_irq(struct vdev *d);   /* I/O thread, lock held */
void vmmio_pulse(struct vdev *d); /* the pin alone (a restore's re-raise) */

/* vnet.c: virtio-net over the tap */
extern uint64_t vnet_rx, vnet_tx, vnet_drops;
extern uint64_t vnet_seg[2], vnet_bytes[2], vnet_gso[2], vnet_bare[2], vnet_reads, vnet_empty,
	vnet_writes;
void vnet_init(struct vdev *d, int tap, const char *name, const uint8_t mac[6], unsigned mtu);
#define VNET_TX 1                              /* vnet_serve: frames moved from the guest, */
#define VNET_RX 2                              /* to it */
int vnet_serve(struct vdev *d, int tap_event); /* I/O thread, lock held */
void vnet_poll(struct vdev *d, int on);        /* I/O thread, lock held */
void vnet_offload(const struct vdev *d);       /* the tap's offloads to what d negotiated */

/* vhost.c: --vhost, the net queues served by the host kernel's vhost-net. Recipe:
 * vhost_open after net_open, vhost_features after vnet_init, vhost_bind after
 * io_setup; vmmio.c calls vhost_start at DRIVER_OK and vhost_stop at a reset. */
int vhost_open(struct vm *vm); /* -1 after a message */
void vhost_features(struct vdev *d);
int vhost_bind(const struct vm *vm, const struct vdev *d); /* -1 after a message */
void vhost_start(struct vdev *d); /* vCPU thread, lock held; NEEDS_RESET on a refusal */
void vhost_stop(struct vdev *d);

/* vblk.c: virtio-blk over --disk's file */
extern uint64_t vblk_reqs, vblk_errors;
void vblk_init(struct vdev *d, int fd, uint64_t sectors);
void vblk_serve(struct vdev *d); /* I/O thread, lock held */

/* iothread.c: the interrupt line, ioeventfd, the I/O thread */
int io_cmdline(const struct vm *vm, char *cmdline, size_t size); /* -1: no room */
int io_setup(struct vm *vm);                                     /* -1 after a message */
int io_mmio(struct vm *vm); /* KVM_EXIT_MMIO: 0 if a device's */
/* snap.c: the snapshot file format and its reader (pure; docs/serverless.md).
 * Layout: snap_hdr | snap_meta | snap_extent[nextents] | pad to a page | RAM extents. */
#define SNAP_MAGIC      "SPORESNP"
#define SNAP_VERSION    2u /* 2: the irqchip and virtio devices (snap_virt) */
#define SNAP_PAGE       4096ull
#define SNAP_MSR_MAX    16
#define SNAP_EXTENT_MAX (1u << 16) /* runs of non-zero pages; more: the snapshot fails */
struct snap_hdr {
	char magic[8];               /* SNAP_MAGIC, no NUL */
	uint32_t version;            /* SNAP_VERSION */
	uint32_t abi;                /* HC_ABI_VERSION of the monitor that wrote it */
	uint64_t image_hash;         /* snap_hash of the ELF file */
	uint64_t mem_size;           /* --mem */
	uint32_t mode;               /* 1: ring 3 at the Spore note, 0: ring 0 at the PVH entry */
	uint32_t flags;              /* 0 */
	uint64_t meta_off, meta_len; /* sizeof(snap_hdr), sizeof(snap_meta) */
	uint64_t nextents;           /* the table follows the metadata */
	uint64_t data_off;           /* snap_data_off(nextents): the first extent's bytes */
	uint64_t file_size;
	uint64_t meta_sum; /* snap_hash of the metadata and the extent table */
	uint64_t hdr_sum;  /* snap_hdr_sum */
};
struct snap_msr {
	uint32_t index, pad;
	uint64_t data;
};
struct snap_dev {
	uint64_t ready_gpa;  /* the guest's struct hc_ready, written at each restore */
	uint64_t generation; /* 0; a restore tells the guest generation + 1 */
	uint64_t mono_ns;    /* HC_TIME's mono_ns at the snapshot: it continues from here */
	uint64_t tsc;        /* the guest TSC at the snapshot (also in msrs) */
	uint64_t tsc_khz;
	uint64_t disk_sectors;       /* 0: no --disk; a restore needs a disk of this size */
	uint32_t net_present, nmsrs; /* a restore needs --net when net_present */
	uint8_t net_mac[6], pad[2];  /* the guest's netif has this MAC */
	struct snap_msr msrs[SNAP_MSR_MAX];
};
struct snap_extent {
	uint64_t gpa, pages, file_off;
};
/* The virtio path's state (version 2): one queue as the device side keeps it, one
 * virtio-mmio transport, and the in-kernel irqchip. All of it is refused on restore
 * unless it passes the checks a guest's register writes would (snap_parse, then
 * restore_devices through vq_setup and gm_at). */
struct snap_vq {
	uint16_t last_avail, avail_idx, used_idx, signalled;
	uint32_t event_idx, pad;
};
struct snap_vdev {
	uint32_t id, status, live, isr;
	uint32_t dev_sel, drv_sel, queue_sel;
	uint32_t mtu; /* virtio-net: the MTU the guest took (vdev_mtu), else 0 (was padding) */
	uint64_t driver_features;
	struct vdev_qcfg qcfg[VDEV_QUEUES];
	struct snap_vq q[VDEV_QUEUES];
};
struct snap_virt {
	uint32_t irqchip; /* 1: KVM_CREATE_IRQCHIP (PICs, I/O APIC, LAPIC); 0: all below 0 */
	uint32_t nvdev;   /* devices at VMMIO_BASE, in vnet then vblk order */
	struct kvm_irqchip chip[3]; /* PIC master, PIC slave, I/O APIC (KVM_IRQCHIP_*) */
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct snap_vdev vdev[VMMIO_MAX];
};
struct snap_meta {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct snap_dev dev;
	struct image image; /* the segments: the ring-3 trap decoder needs them */
	struct snap_virt virt;
	struct kvm_xsave xsave; /* last: it ends in a flexible array (AMX's extra) */
};
struct snap {
	struct snap_hdr hdr;
	const struct snap_meta *meta; /* point into the caller's buffer */
	const struct snap_extent *ext;
};
#define snap_data_off(n)                                                                           \
	((sizeof(struct snap_hdr) + sizeof(struct snap_meta) + (n) * sizeof(struct snap_extent) +  \
	  SNAP_PAGE - 1) &                                                                         \
	 ~(SNAP_PAGE - 1))
uint64_t snap_hash(const void *p, size_t n);
uint64_t snap_hdr_sum(const struct snap_hdr *h);
int snap_parse(const uint8_t *buf, size_t len, uint64_t file_size, uint32_t abi,
               uint64_t image_hash, struct snap *out, char *err,
               size_t errlen); /* 0, or -1 + err */

/* snapshot.c: --snapshot=FILE and --restore=FILE, the KVM and file side */
int snapshot_open(struct vm *vm, const char *path); /* before the sandbox; -1 after a message */
int snapshot_ready(struct vm *vm, uint64_t gpa);    /* HC_READY: -1 to resume, else status */
int snapshot_write(struct vm *vm);                  /* at vm->snap_due: exit status */

/* restore.c: --restore=FILE */
int restore_open(struct vm *vm, const char *path,
                 const char *image); /* RAM, image, mode: 0 or
                                      * the exit status, after a line */
int restore_vcpu(struct vm *vm);     /* kvm_start's, in place of fresh registers; -1 after a line */
int restore_devices(struct vm *vm);  /* before io_setup: the virtio transports; -1 after a line */
void restore_wake(struct vm *vm);    /* after io_setup: serve once, re-raise a pending irq */

/* main.c */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_stats(void); /* --stats: the counts on stderr */

#endif
