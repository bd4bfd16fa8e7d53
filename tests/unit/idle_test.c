// SPDX-License-Identifier: MIT
/* Host unit tests for the idle path's two guards against a lost wake-up: trap()
 * stepping past safe_halt's hlt when an interrupt lands on it (arch/x86_64/trap.c),
 * and the receive thread's wait telling a device's wake-up from the idle guard's
 * (kernel/net.c). Both files are compiled whole; the scheduler and the APIC under
 * them are stubs that count. The hlt itself is never executed. */
#include <setjmp.h>
#include <stdint.h>
#include "unit.h"
#include "x86.h"
#include "kernel.h"
#include "net.h"

extern const char safe_halt_hlt[];

static int eois, handled, faults, blocks, wakes;
static jmp_buf faulted;

void apic_eoi(void) { eois++; }
static void handler(void) { handled++; }
static void on_fault(const struct trapframe *tf)
{
	(void)tf;
	faults++;
	longjmp(faulted, 1); /* trap() stops the CPU after the report: not on a host */
}
static void on_fatal(const char *file, int line, const char *msg)
{
	(void)file, (void)line, (void)msg;
	longjmp(faulted, 1);
}

/* net_wait only blocks while nothing is pending: every test sets something first. */
int thread_block(struct waitq *q, uint64_t deadline)
{
	(void)q, (void)deadline;
	blocks++;
	return 0;
}
void waitq_wake_all(struct waitq *q)
{
	(void)q;
	wakes++;
}

static struct trapframe at(uint64_t rip, uint64_t vector)
{
	struct trapframe tf = { 0 };
	tf.rip = rip;
	tf.vector = vector;
	return tf;
}

static const char *t_interrupt_at_hlt_skips_it(void)
{
	uint64_t hlt = (uint64_t)(uintptr_t)safe_halt_hlt;
	struct trapframe tf = at(hlt, 0x40);

	CHECK((unsigned char)safe_halt_hlt[0] == 0xf4, "safe_halt_hlt is not a hlt (0x%02x)",
	      (unsigned char)safe_halt_hlt[0]);
	handled = eois = 0;
	trap(&tf);
	CHECK(tf.rip == hlt + 1, "rip %#lx, want the byte after the hlt %#lx", tf.rip, hlt + 1);
	CHECK(handled == 1 && eois == 1, "handler %d, EOI %d", handled, eois);
	/* The byte after it: the cli that ends safe_halt. */
	CHECK((unsigned char)safe_halt_hlt[1] == 0xfa, "after the hlt: 0x%02x",
	      (unsigned char)safe_halt_hlt[1]);
	return NULL;
}

static const char *t_interrupt_elsewhere_returns_there(void)
{
	uint64_t hlt = (uint64_t)(uintptr_t)safe_halt_hlt;
	uint64_t rips[] = { hlt - 1, hlt + 1, 0x1000 };

	for (size_t i = 0; i < sizeof rips / sizeof rips[0]; i++) {
		struct trapframe tf = at(rips[i], 0x40);
		trap(&tf);
		CHECK(tf.rip == rips[i], "rip %#lx moved to %#lx", rips[i], tf.rip);
	}
	/* A spurious interrupt at the hlt woke it too. */
	struct trapframe tf = at(hlt, SPURIOUS_VECTOR);
	eois = 0;
	trap(&tf);
	CHECK(tf.rip == hlt + 1 && eois == 0, "rip %#lx, EOI %d", tf.rip, eois);
	return NULL;
}

/* An exception's rip is the faulting instruction's: never stepped over. */
static const char *t_exception_at_hlt_is_reported(void)
{
	uint64_t hlt = (uint64_t)(uintptr_t)safe_halt_hlt;
	struct trapframe tf = at(hlt, 13);

	faults = 0;
	if (!setjmp(faulted))
		trap(&tf);
	CHECK(faults == 1, "fault reports %d", faults);
	CHECK(tf.rip == hlt, "rip %#lx, want %#lx", tf.rip, hlt);
	return NULL;
}

static const char *t_net_wait_tells_guard(void)
{
	blocks = 0;
	net_wake();
	CHECK(net_wait() == 0, "a device's wake-up counted as the guard's");
	net_guard();
	CHECK(net_wait() == 1, "the guard's own wake-up not told");
	net_guard();
	net_wake();
	CHECK(net_wait() == 0, "guard then device: the device's");
	net_wake();
	net_guard();
	CHECK(net_wait() == 0, "device then guard: the device's");
	CHECK(blocks == 0, "blocked %d times with a wake-up pending", blocks);
	return NULL;
}

/* lose_irqs=N (tests only): net_poll drops the wake-up of the first N device
 * interrupts that find a frame waiting, as a lost wake-up would; one with nothing
 * waiting (a sent buffer's) is neither lost nor counted. */
int opt_lose_irqs;
static int waiting;
static int rx_waiting(void) { return waiting; }
static const struct net_dev fake = { .rx_waiting = rx_waiting };

static const char *t_lose_irqs(void)
{
	net_dev = &fake;
	opt_lose_irqs = 1;
	wakes = 0;
	waiting = 0;
	net_irq = 1;
	net_poll();
	CHECK(wakes == 1 && opt_lose_irqs == 1, "an interrupt with nothing waiting was lost");
	net_wait();
	waiting = 1;
	net_irq = 1;
	net_poll();
	CHECK(wakes == 1 && opt_lose_irqs == 0 && !net_irq, "the first with a frame woke");
	net_irq = 1;
	net_poll();
	CHECK(wakes == 2, "the second with a frame was lost too");
	net_wait();
	net_dev = NULL;
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_interrupt_at_hlt_skips_it, "trap_interrupt_at_hlt_skips_it" },
	{ t_interrupt_elsewhere_returns_there, "trap_interrupt_elsewhere_returns_there" },
	{ t_exception_at_hlt_is_reported, "trap_exception_at_hlt_is_reported" },
	{ t_net_wait_tells_guard, "net_wait_tells_guard" },
	{ t_lose_irqs, "net_lose_irqs" },
};

int main(int argc, char **argv)
{
	arch_init(on_fault, on_fatal);
	irq_register(0x40, handler);
	return UNIT_RUN(tests, argc, argv, "");
}
