// SPDX-License-Identifier: MIT
/* lwIP's timeouts (LWIP_TIMERS_CUSTOM: this file replaces lwIP's core/timeouts.c):
 * the same one-shot list and on-demand TCP timer, but lwIP's housekeeping (IP
 * reassembly, ARP aging, DHCP) runs only while frames move. An idle guest keeps
 * one slow guard timer that looks at the device (docs/density.md, "Idle").
 * Trusts lwIP's callers: the tcpip thread, or a thread holding the core lock. */
#include <pthread.h>
#include <stdlib.h>
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"
#include "kernel/net.h"
#include "net.h"

/* After this long without a frame nothing is left for the housekeeping: every
 * reassembly has expired (IP_REASS_MAXAGE ticks of 1 s) and every pending ARP
 * entry has been answered or dropped (ARP_MAXPENDING ticks). Stable ARP entries
 * stop aging meanwhile: ARP_MAXAGE counts busy seconds, and a MAC that changed
 * while the guest slept is learnt from the owner's ARP as ever. */
#define TIMERS_QUIET_MS ((IP_REASS_MAXAGE + 1) * IP_TMR_INTERVAL)

/* While idle, the receive thread is asked to look at the device: 8 s after the
 * last frame, then at twice the last gap, up to 64 s (kernel/net.c, net_guard).
 * Without it a wake-up lost anywhere on the receive path would leave a guest
 * deaf for good; with lwIP's 500 ms timers such a loss was hidden. One was seen
 * once (stop 27's make compare, idle kv guests) and never reproduced or
 * explained: the guard bounds it, and says when it happens. A guest that was
 * just busy is the one a client is most likely still talking to, so a loss
 * then costs at most 8 s; a guest idle for minutes (thousands of them on one
 * host, docs/density.md) wakes once a minute: at 10,000 instances a fixed 8 s
 * was 1250 wake-ups a second. A host that raises an unanswered interrupt again
 * itself (spore-kvm's HC_FEAT_IRQ_RETRY) bounds a loss to a second; there the
 * gap grows on to net_config.guard_max_ms (1024 s). */
#define TIMERS_GUARD_MS     8000
#define TIMERS_GUARD_MAX_MS 64000

/* Wrap-safe "a is before b" for sys_now()'s 32-bit milliseconds. */
#define BEFORE(a, b) ((int32_t)((u32_t)(a) - (u32_t)(b)) < 0)

static struct sys_timeo *next_timeout;
static u32_t due_now;             /* the due time of the timeout being run */
static int tcp_timer_on;          /* tcp_tmr armed (lwIP: tcpip_tcp_timer_active) */
static int house_on;              /* the housekeeping timers are armed */
static volatile u32_t last_frame; /* sys_now() of the last frame in or out */
static u32_t guard_ms;            /* the idle guard's next gap */
static pthread_t timers_thread;   /* the tcpip thread, which sleeps on this list */
static int timers_thread_known;

static const struct {
	u32_t interval_ms;
	void (*handler)(void);
	int dhcp; /* DHCP's: armed only where a DHCP client runs */
} house[] = {
	{ IP_TMR_INTERVAL, ip_reass_tmr, 0 },
	{ ARP_TMR_INTERVAL, etharp_tmr, 0 },
	{ DHCP_COARSE_TIMER_MSECS, dhcp_coarse_tmr, 1 },
	{ DHCP_FINE_TIMER_MSECS, dhcp_fine_tmr, 1 },
};

/* net_start runs a DHCP client only with dhcp=1 or without ip= (libc/net/netif.c).
 * A guest with a static address has no use for DHCP's timers, and the fine one
 * alone woke it twice a second for 16 s after every frame: two thirds of its
 * housekeeping wake-ups, and of a density host's, the instances just started. */
static int dhcp_wanted(void) { return net_config.dhcp || !net_config.static_ip; }

static void nop(void *arg) { (void)arg; }

