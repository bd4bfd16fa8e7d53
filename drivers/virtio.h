/* SPDX-License-Identifier: MIT */
/* The virtio driver layer's internal header: the shared virtqueue and the
 * mmio transport, prototypes grouped by file. Wire formats: virtio_reg.h. */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H
#include <stdint.h>
#include "virtio_reg.h"

/* virtq.c: one split virtqueue of single-descriptor buffers */
struct virtq {
	uint16_t size, num_free, free_head, last_used;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	void **cookie;          /* per descriptor: the buffer's owner; NULL when free */
	int broken;             /* the device returned something impossible */
};
int virtq_init(struct virtq *q, uint16_t size, void *mem);   /* mem: virtq_mem_size() bytes, zeroed */
uint64_t virtq_mem_size(uint16_t size);
int virtq_add(struct virtq *q, uint64_t addr, uint32_t len, int device_writes, void *cookie);
int virtq_get(struct virtq *q, void **cookie, uint32_t *len);   /* 1, 0 none, -1 broken */

/* virtio_mmio.c: the transport (QEMU -M microvm) */
struct vmmio {
	volatile uint8_t *base;
	unsigned irq;
};
uint32_t vmmio_read(struct vmmio *d, unsigned off);
void vmmio_write(struct vmmio *d, unsigned off, uint32_t v);
int  vmmio_setup_queue(struct vmmio *d, unsigned idx, struct virtq *q, uint16_t want);
int  vmmio_negotiate(struct vmmio *d, uint64_t want, uint64_t *got);   /* steps 1-6 */
void vmmio_notify(struct vmmio *d, unsigned queue);
void virtio_probe(void);                 /* finds devices, starts their drivers */
void virtio_irq(void);                   /* interrupt context: ack, note the event */

/* virtio_net.c */
int  vnet_init(struct vmmio *d);         /* -1 after a message */
#endif
