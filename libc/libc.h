/* SPDX-License-Identifier: MIT */
/* libc/'s internal header: what the syscall layer needs from the kernel. The
 * kernel's own headers use the freestanding compiler headers, so only plain
 * prototypes cross this line. */
#ifndef LIBC_H
#define LIBC_H
#include <stddef.h>
#include <stdint.h>

/* From kernel/ (kernel.h) */
void console_write(const char *s, size_t n);
void console_flush(void);
void *mem_sbrk(intptr_t incr);
void kexit(int status) __attribute__((noreturn));
uint64_t clock_monotonic_ns(void);
uint64_t clock_wall_ns(void);
int entropy_get(void *buf, size_t n);
void sleep_until(uint64_t deadline_ns);
extern uint64_t ram_bytes;
extern uint64_t initrd_base, initrd_size;
size_t mem_free_bytes(void);
void sched_libc(void **reent_slot, size_t (*heap_in_use)(void));
void ready_on_restore(void (*fn)(const uint8_t *seed, size_t n));

/* syscalls.c */
size_t libc_heap_in_use(void); /* malloc's bytes in use */

/* The app's entry (C's contract: start.c calls it, the app defines it). */
int main(int argc, char **argv);

/* posix.c: errno = ENOSYS, and NAME on the console the first time */
void libc_nosys(int *said, const char *name);

#define NSEC 1000000000ull
#endif
