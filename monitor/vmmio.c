// SPDX-License-Identifier: MIT
/* The virtio-mmio transport (virtio 1.x, 4.2.2) of one monitor device: the register
 * block the guest reads and writes through KVM_EXIT_MMIO on the vCPU thread. Queue
 * notifications never come here (an ioeventfd takes them in the host kernel) unless
 * the guest writes an unexpected value. Trusts nothing the guest writes: a queue
 * becomes live only through vq_setup()'s checks. Pure but for the eventfd writes
 * that wake the I/O thread, the interrupt pin's KVM_IRQ_LINE (or, with --vhost,
 * vhost.c's ioctls at DRIVER_OK and reset); the device lock orders it against that
 * thread. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"
#include "virtio_reg.h"

#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VMMIO_VENDOR          0x53504f52u /* "SPOR" */

static void wake(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one)); /* EAGAIN: it is already awake */
	(void)r;
}

/* Spec 4.2.3.1: status 0 resets the device: queues forgotten, interrupts cleared. */
static void vmmio_reset(struct vdev *d)
{
	if (d->vhost)
		vhost_stop(d); /* the kernel off the rings before they are forgotten */
	d->status = 0;
	d->live = 0;
	d->driver_features = 0;
	d->dev_sel = d->drv_sel = d->queue_sel = 0;
	memset(d->qcfg, 0, sizeof(d->qcfg));
	memset(d->q, 0, sizeof(d->q));
	__atomic_store_n(&d->isr, 0, __ATOMIC_RELAXED);
}

/* Every queue set up and DRIVER_OK: the I/O thread may serve it. A queue that fails
 * vq_setup's checks was refused at QUEUE_READY; the device then needs a reset. */
