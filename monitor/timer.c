// SPDX-License-Identifier: MIT
/* --timeout: SIGALRM after N seconds ends the guest with HC_EXIT_TIMEOUT, whether it
 * runs, sleeps in HC_POLL or the monitor is blocked writing for it. Not the run loop's
 * exit itself (main.c), nor KVM_SET_SIGNAL_MASK (main.c passes it vm->poll_mask). */
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include "hypercall.h"
#include "monitor.h"

static struct vm *timer_vm;
static uint64_t timer_secs;
static sigset_t run_mask, alrm;
static volatile sig_atomic_t expired;
static const char *volatile in_io; /* what the monitor is blocked on, between io_begin/end */

/* Runs inside a ppoll (KVM_RUN's or HC_POLL's) or inside a host write between
 * timer_io_begin and timer_io_end. In a ppoll it only marks the timeout:
 * kvm_run->immediate_exit makes the next KVM_RUN return at once and the run loop
 * ends. In a host write it ends the process itself: the write may never return
 * (a stdout reader that stopped reading). msg's vsnprintf is safe here because the
 * interrupted code is known: a write, pread or fdatasync, never the formatter. */
static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
	if (in_io) {
		msg("spore-kvm: guest timed out after %llu s (while the monitor was writing %s)\n",
		    (unsigned long long)timer_secs, in_io);
		print_stats();
		_exit(HC_EXIT_TIMEOUT);
	}
	if (timer_vm->run)
		timer_vm->run->immediate_exit = 1;
}

/* SIGALRM stays blocked except inside KVM_RUN (KVM_SET_SIGNAL_MASK with
 * vm->poll_mask), ppoll (its mask argument) and host writes (timer_io_begin),
 * each of which unblocks it: a timer that fires while the monitor serves a call
 * stays pending and ends the next KVM_RUN or ppoll at once, rather than landing
 * just before an HC_POLL without a timeout and being lost. -1 with errno set. */
int timer_arm(struct vm *vm, uint64_t secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_sec = (time_t)secs } };

	timer_vm = vm;
	timer_secs = secs;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &alrm, &run_mask) < 0)
		return -1;
	sigdelset(&run_mask, SIGALRM);
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
		return -1;
	vm->poll_mask = &run_mask;
	return 0;
}

int timer_expired(void) { return expired; }

/* KVM_RUN returns EINTR for a signal its mask lets through but leaves that
 * signal pending and blocked again; a zero-wait ppoll with the same mask
 * delivers it, so on_alarm runs. */
void timer_take(const struct vm *vm)
{
	const struct timespec zero = { 0, 0 };

	if (vm->poll_mask)
		ppoll(NULL, 0, &zero, vm->poll_mask);
}

/* Around a host write that may block for as long as another process likes (stdout,
 * the disk): SIGALRM may land in it and end the monitor. what names it in the
 * message. A timer already pending fires as the mask opens. */
void timer_io_begin(const char *what)
{
	if (!timer_vm)
		return;
	in_io = what;
	sigprocmask(SIG_UNBLOCK, &alrm, NULL);
}

void timer_io_end(void)
{
	if (!timer_vm)
		return;
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	in_io = NULL;
}
