// SPDX-License-Identifier: MIT
/* The hypercall handlers: one port write names a call and the GPA of its argument block
 * (kernel/hypercall.h). Each handler copies the block out of guest RAM once, checks it,
 * acts, and copies it back: the guest cannot change a field between check and use. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <x86intrin.h>

#include "hypercall.h"
#include "monitor.h"

static const char *const names[HC_NR_MAX] = {
	[HC_CONSOLE_WRITE] = "console_write",
	[HC_TIME] = "time",
	[HC_POLL] = "poll",
	[HC_EXIT] = "exit",
	[HC_ENTROPY] = "entropy",
	[HC_INFO] = "info",
	[HC_NET_SEND] = "net_send",
	[HC_NET_RECV] = "net_recv",
	[HC_BLK_READ] = "blk_read",
	[HC_BLK_WRITE] = "blk_write",
	[HC_BLK_FLUSH] = "blk_flush",
	[HC_READY] = "ready",
};

int hc_bad(unsigned nr, const char *what, uint64_t gpa)
{
	const char *name = nr < HC_NR_MAX && names[nr] ? names[nr] : "call";

	msg("spore-kvm: guest error: %s (nr %u): %s (gpa 0x%llx)\n", name, nr, what,
	    (unsigned long long)gpa);
	return HC_EXIT_BADCALL;
}

/* Fetches the argument block; 0 on success. */
int hc_get(struct vm *vm, uint64_t gpa, void *b, size_t len)
{
	if (!gm_block_ok(vm->mem_size, gpa, len))
		return -1;
	return gm_read(vm->mem, vm->mem_size, gpa, b, len);
}

/* The block back where hc_get found it: the same range, so it cannot fail. */
void hc_put(struct vm *vm, uint64_t gpa, const void *b, size_t len)
{
	(void)gm_write(vm->mem, vm->mem_size, gpa, b, len);
}

/* Retries short writes. A reader that stops reading blocks it for ever, so
 * --timeout may end the monitor inside it (timer_io_begin). */
