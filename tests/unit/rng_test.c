// SPDX-License-Identifier: MIT
/* Host unit test for the virtio-rng driver: drivers/virtio_rng.c compiled in
 * whole against a fake device (the transport and the virtqueue stubbed below)
 * that answers with chosen used lengths. A hostile length must give the
 * device up, never copy past the caller's buffer or the driver's page, and
 * never wrap the count. "ok NAME" / "FAIL NAME: why". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "../../drivers/virtio_rng.c"
#include "../../drivers/virtq_wait.c"

/* ---- the fake device: one posted buffer, answered at the notify ---- */
static uint8_t *posted; /* NULL: nothing in flight */
static uint32_t posted_len;
static const uint32_t *answers;     /* used lengths to report, in turn; */
static unsigned nanswers, answered; /* ~0u means "as long as posted" */
static uint64_t now_ns;
static int gave_up;

void kprintf(const char *fmt, ...) { gave_up += strstr(fmt, "not used again") != NULL; }
void *mem_alloc_pages(size_t n)
{
	static uint8_t pg[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE))); /* ASan guards its end */
	return n == 1 ? pg : NULL;
}
uint64_t clock_monotonic_ns(void) { return now_ns; }
/* The sleeps vdev_wait asked for, and a host that stops the VM for `frozen` ns
 * during the sleep numbered `freeze_at`. */
static uint64_t sleeps[64], frozen;
static unsigned nsleeps, freeze_at = ~0u;
void sleep_until(uint64_t deadline_ns)
{
	if (nsleeps < 64)
		sleeps[nsleeps] = deadline_ns - now_ns;
	now_ns = deadline_ns + (nsleeps++ == freeze_at ? frozen : 0);
}
int vdev_negotiate(struct vdev *d, uint64_t want, uint64_t *got)
{
	(void)d;
	return *got = want, 0;
}
int vdev_setup_queue(struct vdev *d, unsigned idx, struct virtq *vq, uint16_t want)
{
	(void)d, (void)idx, (void)want;
	*vq = (struct virtq){ .size = 8 };
	return 0;
}
void vdev_driver_ok(struct vdev *d) { (void)d; }
void vdev_fail(struct vdev *d) { (void)d; }
void vdev_notify(struct vdev *d, unsigned queue) { (void)d, (void)queue; }

int virtq_add(struct virtq *vq, uint64_t addr, uint32_t len, int device_writes, void *cookie)
{
	(void)vq, (void)device_writes, (void)cookie;
	if (posted)
		return -1;
	posted = (uint8_t *)addr;
	posted_len = len;
	return 0;
}

/* The device fills what it was given (never more: the page is the driver's)
 * and reports the next length from the script, true or not. */
int virtq_get(struct virtq *vq, void **cookie, uint32_t *len)
{
	(void)vq;
	if (!posted || answered == nanswers)
		return 0;
	memset(posted, 0xa5, posted_len);
	*cookie = posted;
	*len = answers[answered] == ~0u ? posted_len : answers[answered];
	answered++;
	posted = NULL;
	return 1;
}

static struct vdev fake;

/* A fresh driver, then one read of n bytes into a buffer of exactly n (ASan
 * sees any byte past it) with the device answering `a` in turn. */
static int run(const uint32_t *a, unsigned na, size_t n, uint8_t **out)
{
	dev = NULL;
	posted = NULL;
	answers = a, nanswers = na, answered = 0, gave_up = 0, now_ns = 0;
	if (vrng_init(&fake) < 0)
		abort();
	*out = malloc(n ? n : 1);
	memset(*out, 0, n);
	return vrng_read(*out, n);
}

static const char *t_honest(void)
{
	static const uint32_t full[] = { ~0u, ~0u, ~0u }, shorter[] = { 1, 100, ~0u };
	uint8_t *out;
	CHECK(run(full, 1, 64, &out) == 0 && out[0] == 0xa5 && out[63] == 0xa5 && !gave_up);
	free(out);
	CHECK(run(full, 3, 2 * PAGE_SIZE + 10, &out) == 0 && out[2 * PAGE_SIZE + 9] == 0xa5);
	free(out);
	CHECK(run(shorter, 3, 200, &out) == 0 && answered == 3 &&
	      out[199] == 0xa5); /* 1 + 100 + 99 */
	free(out);
	return NULL;
}

/* Longer than asked, on the first request or the last one of a read: the
 * device is given up, nothing is copied past either buffer, the count does
 * not wrap into an endless read. */
static const char *t_hostile_len(void)
{
	static const uint32_t bad[][2] = {
		{ 65, 0 }, { 4096, 0 },     { 1 << 20, 0 }, { 0xffffffff - 1, 0 },
		{ 60, 5 }, { 60, 1 << 20 }, { 0, 0 },
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t *out;
		CHECK(run(bad[i], 2, 64, &out) == -1 && gave_up == 1);
		CHECK(vrng_read(out, 64) == -1); /* and not used again */
		free(out);
	}
	return NULL;
}

static const char *t_no_answer(void)
{
	uint8_t *out;
	CHECK(run(NULL, 0, 16, &out) == -1 && gave_up == 1 && now_ns >= RNG_TIMEOUT_NS);
	free(out);
	return NULL;
}

/* vdev_wait on a device that never answers: looks after 20 us, then twice as
 * long each time up to 1 ms (a vCPU that sleeps less than KVM's halt polling
 * never leaves the host CPU to the device's thread); a 30 s stop of the whole
 * VM in one sleep counts 100 ms of the timeout, not 30 s. */
static const char *t_wait_backoff(void)
{
	struct virtq vq = { .size = 8 };
	void *c;
	uint32_t len;
	posted = NULL, now_ns = 0, nsleeps = 0, freeze_at = ~0u;
	CHECK(vdev_wait(&vq, &c, &len, 10000000, 20000) == 0 && now_ns >= 10000000);
	CHECK(sleeps[0] == 20000 && sleeps[1] == 40000 && sleeps[5] == 640000);
	CHECK(sleeps[6] == 1000000 && sleeps[nsleeps - 1] == 1000000); /* no more than 1 ms */
	now_ns = 0, nsleeps = 0, freeze_at = 3, frozen = 30000000000ull;
	CHECK(vdev_wait(&vq, &c, &len, 1000000000, 20000) == 0);
	CHECK(now_ns > 30000000000ull && now_ns - 30000000000ull >= 900000000 &&
	      now_ns - 30000000000ull < 1000000000); /* the stop counted 100 ms */
	freeze_at = ~0u;
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_wait_backoff, "vdev_wait_backoff" },
	{ t_honest, "vrng_honest" },
	{ t_hostile_len, "vrng_hostile_used_len" },
	{ t_no_answer, "vrng_no_answer" },
};

int main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
