/* SPDX-License-Identifier: MIT */
/* lwIP's OS types for spore: semaphores, mutexes, mailboxes and threads are
 * pointers to objects in libc/sys_arch.c, built on the kernel's threads. */
#ifndef LWIP_ARCH_SYS_ARCH_H
#define LWIP_ARCH_SYS_ARCH_H

struct sys_sem;
struct sys_mbox;
typedef struct sys_sem *sys_sem_t;
typedef struct sys_sem *sys_mutex_t; /* a binary semaphore */
typedef struct sys_mbox *sys_mbox_t;
typedef int sys_thread_t;

#define SYS_MBOX_NULL            NULL
#define SYS_SEM_NULL             NULL
#define sys_sem_valid(s)         ((s) && *(s))
#define sys_sem_set_invalid(s)   (*(s) = NULL)
#define sys_mutex_valid(m)       sys_sem_valid(m)
#define sys_mutex_set_invalid(m) sys_sem_set_invalid(m)
#define sys_mbox_valid(m)        ((m) && *(m))
#define sys_mbox_set_invalid(m)  (*(m) = NULL)
#endif
