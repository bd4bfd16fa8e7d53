// SPDX-License-Identifier: MIT
/* The modern virtio-pci transport (spec 4.1) on QEMU -M q35: bus 0 scanned
 * through the 0xcf8/0xcfc ports (function 0 only), the vendor capabilities
 * locate the common, notify, ISR and device regions in the BARs (mapped on the
 * spot, wherever the firmware put them), and MSI-X entry 0 sends every queue's
 * interrupt to VIRTIO_VECTOR. The legacy I/O-port interface is not used. */
#include "kernel.h"
#include "net.h"
#include "virtio.h"
#include "x86.h"

#define PCI_MAX_DEVS 4 /* virtio functions driven */
#define CAP(f)       offsetof(struct virtio_pci_cap, f)

static struct vdev pdevs[PCI_MAX_DEVS];

static uint32_t cfg32(unsigned dev, unsigned off)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc)); /* bus 0, function 0 */
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
	return v;
}

static void cfg32w(unsigned dev, unsigned off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

static uint8_t cfg8(unsigned dev, unsigned off)
{
	return (uint8_t)(cfg32(dev, off) >> (8 * (off & 3)));
}

/* Memory BARs' bases and sizes (PCI 3.0 6.2.5.1: write all ones, read the
 * size mask back, restore), 64-bit ones included (they may lie above 4 GiB).
 * The caller turned decoding off: meanwhile a BAR would decode at the
 * all-ones address. An I/O BAR, an unimplemented one and the upper half of a
 * 64-bit one stay { 0, 0 }. */
static void bars(unsigned dev, struct pci_bar b[6])
{
	for (unsigned n = 0; n < 6; n++)
		b[n] = (struct pci_bar){ 0, 0 };
	for (unsigned n = 0; n < 6; n++) {
		unsigned reg = 0x10 + 4 * n;
		uint32_t lo = cfg32(dev, reg);
		if (lo & 1)
			continue;
		cfg32w(dev, reg, ~0u);
		uint64_t mask = cfg32(dev, reg) & ~0xfu, base = lo & ~0xfu;
		cfg32w(dev, reg, lo);
		if (((lo >> 1) & 3) == 2 && n < 5) {
			uint32_t hi = cfg32(dev, reg + 4);
			cfg32w(dev, reg + 4, ~0u);
			mask |= (uint64_t)cfg32(dev, reg + 4) << 32;
			cfg32w(dev, reg + 4, hi);
			base |= (uint64_t)hi << 32;
		} else if (mask) {
			mask |= 0xffffffff00000000ull; /* a 32-bit BAR: the upper bits are fixed */
		}
		b[n] = (struct pci_bar){ base, mask ? ~mask + 1 : 0 };
		if (((lo >> 1) & 3) == 2)
			n++;
	}
}

/* The region a virtio capability points at, checked (pci_region.c) and
 * mapped uncached; NULL with *why set when it may not be mapped. */
static volatile uint8_t *region(unsigned dev, unsigned cap, const struct pci_bar *b,
                                const struct pci_mem *m, uint32_t need, uint32_t *len,
                                const char **why)
{
	unsigned n = cfg8(dev, cap + CAP(bar));
	uint32_t off = cfg32(dev, cap + CAP(offset));
	*len = cfg32(dev, cap + CAP(length));
	if ((*why = pci_region_check(n < 6 ? &b[n] : NULL, off, *len, need, m)))
		return 0;
	mmu_map_mmio(b[n].base + off, *len);
	return (volatile uint8_t *)(b[n].base + off);
}

/* The ops over the common configuration structure (4.1.4.3). */
static uint8_t status(struct vdev *d) { return d->common->device_status; }

static void set_status(struct vdev *d, uint8_t st) { d->common->device_status = st; }

static uint32_t features(struct vdev *d, unsigned word)
{
	d->common->device_feature_select = word;
	return d->common->device_feature;
}

static void set_features(struct vdev *d, unsigned word, uint32_t v)
{
	d->common->driver_feature_select = word;
	d->common->driver_feature = v;
}

/* Selects queue idx and reads its size; 0 for one past notify_at's room or
 * one already live after our reset. */
static uint16_t queue_max(struct vdev *d, unsigned idx)
{
	volatile struct virtio_pci_common_cfg *c = d->common;
	if (idx >= sizeof d->notify_at / sizeof d->notify_at[0])
		return 0;
	c->queue_select = (uint16_t)idx;
	return c->queue_enable ? 0 : c->queue_size;
}

/* The rest of step 7 for the queue queue_max selected: where to notify it
 * (checked against the notify region), size, 64-bit ring addresses, MSI-X
 * entry 0, enable. */
static int queue_set(struct vdev *d, unsigned idx, struct virtq *q)
{
	volatile struct virtio_pci_common_cfg *c = d->common;
	uint64_t at = (uint64_t)c->queue_notify_off * d->notify_mul;
	if (at + 2 > d->notify_len)
		return -1; /* 4.1.4.4: would notify outside the capability */
	d->notify_at[idx] = (uint32_t)at;
	c->queue_size = q->size;
	c->queue_desc = (uint64_t)q->desc;
	c->queue_driver = (uint64_t)q->avail;
	c->queue_device = (uint64_t)q->used;
	c->queue_msix_vector = 0;
	c->queue_enable = 1;
	return 0;
}

static void notify(struct vdev *d, unsigned queue)
{
	*(volatile uint16_t *)(d->notify + d->notify_at[queue]) = (uint16_t)queue;
}

static uint8_t config8(struct vdev *d, unsigned off)
{
	return off < d->devcfg_len ? d->devcfg[off] : 0;
}

static uint16_t config16(struct vdev *d, unsigned off)
{
	return off + 2 <= d->devcfg_len ? *(volatile uint16_t *)(d->devcfg + off) : 0;
}

static const struct vdev_ops vpci_ops = {
	.status = status,
	.set_status = set_status,
	.features = features,
	.set_features = set_features,
	.queue_max = queue_max,
	.queue_set = queue_set,
	.notify = notify,
	.config8 = config8,
	.config16 = config16,
};

/* Interrupt context: MSI-X has nothing to acknowledge; note the event for the
 * scheduler's idle loop. */
static void vpci_irq(void) { net_irq = 1; }

/* MSI-X entry 0: message to the local APIC with VIRTIO_VECTOR, enabled. */
static const char *msix(unsigned dev, unsigned cap, const struct pci_bar *b,
                        const struct pci_mem *m)
{
	uint32_t tbl = cfg32(dev, cap + 4); /* BAR number in bits 0-2, offset above */
	const char *why =
		pci_region_check((tbl & 7) < 6 ? &b[tbl & 7] : NULL, tbl & ~7u, 16, 16, m);
	if (why)
		return why;
	volatile uint32_t *e = (volatile uint32_t *)(b[tbl & 7].base + (tbl & ~7u));
	mmu_map_mmio((uint64_t)e, 16);
	apic_enable();     /* before the first message: KVM's APIC drops it if disabled */
	e[0] = 0xfee00000; /* address: APIC id 0 */
	e[1] = 0;
	e[2] = VIRTIO_VECTOR;
	e[3] = 0; /* unmasked */
	uint32_t ctl = cfg32(dev, cap);
	cfg32w(dev, cap, (ctl & ~(1u << 30)) | 1u << 31); /* MSI-X enable, function unmasked */
	return NULL;
}

/* Walks the capability list (bounded: a looping list cannot hang us) for the
 * four virtio structures and MSI-X. NULL when all were found and are usable,
 * else why the device cannot be used (the first region that failed its check). */
static const char *caps(unsigned dev, struct vdev *d, const struct pci_bar *b,
                        const struct pci_mem *m, int *msix_cap)
{
	const char *why = NULL;
	uint32_t len;
	*msix_cap = -1;
	for (unsigned cap = cfg8(dev, 0x34) & 0xfc, k = 0; cap && k < 48 && !why;
	     cap = cfg8(dev, cap + 1) & 0xfc, k++) {
		if (cfg8(dev, cap) == PCI_CAP_ID_MSIX)
			*msix_cap = (int)cap;
		if (cfg8(dev, cap) != PCI_CAP_ID_VNDR)
			continue;
		switch (cfg8(dev, cap + CAP(cfg_type))) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			d->common = (volatile void *)region(dev, cap, b, m, sizeof *d->common, &len,
			                                    &why);
			break;
		case VIRTIO_PCI_CAP_ISR_CFG: d->isr = region(dev, cap, b, m, 1, &len, &why); break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			d->devcfg = region(dev, cap, b, m, 1, &d->devcfg_len, &why);
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			d->notify = region(dev, cap, b, m, 2, &d->notify_len, &why);
			d->notify_mul = cfg32(dev, cap + offsetof(struct virtio_pci_notify_cap,
			                                          notify_off_multiplier));
			break;
		}
	}
	if (why)
		return why;
	return d->common && d->notify && d->devcfg && *msix_cap >= 0 ? NULL
	                                                             : "missing capabilities";
}

