// SPDX-License-Identifier: MIT
/* The gdb stub's commands (gdb manual, "Packets"): registers, memory through the
 * guest's page tables, software breakpoints planted in guest RAM (g->insn: int3, or
 * hlt where int3 does not reach the monitor, see gdbstub.c), and which way to
 * resume. Pure: it works on a copy of the stopped vCPU's registers (gdbstub.c loads
 * and stores them) and on guest RAM, so the unit tests and the fuzz target drive it
 * over a fake guest. Every address and length from gdb is checked. One thread (1). */
#include <stdio.h>
#include <string.h>

#include "monitor.h"

#define G_GPR   136 /* 16 general registers and rip, 8 bytes each */
#define G_BASIC 164 /* ... eflags and six segment selectors, 4 each */
#define G_FULL  536 /* ... x87, SSE and mxcsr */
#define INT3    0xcc

static uint8_t insn(const struct gdb *g) { return g->insn ? g->insn : INT3; }

/* gdb's amd64 register file (its 64bit-core.xml and 64bit-sse.xml, in order) as bytes. */
static size_t pack(const struct gdb_cpu *c, uint8_t *b)
{
	uint32_t fl = (uint32_t)c->rflags;

	memcpy(b, c->gpr, 128);
	memcpy(b + 128, &c->rip, 8);
	memcpy(b + 136, &fl, 4);
	memcpy(b + 140, c->seg, 24);
	if (!c->fpu_ok)
		return G_BASIC;
	memcpy(b + 164, c->st, 80);
	memcpy(b + 244, c->fpctl, 32);
	memcpy(b + 276, c->xmm, 256);
	memcpy(b + 532, &c->mxcsr, 4);
	return G_FULL;
}

/* Back from bytes: the general registers, rip and eflags' low half. Selectors and
 * the FPU are read-only to gdb here. */
static void unpack(struct gdb_cpu *c, const uint8_t *b)
{
	uint32_t fl;

	memcpy(c->gpr, b, 128);
	memcpy(&c->rip, b + 128, 8);
	memcpy(&fl, b + 136, 4);
	c->rflags = (c->rflags & ~0xffffffffull) | fl;
}

/* Register n's offset and size in pack()'s layout; -1 when gdb's number is not ours. */
static int reg_at(unsigned n, size_t *off, size_t *size)
{
	if (n <= 16)
		*off = 8 * n, *size = 8;
	else if (n <= 23)
		*off = 136 + 4 * (n - 17), *size = 4;
	else if (n <= 31)
		*off = 164 + 10 * (n - 24), *size = 10;
	else if (n <= 39)
		*off = 244 + 4 * (n - 32), *size = 4;
	else if (n <= 55)
		*off = 276 + 16 * (n - 40), *size = 16;
	else if (n == 56)
		*off = 532, *size = 4;
	else
		return -1;
	return 0;
}

static size_t str(char *reply, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		return 0;
	memcpy(reply, s, n);
	return n;
}

/* "ADDR,LEN" then the character end (':' or the packet's end); -1 if malformed. */
static int addr_len(const char **p, const char *end, uint64_t *addr, uint64_t *len, char stop)
{
	if (rsp_u64(p, end, addr) < 0 || *p >= end || **p != ',')
		return -1;
	(*p)++;
	if (rsp_u64(p, end, len) < 0)
		return -1;
	if (stop ? *p >= end || **p != stop : *p != end)
		return -1;
	if (stop)
		(*p)++;
	return 0;
}

static int find_bp(const struct gdb *g, uint64_t va)
{
	for (int i = 0; i < g->nbp; i++)
		if (g->bp[i].va == va)
			return i;
	return -1;
}

/* Memory as the guest had it: the bytes under our breakpoints are the saved ones. */
static size_t read_mem(const struct gdb *g, uint64_t va, uint8_t *buf, size_t len)
{
	size_t n = gva_read(g->mem, g->mem_size, &g->mmu, va, buf, len);

	for (int i = 0; i < g->nbp; i++)
		if (g->bp[i].va - va < n)
			buf[g->bp[i].va - va] = g->bp[i].saved;
	return n;
}

/* One byte of guest RAM at gpa (a breakpoint's): gva_translate found it inside RAM,
 * and the accessor says so again. */
static void poke(struct gdb *g, uint64_t gpa, uint8_t b)
{
	(void)gm_write(g->mem, g->mem_size, gpa, &b, 1);
}

