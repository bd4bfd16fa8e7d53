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
/* dladdr() finds no symbol (the image keeps no symbol table): 0, as for an
 * address outside any object. */
typedef struct {
	const char *dli_fname;
	void *dli_fbase;
	const char *dli_sname;
	void *dli_saddr;
} Dl_info;
int dladdr(const void *addr, Dl_info *info);
#endif
