// SPDX-License-Identifier: MIT
/* spore-kvm's --vhost device (monitor/vhost.c, vmmio.c) driven from a fake guest in
 * plain memory, with the real /dev/vhost-net and a tap, in the lab's L1 (vhost needs
 * no KVM: it works in any process's memory). A frame each way; a reset, after which
 * the kernel must no longer touch the old rings; the device set up again on other
 * rings; a ring outside RAM refused before the kernel sees it.
 *   vhostreset TAP   (an existing tap, up; tests/kvm-lab/vhost.sh reset) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"
#include "virtio_reg.h"

#define MEM   (1 << 20)
#define QS    8
#define PROTO 0x88b5 /* IEEE local experimental: only ours on the link */

static uint8_t *mem;
static struct vdev d;
static int fails;

void msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
}

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	fails += !ok;
}

static uint32_t reg(unsigned off, int write, uint32_t v)
{
	vmmio_access(&d, off, (uint8_t *)&v, 4, write);
	return v;
}

static uint16_t get16(uint64_t gpa)
{
	return __atomic_load_n((uint16_t *)(mem + gpa), __ATOMIC_ACQUIRE);
}
static void put16(uint64_t gpa, uint16_t v)
{
	__atomic_store_n((uint16_t *)(mem + gpa), v, __ATOMIC_RELEASE);
}

/* The rings of queue q at base: desc, avail +0x100, used +0x200; buffers at +0x1000. */
static void ring_desc(uint64_t base, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct virtq_desc x = { addr, len, flags, 0 };
	memcpy(mem + base + 16 * i, &x, 16);
}

static void offer(uint64_t base, uint16_t head)
{
	uint16_t idx = get16(base + 0x100 + 2);
	put16(base + 0x100 + 4 + 2 * (idx % QS), head);
	put16(base + 0x100 + 2, (uint16_t)(idx + 1));
}

/* 4.2.3.2's driver steps, both queues at base[q]; the status the device then shows. */
static uint32_t bring_up(const uint64_t base[2])
{
	reg(VIRTIO_MMIO_STATUS, 1, 0);
	reg(VIRTIO_MMIO_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t f = d.features & (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MRG_RXBUF |
	                           1ull << VIRTIO_F_EVENT_IDX);
	for (unsigned s = 0; s < 2; s++) {
		reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1, s);
		reg(VIRTIO_MMIO_DRIVER_FEATURES, 1, (uint32_t)(f >> 32 * s));
	}
	reg(VIRTIO_MMIO_STATUS, 1,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 2; q++) {
		reg(VIRTIO_MMIO_QUEUE_SEL, 1, q);
		reg(VIRTIO_MMIO_QUEUE_NUM, 1, QS);
		reg(VIRTIO_MMIO_QUEUE_DESC_LOW, 1, (uint32_t)base[q]);
		reg(VIRTIO_MMIO_QUEUE_DESC_HIGH, 1, (uint32_t)(base[q] >> 32));
		reg(VIRTIO_MMIO_QUEUE_AVAIL_LOW, 1, (uint32_t)(base[q] + 0x100));
		reg(VIRTIO_MMIO_QUEUE_USED_LOW, 1, (uint32_t)(base[q] + 0x200));
		reg(VIRTIO_MMIO_QUEUE_READY, 1, 1);
	}
	reg(VIRTIO_MMIO_STATUS, 1,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	            VIRTIO_STATUS_DRIVER_OK);
	return reg(VIRTIO_MMIO_STATUS, 0, 0);
}

/* Waits up to ms for the used index at gpa to reach want. */
static int used_reaches(uint64_t gpa, uint16_t want, int ms)
{
	for (int i = 0; i < ms / 10; i++, usleep(10000))
		if (get16(gpa) == want)
			return 1;
	return get16(gpa) == want;
}

/* 1 once a used entry of the receive ring at base holds frame f after its header
 * (the link may bring other frames first), within 2 s. */
static int received(uint64_t base, const uint8_t *f, size_t len)
{
	for (int t = 0; t < 200; t++, usleep(10000))
		for (uint16_t j = 0; j < get16(base + 0x200 + 2) && j < QS; j++) {
			uint32_t id;
			memcpy(&id, mem + base + 0x200 + 4 + 8 * j, 4);
			if (id < QS && memcmp(mem + base + 0x1000 + 0x800 * id + 12, f, len) == 0)
				return 1;
		}
	return 0;
}

/* A frame with tag from the guest's transmit ring at base (descriptor slot i); 1 if
 * the kernel took it within 2 s and the packet socket saw it on the link. */