/* Inserts t by due time (after equal ones, as lwIP does). */
static void insert(struct sys_timeo *t)
{
	struct sys_timeo **pp = &next_timeout;
	while (*pp && !BEFORE(t->time, (*pp)->time))
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

static void timeout_abs(u32_t when, sys_timeout_handler h, void *arg)
{
	struct sys_timeo *t = malloc(sizeof *t); /* lwIP has no pool for it when custom */
	if (!t) {
		LWIP_ASSERT("sys_timeout: out of memory for a timeout", t != NULL);
		return;
	}
	t->time = when;
	t->h = h;
	t->arg = arg;
	int first = !next_timeout || BEFORE(when, next_timeout->time);
	insert(t);
	/* A thread other than tcpip's (an app, with the core lock) armed the earliest
	 * timeout while tcpip's may be asleep without one: wake it to sleep anew. */
	if (first && timers_thread_known && !pthread_equal(pthread_self(), timers_thread))
		tcpip_try_callback(nop, NULL);
}

void sys_timeout(u32_t msecs, sys_timeout_handler handler, void *arg)
{
	LWIP_ASSERT("sys_timeout: too long", msecs <= LWIP_UINT32_MAX / 4);
	timeout_abs(sys_now() + msecs, handler, arg);
}

void sys_untimeout(sys_timeout_handler handler, void *arg)
{
	for (struct sys_timeo **pp = &next_timeout; *pp; pp = &(*pp)->next) {
		if ((*pp)->h == handler && (*pp)->arg == arg) {
			struct sys_timeo *t = *pp;
			*pp = t->next;
			free(t);
			return;
		}
	}
}

static int dhcp_in_use(void)
{
	struct netif *n;
	NETIF_FOREACH(n)
	{
		if (netif_dhcp_data(n))
			return 1;
	}
	return 0;
}

/* The idle guard: the receive thread looks at the device once; the frame that
 * brings the guest back to work restarts the housekeeping (note_thread), which
 * stops this timer. */
static void guard_tick(void *arg)
{
	(void)arg;
	net_guard();
	u32_t max = net_config.guard_max_ms ? net_config.guard_max_ms : TIMERS_GUARD_MAX_MS;
	guard_ms = guard_ms * 2 > max ? max : guard_ms * 2;
	sys_timeout(guard_ms, guard_tick, NULL);
}

/* A housekeeping timer: runs its handler, then again a period after its due
 * time (lwIP's cyclic timer) while frames moved lately or DHCP holds a lease to
 * renew; else it stops, and the next frame starts them all again. */
static void house_tick(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	house[i].handler();
	if (!dhcp_in_use() && (u32_t)(sys_now() - last_frame) >= TIMERS_QUIET_MS) {
		for (size_t j = 0; j < LWIP_ARRAYSIZE(house); j++)
			sys_untimeout(house_tick, (void *)(uintptr_t)j);
		house_on = 0;
		guard_ms = TIMERS_GUARD_MS;
		sys_timeout(guard_ms, guard_tick, NULL);
		return;
	}
	u32_t next = due_now + house[i].interval_ms, now = sys_now();
	timeout_abs(BEFORE(next, now) ? now + house[i].interval_ms : next, house_tick, arg);
}

static void house_start(void)
{
	sys_untimeout(guard_tick, NULL);
	house_on = 1;
	for (size_t i = 0; i < LWIP_ARRAYSIZE(house); i++)
		if (!house[i].dhcp || dhcp_wanted())
			sys_timeout(house[i].interval_ms, house_tick, (void *)(uintptr_t)i);
}

void timers_frame(void)
{
	last_frame = sys_now();
	/* An app's send (with the core lock) while the tcpip thread sleeps without a
	 * timer: wake it to start the housekeeping. The receive thread's frames wake
	 * it anyway, as messages. */
	if (!house_on && timers_thread_known && !pthread_equal(pthread_self(), timers_thread))
		tcpip_try_callback(nop, NULL);
}

void sys_timeouts_init(void)
{
	last_frame = sys_now();
	house_start();
}

static void tcp_tick(void *arg)
{
	(void)arg;
	tcp_tmr();
	if (tcp_active_pcbs || tcp_tw_pcbs)
		sys_timeout(TCP_TMR_INTERVAL, tcp_tick, NULL);
	else
		tcp_timer_on = 0;
}

/* Called by lwIP when it registers a TCP pcb: tcp_tmr runs while there are
 * active or TIME-WAIT pcbs (as lwIP's own timeouts.c does). */
void tcp_timer_needed(void)
{
	if (!tcp_timer_on && (tcp_active_pcbs || tcp_tw_pcbs)) {
		tcp_timer_on = 1;
		sys_timeout(TCP_TMR_INTERVAL, tcp_tick, NULL);
	}
}

/* The tcpip thread, between messages: a frame since the housekeeping stopped
 * starts it again (the receive thread only notes the time). */
static void note_thread(void)
{
	if (!timers_thread_known) {
		timers_thread = pthread_self();
		timers_thread_known = 1;
	}
	if (!house_on && (u32_t)(sys_now() - last_frame) < TIMERS_QUIET_MS)
		house_start();
}

void sys_check_timeouts(void)
{
	note_thread();
	/* One expired timeout at a time: a handler may add or remove others. */
	while (next_timeout && !BEFORE(sys_now(), next_timeout->time)) {
		struct sys_timeo *t = next_timeout;
		sys_timeout_handler h = t->h;
		void *arg = t->arg;
		next_timeout = t->next;
		due_now = t->time;
		free(t);
		if (h)
			h(arg);
	}
}

void sys_restart_timeouts(void)
{
	if (!next_timeout)
		return;
	u32_t base = next_timeout->time, now = sys_now();
	for (struct sys_timeo *t = next_timeout; t; t = t->next)
		t->time = t->time - base + now;
}

u32_t sys_timeouts_sleeptime(void)
{
	note_thread();
	if (!next_timeout)
		return SYS_TIMEOUTS_SLEEPTIME_INFINITE;
	u32_t now = sys_now();
	return BEFORE(next_timeout->time, now) ? 0 : next_timeout->time - now;
}
