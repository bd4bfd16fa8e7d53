// SPDX-License-Identifier: MIT
/* Physical memory: one free range after the image. The sbrk heap grows up from
 * its bottom, pages are handed out down from its top; they meet in the middle,
 * so neither needs a fixed share. Freed pages go on a first-fit list of runs.
 * Pure (no arch code): unit-tested on the host. */
#include "kernel.h"

struct run { /* lives in the first page of a free run */
	size_t npages;
	struct run *next;
};

static uintptr_t heap_start, brk, top, limit;
static struct run *runs;

void mem_init(uintptr_t start, size_t len)
{
	heap_start = brk = ROUNDUP(start, PAGE_SIZE);
	limit = top = ROUNDDOWN(start + len, PAGE_SIZE);
	if (top < brk)
		top = limit = brk;
	runs = NULL;
}

/* Returns page-aligned memory for n pages, or NULL. Not zeroed. */
void *mem_alloc_pages(size_t n)
{
	if (n == 0 || n > ((size_t)1 << 40))
		return NULL;
	for (struct run **pp = &runs; *pp; pp = &(*pp)->next) {
		struct run *r = *pp;
		if (r->npages < n)
			continue;
		if (r->npages == n) {
			*pp = r->next;
			return r;
		}
		r->npages -= n; /* take the run's tail; its header stays put */
		return (char *)r + r->npages * PAGE_SIZE;
	}
	if (n > (top - brk) / PAGE_SIZE)
		return NULL;
	top -= n * PAGE_SIZE;
	return (void *)top;
}

void mem_free_pages(void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	kassert(a % PAGE_SIZE == 0 && a >= top && a + n * PAGE_SIZE <= limit);
	if (a != top) {
		struct run *r = p;
		r->npages = n;
		r->next = runs;
		runs = r;
		return;
	}
	/* Freed at the boundary: give it back to the middle, and any listed
	 * runs that now touch the boundary too. */
	top += n * PAGE_SIZE;
	for (int again = 1; again;) {
		again = 0;
		for (struct run **pp = &runs; *pp; pp = &(*pp)->next) {
			if ((uintptr_t)*pp == top) {
				top += (*pp)->npages * PAGE_SIZE;
				*pp = (*pp)->next;
				again = 1;
				break;
			}
		}
	}
}

void *mem_sbrk(intptr_t incr)
{
	uintptr_t old = brk;

	if (incr > 0 && (uintptr_t)incr > top - brk)
		return (void *)-1;
	if (incr < 0 && 0 - (uintptr_t)incr > brk - heap_start)
		return (void *)-1;
	brk += incr;
	return (void *)old;
}

size_t mem_free_bytes(void)
{
	size_t n = top - brk;
	for (struct run *r = runs; r; r = r->next)
		n += r->npages * PAGE_SIZE;
	return n;
}

/* For memstats=N: the sbrk heap's size (malloc's arena: it grows when the app
 * leaks) and the bytes of pages handed out (thread stacks, virtqueues, DMA
 * buffers). */
void mem_usage(size_t *heap, size_t *pages)
{
	*heap = brk - heap_start;
	*pages = limit - top;
	for (struct run *r = runs; r; r = r->next)
		*pages -= r->npages * PAGE_SIZE;
}

/* Pages for the arch's page tables (mmu.c). Early ones, before its tables
 * are live, from the heap's bottom: the boot tables map only the first GiB,
 * and nothing has called sbrk yet, so they are page aligned. */
static void *table_early(void)
{
	void *p = mem_sbrk(PAGE_SIZE);
	return p == (void *)-1 ? NULL : p;
}

static void *table_late(void) { return mem_alloc_pages(1); }

const struct mmu_alloc mem_tables = { table_early, table_late };
