// SPDX-License-Identifier: MIT
/* lwIP's OS layer (sys_arch) on spore's threads, through the POSIX thread API:
 * semaphores and mailboxes are a mutex, condition variables and a count or a
 * ring. Cooperative threads on one vCPU: nothing preempts a critical section,
 * so sys_arch_protect has nothing to do. Allocation failures return ERR_MEM. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* lwip/opt.h brings it too; named so checkers see that spore_lwip_assert never returns */
#include "arch/cc.h"
#include "lwip/opt.h"
#include "lwip/err.h"
#include "lwip/sys.h"
#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/udp.h"
#include "libc/libc.h"

struct sys_sem {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned count;
};

struct sys_mbox {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	unsigned head, len, size;
	void *msg[];
};

u32_t sys_now(void) { return (u32_t)(clock_monotonic_ns() / 1000000); }

unsigned int spore_lwip_rand(void)
{
	unsigned int r;
	if (getentropy(&r, sizeof r) == 0)
		return r;
	return (unsigned int)rand();
}

/* RFC 6528, section 3: ISN = M + F(4-tuple, key), M a clock ticking every 4 us,
 * F a keyed hash. The key comes from entropy at the first connection and again
 * after every restore (net_reseed). F here is a multiply-xorshift mix, not the
 * RFC's cryptographic hash: it keeps ISNs apart between connections and between
 * copies of one snapshot, but a peer that sees many ISNs may learn the key. */
static uint64_t isn_key[2];
static int isn_keyed;

static uint64_t isn_mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

unsigned int spore_tcp_isn(const void *local_ip, unsigned short local_port, const void *remote_ip,
                           unsigned short remote_port)
{
	const ip_addr_t *l = local_ip, *r = remote_ip;

	if (!isn_keyed) {
		if (getentropy(isn_key, sizeof(isn_key)) < 0)
			isn_key[0] = isn_key[1] = (uint64_t)rand() << 32 | (unsigned)rand();
		isn_keyed = 1;
	}
	uint64_t h = isn_mix(isn_key[0], (uint64_t)ip4_addr_get_u32(ip_2_ip4(l)) << 32 |
	                                         ip4_addr_get_u32(ip_2_ip4(r)));
	h = isn_mix(h, (uint64_t)local_port << 16 | remote_port);
	h = isn_mix(h, isn_key[1]);
	return (unsigned int)(clock_monotonic_ns() / 4000 + h);
}

/* After a restore (kernel/ready.c): a new ISN key from the host's seed, new first
 * ephemeral ports (tcp_init and udp_init do nothing else in lwIP 2.1.3). Runs
 * between threads on the one vCPU, so lwIP is never caught mid-call. */
static void net_reseed(const uint8_t *seed, size_t n)
{
	memcpy(isn_key, seed, n < sizeof(isn_key) ? n : sizeof(isn_key));
	isn_keyed = 1;
	tcp_init();
	udp_init();
}

/* lwIP's init: the kernel calls net_reseed after a restore (kernel/ready.c). */
void sys_init(void) { ready_on_restore(net_reseed); }

void spore_lwip_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "spore: lwIP assertion at %s:%d: %s\n", file, line, msg);
	fflush(stderr);
	kexit(121);
}

/* Waits on cond until pred() or timeout_ms (0: forever). Returns the ms
 * waited, or SYS_ARCH_TIMEOUT. */
static u32_t wait(pthread_cond_t *c, pthread_mutex_t *m, u32_t timeout_ms, int (*pred)(void *),
                  void *arg)
{
	uint64_t t0 = clock_monotonic_ns();
	struct timespec until;

	if (timeout_ms) {
		uint64_t w = clock_wall_ns() + (uint64_t)timeout_ms * 1000000;
		until.tv_sec = w / NSEC;
		until.tv_nsec = w % NSEC;
	}
	while (!pred(arg)) {
		if (!timeout_ms)
			pthread_cond_wait(c, m);
		else if (pthread_cond_timedwait(c, m, &until) == ETIMEDOUT && !pred(arg))
			return SYS_ARCH_TIMEOUT;
	}
	return (u32_t)((clock_monotonic_ns() - t0) / 1000000);
}

err_t sys_sem_new(sys_sem_t *s, u8_t count)
{
	struct sys_sem *p = malloc(sizeof *p);
	if (!p)
		return ERR_MEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->count = count;
	*s = p;
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *s)
{
	pthread_cond_destroy(&(*s)->cond);
	pthread_mutex_destroy(&(*s)->lock);
	free(*s);
	*s = NULL;
}

void sys_sem_signal(sys_sem_t *s)
{
	pthread_mutex_lock(&(*s)->lock);
	(*s)->count++;
	pthread_cond_signal(&(*s)->cond);
	pthread_mutex_unlock(&(*s)->lock);
}

