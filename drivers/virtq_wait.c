// SPDX-License-Identifier: MIT
/* Waiting for a device's answer on a queue, with a timeout in the guest's running
 * time (virtio_blk.c, virtio_rng.c). Its own file so that the drivers' unit tests
 * run it against their fake clock. Trusts virtq_get's checks of the ring. */
#include "kernel.h"
#include "virtio.h"

#define STEP_MAX 100000000ull /* the most one look at a ring counts toward a timeout */
#define POLL_MAX 1000000ull   /* the longest sleep between two looks */

/* Waits for q's next used entry, looking after poll_ns, then twice as long each
 * time up to POLL_MAX, for up to timeout_ns of this guest running: one step
 * between looks counts at most STEP_MAX. A host that stopped the VM (paused,
 * frozen, or the lab's L1 that lost its timer interrupt for 30 s) moves the clock
 * on while nothing could answer; counted whole, that gave up a healthy disk.
 * The back-off is for the device's own thread on the same host CPU: KVM polls a
 * halted vCPU for up to 200 us before it lets its thread sleep, so a guest that
 * looks every 20 us never leaves the CPU, and a device thread that cannot preempt
 * it (SCHED_BATCH, or any thread once the host's timer tick is lost, as the lab's
 * L1 does) never answers: 10 s of the guest's own running time, given up
 * (docs/reliability.md, "A VM stopped mid-request"). The device's interrupt still
 * ends a sleep at once where it is delivered. Returns virtq_get's 1 or -1, or 0
 * when the time ran out. */
int vdev_wait(struct virtq *q, void **c, uint32_t *len, uint64_t timeout_ns, uint64_t poll_ns)
{
	uint64_t waited = 0, t = clock_monotonic_ns();
	int r;
	while ((r = virtq_get(q, c, len)) == 0 && waited < timeout_ns) {
		sleep_until(t + poll_ns);
		uint64_t now = clock_monotonic_ns();
		waited += now - t < STEP_MAX ? now - t : STEP_MAX;
		t = now;
		if (poll_ns < POLL_MAX)
			poll_ns = 2 * poll_ns < POLL_MAX ? 2 * poll_ns : POLL_MAX;
	}
	return r;
}