/* A write over a breakpoint changes the byte it will restore, not the int3. */
static size_t write_mem(struct gdb *g, uint64_t va, const uint8_t *buf, size_t len)
{
	size_t n = gva_write(g->mem, g->mem_size, &g->mmu, va, buf, len);

	for (int i = 0; i < g->nbp; i++)
		if (g->bp[i].va - va < n) {
			g->bp[i].saved = buf[g->bp[i].va - va];
			poke(g, g->bp[i].gpa, insn(g));
		}
	return n;
}

static const char *set_bp(struct gdb *g, uint64_t va)
{
	uint64_t gpa, n, prot;
	uint8_t saved;

	if (find_bp(g, va) >= 0)
		return "OK";
	if (gva_translate(g->mem, g->mem_size, &g->mmu, va, &gpa, &n, &prot) < 0 ||
	    gm_read(g->mem, g->mem_size, gpa, &saved, 1) < 0)
		return "E0e"; /* EFAULT */
	if (g->nbp == GDB_BP_MAX)
		return "E1c"; /* ENOSPC */
	g->bp[g->nbp].va = va;
	g->bp[g->nbp].gpa = gpa;
	g->bp[g->nbp].saved = saved;
	for (int i = 0; i < g->nbp; i++) /* another address of the same byte */
		if (g->bp[i].gpa == gpa)
			g->bp[g->nbp].saved = g->bp[i].saved;
	g->nbp++;
	poke(g, gpa, insn(g));
	return "OK";
}

static const char *clear_bp(struct gdb *g, uint64_t va)
{
	int i = find_bp(g, va), shared = 0;

	if (i < 0)
		return "OK";
	for (int j = 0; j < g->nbp; j++)
		shared |= j != i && g->bp[j].gpa == g->bp[i].gpa;
	if (!shared)
		poke(g, g->bp[i].gpa, g->bp[i].saved);
	g->bp[i] = g->bp[--g->nbp];
	return "OK";
}

int gdb_hit(const struct gdb *g, uint64_t pc) { return find_bp(g, pc) >= 0; }

void gdb_clear_breakpoints(struct gdb *g)
{
	while (g->nbp > 0)
		clear_bp(g, g->bp[g->nbp - 1].va);
}

