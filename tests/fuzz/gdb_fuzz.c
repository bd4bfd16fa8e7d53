// SPDX-License-Identifier: MIT
/* libFuzzer target for spore-kvm's gdb stub: the wire layer (monitor/rsp.c) and the
 * commands (monitor/gdb.c) over a fake guest RAM whose page tables are the fuzzer's
 * too (monitor/gva.c). Input: byte 0 picks paging off or on (CR3 into the fuzzed
 * RAM) and whether the rest goes through the framing (rsp_feed) or straight to
 * gdb_command as '\n'-separated packets (so checksums do not hide the commands);
 * bytes 1..4096 seed guest RAM's first page and the tables' page. Nothing may touch
 * memory outside RAM (ASan: RAM is a heap block of exactly its size), every reply
 * must fit its buffer, and breakpoints must come out again byte-exact.
 * make fuzz-gdb FUZZ_SECONDS=N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

#define MEM (1ull << 20)

static uint8_t *mem, *clean;
static struct gdb g;
static struct rsp_rx rx;
static char reply[RSP_MAX];

static void run(const char *pkt, size_t len)
{
	size_t rlen = 0;
	int a = gdb_command(&g, pkt, len, reply, sizeof(reply), &rlen);

	if (rlen > sizeof(reply) || a < GDB_REPLY || a > GDB_DETACH)
		abort();
	char out[2 * RSP_MAX + 8];
	if (rlen && rsp_frame(out, sizeof(out), reply, rlen) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem) {
		mem = malloc(MEM);
		clean = malloc(MEM);
	}
	if (size < 1)
		return 0;
	memset(mem, 0, MEM);
	size_t seed = size - 1 < 4096 ? size - 1 : 4096;
	memcpy(mem + 0x1000, data + 1, seed);  /* code, data and page tables at 0x1000 */
	memcpy(mem + 0xff000, data + 1, seed); /* and the top page */
	memcpy(clean, mem, MEM);
	g = (struct gdb){ .mem = mem, .mem_size = MEM, .sig = 5 };
	g.cpu.fpu_ok = data[0] & 4;
	if (data[0] & 1)
		g.mmu = (struct gva_mmu){ .cr0 = 1ull << 31,
			                  .cr3 = 0x1000 | (data[0] & 0xf0) << 12,
			                  .cr4 = data[0] & 8 ? 1ull << 12 : 0,
			                  .efer = 1ull << 10 };
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	if (data[0] & 2) {
		for (; p < end; p++) {
			int ev = rsp_feed(&rx, (uint8_t)*p);
			if (ev == RSP_PACKET) {
				if (rx.len > RSP_MAX || rx.buf[rx.len] != '\0')
					abort();
				run(rx.buf, rx.len);
			}
		}
	} else {
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *e = nl ? nl : end;
			char pkt[RSP_MAX + 1];
			size_t n = (size_t)(e - p) < RSP_MAX ? (size_t)(e - p) : RSP_MAX;
			memcpy(pkt, p, n);
			pkt[n] = '\0';
			run(pkt, n);
			p = e + 1;
		}
	}
	/* Breakpoints out: every byte gdb did not write itself is as it was. A write
	 * (M, X) may have changed RAM, so only check when there were none. */
	gdb_clear_breakpoints(&g);
	if (g.nbp != 0)
		abort();
	if (!memchr(data + 1, 'M', size - 1) && !memchr(data + 1, 'X', size - 1) &&
	    memcmp(mem, clean, MEM) != 0)
		abort();
	return 0;
}
