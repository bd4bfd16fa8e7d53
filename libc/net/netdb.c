// SPDX-License-Identifier: MIT
/* getaddrinfo for numeric IPv4 addresses and ports only: spore has no
 * resolver. One result per call (the socktype asked for, or stream). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>

static int parse_port(const char *s, unsigned short *port)
{
	char *end;
	if (!s) {
		*port = 0;
		return 0;
	}
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 };
	struct in_addr a;
	unsigned short port;

	if (!node && !service)
		return EAI_NONAME;
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET)
		return EAI_FAMILY;
	if (h.ai_socktype && h.ai_socktype != SOCK_STREAM && h.ai_socktype != SOCK_DGRAM)
		return EAI_SOCKTYPE;
	if (parse_port(service, &port) < 0)
		return EAI_SERVICE;
	if (node) {
		if (inet_pton(AF_INET, node, &a) != 1)
			return EAI_NONAME; /* not an address, and there is no resolver */
	} else {
		a.s_addr = h.ai_flags & AI_PASSIVE ? htonl(INADDR_ANY) : htonl(INADDR_LOOPBACK);
	}
	struct {
		struct addrinfo ai;
		struct sockaddr_in sin;
	} *r = calloc(1, sizeof *r);
	if (!r)
		return EAI_MEMORY;
	r->sin.sin_len = sizeof r->sin;
	r->sin.sin_family = AF_INET;
	r->sin.sin_port = htons(port);
	r->sin.sin_addr = a;
	r->ai.ai_family = AF_INET;
	r->ai.ai_socktype = h.ai_socktype ? h.ai_socktype : SOCK_STREAM;
	r->ai.ai_protocol = r->ai.ai_socktype == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
	r->ai.ai_addrlen = sizeof r->sin;
	r->ai.ai_addr = (struct sockaddr *)&r->sin;
	*res = &r->ai;
	return 0;
}

/* Each result is one allocation holding the addrinfo and its address. */
void freeaddrinfo(struct addrinfo *res)
{
	while (res) {
		struct addrinfo *next = res->ai_next;
		free(res);
		res = next;
	}
}

const char *gai_strerror(int err)
{
	switch (err) {
	case EAI_NONAME: return "name is not a numeric address (no resolver)";
	case EAI_SERVICE: return "service is not a numeric port";
	case EAI_FAMILY: return "address family not supported";
	case EAI_SOCKTYPE: return "socket type not supported";
	case EAI_MEMORY: return "out of memory";
	default: return "getaddrinfo failed";
	}
}