/* Where the identity map can reach: the CPU's physical address width (CPUID
 * 0x80000008), at most 47 bits (higher is not a canonical lower-half address). */
static uint64_t addr_end(void)
{
	uint32_t r[4];
	cpuid(0x80000000, 0, r);
	unsigned bits = 36; /* the architectural default without the leaf */
	if (r[0] >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		bits = r[0] & 0xff;
	}
	return 1ull << (bits < 47 ? bits : 47);
}

/* Returns how many virtio functions it found (driven or not); each one a
 * driver wants goes to attach. */
int vpci_probe(int (*attach)(struct vdev *d, unsigned type))
{
	struct pci_mem m = { &ram_map, (uint64_t)_text, (uint64_t)_end, addr_end() };
	int found = 0;
	unsigned n = 0;
	for (unsigned dev = 0; dev < 32 && n < PCI_MAX_DEVS; dev++) {
		uint32_t id = cfg32(dev, 0);
		if ((id & 0xffff) != VIRTIO_PCI_VENDOR)
			continue;
		if (!found++) /* before any device can interrupt */
			irq_register(VIRTIO_VECTOR, vpci_irq);
		/* 4.1.2.1: modern ids are 0x1040 + type; a transitional device
		 * (0x1000..0x103f) names its type in the subsystem id and has the
		 * same modern capabilities, which are all this file uses. */
		unsigned did = id >> 16;
		unsigned type = did >= VIRTIO_PCI_MODERN_ID ? did - VIRTIO_PCI_MODERN_ID
		                                            : cfg32(dev, 0x2c) >> 16;
		if (!vdev_wanted(type))
			continue; /* no driver for it, or a second NIC */
		/* The command register's low half only: writing the status half
		 * back could clear its write-one-to-clear bits. */
		uint32_t cmd = cfg32(dev, 0x04) & 0xffff;
		struct pci_bar b[6];
		cfg32w(dev, 0x04, cmd & ~0x3u); /* no decoding while the BARs are sized */
		bars(dev, b);
		cfg32w(dev, 0x04, cmd | 0x6); /* memory space, bus master */
		struct vdev *d = &pdevs[n];
		*d = (struct vdev){ .ops = &vpci_ops };
		int msix_cap;
		const char *why = caps(dev, d, b, &m, &msix_cap);
		if (!why) {
			d->common->msix_config =
				VIRTIO_MSI_NO_VECTOR; /* no config-change interrupts */
			why = msix(dev, (unsigned)msix_cap, b, &m);
		}
		if (why) { /* tier 2: this device is not used, the guest goes on */
			kprintf("spore: virtio-pci %02x: %s; skipped\n", dev, why);
			cfg32w(dev, 0x04, cmd & ~0x4u); /* and it may not master the bus */
			continue;
		}
		if (attach(d, type) == 0)
			n++;
	}
	return found;
}
