/* SPDX-License-Identifier: MIT */
/* Numeric getaddrinfo only: spore has no resolver (AI_NUMERICHOST is implied;
 * a name that is not an address fails with EAI_NONAME). */
#ifndef SPORE_NETDB_H
#define SPORE_NETDB_H
#include <netinet/in.h>

struct addrinfo {
	int ai_flags, ai_family, ai_socktype, ai_protocol;
	socklen_t ai_addrlen;
	struct sockaddr *ai_addr;
	char *ai_canonname;
	struct addrinfo *ai_next;
};

#define AI_PASSIVE     0x01
#define AI_CANONNAME   0x02
#define AI_NUMERICHOST 0x04
#define AI_NUMERICSERV 0x08
#define AI_ADDRCONFIG  0x20
#ifndef EAI_NONAME
#define EAI_NONAME  200
#define EAI_SERVICE 201
#define EAI_FAIL    202
#define EAI_MEMORY  203
#define EAI_FAMILY  204
#endif
#define EAI_SOCKTYPE 205
#define EAI_BADFLAGS 206

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res);
void freeaddrinfo(struct addrinfo *res);
const char *gai_strerror(int err);
#endif
