/* SPDX-License-Identifier: MIT */
/* Dynamic loading: declared so programs that probe for it build; one static
 * image has no loader, and dlopen() fails with ENOSYS (libc/posix.c). */
#ifndef SPORE_DLFCN_H
#define SPORE_DLFCN_H
#define RTLD_LAZY   1
#define RTLD_NOW    2
#define RTLD_GLOBAL 0x100
#define RTLD_LOCAL  0
void *dlopen(const char *file, int mode);
void *dlsym(void *handle, const char *name);
int dlclose(void *handle);
char *dlerror(void);
#endif
