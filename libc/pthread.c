// SPDX-License-Identifier: MIT
/* POSIX threads over the kernel's cooperative threads. newlib's types make
 * pthread_t, mutexes and condition variables 32-bit ids; ids index a table of
 * objects (a static initializer's all-ones id is replaced on first use). No
 * preemption: a mutex is only ever contended across a block or a yield. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libc.h"

#include "kernel/kernel.h"

static unsigned thread_id(struct thread *t) { return t->id; }

struct mutex {
	struct thread *owner;
	unsigned count;
	int type;
	struct waitq q;
};
struct cond {
	struct waitq q;
};

static void **objs; /* id - 1 -> object; NULL slots are free */
static unsigned nobjs;

static unsigned obj_new(void *o)
{
	for (unsigned i = 0; i < nobjs; i++)
		if (!objs[i])
			return objs[i] = o, i + 1;
	void **n = realloc(objs, (nobjs + 16) * sizeof *n);
	if (!n)
		return 0;
	memset(n + nobjs, 0, 16 * sizeof *n);
	objs = n;
	objs[nobjs] = o;
	nobjs += 16;
	return nobjs - 15;
}

static void *obj(unsigned id) { return id && id <= nobjs ? objs[id - 1] : NULL; }

/* ---- threads ---------------------------------------------------------------- */

int pthread_attr_init(pthread_attr_t *a)
{
	memset(a, 0, sizeof *a);
	a->is_initialized = 1;
	a->detachstate = PTHREAD_CREATE_JOINABLE;
	return 0;
}
int pthread_attr_destroy(pthread_attr_t *a)
{
	a->is_initialized = 0;
	return 0;
}
int pthread_attr_setstacksize(pthread_attr_t *a, size_t s)
{
	if (s < 4096 || s > (1u << 30))
		return EINVAL;
	a->stacksize = (int)s;
	return 0;
}
int pthread_attr_getstacksize(const pthread_attr_t *a, size_t *s)
{
	*s = (size_t)a->stacksize;
	return 0;
}
int pthread_attr_setdetachstate(pthread_attr_t *a, int d)
{
	a->detachstate = d;
	return 0;
}
int pthread_attr_getdetachstate(const pthread_attr_t *a, int *d)
{
	*d = a->detachstate;
	return 0;
}

int pthread_create(pthread_t *id, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	struct _reent *r = malloc(sizeof *r);
	if (!r)
		return EAGAIN;
	_REENT_INIT_PTR(r);
	struct thread *t = thread_create("pthread", fn, arg, a ? (size_t)a->stacksize : 0, r);
	if (!t) {
		free(r);
		return EAGAIN;
	}
	*id = thread_id(t);
	if (a && a->detachstate == PTHREAD_CREATE_DETACHED)
		thread_detach(t);
	return 0;
}

int pthread_join(pthread_t id, void **ret)
{
	struct thread *t = thread_by_id(id);
	if (!t)
		return ESRCH;
	if (t == thread_self())
		return EDEADLK;
	void *reent = t->reent;
	if (thread_join(t, ret) < 0)
		return EINVAL;
	_reclaim_reent(reent);
	free(reent);
	return 0;
}

int pthread_detach(pthread_t id)
{
	struct thread *t = thread_by_id(id);
	if (!t)
		return ESRCH;
	thread_detach(t);
	return 0;
}

void pthread_exit(void *ret) { thread_exit(ret); }
pthread_t pthread_self(void) { return thread_id(thread_self()); }
int pthread_equal(pthread_t a, pthread_t b) { return a == b; }
int sched_yield(void)
{
	thread_yield();
	return 0;
}

/* ---- mutexes ------------------------------------------------------------------ */

int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
	memset(a, 0, sizeof *a);
	a->is_initialized = 1;
	return 0;
}
int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
	a->is_initialized = 0;
	return 0;
}
int pthread_mutexattr_settype(pthread_mutexattr_t *a, int t)
{
	a->type = t;
	return 0;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	struct mutex *p = calloc(1, sizeof *p);
	if (!p)
		return ENOMEM;
	p->type = a ? a->type : PTHREAD_MUTEX_DEFAULT;
	if (!(*m = obj_new(p))) {
		free(p);
		return ENOMEM;
	}
	return 0;
}

