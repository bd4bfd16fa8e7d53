// SPDX-License-Identifier: MIT
/* Path name helpers newlib leaves out: POSIX dirname(), and glob(), which
 * spore does not offer (ENOSYS, named once; GLOB_ABEND to the caller). */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <string.h>
#include "libc.h"

/* POSIX: "/a/b/" -> "/a", "a" -> ".", "/" -> "/", "" or NULL -> ".". */
char *dirname(char *path)
{
	static char dot[] = ".", slash[] = "/";
	if (!path || !*path)
		return dot;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/') /* trailing slashes */
		n--;
	while (n > 0 && path[n - 1] != '/') /* the last component */
		n--;
	if (!n)
		return dot;
	while (n > 1 && path[n - 1] == '/') /* the slashes before it */
		n--;
	if (n == 1 && path[0] == '/')
		return slash;
	path[n] = '\0';
	return path;
}

int glob(const char *restrict pat, int flags, int (*err)(const char *, int), glob_t *restrict g)
{
	static int said;
	(void)pat, (void)flags, (void)err;
	if (!(flags & GLOB_APPEND))
		*g = (glob_t){ 0 };
	libc_nosys(&said, "glob");
	return GLOB_ABEND;
}

void globfree(glob_t *g) { (void)g; /* glob() never allocates */ }
