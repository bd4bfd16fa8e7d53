/* SPDX-License-Identifier: MIT */
/* Memory barriers for memory shared with another CPU: the host's device model or
 * backend runs on one even when the guest has one vCPU. Ordinary write-back memory
 * only (rings, grant tables, pvclock records); device registers are uncached and
 * the CPU keeps their accesses in order. Freestanding: also built into host unit
 * tests and fuzzers (virtq.c, xen_netring.c), so it needs nothing but a compiler.
 *
 * x86 is TSO (SDM vol. 3, 9.2.2): loads are not reordered with other loads,
 * stores not with other stores, and a store is not reordered with an older
 * load. The one reordering the CPU does is a later load passing an earlier
 * store (still in the store buffer). So rmb() and wmb() only stop the
 * compiler; mb(), for a store that must be visible before a following load
 * (publish an index, then read the other side's "notify me" index), needs
 * mfence. Getting one of those wrong loses a wake-up: both sides sleep. */
#ifndef BARRIER_H
#define BARRIER_H

/* The compiler does not move memory accesses across it; the CPU may. */
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

/* Stores and loads before it are visible before stores and loads after it:
 * the only x86 barrier that costs an instruction (store-then-load). */
static inline void mb(void) { __asm__ volatile("mfence" ::: "memory"); }

/* Loads before it happen before loads after it (read an index, then the
 * entries it covers; a seqlock's version, then the fields). Compiler-only:
 * x86 does not reorder loads with loads. */
static inline void rmb(void) { barrier(); }

/* Stores before it are visible before stores after it (fill entries, then
 * publish the index). Compiler-only: x86 does not reorder stores with stores. */
static inline void wmb(void) { barrier(); }
#endif
