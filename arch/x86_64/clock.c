// SPDX-License-Identifier: MIT
/* Monotonic and wall time from a pvclock record: the host's own (Xen), KVM's
 * kvmclock, or one of our own over a TSC whose rate the host tells us or the
 * PIT measures (TCG). Which one the kernel decides (kernel/host.c) from what
 * the host offers. Reading time costs no VM exit either way. */
#include "x86.h"
#include "barrier.h"

#define KVM_CPUID_SIG            0x40000000u
#define KVM_CPUID_FEATURES       0x40000001u
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_WALL_CLOCK_NEW   0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW  0x4b564d01u

/* pvclock ABI (shared by KVM and Xen): ns = system_time +
 * scale(tsc - tsc_timestamp), written by the host under a seqlock (version). */
struct pvclock_time {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags, pad[2];
} __attribute__((packed));

struct pvclock_wall {
	uint32_t version, sec, nsec;
} __attribute__((packed));

static struct pvclock_time pvti __attribute__((aligned(64)));
/* The record read: ours (kvmclock, TSC), or the host's (Xen's shared_info). */
static const volatile struct pvclock_time *pv = &pvti;
static struct pvclock_wall pvwall __attribute__((aligned(16)));
static uint64_t wall_offset;
static const char *source = "none";

static uint64_t scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t clock_tsc_delta_ns(uint64_t dtsc)
{
	return scale(dtsc, pv->tsc_to_system_mul, pv->tsc_shift);
}

uint64_t clock_monotonic_ns(void)
{
	uint32_t v;
	uint64_t ns;

	do {
		v = pv->version;
		/* The host updates the record from another CPU: order the field
		 * reads between the two version reads (compiler barrier suffices
		 * on x86, where loads are not reordered with loads). */
		rmb();
		ns = pv->system_time +
		     scale(rdtsc() - pv->tsc_timestamp, pv->tsc_to_system_mul, pv->tsc_shift);
		rmb();
	} while ((v & 1) || v != pv->version);
	return ns;
}

uint64_t clock_wall_ns(void) { return wall_offset + clock_monotonic_ns(); }

/* After a restore from a snapshot: monotonic time goes on from mono_ns, its value when
 * the snapshot was taken, whatever the TSC did meanwhile (kvm_pvm runs ring 3 on the
 * host's own TSC, and KVM may keep a new VM's TSC offset rather than take the one
 * restored); the wall clock is the host's now. Only our own record (source "tsc") is
 * rebased: a host's pvclock or kvmclock is the host's to keep. One vCPU, no
 * interrupts here: nothing reads the record while it changes. */
void clock_resume(uint64_t mono_ns, uint64_t wall_ns)
{
	if (pv == &pvti && source[0] == 't') {
		pvti.tsc_timestamp = rdtsc();
		pvti.system_time = mono_ns;
	}
	wall_offset = wall_ns - clock_monotonic_ns();
}

/* Inverse of scale(), for the TSC-deadline timer. */
uint64_t clock_tsc_from_ns(uint64_t ns)
{
	uint32_t v;
	uint64_t base, d;
	unsigned __int128 t;

	do { /* the record under its seqlock, as clock_monotonic_ns reads it */
		v = pv->version;
		rmb();
		base = pv->tsc_timestamp;
		d = ns > pv->system_time ? ns - pv->system_time : 0;
		t = ((unsigned __int128)d << 32) / pv->tsc_to_system_mul;
		if (pv->tsc_shift < 0)
			t <<= -pv->tsc_shift;
		else
			t >>= pv->tsc_shift;
		rmb();
	} while ((v & 1) || v != pv->version);
	/* A deadline past the TSC's range (UINT64_MAX: none) saturates rather than
	 * wrapping to a moment already gone, which would fire at once. */
	return t >= UINT64_MAX - base ? UINT64_MAX : base + (uint64_t)t;
}

int clock_use_kvmclock(void)
{
	uint32_t r[4];

	cpuid(KVM_CPUID_SIG, 0, r);
	if (r[1] != 0x4b4d564b || r[0] < KVM_CPUID_FEATURES) /* "KVMK" */
		return -1;
	cpuid(KVM_CPUID_FEATURES, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return -1;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&pvti | 1);
	if (!pvti.tsc_to_system_mul)
		return -1; /* the host did not fill it in */
	wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)&pvwall);
	uint32_t v;
	do {
		v = pvwall.version;
		wall_offset = pvwall.sec * 1000000000ull + pvwall.nsec;
	} while ((v & 1) || v != pvwall.version);
	source = "kvmclock";
	return 0;
}

void clock_use_tsc(uint64_t khz, uint64_t wall_ns)
{
	int8_t shift = 0;

	arch_assert(khz > 0);
	while (khz < 1000000) /* keep mul in 32 bits for slow TSCs */
		khz *= 2, shift++;
	pvti.tsc_shift = shift;
	pvti.tsc_to_system_mul = (uint32_t)((1000000ull << 32) / khz);
	pvti.tsc_timestamp = rdtsc();
	pvti.system_time = 0;
	wall_offset = wall_ns;
	source = "tsc";
}

/* The host's own record (Xen's shared_info): nothing to set up. */
int clock_use_pvclock(const void *rec, uint64_t wall_base_ns)
{
	pv = rec;
	if (!pv->tsc_to_system_mul)
		return -1;
	wall_offset = wall_base_ns;
	source = "pvclock";
	return 0;
}

const char *clock_source(void) { return source; }