size_t gdb_stop_reply(const struct gdb *g, char *reply, size_t size)
{
	int n = snprintf(reply, size, "T%02xthread:1;%s", g->sig & 0xff,
	                 g->swbreak ? "swbreak:;" : "");

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* vCont;ACTION[:TID]...: the first action for our thread (1, or 0 and -1: any, all)
 * decides. */
static int vcont(const char *p, const char *end)
{
	while (p < end && *p == ';') {
		p++;
		char a = p < end ? *p : 0;
		const char *q = p;
		while (q < end && *q != ';')
			q++;
		const char *colon = memchr(p, ':', (size_t)(q - p));
		int ours = !colon || (q - colon == 2 && (colon[1] == '1' || colon[1] == '0')) ||
		           (q - colon == 3 && colon[1] == '-' && colon[2] == '1');
		if (ours && (a == 's' || a == 'S'))
			return GDB_STEP;
		if (ours && (a == 'c' || a == 'C'))
			return GDB_CONTINUE;
		p = q;
	}
	return -1;
}

int gdb_command(struct gdb *g, const char *pkt, size_t len, char *reply, size_t size, size_t *rlen)
{
	static uint8_t buf[RSP_MAX];
	const char *p = pkt + 1, *end = pkt + len;
	uint64_t addr, n;
	const char *r = "";

	*rlen = 0;
	if (len == 0)
		return GDB_REPLY;
	switch (pkt[0]) {
	case '?': *rlen = gdb_stop_reply(g, reply, size); return GDB_REPLY;
	case 'g': {
		size_t k = pack(&g->cpu, buf);
		if (2 * k < size)
			*rlen = rsp_hex(reply, buf, k);
		return GDB_REPLY;
	}
	case 'G':
		if ((size_t)(end - p) < 2 * G_BASIC || rsp_unhex(p, buf, G_GPR + 4) < 0) {
			r = "E16"; /* EINVAL */
			break;
		}
		unpack(&g->cpu, buf);
		g->dirty = 1;
		r = "OK";
		break;
	case 'p': {
		size_t off, sz;
		if (rsp_u64(&p, end, &n) < 0 || p != end) {
			r = "E16";
			break;
		}
		if (n > 1000 || reg_at((unsigned)n, &off, &sz) < 0 ||
		    (off >= G_BASIC && !g->cpu.fpu_ok)) {
			r = n >= 57 && n <= 59 ? "xxxxxxxxxxxxxxxx" : ""; /* orig_rax, fs/gs_base */
			break;
		}
		pack(&g->cpu, buf);
		*rlen = rsp_hex(reply, buf + off, sz);
		return GDB_REPLY;
	}
	case 'P': {
		size_t off, sz;
		if (rsp_u64(&p, end, &n) < 0 || p >= end || *p++ != '=' || n > 17 ||
		    reg_at((unsigned)n, &off, &sz) < 0 || (size_t)(end - p) != 2 * sz) {
			r = "E16";
			break;
		}
		pack(&g->cpu, buf);
		if (rsp_unhex(p, buf + off, sz) < 0) {
			r = "E16";
			break;
		}
		unpack(&g->cpu, buf);
		g->dirty = 1;
		r = "OK";
		break;
	}
	case 'm':
		if (addr_len(&p, end, &addr, &n, 0) < 0) {
			r = "E16";
			break;
		}
		if (n == 0)
			return GDB_REPLY;
		if (n > (size - 1) / 2)
			n = (size - 1) / 2; /* a short read is allowed */
		if (n > sizeof(buf))
			n = sizeof(buf);
		n = read_mem(g, addr, buf, (size_t)n);
		if (n == 0) {
			r = "E0e"; /* EFAULT: not mapped */
			break;
		}
		*rlen = rsp_hex(reply, buf, (size_t)n);
		return GDB_REPLY;
	case 'M':
	case 'X':
		if (addr_len(&p, end, &addr, &n, ':') < 0 || n > sizeof(buf) ||
		    (size_t)(end - p) != (pkt[0] == 'M' ? 2 * n : n) ||
		    (pkt[0] == 'M' && rsp_unhex(p, buf, (size_t)n) < 0)) {
			r = "E16";
			break;
		}
		if (pkt[0] == 'X')
			memcpy(buf, p, (size_t)n);
		r = write_mem(g, addr, buf, (size_t)n) == n ? "OK" : "E0e";
		break;
	case 'Z':
	case 'z':
		if (end - p < 2 || p[0] != '0' || p[1] != ',')
			break; /* only software breakpoints: "" = unsupported */
		p += 2;
		if (addr_len(&p, end, &addr, &n, 0) < 0) {
			r = "E16";
			break;
		}
		r = pkt[0] == 'Z' ? set_bp(g, addr) : clear_bp(g, addr);
		break;
	case 'c':
	case 's':
		if (p < end) {
			if (rsp_u64(&p, end, &addr) < 0 || p != end) {
				r = "E16";
				break;
			}
			g->cpu.rip = addr;
			g->dirty = 1;
		}
		return pkt[0] == 'c' ? GDB_CONTINUE : GDB_STEP;
	case 'v':
		if (len == 6 && memcmp(pkt, "vCont?", 6) == 0)
			r = "vCont;c;C;s;S";
		else if (len > 5 && memcmp(pkt, "vCont;", 6) == 0) {
			int a = vcont(pkt + 5, end);
			if (a >= 0)
				return a;
			r = "E16";
		}
		break;
	case 'k': return GDB_KILL;
	case 'D': *rlen = str(reply, size, "OK"); return GDB_DETACH;
	case 'H':
	case 'T':
		r = "OK"; /* one thread: every thread id is it */
		break;
	case 'q':
		if (strncmp(pkt, "qSupported", 10) == 0)
			r = "PacketSize=1000;swbreak+;vContSupported+";
		else if (strcmp(pkt, "qAttached") == 0 || strncmp(pkt, "qAttached:", 10) == 0)
			r = "1"; /* a VM that was running: gdb detaches when it quits */
		else if (strcmp(pkt, "qC") == 0)
			r = "QC1";
		else if (strcmp(pkt, "qfThreadInfo") == 0)
			r = "m1";
		else if (strcmp(pkt, "qsThreadInfo") == 0)
			r = "l";
		else if (strncmp(pkt, "qSymbol", 7) == 0)
			r = "OK";
		break;
	}
	*rlen = str(reply, size, r);
	return GDB_REPLY;
}
