// SPDX-License-Identifier: MIT
/* The network device registry (one device) and the receive thread's wait:
 * drivers report "a frame may be waiting" with net_wake() (or, from an
 * interrupt handler, net_irq), and the receive thread sleeps in net_wait(). */
#include "kernel.h"
#include "net.h"

const struct net_dev *net_dev;
volatile int net_irq; /* set in interrupt context, consumed by net_poll() */
static struct waitq waiters;
static int pending;
static int guarded; /* the only wake-up since the last net_wait was net_guard's */

void net_wake(void)
{
	pending = 1;
	guarded = 0;
	waitq_wake_all(&waiters);
}

/* Not a device's word: an idle timer's (libc/net/timers.c). */
void net_guard(void)
{
	if (!pending)
		guarded = 1;
	pending = 1;
	waitq_wake_all(&waiters);
}

/* The scheduler's idle loop: turn interrupt-time notes into wake-ups. */
void net_poll(void)
{
	if (net_irq) {
		net_irq = 0;
		if (opt_lose_irqs > 0 && net_dev && net_dev->rx_waiting && net_dev->rx_waiting()) {
			opt_lose_irqs--; /* tests: this wake-up lost (kernel/options.c) */
			return;
		}
		net_wake();
	}
}

void net_flush(int idle)
{
	if (net_dev && net_dev->flush)
		net_dev->flush(idle);
}

int net_wait(void)
{
	while (!pending)
		thread_block(&waiters, UINT64_MAX);
	int g = guarded;
	pending = guarded = 0;
	return g;
}
