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

uint32_t vmmio_read(struct vdev *d, unsigned off) { return *(volatile uint32_t *)(d->base + off); }

void vmmio_write(struct vdev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

/* Spec 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK
 * and its re-check. Returns 0 with the accepted features in *got. */
int vdev_negotiate(struct vdev *d, uint64_t want, uint64_t *got)
{
	if (d->pci)
		return vpci_negotiate(d, want, got);
	vmmio_write(d, VIRTIO_MMIO_STATUS, 0);                         /* 1. reset */
	vmmio_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE); /* 2. seen it */
	vmmio_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t dev = 0; /* 4. features */
	for (unsigned w = 0; w < 2; w++) {
		vmmio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, w);
		dev |= (uint64_t)vmmio_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * w);
	}
	*got = dev & want;
	if (!(*got & 1ull << VIRTIO_F_VERSION_1))
		return -1; /* legacy-only device: not supported */
	for (unsigned w = 0; w < 2; w++) {
		vmmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, w);
		vmmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(*got >> (32 * w)));
	}
	vmmio_write(d, VIRTIO_MMIO_STATUS,
	            VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                    VIRTIO_STATUS_FEATURES_OK); /* 5. */
	if (!(vmmio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return -1; /* 6. refused */
	return 0;
}

/* Step 7 for one queue: size, ring addresses, ready. */
int vdev_setup_queue(struct vdev *d, unsigned idx, struct virtq *q, uint16_t want)
{
	uint32_t max = want;
	if (!d->pci) {
		vmmio_write(d, VIRTIO_MMIO_QUEUE_SEL, idx);
		max = vmmio_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	}
	uint16_t n = want;
	while (n > max)
		n >>= 1;
	if (n == 0)
		return -1;
	uint64_t bytes = virtq_mem_size(n);
	void *mem = mem_alloc_pages(bytes / PAGE_SIZE);
	if (!mem)
		return -1;
	for (uint64_t i = 0; i < bytes; i++)
		((uint8_t *)mem)[i] = 0;
	if (d->pci)
		return vpci_setup_queue(d, idx, q, n, mem);
	if (virtq_init(q, n, mem) < 0)
		return -1;
	vmmio_write(d, VIRTIO_MMIO_QUEUE_NUM, n);
	uint64_t a[3] = { (uint64_t)q->desc, (uint64_t)q->avail, (uint64_t)q->used };
	static const unsigned reg[3] = { VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_AVAIL_LOW,
		                         VIRTIO_MMIO_QUEUE_USED_LOW };
	for (int i = 0; i < 3; i++) {
		vmmio_write(d, reg[i], (uint32_t)a[i]);
		vmmio_write(d, reg[i] + 4, (uint32_t)(a[i] >> 32));
	}
	vmmio_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

void vdev_notify(struct vdev *d, unsigned queue)
{
	/* The ring writes must be visible before the device is told (2.7.13).
	 * x86 keeps stores in order even to a device register, so wmb() would
	 * do; the full fence costs nothing next to the exit the kick causes. */
	mb();
	if (d->pci)
		vpci_notify(d, queue);
	else
		vmmio_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

void vdev_driver_ok(struct vdev *d)
{
	uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	             VIRTIO_STATUS_DRIVER_OK;
	if (d->pci)
		vpci_status(d, st);
	else
		vmmio_write(d, VIRTIO_MMIO_STATUS, st);
}

void vdev_fail(struct vdev *d)
{
	if (d->pci)
		vpci_status(d, VIRTIO_STATUS_FAILED);
	else
		vmmio_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
}

uint8_t vdev_config8(struct vdev *d, unsigned off)
{
	if (d->pci)
		return off < d->devcfg_len ? d->devcfg[off] : 0;
	return d->base[VIRTIO_MMIO_CONFIG + off];
}

/* Interrupt context: acknowledge every device's pending causes (the line is
 * level-triggered: unacknowledged, it would fire again at once) and note the
 * event for the scheduler's idle loop. */
void virtio_irq(void)
{
	for (unsigned i = 0; i < ndevs && !vmmio_noack; i++) { /* PCI: MSI-X, nothing to ack */
		uint32_t st = vmmio_read(&devs[i], VIRTIO_MMIO_INTERRUPT_STATUS);
		if (st)
			vmmio_write(&devs[i], VIRTIO_MMIO_INTERRUPT_ACK, st);
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
static int vmmio_probe_one(uint64_t base, unsigned irq)
{
	struct vdev *d = &devs[ndevs];
	*d = (struct vdev){ .base = (volatile uint8_t *)base, .irq = irq };
	if (vmmio_read(d, VIRTIO_MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE)
		return -1;
	uint32_t id = vmmio_read(d, VIRTIO_MMIO_DEVICE_ID);
	if (id == 0)
		return 0; /* an empty transport */
	if (vmmio_read(d, VIRTIO_MMIO_VERSION) != 2) {
		kprintf("spore: virtio-mmio at 0x%lx: legacy transport, skipped\n", base);
		return 0;
	}
	if (!ioapic_has_gsi(irq)) {
		kprintf("spore: virtio-mmio at 0x%lx: no I/O APIC pin for IRQ %u, skipped\n", base,
		        irq);
		return 0;
	}
	int r = -1;
	switch (id) {
	case VIRTIO_ID_NET: r = net_dev ? -1 : vnet_init(d); break;
	case VIRTIO_ID_RNG: r = vrng_init(d); break;
	case VIRTIO_ID_BLK: r = vblk_init(d); break;
	}
	if (r < 0)
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
void vmmio_probe_named(uint64_t lo, uint64_t hi)
{
	irq_register(VIRTIO_VECTOR, virtio_irq); /* before any device can interrupt */
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
		if (vmmio_probe_one(base, opt_mmio[i].irq) < 0)
			kprintf("spore: no virtio-mmio device at 0x%lx\n", base);
	}
}

/* The devices the host named; with none named, every microvm slot is probed. */
static void vmmio_probe(void)
{
	vmmio_probe_named(0, UINT64_MAX);
	if (opt_nmmio)
		return; /* the host named its devices: no guessing */
	mmu_map_mmio(MMIO_BASE, MMIO_SLOTS * MMIO_SIZE);
	for (unsigned slot = 0; slot < MMIO_SLOTS; slot++)
		if (vmmio_probe_one(MMIO_BASE + slot * MMIO_SIZE, slot_gsi(slot)) < 0)
			break; /* past the last transport */
}

void virtio_probe(void)
{
	irq_register(VIRTIO_VECTOR, virtio_irq); /* before any device can interrupt */
	if (!vpci_probe())                       /* q35: PCI; on microvm the scan finds nothing */
		vmmio_probe();
}
