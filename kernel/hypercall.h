/* SPDX-License-Identifier: MIT */
/* The spore-kvm hypercall ABI: the one header shared by the guest and the monitor.
 * Plain fixed-width types only; no guest or host internals. Documented in docs/hypercalls.md. */
#ifndef SPORE_HYPERCALL_H
#define SPORE_HYPERCALL_H

#include <stdint.h>

/*
 * Detection: CPUID leaf HC_CPUID_LEAF returns eax = HC_ABI_VERSION and
 * ebx,ecx,edx = "SporeKVM\0\0\0\0". The monitor also offers KVM's own leaves at
 * 0x40000000 (kvmclock), so the guest reads time without exits.
 *
 * A call is one instruction: `outl %eax, $(HC_PORT_BASE + nr)` with eax the
 * guest-physical address of the call's argument block. Blocks must lie wholly
 * inside guest RAM below 4 GiB and be 8-byte aligned; the monitor checks every
 * address and length and ends the guest with HC_EXIT_BADCALL (and a message
 * naming the call) when one is wrong. Results come back in the block.
 */
#define HC_CPUID_LEAF  0x40000100u
#define HC_ABI_VERSION 2u                 /* 2: HC_READY, status 248 reserved */
#define HC_SIGNATURE   "SporeKVM\0\0\0\0" /* ebx, ecx, edx */
/* The next leaf's eax: what this monitor offers beyond the hypercalls (ring 0 only:
 * ring-3 CPUID is not intercepted). HC_FEAT_VIRTIO: an in-kernel LAPIC and I/O APIC
 * (sleep with hlt and the LAPIC timer) and virtio-mmio devices named on the command
 * line (virtio_mmio.device=SIZE@BASE:IRQ), instead of HC_POLL and HC_NET_*. */
#define HC_CPUID_FEATURES 0x40000101u /* ebx, ecx: the devices' window, base and size */
#define HC_FEAT_VIRTIO    1u
/* The devices' interrupts are irqfd pulses and only ever mean "used buffers": the
 * driver need not read InterruptStatus nor write InterruptAck (two exits to the
 * monitor an interrupt, saved). */
#define HC_FEAT_IRQ_NOACK 2u
/* No device is served by hypercalls (no --net or --disk, or both moved to virtio):
 * HC_INFO would name none, so the guest need not ask (one exit to the monitor at
 * boot, saved). Absent, the guest asks as before. */
#define HC_FEAT_NO_HCDEV 4u
/* A device interrupt the guest asked for (EVENT_IDX) and left unanswered for a quiet
 * second is raised once more (monitor/iothread.c): a lost wake-up costs a second, so
 * the guest's idle guard may back off far longer (libc/net/timers.c). Absent with
 * --vhost, whose interrupts are the host kernel's. */
#define HC_FEAT_IRQ_RETRY 8u
/* The devices' avail_event is exact (EVENT_IDX): the driver kicks only when it says
 * so, not also whenever the device had used every buffer (drivers/virtq.c's defence
 * against fences a host runs as no-ops, QEMU's TCG; KVM's are real). The I/O thread
 * leaves it behind on purpose while it polls (monitor/iothread.c). */
#define HC_FEAT_EXACT_EVENT 16u
#define HC_PORT_BASE        0x500u
#define HC_NR_MAX           16u /* ports HC_PORT_BASE .. +HC_NR_MAX-1 */
#define HC_ELFNOTE_ENTRY64  1   /* ELF note "Spore": 64-bit ring-3 entry for spore-kvm */

enum hc_nr {
	HC_CONSOLE_WRITE = 1, /* struct hc_console */
	HC_TIME = 2,          /* struct hc_time */
	HC_POLL = 3,          /* struct hc_poll */
	HC_EXIT = 4,          /* struct hc_exit; does not return */
	HC_ENTROPY = 5,       /* struct hc_entropy */
	HC_INFO = 6,          /* struct hc_info: device discovery */
	HC_NET_SEND = 7,      /* struct hc_net: frames to the tap */
	HC_NET_RECV = 8,      /* struct hc_net: frames from the tap */
	HC_BLK_READ = 9,      /* struct hc_blk: sectors from the disk */
	HC_BLK_WRITE = 10,    /* struct hc_blk: sectors to the disk */
	HC_BLK_FLUSH = 11,    /* struct hc_blk (fields unused): make writes durable */
	HC_READY = 12,        /* struct hc_ready: the app is ready (ABI 2) */
};

/* Monitor exit statuses of its own, above any 8-bit guest status range the
 * guest is told to use (0..119; 120+ are the kernel's fault/panic codes).
 * HC_EXIT_MON_MIN..HC_EXIT_MON_MAX are reserved: an HC_EXIT asking for one
 * ends the guest with HC_EXIT_BADCALL, so a guest cannot pass for the monitor. */
