// SPDX-License-Identifier: MIT
/* Cooperative threads on the one vCPU: a FIFO run queue, a deadline-ordered
 * sleeper list, wait queues. A thread runs until it blocks, sleeps, yields or
 * exits; interrupts never switch threads (they run only inside the idle
 * halt). With nothing runnable the vCPU halts until the earliest deadline or
 * a device event (QEMU: LAPIC timer / interrupt; spore-kvm: one poll call).
 * Stacks come from the page allocator with a guard page below each. */
#include "kernel.h"
#include "net.h"

enum { RUNNABLE, BLOCKED, DEAD };

static struct thread thread0 = { .name = "main", .state = RUNNABLE, .deadline = UINT64_MAX };
static struct thread *current = &thread0, *all = &thread0;
static struct waitq runq;
static struct thread *sleepers; /* by deadline, earliest first */
static struct thread *zombie;   /* detached and dead: freed by the next thread */
static unsigned next_id = 1;
static void **reent_slot;           /* the C library's per-thread pointer */
static size_t (*heap_in_use)(void); /* malloc's bytes in use */

/* Before the first thread is created (libc_start): every switch from then on
 * saves and restores *slot with the thread. */
void sched_libc(void **slot, size_t (*heap_used)(void))
{
	reent_slot = slot;
	heap_in_use = heap_used;
}

