/* SPDX-License-Identifier: MIT */
/* newlib's <sys/resource.h> (getrusage) plus the resource limits it lacks,
 * with Linux's numbers (libc/posix.c). */
#ifndef SPORE_SYS_RESOURCE_H
#define SPORE_SYS_RESOURCE_H
#include_next <sys/resource.h>
typedef unsigned long rlim_t;
struct rlimit {
	rlim_t rlim_cur, rlim_max;
};
#define RLIM_INFINITY  (~0ul)
#define RLIMIT_CPU     0
#define RLIMIT_FSIZE   1
#define RLIMIT_DATA    2
#define RLIMIT_STACK   3
#define RLIMIT_CORE    4
#define RLIMIT_NOFILE  7
#define RLIMIT_AS      9
#define RLIMIT_NLIMITS 16
int getrlimit(int resource, struct rlimit *rl);
int setrlimit(int resource, const struct rlimit *rl);
#endif
