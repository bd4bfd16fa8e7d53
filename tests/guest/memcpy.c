// SPDX-License-Identifier: MIT
/* memcpy (newlib's x86_64 one) right at every size to 300 and alignment to 15; with
 * argv[1] = MiB, also timed against rep movsb, rep movsq and an 8-byte loop at a
 * TCP segment's payload, a page's and 64 KiB (docs/network.md, "Copies").
 * expect-status: 0
 * expect-output: ^memcpy: 4800 sizes and alignments right$
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint8_t src[65536 + 64], dst[65536 + 64];

static void movsb(void *d, const void *s, size_t n)
{
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}
static void movsq(void *d, const void *s, size_t n) /* the tail by bytes */
{
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep movsq; mov %3, %%rcx; rep movsb"
	                 : "+D"(d), "+S"(s), "+c"(q)
	                 : "r"(r)
	                 : "memory");
}
static void loop8(void *d, const void *s, size_t n)
{
	for (size_t k = 0; k < n / 8; k++) {
		((uint64_t *)d)[k] = ((const uint64_t *)s)[k];
		__asm__ volatile("" ::: "memory"); /* not vectorized */
	}
}
static void newlib(void *d, const void *s, size_t n) { memcpy(d, s, n); }

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*f)(void *, const void *, size_t);
	} m[] = {
		{ "newlib", newlib }, { "movsb", movsb }, { "movsq", movsq }, { "loop8", loop8 }
	};
	static const size_t sz[] = { 1448, 4084, 65536 };
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	for (size_t n = 0; n < 300; n++)
		for (unsigned a = 0; a < 16; a++) {
			memset(dst, 0, 400);
			memcpy(dst + a, src + 15 - a, n);
			if (memcmp(dst + a, src + 15 - a, n) || dst[a + n] || (a && dst[a - 1]))
				return printf("memcpy: wrong at size %zu alignment %u\n", n, a), 1;
		}
	printf("memcpy: 4800 sizes and alignments right\n");
	unsigned mib = argc > 1 ? (unsigned)atoi(argv[1]) : 0;
	for (int round = 0; mib && round < 5; round++)
		for (unsigned j = 0; j < 3; j++)
			for (unsigned i = 0; i < 4; i++) {
				struct timespec t0, t1;
				clock_gettime(CLOCK_MONOTONIC, &t0);
				for (unsigned k = 0; k < mib * 1048576ull / sz[j]; k++)
					m[i].f(dst + 2, src, sz[j]); /* + 2: a frame's IP header */
				clock_gettime(CLOCK_MONOTONIC, &t1);
				double s = (double)(t1.tv_sec - t0.tv_sec) +
				           (t1.tv_nsec - t0.tv_nsec) / 1e9;
				printf("memcpy round %d size %zu %s: %.0f MiB/s\n", round, sz[j],
				       m[i].name, mib / s);
			}
	return 0;
}