static void enqueue(struct waitq *q, struct thread *t)
{
	t->next = NULL;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static struct thread *dequeue(struct waitq *q)
{
	struct thread *t = q->head;
	if (t) {
		q->head = t->next;
		if (!q->head)
			q->tail = NULL;
	}
	return t;
}

static void unlink_from(struct waitq *q, struct thread *t)
{
	struct thread *prev = NULL;
	for (struct thread *p = q->head; p; prev = p, p = p->next) {
		if (p != t)
			continue;
		if (prev)
			prev->next = p->next;
		else
			q->head = p->next;
		if (q->tail == p)
			q->tail = prev;
		return;
	}
}

static void sleeper_add(struct thread *t)
{
	struct thread **pp = &sleepers;
	while (*pp && (*pp)->deadline <= t->deadline)
		pp = &(*pp)->sleep_next;
	t->sleep_next = *pp;
	*pp = t;
}

static void sleeper_remove(struct thread *t)
{
	for (struct thread **pp = &sleepers; *pp; pp = &(*pp)->sleep_next) {
		if (*pp == t) {
			*pp = t->sleep_next;
			return;
		}
	}
}

static void make_runnable(struct thread *t)
{
	if (t->waitq)
		unlink_from(t->waitq, t);
	if (t->deadline != UINT64_MAX)
		sleeper_remove(t);
	t->waitq = NULL;
	t->state = RUNNABLE;
	enqueue(&runq, t);
}

/* Expired sleepers become runnable, marked as timed out. */
static void wake_expired(void)
{
	uint64_t now = clock_monotonic_ns();
	while (sleepers && sleepers->deadline <= now) {
		struct thread *t = sleepers;
		t->timed_out = 1;
		make_runnable(t);
	}
}

/* Where the guard page cannot be unmapped (ring 3 under spore-kvm), its top
 * words hold a pattern; an overflow that reached them is caught at the next
 * switch. */
static void check_canary(struct thread *t)
{
	for (unsigned i = 0; t->canary && i < CANARY_WORDS; i++) {
		if (t->canary[i] != STACK_CANARY) {
			kprintf("spore: stack overflow in thread %u (%s): canary overwritten\n",
			        t->id, t->name);
			kexit(EXIT_FAULT);
		}
	}
}

static void thread_free(struct thread *t)
{
	for (struct thread **pp = &all; *pp; pp = &(*pp)->all_next) {
		if (*pp == t) {
			*pp = t->all_next;
			break;
		}
	}
	if (!t->canary)
		mmu_guard(t->stack, 0);
	mem_free_pages(t->stack, t->stack_pages); /* the descriptor lives in it */
}

/* Runs on a stack other than the zombie's. */
static void reap(void)
{
	if (zombie && zombie != current) {
		thread_free(zombie);
		zombie = NULL;
	}
}

/* memstats=N: every N seconds, one line of memory use, checked at every pass
 * of the scheduler so that a busy guest prints too. Returns the earlier of
 * wake and the next line's due time, so an idle guest wakes for it; with
 * memstats=0 nothing is read and no wake-up added. */
static uint64_t memstats(uint64_t wake)
{
	static uint64_t due;
	if (!opt_memstats)
		return wake;
	uint64_t now = clock_monotonic_ns();
	if (now >= due) {
		size_t heap, pages;
		mem_usage(&heap, &pages);
		/* and received frames lent to lwIP or copied (kernel/net.h), where they are */
		kprintf("spore: memstats t=%lus used=%lu heap=%lu pages=%lu free=%lu lent=%lu "
		        "copied=%lu\n",
		        now / 1000000000, (uint64_t)(heap_in_use ? heap_in_use() : 0),
		        (uint64_t)heap, (uint64_t)pages, (uint64_t)mem_free_bytes(),
		        net_dev ? net_dev->rx_lent : 0, net_dev ? net_dev->rx_copied : 0);
		due = now + (uint64_t)opt_memstats * 1000000000;
	}
	return wake < due ? wake : due;
}

/* Runs the next runnable thread; halts the vCPU while there is none. The
 * caller has already queued itself (yield) or parked itself (block). */
static void schedule(void)
{
	struct thread *prev = current, *next;

	check_canary(prev);
	net_flush(0); /* frames batched by this thread go out before others run */
	for (;;) {
		wake_expired();
		net_poll(); /* device events noted by interrupt handlers */
		uint64_t wake = memstats(sleepers ? sleepers->deadline : UINT64_MAX);
		if ((next = dequeue(&runq)))
			break;
		ready_idle(); /* the first time only: may return in a restored copy */
		net_flush(1); /* all of it: a frame held for the next thread's goes now */
		host->halt_until(wake);
	}
	if (next == prev)
		return;
	if (reent_slot) {
		prev->reent = *reent_slot;
		*reent_slot = next->reent;
	}
	current = next;
	ctx_switch(&prev->rsp, next->rsp);
	reap();
}

void thread_yield(void)
{
	enqueue(&runq, current);
	schedule();
}

/* Parks the current thread on q (may be NULL) until woken or the deadline.
 * Returns 0 when woken, -1 when the deadline passed first. */
int thread_block(struct waitq *q, uint64_t deadline)
{
	struct thread *t = current;

	t->state = BLOCKED;
	t->timed_out = 0;
	t->waitq = q;
	t->deadline = deadline;
	if (q)
		enqueue(q, t);
	if (deadline != UINT64_MAX)
		sleeper_add(t);
	schedule();
	t->deadline = UINT64_MAX;
	return t->timed_out ? -1 : 0;
}

void sleep_until(uint64_t deadline_ns)
{
	while (clock_monotonic_ns() < deadline_ns)
		thread_block(NULL, deadline_ns);
}

int waitq_wake_one(struct waitq *q)
{
	struct thread *t = q->head;
	if (!t)
		return 0;
	make_runnable(t);
	return 1;
}

void waitq_wake_all(struct waitq *q)
{
	while (waitq_wake_one(q))
		;
}

struct thread *thread_self(void) { return current; }

struct thread *thread_by_id(unsigned id)
{
	for (struct thread *t = all; t; t = t->all_next)
		if (t->id == id)
			return t;
	return id == 0 ? &thread0 : NULL;
}

static void thread_start(void)
{
	reap();
	thread_exit(current->fn(current->arg));
}

/* Memory: guard page, stack, and the descriptor at the very top. The stack
 * starts with ctx_switch's frame: the MXCSR/FCW word, six callee-saved
 * registers, and the return address thread_start. */
struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, size_t stack_size,
                             void *reent)
{
	size_t pages = ROUNDUP((stack_size ? stack_size : THREAD_STACK) + sizeof(struct thread),
	                       PAGE_SIZE) /
	                       PAGE_SIZE +
	               1;
	char *mem = mem_alloc_pages(pages);

	if (!mem)
		return NULL;
	struct thread *t = (struct thread *)(mem + pages * PAGE_SIZE) - 1;
	*t = (struct thread){ .id = next_id++,
		              .name = name,
		              .fn = fn,
		              .arg = arg,
		              .stack = mem,
		              .stack_pages = pages,
		              .reent = reent,
		              .deadline = UINT64_MAX };
	if (mmu_guard(mem, 1) < 0) {
		t->canary = (uint64_t *)(mem + PAGE_SIZE) - CANARY_WORDS;
		for (unsigned i = 0; i < CANARY_WORDS; i++)
			t->canary[i] = STACK_CANARY;
	}
	uint64_t *sp = (uint64_t *)ROUNDDOWN((uintptr_t)t, 16);
	*--sp = 0; /* alignment: rsp % 16 == 8 at entry */
	*--sp = (uint64_t)thread_start;
	for (int i = 0; i < 6; i++)
		*--sp = 0;         /* rbp rbx r12 r13 r14 r15 */
	*--sp = 0x037f00001f80ull; /* FCW 0x37f, MXCSR 0x1f80: defaults */
	t->rsp = (uint64_t)sp;
	t->all_next = all;
	all = t;
	make_runnable(t);
	return t;
}

void thread_exit(void *ret)
{
	struct thread *t = current;

	if (t == &thread0)
		kexit(0); /* main's thread leaving ends the app, as in POSIX exit */
	check_canary(t);
	t->ret = ret;
	t->state = DEAD;
	waitq_wake_all(&t->joiners);
	if (t->detached)
		zombie = t;
	schedule();
	panic(__FILE__, __LINE__, "a dead thread was scheduled");
}

/* Waits for t to exit and frees it. -1 if t is detached or is the caller. */
int thread_join(struct thread *t, void **ret)
{
	if (t == current || t->detached)
		return -1;
	while (t->state != DEAD)
		thread_block(&t->joiners, UINT64_MAX);
	if (ret)
		*ret = t->ret;
	thread_free(t);
	return 0;
}

void thread_detach(struct thread *t)
{
	t->detached = 1;
	if (t->state == DEAD && t != current) {
		if (zombie)
			reap();
		thread_free(t);
	}
}

/* Guard pages of live threads, for the fault reporter. */
struct thread *thread_of_guard(uint64_t addr)
{
	for (struct thread *t = all; t; t = t->all_next)
		if (t->stack && addr >= (uint64_t)t->stack && addr < (uint64_t)t->stack + PAGE_SIZE)
			return t;
	return NULL;
}