static int send_one(int ps, uint64_t base, unsigned i, uint8_t tag)
{
	uint64_t buf = base + 0x1000 + 0x100 * i;
	uint8_t f[12 + 60] = { 0 }; /* the virtio-net header, then the frame */
	memset(f + 12, 0xff, 6);
	f[12 + 6] = 0x02;
	f[12 + 12] = PROTO >> 8, f[12 + 13] = PROTO & 0xff, f[12 + 14] = tag;
	memcpy(mem + buf, f, sizeof(f));
	ring_desc(base, i, buf, sizeof(f), 0);
	uint16_t want = (uint16_t)(get16(base + 0x200 + 2) + 1);
	offer(base, (uint16_t)i);
	uint64_t one = 1;
	if (write(d.kick[1], &one, 8) != 8)
		return 0;
	if (!used_reaches(base + 0x200 + 2, want, 2000))
		return 0;
	uint8_t got[128];
	struct pollfd p = { ps, POLLIN, 0 };
	while (poll(&p, 1, 1000) == 1) {
		ssize_t n = recv(ps, got, sizeof(got), 0);
		if (n >= 15 && got[12] == (PROTO >> 8) && got[13] == (PROTO & 0xff) &&
		    got[14] == tag)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return fprintf(stderr, "usage: vhostreset TAP\n"), 2;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = 12, tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
	if (tap < 0 || ioctl(tap, TUNSETIFF, &ifr) < 0 || ioctl(tap, TUNSETVNETHDRSZ, &hdr) < 0)
		return perror("tap"), 2;
	int ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
		                  .sll_protocol = htons(ETH_P_ALL),
		                  .sll_ifindex = (int)if_nametoindex(argv[1]) };
	if (ps < 0 || bind(ps, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return perror("packet socket"), 2;
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vm vm = { .mem = mem, .mem_size = MEM, .vnet_tap = tap, .vhost_fd = -1 };
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	vnet_init(&d, tap, argv[1], mac, 1500);
	d.mem = mem, d.mem_size = MEM;
	pthread_mutex_init(&d.lock, NULL);
	d.irqfd = eventfd(0, EFD_NONBLOCK), d.ctl = eventfd(0, EFD_NONBLOCK);
	d.kick[0] = eventfd(0, EFD_NONBLOCK), d.kick[1] = eventfd(0, EFD_NONBLOCK);
	if (vhost_open(&vm) < 0 || (vhost_features(&d), vhost_bind(&vm, &d)) < 0)
		return 2;

	/* 1. Up; a frame out; one in, from the link into a receive buffer. */
	uint64_t a[2] = { 0x10000, 0x20000 };
	for (unsigned i = 0; i < QS; i++)
		ring_desc(a[0], i, a[0] + 0x1000 + 0x800 * i, 0x800, VIRTQ_DESC_F_WRITE);
	for (unsigned i = 0; i < QS; i++)
		offer(a[0], (uint16_t)i);
	check(bring_up(a) & VIRTIO_STATUS_DRIVER_OK && d.live, "DRIVER_OK: live on vhost-net");
	check(send_one(ps, a[1], 0, 1), "a frame from the guest reaches the link");
	uint8_t f[60] = { 0 };
	memset(f, 0xff, 6);
	f[6] = 2, f[12] = PROTO >> 8, f[13] = PROTO & 0xff, f[14] = 0x77;
	check(send(ps, f, sizeof(f), 0) == sizeof(f) && received(a[0], f, sizeof(f)),
	      "a frame from the link lands in a receive buffer, after the header");
	uint64_t calls = 0;
	check(read(d.irqfd, &calls, 8) == 8 && calls > 0, "interrupts through the call eventfd");

	/* 2. Reset: the old rings are the guest's again; the kernel must not touch them. */
	reg(VIRTIO_MMIO_STATUS, 1, 0);
	check(reg(VIRTIO_MMIO_STATUS, 0, 0) == 0 && !d.live, "reset: status 0");
	uint16_t before = get16(a[1] + 0x200 + 2);
	ring_desc(a[1], 1, a[1] + 0x1100, 72, 0);
	offer(a[1], 1);
	uint64_t one = 1;
	check(write(d.kick[1], &one, 8) == 8 &&
	              !used_reaches(a[1] + 0x200 + 2, (uint16_t)(before + 1), 500),
	      "after the reset a kick on the old ring is not served");

	/* 3. Up again on other rings: served again from index 0. */
	memset(mem + 0x30000, 0, 0x20000);
	uint64_t b[2] = { 0x30000, 0x40000 };
	check(bring_up(b) & VIRTIO_STATUS_DRIVER_OK && d.live, "DRIVER_OK again");
	check(send_one(ps, b[1], 0, 2), "a frame from the new ring reaches the link");

	/* 4. A ring outside RAM: refused at QUEUE_READY, never handed to the kernel. */
	reg(VIRTIO_MMIO_STATUS, 1, 0);
	uint64_t bad[2] = { 0x50000, MEM - 0x100 };
	uint32_t st = bring_up(bad);
	check((st & VIRTIO_STATUS_NEEDS_RESET) && !d.live,
	      "a ring outside RAM: NEEDS_RESET, not live");
	reg(VIRTIO_MMIO_STATUS, 1, 0);
	printf("%s\n", fails ? "vhostreset: FAILED" : "vhostreset: all passed");
	return fails != 0;
}