static void vmmio_status(struct vdev *d, uint32_t v)
{
	if (v == 0) {
		vmmio_reset(d);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
		/* 3.1.1 step 5: accept only what was offered, and only modern drivers. */
		if ((d->driver_features & ~d->features) ||
		    !(d->driver_features & 1ull << VIRTIO_F_VERSION_1))
			v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	d->status = (v & 0xff) | (d->status & VIRTIO_STATUS_NEEDS_RESET);
	if ((d->status & VIRTIO_STATUS_DRIVER_OK) && !(d->status & VIRTIO_STATUS_NEEDS_RESET) &&
	    !d->live) {
		d->live = 1;
		for (unsigned i = 0; i < d->nq; i++)
			d->live &= d->qcfg[i].ready;
		if (d->vhost && d->live)
			vhost_start(d); /* the host kernel serves it from now on */
		else
			wake(d->ctl);
	}
}

static void vmmio_queue_ready(struct vdev *d, struct vdev_qcfg *c, struct vq *q)
{
	/* A size past 16 bits must not wrap into a valid one: 0 is refused. */
	uint16_t num = c->num <= VQ_MAX ? (uint16_t)c->num : 0;

	if (vq_setup(q, d->mem, d->mem_size, num, c->desc, c->avail, c->used,
	             !!(d->driver_features & 1ull << VIRTIO_F_EVENT_IDX)) < 0) {
		msg("spore-kvm: guest error: virtio device %u queue %u: %s\n", d->id,
		    (unsigned)(c - d->qcfg), q->broken);
		d->status |= VIRTIO_STATUS_NEEDS_RESET;
		return;
	}
	c->ready = 1;
}

static uint32_t reg_read(struct vdev *d, unsigned off)
{
	struct vdev_qcfg *c = d->queue_sel < d->nq ? &d->qcfg[d->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC: return VIRTIO_MMIO_MAGIC_VALUE;
	case VIRTIO_MMIO_VERSION: return 2;
	case VIRTIO_MMIO_DEVICE_ID: return d->id;
	case VIRTIO_MMIO_VENDOR_ID: return VMMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_sel < 2 ? (uint32_t)(d->features >> 32 * d->dev_sel) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return c ? VQ_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY: return c ? c->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return __atomic_load_n(&d->isr, __ATOMIC_ACQUIRE);
	case VIRTIO_MMIO_STATUS: return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION: return 0; /* the config never changes */
	default: return 0;                            /* write-only or reserved */
	}
}

static void reg_write(struct vdev *d, unsigned off, uint32_t v)
{
	struct vdev_qcfg *c = d->queue_sel < d->nq ? &d->qcfg[d->queue_sel] : NULL;
	/* Queue registers only while that queue is not live (4.2.2). */
	struct vdev_qcfg *set = c && !c->ready ? c : NULL;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->drv_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			d->driver_features &= ~(0xffffffffull << 32 * d->drv_sel);
			d->driver_features |= (uint64_t)v << 32 * d->drv_sel;
		}
		break;
	case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (set)
			set->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		if (set)
			set->desc = (set->desc & ~0xffffffffull) | v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (set)
			set->desc = (set->desc & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		if (set)
			set->avail = (set->avail & ~0xffffffffull) | v;
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (set)
			set->avail = (set->avail & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		if (set)
			set->used = (set->used & ~0xffffffffull) | v;
		break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (set)
			set->used = (set->used & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (set && v == 1)
			vmmio_queue_ready(d, set, &d->q[d->queue_sel]);
		else if (c && v == 0 && c->ready)
			vmmio_reset(d); /* a live queue withdrawn: the spec's answer is a reset */
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* The ioeventfd matches only valid queue numbers; others land here. */
		if (v < d->nq)
			wake(d->kick[v]);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK: __atomic_and_fetch(&d->isr, ~v, __ATOMIC_RELEASE); break;
	case VIRTIO_MMIO_STATUS: vmmio_status(d, v); break;
	default: break; /* read-only or reserved: ignored (4.2.2.2) */
	}
}

/* One guest access at offset off of d's window. Registers are 32-bit and aligned
 * (4.2.2.2); the device config space (from 0x100) may be read by bytes. A bad access
 * reads as 0 and writes nothing. */
void vmmio_access(struct vdev *d, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t o = off - VIRTIO_MMIO_CONFIG;
		if (!is_write)
			for (unsigned i = 0; i < len; i++)
				data[i] = o + i < d->config_len ? d->config[o + i] : 0;
	} else if (len == 4 && off % 4 == 0) {
		uint32_t v;
		if (is_write) {
			memcpy(&v, data, 4);
			reg_write(d, (unsigned)off, v);
		} else {
			v = reg_read(d, (unsigned)off);
			memcpy(data, &v, 4);
		}
	} else if (!is_write) {
		memset(data, 0, len);
	}
	pthread_mutex_unlock(&d->lock);
}

/* A pulse on the device's I/O APIC pin: up, then down, as an irqfd does (the guest
 * routes it edge-triggered under spore-kvm, HC_FEAT_IRQ_NOACK; a level-triggered
 * route sees the same). With line, two KVM_IRQ_LINE calls in this thread: KVM
 * injects here and now. An irqfd on an I/O APIC pin cannot inject from the writer's
 * context (only an MSI route can), so KVM queues a work item and a kworker injects:
 * one more thread to wake and switch to per interrupt, on the host's CPU, and a
 * KVM_IRQFD at start that walks a list of every irqfd on the host (docs/density.md).
 * The irqfd stays for --vhost (the kernel's worker signals an eventfd) and for the
 * unit tests. A refused KVM_IRQ_LINE is a monitor bug: reported, never a silent
 * stall. */
void vmmio_pulse(struct vdev *d)
{
	if (!d->line) {
		wake(d->irqfd);
		return;
	}
	struct kvm_irq_level l = { .irq = d->gsi, .level = 1 };
	if (ioctl(d->vm_fd, KVM_IRQ_LINE, &l) == 0) {
		l.level = 0;
		if (ioctl(d->vm_fd, KVM_IRQ_LINE, &l) == 0)
			return;
	}
	msg("spore-kvm: virtio: KVM_IRQ_LINE (pin %u): %s\n", d->gsi, strerror(errno));
	_exit(HC_EXIT_VMFAULT);
}

/* Tells the guest that queue work is done: the interrupt status bit, then the pin.
 * Called by the I/O thread with the lock held. */
void vmmio_irq(struct vdev *d)
{
	__atomic_or_fetch(&d->isr, 1, __ATOMIC_RELEASE); /* "used buffer notification" */
	d->irqs++;
	vmmio_pulse(d);
}
