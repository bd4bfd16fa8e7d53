// SPDX-License-Identifier: MIT
/* libFuzzer target for the monitor's device-side virtqueue (monitor/vq.c). The
 * input is a script: the ring set-up (size, addresses, EVENT_IDX), then device
 * calls (pop, push, interrupt check, arm, read, write) between which a hostile guest
 * writes anything anywhere in its RAM. The device must never touch memory outside
 * guest RAM (ASan: RAM is a malloc'd block of exactly its size), never hand out a
 * chain longer than the queue or a segment outside RAM, and once broken must stay
 * broken. make fuzz-vq FUZZ_SECONDS=N. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

#define MEM 8192

static const uint8_t *in, *in_end;

static uint8_t byte(void) { return in < in_end ? *in++ : 0; }

static uint64_t word(unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | byte();
	return v;
}

/* An address: mostly inside the small RAM, sometimes anything (wrap-around). */
static uint64_t addr(void)
{
	uint8_t k = byte();
	return k < 200 ? word(2) % (MEM + 16) : word(8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_chain ch;
	uint8_t *mem = malloc(MEM);
	uint8_t buf[512];
	struct vq q;

	in = data, in_end = data + size;
	memset(mem, 0, MEM);
	uint16_t n = (uint16_t)(byte() % 2 ? 1u << (byte() % 9) : word(2)); /* mostly powers of 2 */
	int ok = vq_setup(&q, mem, MEM, n, addr(), addr(), addr(), byte() & 1) == 0;
	if (!ok && !q.broken)
		abort();
	int broken = !ok, have = 0;
	while (in < in_end) {
		int r = 0;
		switch (byte() % 8) {
		case 0:
		case 1: { /* the guest writes a few bytes anywhere in RAM */
			uint64_t a = word(2) % MEM;
			unsigned len = byte() % 17;
			for (unsigned i = 0; i < len && a + i < MEM; i++)
				mem[a + i] = byte();
			break;
		}
		case 2:
			r = vq_pop(&q, &ch);
			if (r == 1) {
				if (ch.n == 0 || ch.n > q.size || ch.head >= q.size)
					abort();
				for (unsigned i = 0; i < ch.n; i++) {
					uint8_t *p = ch.seg[i].p;
					if (p < mem || p > mem + MEM ||
					    ch.seg[i].len > (uint64_t)(mem + MEM - p))
						abort();
				}
				have = 1;
			}
			break;
		case 3:
			if (have)
				vq_push(&q, ch.head, (uint32_t)word(4));
			break;
		case 4: r = vq_need_irq(&q); break;
		case 5:
			r = vq_arm(&q);
			vq_quiet(&q);
			break;
		case 6:
			if (have)
				vq_read(&ch, (uint32_t)word(2), buf, byte() * 2u);
			break;
		case 7:
			if (have)
				vq_write(&ch, (uint32_t)word(2), buf, byte() * 2u);
			break;
		}
		if (broken && (r > 0 || !q.broken))
			abort(); /* broken is sticky */
		if (q.broken) {
			broken = 1;
			have = 0; /* segments from a broken queue are not handed on */
		}
	}
	free(mem);
	return 0;
}
