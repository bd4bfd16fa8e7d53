// SPDX-License-Identifier: MIT
/* The app is ready: the first time every thread is blocked with nothing pending (a
 * server waiting for its first client), the kernel tells the host, which may take a
 * snapshot there (spore-kvm --snapshot). A copy restored from it returns here: it
 * takes the host's wall clock and redraws what it drew from entropy, so siblings
 * restored from one snapshot do not share TCP ISNs or ports. getentropy() keeps no
 * pool (each call asks RDRAND or the host), so there is none to reseed. */
#include "kernel.h"

static void (*on_restore)(const uint8_t *seed, size_t n);
static int busy; /* requests a driver waits for in sleeps (virtio-blk): not idle yet */

/* A driver that waits for its device by sleeping brackets the wait: a thread asleep
 * on a disk read is not an app waiting for its first client, and a snapshot taken
 * there would hold a request the restored copy's device (another disk) answers. */
void ready_busy(int delta) { busy += delta; }

void ready_on_restore(void (*fn)(const uint8_t *seed, size_t n)) { on_restore = fn; }

void ready_idle(void)
{
	static int done;
	uint64_t wall;
	uint8_t seed[32];

	if (done || busy || !host->ready)
		return;
	done = 1;
	uint64_t mono = clock_monotonic_ns();
	if (!host->ready(&wall, seed))
		return;
	clock_resume(mono, wall); /* monotonic: on from the snapshot's; wall: now */
	if (on_restore)
		on_restore(seed, sizeof(seed)); /* lwIP: ISN key, first ephemeral ports */
}