static struct mutex *mutex_of(pthread_mutex_t *m)
{
	if (*m == _PTHREAD_MUTEX_INITIALIZER && pthread_mutex_init(m, NULL))
		return NULL;
	return obj(*m);
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	struct mutex *p = obj(*m);
	if (!p)
		return EINVAL;
	if (p->owner)
		return EBUSY;
	objs[*m - 1] = NULL;
	free(p);
	return 0;
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	struct mutex *p = mutex_of(m);
	if (!p)
		return EINVAL;
	struct thread *me = thread_self();
	if (p->owner == me && p->type == PTHREAD_MUTEX_RECURSIVE)
		return p->count++, 0;
	if (p->owner)
		return p->owner == me && p->type == PTHREAD_MUTEX_ERRORCHECK ? EDEADLK : EBUSY;
	p->owner = me;
	p->count = 1;
	return 0;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	int r;
	while ((r = pthread_mutex_trylock(m)) == EBUSY)
		thread_block(&((struct mutex *)obj(*m))->q, UINT64_MAX);
	return r;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	struct mutex *p = obj(*m);
	if (!p || p->owner != thread_self())
		return EPERM;
	if (--p->count == 0) {
		p->owner = NULL;
		waitq_wake_one(&p->q);
	}
	return 0;
}

/* ---- condition variables ------------------------------------------------------- */

int pthread_condattr_init(pthread_condattr_t *a)
{
	memset(a, 0, sizeof *a);
	a->is_initialized = 1;
	return 0;
}
int pthread_condattr_destroy(pthread_condattr_t *a)
{
	a->is_initialized = 0;
	return 0;
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	(void)a;
	struct cond *p = calloc(1, sizeof *p);
	if (!p)
		return ENOMEM;
	if (!(*c = obj_new(p))) {
		free(p);
		return ENOMEM;
	}
	return 0;
}

static struct cond *cond_of(pthread_cond_t *c)
{
	if (*c == _PTHREAD_COND_INITIALIZER && pthread_cond_init(c, NULL))
		return NULL;
	return obj(*c);
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	struct cond *p = obj(*c);
	if (!p)
		return EINVAL;
	objs[*c - 1] = NULL;
	free(p);
	return 0;
}

/* abstime is CLOCK_REALTIME (the POSIX default for condition variables). */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	struct cond *p = cond_of(c);
	uint64_t deadline = UINT64_MAX;
	if (!p)
		return EINVAL;
	if (abstime) {
		if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000)
			return EINVAL;
		uint64_t when = (uint64_t)abstime->tv_sec * NSEC + (uint64_t)abstime->tv_nsec;
		uint64_t wall = clock_wall_ns(), mono = clock_monotonic_ns();
		deadline = when > wall ? mono + (when - wall) : mono;
	}
	int r = pthread_mutex_unlock(m);
	if (r)
		return r;
	int timed_out = thread_block(&p->q, deadline) < 0;
	pthread_mutex_lock(m);
	return timed_out ? ETIMEDOUT : 0;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { return cond_wait(c, m, NULL); }
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
	return cond_wait(c, m, t);
}

int pthread_cond_signal(pthread_cond_t *c)
{
	struct cond *p = cond_of(c);
	if (!p)
		return EINVAL;
	waitq_wake_one(&p->q);
	return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	struct cond *p = cond_of(c);
	if (!p)
		return EINVAL;
	waitq_wake_all(&p->q);
	return 0;
}

/* ---- once ------------------------------------------------------------------------ */

int pthread_once(pthread_once_t *o, void (*fn)(void))
{
	if (!o->init_executed) {
		o->init_executed = 1;
		fn();
	}
	return 0;
}

/* No pthread_cancel: cancellation state and type are kept and reported. */
static int cancel_state, cancel_type;

int pthread_setcancelstate(int state, int *old)
{
	if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
		return EINVAL;
	if (old)
		*old = cancel_state;
	cancel_state = state;
	return 0;
}

int pthread_setcanceltype(int type, int *old)
{
	if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
		return EINVAL;
	if (old)
		*old = cancel_type;
	cancel_type = type;
	return 0;
}