static int64_t write_all(const uint8_t *p, size_t len)
{
	size_t done = 0;

	timer_io_begin("the console to stdout");
	while (done < len) {
		ssize_t n = write(STDOUT_FILENO, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	int err = errno; /* hc_console tells EPIPE apart */
	timer_io_end();
	errno = err;
	return done == len ? (int64_t)len : -1;
}

static int hc_console(struct vm *vm, uint64_t gpa)
{
	struct hc_console b;

	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(HC_CONSOLE_WRITE, "argument block outside guest RAM or misaligned",
		              gpa);
	if (b.len > HC_CONSOLE_MAX)
		return hc_bad(HC_CONSOLE_WRITE, "len above HC_CONSOLE_MAX", gpa);
	const uint8_t *text = gm_at(vm->mem, vm->mem_size, b.buf, b.len);
	if (text == NULL)
		return hc_bad(HC_CONSOLE_WRITE, "buffer outside guest RAM", gpa);
	b.ret = write_all(text, b.len);
	if (b.ret < 0 && errno == EPIPE) {
		/* SIGPIPE is ignored (main.c): the reader is gone for good, so is the console. */
		msg("spore-kvm: console: stdout is closed (EPIPE: its reader went away); ending the guest\n");
		return HC_EXIT_HOSTIO;
	}
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}

static uint64_t ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static int hc_time(struct vm *vm, uint64_t gpa)
{
	struct hc_time b;
	struct timespec mono, wall;

	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(HC_TIME, "argument block outside guest RAM or misaligned", gpa);
	b.tsc = vm->tsc_known ? __rdtsc() + (uint64_t)vm->tsc_offset : 0;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	b.mono_ns = ns(&mono) - ns(&vm->t0);
	b.wall_ns = ns(&wall);
	b.tsc_khz = vm->tsc_khz;
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}

/* Sleeps until the timeout or, with HC_EV_NET in the mask, until the tap is
 * readable. The --timeout SIGALRM is unblocked only inside ppoll (poll_mask),
 * so one pending or arriving cuts the sleep short, never lost in between; the
 * run loop then sees immediate_exit. A tap deleted under the guest polls as
 * POLLERR from then on (the fd is detached for good; a new tap of that name is
 * another device): ignored, every poll would return at once and the guest spin,
 * so the guest ends with HC_EXIT_HOSTIO, as a server cut off for good should. */
static int hc_poll(struct vm *vm, uint64_t gpa)
{
	struct hc_poll b;

	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(HC_POLL, "argument block outside guest RAM or misaligned", gpa);
	struct pollfd pfd = { .fd = vm->tap_fd, .events = POLLIN };
	int nfds = (b.mask & HC_EV_NET) && vm->tap_fd >= 0;
	if (b.timeout_ns == UINT64_MAX && !nfds) {
		msg("spore-kvm: guest waits forever with nothing to wait for (poll mask 0x%x, no devices)\n",
		    b.mask);
		return HC_EXIT_VMFAULT;
	}
	b.ready = 0;
	if (b.timeout_ns > 0 || nfds) {
		struct timespec ts = { .tv_sec = (time_t)(b.timeout_ns / 1000000000ull),
			               .tv_nsec = (long)(b.timeout_ns % 1000000000ull) };
		int r = ppoll(nfds ? &pfd : NULL, (nfds_t)nfds,
		              b.timeout_ns == UINT64_MAX ? NULL : &ts, vm->poll_mask);
		if (r > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
			msg("spore-kvm: --net=%s: the tap is gone (deleted under the running guest?); "
			    "ending the guest\n",
			    vm->tap_name ? vm->tap_name : "");
			return HC_EXIT_HOSTIO;
		}
		if (r > 0 && (pfd.revents & POLLIN))
			b.ready |= HC_EV_NET;
	}
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}

/* status_guest: outside 0..255 -> 255, the monitor's own -> a bad call. */
static int hc_exit(struct vm *vm, uint64_t gpa)
{
	struct hc_exit b;
	char what[120];

	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(HC_EXIT, "argument block outside guest RAM or misaligned", gpa);
	int s = status_guest(b.status);
	/* A ring-0 kernel dying of an exception hands over its registers (for --core). */
	if (s == HC_EXIT_FAULT && b.regs != 0 &&
	    hc_get(vm, b.regs, &vm->fault, sizeof(vm->fault)) == 0)
		vm->fault_known = 1;
	if (s >= 0)
		return s;
	snprintf(what, sizeof(what),
	         "status %d is reserved for the monitor (%d..%d); exiting %d instead", b.status,
	         HC_EXIT_MON_MIN, HC_EXIT_MON_MAX, HC_EXIT_BADCALL);
	return hc_bad(HC_EXIT, what, gpa);
}

static int hc_entropy(struct vm *vm, uint64_t gpa)
{
	struct hc_entropy b;

	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(HC_ENTROPY, "argument block outside guest RAM or misaligned", gpa);
	if (b.len > HC_ENTROPY_MAX)
		return hc_bad(HC_ENTROPY, "len above HC_ENTROPY_MAX", gpa);
	uint8_t *out = gm_at(vm->mem, vm->mem_size, b.buf, b.len);
	if (out == NULL)
		return hc_bad(HC_ENTROPY, "buffer outside guest RAM", gpa);
	ssize_t n = b.len ? getrandom(out, b.len, 0) : 0;
	b.ret = n < 0 ? -1 : n;
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}

static int hc_info(struct vm *vm, uint64_t gpa)
{
	struct hc_info b;

	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(HC_INFO, "argument block outside guest RAM or misaligned", gpa);
	memset(&b, 0, sizeof(b));
	b.mem_bytes = vm->mem_size;
	b.blk_sectors = vm->disk_fd >= 0 ? vm->disk_sectors : 0;
	if (vm->tap_fd >= 0) {
		b.net_present = 1;
		b.net_mtu = 1500;
		memcpy(b.net_mac, vm->net_mac, 6);
	}
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}

int hc_dispatch(struct vm *vm, unsigned nr, uint64_t gpa)
{
	vm->hypercalls++;
	switch (nr) {
	case HC_CONSOLE_WRITE: return hc_console(vm, gpa);
	case HC_TIME: return hc_time(vm, gpa);
	case HC_POLL: return hc_poll(vm, gpa);
	case HC_EXIT: return hc_exit(vm, gpa);
	case HC_ENTROPY: return hc_entropy(vm, gpa);
	case HC_INFO: return hc_info(vm, gpa);
	case HC_NET_SEND:
	case HC_NET_RECV: return hc_net(vm, nr, gpa);
	case HC_BLK_READ:
	case HC_BLK_WRITE:
	case HC_BLK_FLUSH: return hc_blk(vm, nr, gpa);
	case HC_READY: return snapshot_ready(vm, gpa);
	default: return hc_bad(nr, "unknown call", gpa);
	}
}
