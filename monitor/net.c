// SPDX-License-Identifier: MIT
/* --net=TAP: the guest's network device is a tap in the monitor's namespace.
 * Frames move in batches (kernel/hypercall.h struct hc_net): one exit sends or
 * receives up to HC_NET_BATCH frames. Every frame range is checked against
 * guest RAM before the tap touches it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

#define SCRATCH NET_RECV_MAX

/* Opens an existing tap device. -1 after a one-line message. */
int net_open(struct vm *vm, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	if (strlen(name) >= IFNAMSIZ) {
		msg("spore-kvm: --net=%s: name longer than %d\n", name, IFNAMSIZ - 1);
		return -1;
	}
	strcpy(ifr.ifr_name, name);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		msg("spore-kvm: --net=%s: /dev/net/tun: %s\n", name, strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		msg("spore-kvm: --net=%s: %s (create it first: ip tuntap add %s mode tap)\n", name,
		    errno == EBUSY ? "in use by another process" : strerror(errno), name);
		close(fd);
		return -1;
	}
	if (!vm->net_mac_set) {
		/* Locally administered, unicast, random: 02:xx:xx:xx:xx:xx. */
		if (getrandom(vm->net_mac, 6, 0) != 6)
			memset(vm->net_mac, 0x5a, 6);
		vm->net_mac[0] = 0x02;
	}
	vm->tap_fd = fd;
	return 0;
}

int hc_net(struct vm *vm, unsigned nr, uint64_t gpa)
{
	static uint8_t scratch[SCRATCH];
	struct hc_net b;
	unsigned bad_frame;
	const char *why;

	if (vm->tap_fd < 0)
		return hc_bad(nr, "no network device (start with --net=TAP)", gpa);
	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(nr, "argument block outside guest RAM or misaligned", gpa);
	if ((why = net_check(&b, vm->mem_size, nr == HC_NET_SEND, &bad_frame))) {
		msg("spore-kvm: guest error: frame %u: %s\n", bad_frame, why);
		return hc_bad(nr, why, gpa);
	}
	b.done = b.dropped = 0;
	for (unsigned i = 0; i < b.count; i++) {
		if (nr == HC_NET_SEND) {
			ssize_t n = write(vm->tap_fd, vm->mem + b.f[i].buf, b.f[i].len);
			if (n < 0 && errno == EAGAIN)
				break;   /* the tap's queue is full: the guest retries later */
			b.done++;    /* written, or refused for good (counted as sent-and-lost) */
			vm->net_tx++;
			continue;
		}
		ssize_t n = read(vm->tap_fd, scratch, sizeof(scratch));
		if (n < 0)
			break;       /* EAGAIN: nothing more waiting */
		if ((uint64_t)n > b.f[i].len) {
			b.dropped++;
			i--;         /* the buffer stays free for the next frame */
			continue;
		}
		memcpy(vm->mem + b.f[i].buf, scratch, (size_t)n);
		b.f[b.done].buf = b.f[i].buf;
		b.f[b.done++].len = (uint32_t)n;
		vm->net_rx++;
	}
	vm->net_calls++;
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}
