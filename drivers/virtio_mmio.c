// SPDX-License-Identifier: MIT
/* The virtio-mmio transport (spec 4.2) on QEMU -M microvm. Devices are found
 * through the host's virtio_mmio.device=SIZE@BASE:IRQ words when it passes
 * them (microvm with acpi=off, Firecracker); with ACPI (microvm's default)
 * QEMU lists them only in the DSDT, which spore does not read, so then every
 * transport slot at 0xfeb00000 + 512 * i is probed for the magic value: slot
 * i's interrupt is GSI 24 + i on microvm's second I/O APIC, else 16 + i or 5 + i. */
#include "kernel.h"
#include "net.h"
#include "virtio.h"

#define MMIO_BASE  0xfeb00000ull
#define MMIO_SLOTS 24
#define MMIO_SIZE  512

static struct vdev devs[MMIO_SLOTS];
static unsigned ndevs;
int vmmio_noack; /* the host's interrupts need no InterruptStatus read or ack (spore-kvm) */

static uint32_t rd(struct vdev *d, unsigned off) { return *(volatile uint32_t *)(d->base + off); }

static void wr(struct vdev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static uint8_t status(struct vdev *d) { return (uint8_t)rd(d, VIRTIO_MMIO_STATUS); }

static void set_status(struct vdev *d, uint8_t st) { wr(d, VIRTIO_MMIO_STATUS, st); }

static uint32_t features(struct vdev *d, unsigned word)
{
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, word);
	return rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

static void set_features(struct vdev *d, unsigned word, uint32_t v)
{
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, word);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, v);
}

static uint16_t queue_max(struct vdev *d, unsigned idx)
{
	wr(d, VIRTIO_MMIO_QUEUE_SEL, idx);
	uint32_t max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	return max > 0x8000 ? 0x8000 : (uint16_t)max; /* 2.7: at most 32768 */
}

/* 4.2.3.2 for the queue queue_max selected: size, ring addresses, ready. */
static int queue_set(struct vdev *d, unsigned idx, struct virtq *q)
{
	(void)idx;
	wr(d, VIRTIO_MMIO_QUEUE_NUM, q->size);
	uint64_t a[3] = { (uint64_t)q->desc, (uint64_t)q->avail, (uint64_t)q->used };
	static const unsigned reg[3] = { VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_AVAIL_LOW,
		                         VIRTIO_MMIO_QUEUE_USED_LOW };
	for (int i = 0; i < 3; i++) {
		wr(d, reg[i], (uint32_t)a[i]);
		wr(d, reg[i] + 4, (uint32_t)(a[i] >> 32));
	}
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

static void notify(struct vdev *d, unsigned queue) { wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, queue); }

static uint8_t config8(struct vdev *d, unsigned off) { return d->base[VIRTIO_MMIO_CONFIG + off]; }
/* 4.2.2.2: a 16-bit field in one 16-bit access */
static uint16_t config16(struct vdev *d, unsigned off)
{
	return *(volatile uint16_t *)(d->base + VIRTIO_MMIO_CONFIG + off);
}

static const struct vdev_ops vmmio_ops = {
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

/* Interrupt context: acknowledge every device's pending causes (the line is
 * level-triggered: unacknowledged, it would fire again at once) and note the
 * event for the scheduler's idle loop. */
static void vmmio_irq(void)
{
	for (unsigned i = 0; i < ndevs && !vmmio_noack; i++) {
		uint32_t st = rd(&devs[i], VIRTIO_MMIO_INTERRUPT_STATUS);
		if (st)
			wr(&devs[i], VIRTIO_MMIO_INTERRUPT_ACK, st);
	}
	net_irq = 1;
}

static unsigned slot_gsi(unsigned slot)
{
	if (ioapic_has_gsi(24 + slot))
		return 24 + slot;
	return ioapic_has_gsi(16 + slot) ? 16 + slot : 5 + slot;
}

/* One transport at base (mapped): version 2 (modern) only; one switch on the
 * device type picks the driver. -1: no transport there at all. */
static int vmmio_probe_one(uint64_t base, unsigned irq,
                           int (*attach)(struct vdev *d, unsigned type))
{
	struct vdev *d = &devs[ndevs];
	*d = (struct vdev){ .ops = &vmmio_ops, .base = (volatile uint8_t *)base, .irq = irq };
	if (rd(d, VIRTIO_MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE)
		return -1;
	uint32_t id = rd(d, VIRTIO_MMIO_DEVICE_ID);
	if (id == 0)
		return 0; /* an empty transport */
	if (rd(d, VIRTIO_MMIO_VERSION) != 2) {
		kprintf("spore: virtio-mmio at 0x%lx: legacy transport, skipped\n", base);
		return 0;
	}
	if (!ioapic_has_gsi(irq)) {
		kprintf("spore: virtio-mmio at 0x%lx: no I/O APIC pin for IRQ %u, skipped\n", base,
		        irq);
		return 0;
	}
	if (!vdev_wanted(id) || attach(d, id) < 0)
		return 0; /* no driver, a second one, or it failed */
	/* spore-kvm's irqfd pulses need no ack: edge-triggered, so the I/O APIC waits
	 * for no EOI and KVM's paravirtual EOI (apic_pv_eoi) can skip the EOI exit. */
	ioapic_route_trig(d->irq, VIRTIO_VECTOR, !vmmio_noack);
	ndevs++;
	return 0;
}

/* The devices the host named on the command line that lie in [lo, hi): a word
 * outside is skipped (under spore-kvm a user's word names no device of the
 * monitor's, and touching it would be a fatal MMIO exit). */
void vmmio_probe_named(uint64_t lo, uint64_t hi, int (*attach)(struct vdev *d, unsigned type))
{
	irq_register(VIRTIO_VECTOR, vmmio_irq); /* before any device can interrupt */
	for (int i = 0; i < opt_nmmio && ndevs < MMIO_SLOTS; i++) {
		uint64_t base = opt_mmio[i].base, size = opt_mmio[i].size;
		if (size < VIRTIO_MMIO_CONFIG + 8) {
			kprintf("spore: virtio-mmio at 0x%lx: %lu bytes is too small\n", base,
			        size);
			continue;
		}
		if (base < lo || base > hi || size > hi - base) {
			kprintf("spore: virtio-mmio at 0x%lx: not one of the host's devices, skipped\n",
			        base);
			continue;
		}
		mmu_map_mmio(base, size);
		if (vmmio_probe_one(base, opt_mmio[i].irq, attach) < 0)
			kprintf("spore: no virtio-mmio device at 0x%lx\n", base);
	}
}

/* The devices the host named; with none named, every microvm slot is probed. */
void vmmio_probe(int (*attach)(struct vdev *d, unsigned type))
{
	vmmio_probe_named(0, UINT64_MAX, attach);
	if (opt_nmmio)
		return; /* the host named its devices: no guessing */
	mmu_map_mmio(MMIO_BASE, MMIO_SLOTS * MMIO_SIZE);
	for (unsigned slot = 0; slot < MMIO_SLOTS; slot++)
		if (vmmio_probe_one(MMIO_BASE + slot * MMIO_SIZE, slot_gsi(slot), attach) < 0)
			break; /* past the last transport */
}
