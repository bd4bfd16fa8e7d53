// SPDX-License-Identifier: MIT
/* libFuzzer target for the monitor's virtio devices as a hostile guest drives them:
 * the input is a script of register accesses (vmmio.c, any offset, size and value),
 * writes anywhere in its small RAM, and I/O thread passes over virtio-net (vnet.c,
 * a datagram socket pair standing in for the tap, fed frames by the script: each
 * starts with the tap's 12-byte virtio-net header, so flags, GSO type and checksum
 * offsets are the script's, as are the guest's headers in RAM both ways) and
 * virtio-blk (vblk.c, a 64 KiB memfd as the disk). Nothing may touch memory outside
 * guest RAM (ASan: RAM is a malloc'd block of exactly its size) or the disk's end,
 * and a device never goes live on a queue vq.c refused. make fuzz-vdev FUZZ_SECONDS=N. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"
#include "virtio_reg.h"

#define MEM 16384

#include "input.h"

void msg(const char *fmt, ...)
{
	(void)fmt; /* the devices' complaints: not the fuzzer's business */
}

static void reg(struct vdev *d, unsigned off, uint32_t v)
{
	vmmio_access(d, off, (uint8_t *)&v, 4, 1);
}

/* Spec 3.1.1 for d: feature word 0 as given, VERSION_1, queue q's rings of 8 at
 * 0x2000 * q (descriptors), + 0x1000 (avail), + 0x1800 (used). */
static void net_setup(struct vdev *d, uint32_t features)
{
	reg(d, VIRTIO_MMIO_STATUS, 0);
	reg(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	reg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg(d, VIRTIO_MMIO_DRIVER_FEATURES, features);
	reg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	reg(d, VIRTIO_MMIO_STATUS, 0x0b);
	for (unsigned q = 0; q < 2; q++) {
		reg(d, VIRTIO_MMIO_QUEUE_SEL, q);
		reg(d, VIRTIO_MMIO_QUEUE_NUM, 8);
		reg(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x2000 * q);
		reg(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x2000 * q + 0x1000);
		reg(d, VIRTIO_MMIO_QUEUE_USED_LOW, 0x2000 * q + 0x1800);
		reg(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	reg(d, VIRTIO_MMIO_STATUS, 0x0f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sv[2] = { -1, -1 }, disk = -1;
	static struct vdev dev[2];
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t *mem = malloc(MEM), frame[256], junk[2048];

	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	if (disk < 0 && ((disk = memfd_create("disk", 0)) < 0 || ftruncate(disk, 65536) < 0))
		abort();
	while (recv(sv[0], junk, sizeof(junk), 0) > 0 || recv(sv[1], junk, sizeof(junk), 0) > 0)
		; /* nothing left from the last input */
	in = data, in_end = data + size;
	memset(mem, 0, MEM);
	for (int i = 0; i < 2; i++) {
		dev[i] = (struct vdev){
			.mem = mem, .mem_size = MEM, .ctl = -1, .irqfd = -1, .kick = { -1, -1 }
		};
		pthread_mutex_init(&dev[i].lock, NULL);
	}
	vnet_init(&dev[0], sv[0], "tap", mac, 9000); /* F_MTU offered: its frame limit too */
	vnet_poll(&dev[0], 0); /* the I/O thread's polling: off until the input turns it on */
	vblk_init(&dev[1], disk, 128);
	while (in < in_end) {
		struct vdev *d = &dev[byte() & 1];
		switch (byte() % 8) {
		case 0:
		case 1: { /* a register access; mostly aligned 32-bit */
			uint8_t b[8];
			unsigned off = (unsigned)word(2) % VMMIO_SIZE,
				 len = byte() % 4 ? 4 : 1 + byte() % 8;
			if (byte() % 4)
				off &= ~3u;
			if (off + len > VMMIO_SIZE)
				break;
			uint64_t v = word(4);
			memcpy(b, &v, 8);
			vmmio_access(d, off, b, len, byte() & 1);
			break;
		}
		case 2: { /* the guest writes a few bytes anywhere in RAM */
			uint64_t a = word(2) % MEM;
			unsigned len = byte() % 17;
			for (unsigned i = 0; i < len && a + i < MEM; i++)
				mem[a + i] = byte();
			break;
		}
		case 3: { /* a frame arrives on the tap */
			unsigned len = byte() % sizeof(frame);
			for (unsigned i = 0; i < len; i++)
				frame[i] = byte();
			if (send(sv[1], frame, len, 0) < 0)
				break;
			break;
		}
		case 6: /* the driver's set-up of virtio-net in one step, features the
		         * script's: random register writes seldom get a device live */
			net_setup(&dev[0], (uint32_t)word(4));
			break;
		case 7: { /* a descriptor written and made available on a queue of
			   * virtio-net's (the layout net_setup gives) */
			uint64_t q = (byte() & 1) * 0x2000, slot = byte() % 8;
			struct virtq_desc dsc = { word(2) % MEM, (uint32_t)word(2) % 4096,
				                  (uint16_t)(byte() & 3), (uint16_t)(byte() % 8) };
			uint16_t idx;
			memcpy(mem + q + 16 * slot, &dsc, sizeof(dsc));
			memcpy(&idx, mem + q + 0x1000 + 2, 2);
			memcpy(mem + q + 0x1000 + 4 + 2 * (idx % 8), &(uint16_t){ (uint16_t)slot },
			       2);
			idx++;
			memcpy(mem + q + 0x1000 + 2, &idx, 2);
			break;
		}
		case 5: /* the I/O thread's polling turned on or off (iothread.c), then */
			if (d->id == VIRTIO_ID_NET) {
				pthread_mutex_lock(&d->lock);
				vnet_poll(d, byte() & 1);
				pthread_mutex_unlock(&d->lock);
			}
			__attribute__((fallthrough));
		case 4: /* the I/O thread's pass */
			pthread_mutex_lock(&d->lock);
			if (d->live)
				for (unsigned q = 0; q < d->nq; q++)
					if (!d->qcfg[q].ready)
						abort(); /* live on a refused queue */
			if (d->id == VIRTIO_ID_NET)
				vnet_serve(d, 1);
			else
				vblk_serve(d);
			pthread_mutex_unlock(&d->lock);
			break;
		}
	}
	free(mem);
	return 0;
}
