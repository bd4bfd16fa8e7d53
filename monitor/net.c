// SPDX-License-Identifier: MIT
/* --net=TAP: the guest's network device is an existing tap in the monitor's
 * namespace. Frames move in batches (kernel/hypercall.h struct hc_net): one
 * exit sends or receives up to HC_NET_BATCH frames. Every frame range is
 * checked (netcheck.c) before the tap touches guest RAM. No offloads, no vnet
 * header: the tap hands out whole Ethernet frames of at most MTU + 14 bytes.
 * For virtio-net (vnet.c) net_open opens it with the header instead. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

static const char *tun_error(int err)
{
	switch (err) {
	case EBUSY: return "in use by another process";
	case EINVAL: return "not a tap device (a tun, or another kind of interface)";
	case EPERM:
		return "permission denied (the tap belongs to another user, or CAP_NET_ADMIN is needed)";
	default: return strerror(err);
	}
}

/* Opens an existing tap device, non-blocking, once: with vnet, for virtio-net
 * (vnet.c), with IFF_VNET_HDR, which only TUNSETIFF sets, so every frame carries
 * virtio's 12-byte header both ways (the hypercall path keeps plain frames). Once,
 * because a tap takes one file at a time: closed and opened again, its carrier
 * drops in between, and the host's kernel handles that (linkwatch) by walking its
 * whole neighbour table and waiting for a grace period inside this start (run L11
 * and after, docs/density.md). No offloads until the guest negotiates them. -1
 * after a one-line message. */
int net_open(struct vm *vm, const char *name, int vnet)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) };
	int hdr = 12; /* struct virtio_net_hdr with VERSION_1: num_buffers included */

	if (strlen(name) >= IFNAMSIZ) {
		msg("spore-kvm: --net=%s: name longer than %d\n", name, IFNAMSIZ - 1);
		return -1;
	}
	/* With CAP_NET_ADMIN, TUNSETIFF on an unknown name would create a fresh
	 * transient tap nobody configured: the guest would run cut off. The same
	 * socket asks its MTU, for virtio-net's F_MTU (vnet.c): the guest's TCP sends
	 * segments as large as it allows. Unknown (0): not offered, the guest keeps 1500. */
	struct ifreq q = { 0 };
	strcpy(q.ifr_name, name);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int known = s >= 0 && ioctl(s, SIOCGIFINDEX, &q) == 0;
	unsigned mtu =
		known && ioctl(s, SIOCGIFMTU, &q) == 0 && q.ifr_mtu > 0 ? (unsigned)q.ifr_mtu : 0;
	if (s >= 0)
		close(s);
	if (!known) {
		msg("spore-kvm: --net=%s: no such device (create it first: ip tuntap add %s mode tap)\n",
		    name, name);
		return -1;
	}
	strcpy(ifr.ifr_name, name);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		msg("spore-kvm: --net=%s: /dev/net/tun: %s\n", name,
		    errno == EACCES ? "permission denied" : strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || (vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)) {
		msg("spore-kvm: --net=%s: %s\n", name, tun_error(errno));
		close(fd);
		return -1;
	}
	/* A tap keeps its last owner's offloads: after a virtio guest that took
	 * GUEST_CSUM, the host would hand this plain-frame guest partial checksums,
	 * which it drops (the lab's serverless.sh: a cold boot on --io=hypercall after
	 * one on virtio never answered). Clearing them needs no privilege. */
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		msg("spore-kvm: --net=%s: TUNSETOFFLOAD 0: %s (a virtio guest's checksum offloads "
		    "may remain)\n",
		    name, strerror(errno));
	if (!vm->net_mac_set) {
		/* Locally administered, unicast, random: 02:xx:xx:xx:xx:xx. */
		if (getrandom(vm->net_mac, 6, 0) != 6)
			memset(vm->net_mac, 0x5a, 6);
		vm->net_mac[0] = 0x02;
	}
	vm->tap_mtu = mtu;
	vm->tap_fd = fd;
	vm->tap_name = name;
	return 0;
}

/* SEND: one write per frame. EAGAIN (the tap's queue is full) ends the batch
 * early; done tells the guest where to resume. Any other error (EIO: the
 * link is down) loses that frame, as a wire would. */
static void send_batch(struct vm *vm, struct hc_net *b, uint8_t *const *frame)
{
	for (unsigned i = 0; i < b->count; i++) {
		ssize_t n = write(vm->tap_fd, frame[i], b->f[i].len);
		if (n < 0 && errno == EAGAIN)
			break;
		b->done++;
	}
	vm->net_tx += b->done;
	vm->net_tx_calls++;
}

/* RECV: read until EAGAIN or every buffer is full. A read into a 64 KiB
 * scratch returns the whole frame, so a frame longer than the guest's buffer
 * is seen whole, dropped and counted; that buffer takes the next frame. The
 * reads are bounded (count + HC_NET_BATCH) so a host flooding oversized
 * frames cannot keep the monitor out of KVM_RUN. */
static void recv_batch(struct vm *vm, struct hc_net *b, uint8_t *const *frame)
{
	static uint8_t scratch[NET_RECV_MAX];

	for (unsigned reads = 0; b->done < b->count && reads < b->count + HC_NET_BATCH; reads++) {
		ssize_t n = read(vm->tap_fd, scratch, sizeof(scratch));
		if (n < 0)
			break; /* EAGAIN: nothing more waiting */
		struct hc_net_frame *f = &b->f[b->done];
		if ((uint64_t)n > f->len || n < 14) {
			b->dropped++;
			continue;
		}
		memcpy(frame[b->done], scratch, (size_t)n); /* n <= f->len: inside the frame */
		f->len = (uint32_t)n;
		b->done++;
	}
	vm->net_rx += b->done;
	vm->net_rx_calls++;
	if (b->done > vm->net_rx_most)
		vm->net_rx_most = b->done;
}

int hc_net(struct vm *vm, unsigned nr, uint64_t gpa)
{
	struct hc_net b;
	unsigned bad;
	const char *why;
	char what[160];

	if (vm->tap_fd < 0)
		return hc_bad(nr, "no network device (start with --net=TAP)", gpa);
	if (hc_get(vm, gpa, &b, sizeof(b)) < 0)
		return hc_bad(nr, "argument block outside guest RAM or misaligned", gpa);
	if ((why = net_check(&b, vm->mem_size, nr == HC_NET_SEND, &bad))) {
		if (b.count <= HC_NET_BATCH)
			snprintf(what, sizeof(what), "frame %u: %s", bad, why);
		else
			snprintf(what, sizeof(what), "count %u: %s", b.count, why);
		return hc_bad(nr, what, gpa);
	}
	/* Host pointers for the checked copy's frames, through the accessor: a
	 * frame net_check passed cannot come back NULL, but a NULL is a bad call,
	 * never a write through it. */
	uint8_t *frame[HC_NET_BATCH];
	for (unsigned i = 0; i < b.count; i++)
		if ((frame[i] = gm_at(vm->mem, vm->mem_size, b.f[i].buf, b.f[i].len)) == NULL) {
			snprintf(what, sizeof(what), "frame %u: buffer outside guest RAM", i);
			return hc_bad(nr, what, gpa);
		}
	b.done = b.dropped = 0;
	if (nr == HC_NET_SEND)
		send_batch(vm, &b, frame);
	else
		recv_batch(vm, &b, frame);
	hc_put(vm, gpa, &b, sizeof(b));
	return -1;
}
