// SPDX-License-Identifier: MIT
/* The modern virtio-pci transport (spec 4.1) on QEMU -M q35: bus 0 scanned
 * through the 0xcf8/0xcfc ports, the vendor capabilities locate the common,
 * notify, ISR and device regions in the BARs (mapped on the spot), and MSI-X
 * entry 0 sends every queue's interrupt to VIRTIO_VECTOR. */
#include "kernel.h"
#include "net.h"
#include "virtio.h"
#include "../arch/x86_64/x86.h"

#define PCI_VENDOR_VIRTIO 0x1af4
#define CAP_VNDR   0x09
#define CAP_MSIX   0x11
#define CFG_COMMON 1
#define CFG_NOTIFY 2
#define CFG_ISR    3
#define CFG_DEVICE 4

/* 4.1.4.3 common configuration (offsets) */
#define C_DFSEL    0x00
#define C_DF       0x04
#define C_GFSEL    0x08
#define C_GF       0x0c
#define C_MSIXCFG  0x10
#define C_STATUS   0x14
#define C_QSEL     0x16
#define C_QSIZE    0x18
#define C_QMSIX    0x1a
#define C_QENABLE  0x1c
#define C_QNOTIFY  0x1e
#define C_QDESC    0x20
#define C_QDRIVER  0x28
#define C_QDEVICE  0x30

static struct vdev pdevs[4], *cur;   /* cur: the device being set up */
#define pdev (*cur)

static uint32_t cfg32(unsigned dev, unsigned off)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
	return v;
}

