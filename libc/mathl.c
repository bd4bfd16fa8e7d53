// SPDX-License-Identifier: MIT
/* The long double functions Redis needs that newlib leaves out on x86_64
 * (it has them only where long double is double): ceill and llroundl, on
 * the x87 unit, exact for every long double. Built without
 * -mgeneral-regs-only (Makefile): the app's own FPU state, in app context. */
#include <math.h>

/* x rounded to an integer with the x87 rounding control set to rc. */
static long double x87_round(long double x, unsigned short rc)
{
	unsigned short cw, tmp;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	tmp = (unsigned short)((cw & ~0x0c00) | rc);
	__asm__ volatile("fldcw %0" : : "m"(tmp));
	__asm__ volatile("frndint" : "+t"(x));
	__asm__ volatile("fldcw %0" : : "m"(cw));
	return x;
}

long double ceill(long double x) { return x87_round(x, 0x0800); }

/* Halfway cases away from zero; x - trunc(x) is exact in long double. */
long long llroundl(long double x)
{
	long double t = x87_round(x, 0x0c00);
	long double d = x - t;
	if (d >= 0.5L)
		t += 1;
	else if (d <= -0.5L)
		t -= 1;
	return (long long)t;
}
