// SPDX-License-Identifier: MIT
/* Legacy PC timing for hosts without kvmclock (QEMU TCG): the 8254 PIT measures
 * the TSC rate once, the CMOS RTC gives the wall clock once. Both are slow port
 * I/O and never on a hot path. */
#include "x86.h"

#define PIT_HZ 1193182u

static unsigned pit_count0(void)
{
	outb(0x43, 0x00); /* latch channel 0 */
	unsigned lo = inb(0x40);
	return inb(0x40) << 8 | lo;
}

/* The PIT count and the TSC at that moment: the TSC read on both sides of the
 * (slow, port I/O) latch, and the pair taken only when the two reads are close
 * (under 1/4 of the quickest of 20 tries), so a vCPU descheduled in between
 * cannot split it. */
static unsigned count_at(uint64_t *tsc)
{
	uint64_t best = ~0ull;
	for (int i = 0;; i++) {
		uint64_t a = rdtsc();
		unsigned c = pit_count0();
		uint64_t d = rdtsc() - a;
		best = d < best ? d : best;
		if ((i >= 20 && d <= best + best / 4) || i == 1000) {
			*tsc = a + d / 2;
			return c;
		}
	}
}

/* One measurement over 3.3 ms of PIT ticks; 0 when the counter does not move. */
static uint64_t measure(void)
{
	const unsigned want = PIT_HZ / 300;
	uint64_t t0, t1;
	unsigned c0 = count_at(&t0);
	for (unsigned long spins = 0; spins < 10000000ul; spins++) {
		unsigned elapsed = (c0 - count_at(&t1)) & 0xffff;
		if (elapsed >= want)
			return (t1 - t0) * PIT_HZ / elapsed / 1000;
	}
	return 0;
}

/* Channel 0 as a free-running 16-bit down-counter (mode 2, reload 65536), read
 * by latching; not channel 2, whose status bit lives in port 0x61, which
 * microvm does not have. The median of three measurements: the counter wraps
 * every 55 ms, so a vCPU descheduled that long spoils one of them. Returns 0
 * when the counter does not move (no PIT). */
uint64_t pit_calibrate_tsc_khz(void)
{
	outb(0x43, 0x34); /* channel 0, lo/hi byte, mode 2 */
	outb(0x40, 0);
	outb(0x40, 0);
	uint64_t m[3];
	for (int i = 0; i < 3; i++)
		if (!(m[i] = measure()))
			return 0;
	uint64_t lo = m[0] < m[1] ? m[0] : m[1], hi = m[0] < m[1] ? m[1] : m[0];
	return m[2] < lo ? lo : m[2] > hi ? hi : m[2];
}

static unsigned cmos(unsigned reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned bcd(unsigned v, int binary) { return binary ? v : (v & 15) + (v >> 4) * 10; }

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_wall_ns(void)
{
	unsigned s, mi, h, d, mo, y, b;

	for (int i = 0; i < 1000000 && (cmos(0x0a) & 0x80); i++)
		; /* wait out an update in progress */
	s = cmos(0x00), mi = cmos(0x02), h = cmos(0x04);
	d = cmos(0x07), mo = cmos(0x08), y = cmos(0x09), b = cmos(0x0b);
	int bin = b & 4, pm = h & 0x80;
	h = bcd(h & 0x7f, bin);
	if (!(b & 2) && pm)
		h = (h % 12) + 12; /* 12-hour mode */
	int64_t days = days_from_civil(2000 + bcd(y, bin), bcd(mo, bin), bcd(d, bin));
	int64_t secs = days * 86400 + h * 3600 + bcd(mi, bin) * 60 + bcd(s, bin);
	return secs > 0 ? (uint64_t)secs * 1000000000ull : 0;
}