static int sem_ready(void *p) { return ((struct sys_sem *)p)->count > 0; }

u32_t sys_arch_sem_wait(sys_sem_t *s, u32_t timeout_ms)
{
	struct sys_sem *p = *s;
	pthread_mutex_lock(&p->lock);
	u32_t r = wait(&p->cond, &p->lock, timeout_ms, sem_ready, p);
	if (r != SYS_ARCH_TIMEOUT)
		p->count--;
	pthread_mutex_unlock(&p->lock);
	return r;
}

err_t sys_mutex_new(sys_mutex_t *m) { return sys_sem_new(m, 1); }
void sys_mutex_free(sys_mutex_t *m) { sys_sem_free(m); }
void sys_mutex_lock(sys_mutex_t *m) { sys_arch_sem_wait(m, 0); }
void sys_mutex_unlock(sys_mutex_t *m) { sys_sem_signal(m); }

err_t sys_mbox_new(sys_mbox_t *mb, int size)
{
	if (size <= 0)
		size = 64;
	struct sys_mbox *p = malloc(sizeof *p + (size_t)size * sizeof(void *));
	if (!p)
		return ERR_MEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	pthread_cond_init(&p->not_full, NULL);
	p->head = p->len = 0;
	p->size = (unsigned)size;
	*mb = p;
	return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mb)
{
	struct sys_mbox *p = *mb;
	pthread_cond_destroy(&p->not_empty);
	pthread_cond_destroy(&p->not_full);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*mb = NULL;
}

static int mbox_has_room(void *p)
{
	return ((struct sys_mbox *)p)->len < ((struct sys_mbox *)p)->size;
}
static int mbox_has_msg(void *p) { return ((struct sys_mbox *)p)->len > 0; }

static void put(struct sys_mbox *p, void *msg)
{
	p->msg[(p->head + p->len++) % p->size] = msg;
	pthread_cond_signal(&p->not_empty);
}

static void *get(struct sys_mbox *p)
{
	void *m = p->msg[p->head];
	p->head = (p->head + 1) % p->size;
	p->len--;
	pthread_cond_signal(&p->not_full);
	return m;
}

void sys_mbox_post(sys_mbox_t *mb, void *msg)
{
	struct sys_mbox *p = *mb;
	pthread_mutex_lock(&p->lock);
	wait(&p->not_full, &p->lock, 0, mbox_has_room, p);
	put(p, msg);
	pthread_mutex_unlock(&p->lock);
}

err_t sys_mbox_trypost(sys_mbox_t *mb, void *msg)
{
	struct sys_mbox *p = *mb;
	err_t e = ERR_MEM;
	pthread_mutex_lock(&p->lock);
	if (mbox_has_room(p)) {
		put(p, msg);
		e = ERR_OK;
	}
	pthread_mutex_unlock(&p->lock);
	return e;
}

/* Called from interrupt context in some ports; here there is none. */
err_t sys_mbox_trypost_fromisr(sys_mbox_t *mb, void *msg) { return sys_mbox_trypost(mb, msg); }

u32_t sys_arch_mbox_fetch(sys_mbox_t *mb, void **msg, u32_t timeout_ms)
{
	struct sys_mbox *p = *mb;
	pthread_mutex_lock(&p->lock);
	u32_t r = wait(&p->not_empty, &p->lock, timeout_ms, mbox_has_msg, p);
	if (r != SYS_ARCH_TIMEOUT) {
		void *m = get(p);
		if (msg)
			*msg = m;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mb, void **msg)
{
	struct sys_mbox *p = *mb;
	u32_t r = SYS_MBOX_EMPTY;
	pthread_mutex_lock(&p->lock);
	if (p->len) {
		void *m = get(p);
		if (msg)
			*msg = m;
		r = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

struct start {
	lwip_thread_fn fn;
	void *arg;
};

static void *trampoline(void *a)
{
	struct start s = *(struct start *)a;
	free(a);
	s.fn(s.arg);
	return NULL;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize, int prio)
{
	pthread_t t;
	pthread_attr_t attr;
	struct start *s = malloc(sizeof *s);

	(void)name, (void)prio;
	if (!s)
		spore_lwip_assert("out of memory for a thread", __FILE__, __LINE__);
	s->fn = fn;
	s->arg = arg;
	pthread_attr_init(&attr);
	if (stacksize > 0)
		pthread_attr_setstacksize(&attr, (size_t)stacksize);
	if (pthread_create(&t, &attr, trampoline, s) != 0)
		spore_lwip_assert("cannot create a thread", __FILE__, __LINE__);
	pthread_detach(t);
	return 0;
}