#define HC_EXIT_FAULT    120 /* guest CPU exception: the kernel's own fault status */
#define HC_EXIT_SNAPSHOT 248 /* --restore: the snapshot is truncated, corrupted or foreign */
#define HC_EXIT_SETUP    249 /* the monitor could not start the guest: bad option, image, no KVM */
#define HC_EXIT_BADCALL  250 /* unknown call, bad address or length */
#define HC_EXIT_VMFAULT  251 /* triple fault, KVM internal error, shutdown */
#define HC_EXIT_TIMEOUT  252 /* --timeout expired */
#define HC_EXIT_HOSTIO   253 /* the console's stdout was closed, or the tap was deleted */
#define HC_EXIT_SANDBOX  254 /* the monitor made a system call its seccomp filter forbids */
#define HC_EXIT_MON_MIN  248 /* 249 in ABI 1 */
#define HC_EXIT_MON_MAX  254

/* Console: write len bytes at gpa buf; len <= HC_CONSOLE_MAX. ret = bytes written. */
#define HC_CONSOLE_MAX (64u * 1024)
struct hc_console {
	uint64_t buf;
	uint64_t len;
	int64_t ret;
};

/* Time: filled by the monitor. mono_ns since VM creation, wall_ns since the Unix
 * epoch, both sampled at tsc; tsc_khz lets the guest extrapolate without exits. */
struct hc_time {
	uint64_t mono_ns;
	uint64_t wall_ns;
	uint64_t tsc;
	uint64_t tsc_khz;
};

/* Poll: block until an event in `mask` is ready or timeout_ns passes.
 * timeout_ns = 0 returns at once; UINT64_MAX waits without limit.
 * ready = events ready on return (HC_EV_*). */
#define HC_EV_NET (1u << 0)
#define HC_EV_BLK (1u << 1)
struct hc_poll {
	uint64_t timeout_ns;
	uint32_t mask;
	uint32_t ready;
};

/* Exit: the monitor exits with status. regs: 0, or the guest-physical address of
 * a struct hc_regs: the registers at the CPU exception a ring-0 kernel is dying
 * of (status HC_EXIT_FAULT), so spore-kvm --core can write the faulting frame
 * rather than the exit path's. The monitor checks it like any block. */
struct hc_exit {
	int32_t status;
	uint32_t pad;
	uint64_t regs;
};

/* The registers at a CPU exception, as the guest's trap entry saved them. */
struct hc_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags, cs, ss;
	uint64_t vector, error, cr2; /* cr2: the faulting address of a page fault (vector 14) */
};

/* Entropy: fill len bytes at buf from the host's getrandom; len <= HC_ENTROPY_MAX.
 * ret = bytes filled or -1. */
#define HC_ENTROPY_MAX 256u
struct hc_entropy {
	uint64_t buf;
	uint64_t len;
	int64_t ret;
};

/* Device discovery: what the monitor attached. Zeroed fields mean "absent". */
struct hc_info {
	uint32_t net_present;
	uint32_t net_mtu;
	uint8_t net_mac[6];
	uint8_t pad[2];
	uint64_t blk_sectors; /* 512-byte sectors; 0 = no disk */
	uint64_t mem_bytes;   /* guest RAM given with --mem */
};

/* Block (spore-kvm --disk=FILE): whole 512-byte sectors. READ/WRITE move
 * count sectors between the disk at `sector` and guest RAM at buf (count <=
 * HC_BLK_MAX, the range inside the disk); FLUSH returns once every earlier
 * write is durable (fdatasync). ret: 0, or -1 on a host I/O error. */
#define HC_BLK_SECTOR 512u
#define HC_BLK_MAX    256u /* sectors per call: 128 KiB */
struct hc_blk {
	uint64_t sector;
	uint64_t buf;
	uint32_t count;
	uint32_t pad;
	int64_t ret;
};

/* Network (spore-kvm --net=TAP): up to HC_NET_BATCH frames per call, so one
 * exit moves many frames under load. SEND: f[0..count) hold frames of len
 * bytes; done = frames written. RECV: f[0..count) are buffers of len bytes;
 * the monitor fills as many as the tap has ready without blocking, setting
 * each len to the frame's length; done = frames received (0: none waiting).
 * A frame longer than its buffer is dropped and counted in `dropped`. The
 * poll call's HC_EV_NET waits for the tap to become readable. */
#define HC_NET_BATCH     32
#define HC_NET_FRAME_MAX 1514u /* Ethernet, no FCS; MTU 1500 */
struct hc_net_frame {
	uint64_t buf;
	uint32_t len;
	uint32_t pad;
};
struct hc_net {
	uint32_t count;
	uint32_t done;
	uint32_t dropped;
	uint32_t pad;
	struct hc_net_frame f[HC_NET_BATCH];
};

/* Ready (ABI 2): the kernel calls it once, the first time every thread is
 * blocked with nothing pending (a server waiting for its first client). Under
 * spore-kvm --snapshot=FILE the monitor writes the snapshot there and exits;
 * otherwise the call returns at once with generation 0. A guest restored from
 * the snapshot resumes as if this call returned, with generation > 0, wall_ns the
 * host's wall clock at the restore and seed fresh bytes from the host's
 * getrandom: the guest then corrects its wall clock and redraws what it drew
 * from entropy before the snapshot (docs/hypercalls.md). The monotonic clock
 * (the guest TSC) continues where the snapshot stopped it. */
struct hc_ready {
	uint64_t generation; /* 0: booted, not restored; n: the restore's generation */
	uint64_t wall_ns;    /* at a restore: the host's CLOCK_REALTIME */
	uint8_t seed[32];    /* at a restore: fresh entropy */
};

#endif
