/* SPDX-License-Identifier: MIT */
/* The virtio driver layer's internal header, bottom to top: the virtqueue, the
 * device layer drivers call (virtio.c), the two transports under it, the
 * drivers, and the probe above them all. Wire formats: virtio_reg.h. */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H
#include <stddef.h>
#include <stdint.h>
#include "virtio_reg.h"
#include "barrier.h"

/* virtq.c: one split virtqueue of single-descriptor buffers */
struct virtq {
	uint16_t size, num_free, free_head, last_used;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	/* Ours only, after the rings (the device is never shown them; it can
	 * rewrite the descriptor table, so the driver never reads that back): */
	void **cookie;      /* per descriptor: the buffer's owner; NULL when free */
	uint32_t *len;      /* per descriptor: its buffer's length */
	uint16_t *chain;    /* per head descriptor: its chain's length */
	uint16_t *next;     /* per descriptor: the next in its chain or the free list */
	const char *broken; /* NULL, or why the queue is dead: the device returned
	                     * something impossible, or never answered */
	int event_idx;      /* VIRTIO_F_EVENT_IDX negotiated */
	uint16_t kicked;    /* avail idx at the last notification */
	uint16_t avail_idx; /* ours; avail->idx is only ever written from it */
	int quiet;          /* EVENT_IDX: never ask for an interrupt (used_event left
	                     * alone): a queue reaped by polling, as transmit is */
};
int virtq_init(struct virtq *q, uint16_t size, void *mem); /* mem: virtq_mem_size() bytes, zeroed */
uint64_t virtq_mem_size(uint16_t size);
struct vbuf {
	uint64_t addr;
	uint32_t len;
	int device_writes;
};
int virtq_add(struct virtq *q, uint64_t addr, uint32_t len, int device_writes, void *cookie);
int virtq_add_chain(struct virtq *q, const struct vbuf *b, unsigned n, void *cookie);
int virtq_get(struct virtq *q, void **cookie, uint32_t *len);             /* 1, 0 none, -1 broken */
int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx); /* 2.7.10 */
int virtq_kick_needed(struct virtq *q); /* call before notifying; records the kick */
extern int virtq_exact_event;           /* the host's avail_event is exact: no defensive kick */

/* virtio.c: one device on either transport, the layer every driver calls.
 * The transport found it and filled ops; virtio.c walks the spec's steps
 * through them, so no driver names a transport and no transport a driver. */
struct vdev;
struct vdev_ops {
	uint8_t (*status)(struct vdev *d);
	void (*set_status)(struct vdev *d, uint8_t st);      /* 0: reset */
	uint32_t (*features)(struct vdev *d, unsigned word); /* the device's, 32 bits a word */
	void (*set_features)(struct vdev *d, unsigned word, uint32_t v);
	uint16_t (*queue_max)(struct vdev *d, unsigned idx);             /* 0: no such queue */
	int (*queue_set)(struct vdev *d, unsigned idx, struct virtq *q); /* rings, ready */
	void (*notify)(struct vdev *d, unsigned queue);
	uint8_t (*config8)(struct vdev *d, unsigned off);   /* device config; 0 past its end */
	uint16_t (*config16)(struct vdev *d, unsigned off); /* a 16-bit field, one access */
};
struct vdev {
	const struct vdev_ops *ops;
	volatile uint8_t *base;                        /* mmio: the register block */
	volatile struct virtio_pci_common_cfg *common; /* pci: capability regions */
	volatile uint8_t *isr, *devcfg, *notify;
	uint32_t devcfg_len, notify_len, notify_mul;
	uint32_t notify_at[2]; /* pci: per queue, byte offset in notify (checked) */
	unsigned irq;          /* mmio: the GSI */
};
int vdev_negotiate(struct vdev *d, uint64_t want, uint64_t *got); /* steps 1-6 */
int vdev_wait(struct virtq *q, void **c, uint32_t *len, uint64_t timeout_ns,
              uint64_t poll_ns); /* a used entry within timeout_ns of running time */
int vdev_setup_queue(struct vdev *d, unsigned idx, struct virtq *q, uint16_t want); /* 7 */
void vdev_driver_ok(struct vdev *d);                                                /* 8 */
void vdev_fail(struct vdev *d);
void vdev_notify(struct vdev *d, unsigned queue);
uint8_t vdev_config8(struct vdev *d, unsigned off);
uint16_t vdev_config16(struct vdev *d, unsigned off); /* off even */
int vdev_wanted(unsigned type); /* a driver exists for the type, and is free */

/* The transports hand each device they find to `attach`, the probe's one
 * switch on the device type (virtio_probe.c), passed down so that no
 * transport names a driver; it returns 0 when a driver took the device. */

/* virtio_mmio.c: the mmio transport (QEMU -M microvm, spore-kvm) */
void vmmio_probe(int (*attach)(struct vdev *d, unsigned type)); /* named, else every slot */
void vmmio_probe_named(uint64_t lo, uint64_t hi, int (*attach)(struct vdev *d, unsigned type));
extern int vmmio_noack; /* set before probing: interrupts need no ack */

/* pci_region.c: a device's register region, checked before it is mapped (pure) */
struct ram_info;
struct pci_bar {
	uint64_t base, size;
};               /* a memory BAR; 0, 0: none usable */
struct pci_mem { /* what no BAR may overlap or pass */
	const struct ram_info *ram;
	uint64_t image_start, image_end;
	uint64_t addr_end; /* the end of the physical address space */
};
const char *pci_region_check(const struct pci_bar *b, uint64_t off, uint64_t len, uint64_t need,
                             const struct pci_mem *m); /* NULL: may be mapped; else why not */

/* virtio_pci.c: the modern PCI transport (QEMU -M q35) */
int vpci_probe(int (*attach)(struct vdev *d, unsigned type)); /* virtio functions on bus 0 */

/* virtio_rng.c */
int vrng_init(struct vdev *d);      /* -1: not usable */
int vrng_read(void *buf, size_t n); /* -1: no device or no answer */

/* virtio_blk.c */
int vblk_init(struct vdev *d); /* -1: not usable */

/* virtio_net.c */
int vnet_init(struct vdev *d); /* -1 after a message */

/* virtio_probe.c: both transports, each device to its driver */
void virtio_probe(void);                           /* QEMU: PCI, else mmio */
void virtio_probe_named(uint64_t lo, uint64_t hi); /* spore-kvm: its window only */
#endif
