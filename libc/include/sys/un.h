/* SPDX-License-Identifier: MIT */
/* Unix-domain socket addresses, so programs that offer AF_UNIX (Redis's
 * unixsocket, hiredis) compile. lwIP has no such family: socket(AF_UNIX)
 * fails with EAFNOSUPPORT, a clear error at run time, never a crash. */
#ifndef SPORE_SYS_UN_H
#define SPORE_SYS_UN_H
#include <sys/socket.h>

#ifndef AF_UNIX
#define AF_UNIX 1
#endif
#ifndef AF_LOCAL
#define AF_LOCAL AF_UNIX
#endif
#ifndef PF_UNIX
#define PF_UNIX AF_UNIX
#endif
#ifndef PF_LOCAL
#define PF_LOCAL AF_UNIX
#endif

/* BSD layout, as lwIP's struct sockaddr: a length byte, then the family. */
struct sockaddr_un {
	u8_t sun_len;
	sa_family_t sun_family;
	char sun_path[108];
};
#endif