static void cfg32w(unsigned dev, unsigned off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

static uint8_t cfg8(unsigned dev, unsigned off) { return (uint8_t)(cfg32(dev, off) >> (8 * (off & 3))); }

/* The BAR's base, 64-bit BARs included; 0 for an I/O BAR or none. */
static uint64_t bar(unsigned dev, unsigned n)
{
	uint32_t lo = cfg32(dev, 0x10 + 4 * n);
	if (lo & 1)
		return 0;
	uint64_t a = lo & ~0xfu;
	if (((lo >> 1) & 3) == 2)
		a |= (uint64_t)cfg32(dev, 0x14 + 4 * n) << 32;
	return a;
}

static volatile uint8_t *region(unsigned dev, unsigned cap)
{
	uint64_t b = bar(dev, cfg8(dev, cap + 4));
	uint32_t off = cfg32(dev, cap + 8), len = cfg32(dev, cap + 12);
	if (!b)
		return 0;
	mmu_map_mmio(b + off, len ? len : 1);
	return (volatile uint8_t *)(b + off);
}

#define W8(o, v)  (*(volatile uint8_t *)(pdev.common + (o)) = (v))
#define W16(o, v) (*(volatile uint16_t *)(pdev.common + (o)) = (v))
#define W32(o, v) (*(volatile uint32_t *)(pdev.common + (o)) = (v))
#define R16(o)    (*(volatile uint16_t *)(pdev.common + (o)))
#define R32(o)    (*(volatile uint32_t *)(pdev.common + (o)))

void vpci_status(struct vdev *d, uint8_t st)
{
	d->common[C_STATUS] = st;
}

int vpci_negotiate(struct vdev *d, uint64_t want, uint64_t *got)
{
	cur = d;
	W8(C_STATUS, 0);                                                    /* 1. reset */
	while (pdev.common[C_STATUS])
		;
	W8(C_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);                            /* 2. */
	W8(C_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);     /* 3. */
	uint64_t dev = 0;                                                   /* 4. */
	for (unsigned w = 0; w < 2; w++) {
		W32(C_DFSEL, w);
		dev |= (uint64_t)R32(C_DF) << (32 * w);
	}
	*got = dev & want;
	if (!(*got & 1ull << VIRTIO_F_VERSION_1))
		return -1;
	for (unsigned w = 0; w < 2; w++) {
		W32(C_GFSEL, w);
		W32(C_GF, (uint32_t)(*got >> (32 * w)));
	}
	W8(C_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return pdev.common[C_STATUS] & VIRTIO_STATUS_FEATURES_OK ? 0 : -1;   /* 5, 6. */
}

int vpci_setup_queue(struct vdev *d, unsigned idx, struct virtq *q, uint16_t n, void *mem)
{
	cur = d;
	W16(C_QSEL, (uint16_t)idx);
	uint16_t max = R16(C_QSIZE);
	while (n > max)
		n >>= 1;
	if (!n || virtq_init(q, n, mem) < 0)
		return -1;
	W16(C_QSIZE, n);
	*(volatile uint64_t *)(pdev.common + C_QDESC) = (uint64_t)q->desc;
	*(volatile uint64_t *)(pdev.common + C_QDRIVER) = (uint64_t)q->avail;
	*(volatile uint64_t *)(pdev.common + C_QDEVICE) = (uint64_t)q->used;
	W16(C_QMSIX, 0);   /* MSI-X entry 0 */
	if (idx < 2)
		d->notify_off[idx] = R16(C_QNOTIFY);
	W16(C_QENABLE, 1);
	return 0;
}

void vpci_notify(struct vdev *d, unsigned queue)
{
	*(volatile uint16_t *)(d->notify + d->notify_off[queue] * d->notify_mul) = (uint16_t)queue;
}

/* MSI-X entry 0: message to the local APIC with VIRTIO_VECTOR, enabled. */
static int msix(unsigned dev, unsigned cap)
{
	uint32_t tbl = cfg32(dev, cap + 4);
	uint64_t b = bar(dev, tbl & 7);
	if (!b)
		return -1;
	volatile uint32_t *e = (volatile uint32_t *)(b + (tbl & ~7u));
	mmu_map_mmio((uint64_t)e, 16);
	e[0] = 0xfee00000;   /* address: APIC id 0 */
	e[1] = 0;
	e[2] = VIRTIO_VECTOR;
	e[3] = 0;            /* unmasked */
	uint32_t ctl = cfg32(dev, cap);
	cfg32w(dev, cap, (ctl & ~(1u << 30)) | 1u << 31);   /* MSI-X enable, function unmasked */
	return 0;
}

/* Returns how many virtio devices it found. */
int vpci_probe(void)
{
	int found = 0;
	for (unsigned dev = 0, n = 0; dev < 32 && n < 4; dev++) {
		uint32_t id = cfg32(dev, 0);
		if ((id & 0xffff) != PCI_VENDOR_VIRTIO)
			continue;
		unsigned did = id >> 16;
		unsigned type = did >= 0x1040 ? did - 0x1040 : cfg32(dev, 0x2c) >> 16;
		found++;
		if ((type != VIRTIO_ID_NET || net_dev) && type != VIRTIO_ID_RNG && type != VIRTIO_ID_BLK)
			continue;   /* no driver for it, or a second NIC */
		cfg32w(dev, 0x04, cfg32(dev, 0x04) | 0x6);   /* memory space, bus master */
		cur = &pdevs[n];
		pdev = (struct vdev){ .pci = 1 };
		int msix_cap = -1;
		for (unsigned cap = cfg8(dev, 0x34) & 0xfc, n = 0; cap && n < 48; cap = cfg8(dev, cap + 1) & 0xfc, n++) {
			if (cfg8(dev, cap) == CAP_MSIX)
				msix_cap = (int)cap;
			if (cfg8(dev, cap) != CAP_VNDR)
				continue;
			switch (cfg8(dev, cap + 3)) {
			case CFG_COMMON: pdev.common = region(dev, cap); break;
			case CFG_ISR:    pdev.isr = region(dev, cap); break;
			case CFG_DEVICE: pdev.devcfg = region(dev, cap); break;
			case CFG_NOTIFY:
				pdev.notify = region(dev, cap);
				pdev.notify_mul = cfg32(dev, cap + 16);
				break;
			}
		}
		if (!pdev.common || !pdev.notify || !pdev.devcfg || msix_cap < 0) {
			kprintf("spore: virtio-pci %02x: no modern capabilities; skipped\n", dev);
			continue;
		}
		*(volatile uint16_t *)(pdev.common + C_MSIXCFG) = 0xffff;   /* no config interrupts */
		if (msix(dev, (unsigned)msix_cap) < 0)
			continue;
		int r = type == VIRTIO_ID_NET ? vnet_init(cur) : type == VIRTIO_ID_BLK ? vblk_init(cur) :
			vrng_init(cur);
		if (r == 0)
			n++;
	}
	return found;
}
