// SPDX-License-Identifier: MIT
/* Host unit tests for lwIP's timeouts as spore runs them (libc/net/timers.c,
 * compiled whole against lwIP's headers): housekeeping only while frames move,
 * then the idle guard, 8 s after the housekeeping stops and backing off to 64 s,
 * and back to 8 s after the next frame. lwIP's own timers, its tcpip thread and
 * the receive thread's net_guard are stubs that count; time is a fake clock. */
#include <stdint.h>
#include "unit.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"
#include "kernel/net.h"
#include "net.h"

static u32_t clock_ms;
static int house_runs, dhcp_runs, callbacks, guards;
struct net_config net_config = { .static_ip = 1 }; /* ip=: no DHCP client */
static u32_t guard_at[16];

u32_t sys_now(void) { return clock_ms; }
void ip_reass_tmr(void) { house_runs++; }
void etharp_tmr(void) { house_runs++; }
void dhcp_coarse_tmr(void) { dhcp_runs++; }
void dhcp_fine_tmr(void) { dhcp_runs++; }
void tcp_tmr(void) {}
struct tcp_pcb *tcp_active_pcbs, *tcp_tw_pcbs;
struct netif *netif_list;
err_t tcpip_try_callback(tcpip_callback_fn fn, void *ctx)
{
	(void)fn, (void)ctx;
	callbacks++;
	return ERR_OK;
}
void net_guard(void)
{
	if (guards < (int)(sizeof guard_at / sizeof guard_at[0]))
		guard_at[guards] = clock_ms;
	guards++;
}
void spore_lwip_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwIP assertion: %s (%s:%d)\n", msg, file, line);
	abort();
}

/* The tcpip thread's loop, a millisecond at a time: run what is due. */
static void run_until(u32_t end_ms)
{
	while (clock_ms < end_ms) {
		clock_ms++;
		sys_check_timeouts();
	}
}

/* A frame now (the first: sys_timeouts_init, as at start-up), seen by the
 * tcpip thread; counters zeroed. Returns the frame's time. */
static u32_t fresh(void)
{
	static int once;
	u32_t t = clock_ms;
	/* The list is the file's own: drain it by running far past every timeout,
	 * then start from a frame, as a new guest would. */
	if (once) {
		timers_frame();
		run_until(clock_ms + 1);
	} else {
		sys_timeouts_init();
		once = 1;
	}
	house_runs = dhcp_runs = guards = 0;
	return t;
}

static const char *t_busy_no_guard(void)
{
	u32_t t0 = fresh();
	for (int s = 1; s <= 60; s++) {
		run_until(t0 + s * 1000);
		timers_frame(); /* a frame every second */
	}
	CHECK(guards == 0, "the guard ran %d times while frames moved", guards);
	CHECK(house_runs >= 60 * 2, "housekeeping ran only %d times in 60 busy s", house_runs);
	CHECK(dhcp_runs == 0, "DHCP's timers ran %d times with a static address", dhcp_runs);
	return NULL;
}

/* dhcp=1: DHCP's timers run beside the rest while frames move (the fine one
 * every 500 ms), and stop with them. */
static const char *t_dhcp_timers(void)
{
	net_config.dhcp = 1;
	u32_t t0 = fresh();
	run_until(t0 + 8000);
	timers_frame(); /* restarts the housekeeping, DHCP's timers with it */
	u32_t t1 = clock_ms;
	dhcp_runs = 0;
	run_until(t1 + 10000);
	net_config.dhcp = 0;
	CHECK(dhcp_runs >= 19 && dhcp_runs <= 21,
	      "DHCP's timers ran %d times in 10 busy s, want 20", dhcp_runs);
	run_until(clock_ms + 200000);
	dhcp_runs = 0;
	run_until(clock_ms + 64000);
	CHECK(dhcp_runs == 0, "DHCP's timers ran %d times while idle", dhcp_runs);
	return NULL;
}

