// SPDX-License-Identifier: MIT
/* The container's network, Kata's way: in the network namespace podman (netavark) or a
 * CNI plugin made, a tap for the VMM joined to the container's interface by tc mirred
 * redirection both ways; the guest takes that interface's MAC, address and gateway.
 * Changes are made with the ip and tc tools; what the namespace holds is read directly. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"

static int enter(const char *netns, char *err, size_t errlen)
{
	int fd = open(netns, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return oci_fail(err, errlen, "network namespace %s: %s", netns, strerror(errno));
	int rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc < 0 ? oci_fail(err, errlen, "entering network namespace %s: %s", netns,
	                         strerror(errno))
	              : 0;
}

/* Runs a tool, its output kept for the error line. */
static int run(char *err, size_t errlen, char *const argv[])
{
	int p[2];
	char out[512] = "";

	if (pipe2(p, O_CLOEXEC) < 0)
		return oci_fail(err, errlen, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		setenv("PATH", "/usr/sbin:/sbin:/usr/bin:/bin", 1);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	ssize_t n = 0, r;
	while ((r = read(p[0], out + n, sizeof out - 1 - (size_t)n)) > 0 &&
	       (size_t)(n += r) < sizeof out - 1)
		;
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		char cmd[256] = "";
		for (int i = 0; argv[i] && strlen(cmd) < 200; i++)
			snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", i ? " " : "",
			         argv[i]);
		return oci_fail(err, errlen, "'%s' failed: %s", cmd, out);
	}
	return 0;
}

/* The first interface with an IPv4 address other than lo: its name, MAC, address, prefix
 * and the default gateway. 0 found, 1 none (no network given), -1 error. */
static int discover(struct netcfg *nc, char *err, size_t errlen)
{
	struct ifaddrs *ifa, *i;

	memset(nc, 0, sizeof *nc);
	if (getifaddrs(&ifa) < 0)
		return oci_fail(err, errlen, "getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_netmask || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK) || strcmp(i->ifa_name, OCI_TAP) == 0 ||
		    strlen(i->ifa_name) >= sizeof nc->ifname)
			continue;
		struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		uint32_t m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		strcpy(nc->ifname, i->ifa_name);
		inet_ntop(AF_INET, &a, nc->addr, sizeof nc->addr);
		nc->prefix = __builtin_popcount(m);
		break;
	}
	freeifaddrs(ifa);
	if (!nc->ifname[0])
		return 1;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, nc->ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		if (s >= 0)
			close(s);
		return oci_fail(err, errlen, "MAC of %s: %s", nc->ifname, strerror(errno));
	}
	close(s);
	const unsigned char *h = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(nc->mac, sizeof nc->mac, "%02x:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3],
	         h[4], h[5]);
	/* /proc/self/net is the calling task's namespace: the default route's gateway. */
	FILE *f = fopen("/proc/self/net/route", "r");
	char line[256], dev[64];
	unsigned dst, gw, flags;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %x %x %x", dev, &dst, &gw, &flags) == 4 && dst == 0 &&
		    gw != 0 && strcmp(dev, nc->ifname) == 0) {
			struct in_addr g = { .s_addr = gw };
			inet_ntop(AF_INET, &g, nc->gw, sizeof nc->gw);
		}
	if (f)
		fclose(f);
	return 0;
}

int net_setup(const char *netns, struct netcfg *nc, char *err, size_t errlen)
{
	char mtu[16];

	memset(nc, 0, sizeof *nc);
	if (!netns || !*netns)
		return 0;
	if (enter(netns, err, errlen) < 0)
		return -1;
	int r = discover(nc, err, errlen);
	if (r != 0)
		return r < 0 ? -1 : 0;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, nc->ifname);
	snprintf(mtu, sizeof mtu, "%d",
	         s >= 0 && ioctl(s, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : 1500);
	if (s >= 0)
		close(s);
	char *tap_add[] = { "ip", "tuntap", "add", "dev", OCI_TAP, "mode", "tap", NULL };
	char *tap_up[] = { "ip", "link", "set", OCI_TAP, "mtu", mtu, "up", NULL };
	char *q_if[] = { "tc", "qdisc", "add", "dev", nc->ifname, "ingress", NULL };
	char *q_tap[] = { "tc", "qdisc", "add", "dev", OCI_TAP, "ingress", NULL };
	char *f_if[] = { "tc",       "filter", "add",    "dev",      nc->ifname, "parent", "ffff:",
		         "protocol", "all",    "u32",    "match",    "u32",      "0",      "0",
		         "action",   "mirred", "egress", "redirect", "dev",      OCI_TAP,  NULL };
	char *f_tap[] = { "tc",       "filter", "add",    "dev",      OCI_TAP, "parent",   "ffff:",
		          "protocol", "all",    "u32",    "match",    "u32",   "0",        "0",
		          "action",   "mirred", "egress", "redirect", "dev",   nc->ifname, NULL };
	if (run(err, errlen, tap_add) < 0)
		return -1;
	if (run(err, errlen, tap_up) < 0 || run(err, errlen, q_if) < 0 ||
	    run(err, errlen, q_tap) < 0 || run(err, errlen, f_if) < 0 ||
	    run(err, errlen, f_tap) < 0) {
		net_teardown(NULL);
		return -1;
	}
	nc->up = 1;
	return 0;
}

/* Removes the tap and the interface's ingress redirection; quiet: the namespace or
 * they may be gone already. netns NULL: the current one. */
void net_teardown(const char *netns)
{
	char err[256];
	struct netcfg nc;

	if (netns && (!*netns || enter(netns, err, sizeof err) < 0))
		return;
	char *del[] = { "ip", "link", "del", OCI_TAP, NULL };
	run(err, sizeof err, del);
	if (discover(&nc, err, sizeof err) == 0) {
		char *q[] = { "tc", "qdisc", "del", "dev", nc.ifname, "ingress", NULL };
		run(err, sizeof err, q);
	}
}
