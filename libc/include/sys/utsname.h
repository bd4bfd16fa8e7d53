/* SPDX-License-Identifier: MIT */
/* uname() (libc/posix.c): newlib has no <sys/utsname.h>; Linux's sizes. */
#ifndef SPORE_SYS_UTSNAME_H
#define SPORE_SYS_UTSNAME_H
struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65];
};
int uname(struct utsname *u);
#endif