static const char *t_idle_guard_backs_off(void)
{
	u32_t t0 = fresh();
	run_until(t0 + 16000 + 8000 + 16000 + 32000 + 64000 + 64000 + 64000 + 500);
	CHECK(guards == 6, "%d guard wake-ups in 265 idle s, want 6", guards);
	/* Housekeeping stops at the first of its ticks 16 s after the last frame. */
	u32_t stop = guard_at[0] - 8000;
	CHECK(stop - t0 >= 16000 && stop - t0 <= 17000,
	      "housekeeping stopped %u ms after the frame", (unsigned)(stop - t0));
	static const u32_t gap[] = { 16000, 32000, 64000, 64000, 64000 };
	for (int i = 0; i < 5; i++)
		CHECK(guard_at[i + 1] - guard_at[i] == gap[i], "guard gap %d: %u ms, want %u", i,
		      (unsigned)(guard_at[i + 1] - guard_at[i]), (unsigned)gap[i]);
	int idle_house = house_runs;
	run_until(clock_ms + 64000);
	CHECK(house_runs == idle_house, "housekeeping ran %d times while idle",
	      house_runs - idle_house);
	return NULL;
}

/* A host that raises a lost interrupt again itself (spore-kvm: HC_FEAT_IRQ_RETRY)
 * sets a longer cap: the gaps double on to it, 8 s to 1024 s, and stay there. */
static const char *t_guard_longer_cap(void)
{
	net_config.guard_max_ms = 1024000;
	u32_t t0 = fresh();
	run_until(t0 + 16000 + 8000 + 16000 + 32000 + 64000 + 128000 + 256000 + 512000 + 1024000 +
	          1024000 + 500);
	net_config.guard_max_ms = 0;
	CHECK(guards == 9, "%d guard wake-ups in 3080 idle s, want 9", guards);
	static const u32_t gap[] = {
		16000, 32000, 64000, 128000, 256000, 512000, 1024000, 1024000
	};
	for (int i = 0; i < 8; i++)
		CHECK(guard_at[i + 1] - guard_at[i] == gap[i], "guard gap %d: %u ms, want %u", i,
		      (unsigned)(guard_at[i + 1] - guard_at[i]), (unsigned)gap[i]);
	/* Back to the default: a frame restarts the ladder, which stops at 64 s. */
	timers_frame();
	u32_t t1 = clock_ms;
	guards = 0;
	run_until(t1 + 16000 + 8000 + 16000 + 32000 + 64000 + 64000 + 500);
	CHECK(guards == 5 && guard_at[4] - guard_at[3] == 64000,
	      "%d guard wake-ups with the default cap, last gap %u ms", guards,
	      (unsigned)(guard_at[4] - guard_at[3]));
	return NULL;
}

static const char *t_frame_resets_guard(void)
{
	fresh();
	run_until(clock_ms + 200000); /* backed off to 64 s */
	timers_frame();
	u32_t t1 = clock_ms;
	guards = house_runs = 0;
	run_until(t1 + 16000 + 8000 + 500);
	CHECK(house_runs > 0, "a frame did not restart the housekeeping");
	CHECK(guards == 1, "%d guard wake-ups in the 24.5 s after a frame, want 1", guards);
	CHECK(guard_at[0] - t1 >= 24000 && guard_at[0] - t1 <= 25000,
	      "first guard %u ms after the frame, want 8 s after the housekeeping's 16",
	      (unsigned)(guard_at[0] - t1));
	return NULL;
}

/* Every first port lwIP may draw (tcp_init), then its first tcp_new_port() step
 * (2.1.3: one more, then back to the start at the end): never 0 (ERR_BUF). */
static const char *t_first_port(void)
{
	for (uint32_t r = 0; r <= 0xffff; r++) {
		u16_t p = TCP_ENSURE_LOCAL_PORT_RANGE(r);
		CHECK(p >= TCP_LOCAL_PORT_RANGE_START && p < TCP_LOCAL_PORT_RANGE_END,
		      "LWIP_RAND %u: first port %u", (unsigned)r, (unsigned)p);
		p++;
		if (p == TCP_LOCAL_PORT_RANGE_END)
			p = TCP_LOCAL_PORT_RANGE_START;
		CHECK(p != 0, "LWIP_RAND %u: port 0", (unsigned)r);
	}
	CHECK(TCP_ENSURE_LOCAL_PORT_RANGE(0xffffffffu) < TCP_LOCAL_PORT_RANGE_END, "a 32-bit draw");
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_first_port, "lwip_first_port_never_0" },
	{ t_busy_no_guard, "timers_busy_no_guard" },
	{ t_idle_guard_backs_off, "timers_idle_guard_backs_off" },
	{ t_frame_resets_guard, "timers_frame_resets_guard" },
	{ t_guard_longer_cap, "timers_guard_longer_cap" },
	{ t_dhcp_timers, "timers_dhcp_only_with_dhcp" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
