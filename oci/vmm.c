// SPDX-License-Identifier: MIT
/* Which VMM boots the guest on this host, its command line, and what its exit means.
 * spore-kvm when /dev/kvm is usable and spore-kvm sits next to spore-oci (or in
 * /usr/local/bin), else QEMU microvm with tests/spore-run's settings (TCG without KVM);
 * the annotation org.spore.vmm forces either. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"

static char spore_kvm[PATH_MAX + 16];

static int find_spore_kvm(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(spore_kvm, sizeof spore_kvm, "%s/spore-kvm", self);
			if (access(spore_kvm, X_OK) == 0)
				return 1;
		}
	}
	snprintf(spore_kvm, sizeof spore_kvm, "/usr/local/bin/spore-kvm");
	return access(spore_kvm, X_OK) == 0;
}

static int kvm_usable(void) { return access("/dev/kvm", R_OK | W_OK) == 0; }

/* vmm=spore-kvm|qemu|auto from SPORE_OCI_CONF (default /etc/spore-oci.conf), if any. */
static void host_choice(char *out, size_t n)
{
	const char *p = getenv("SPORE_OCI_CONF");
	char line[128];
	FILE *f = fopen(p && *p ? p : "/etc/spore-oci.conf", "r");

	out[0] = '\0';
	while (f && fgets(line, sizeof line, f)) {
		char v[32];
		if (sscanf(line, " vmm = %31s", v) == 1 &&
		    (strcmp(v, "spore-kvm") == 0 || strcmp(v, "qemu") == 0))
			snprintf(out, n, "%s", v);
	}
	if (f)
		fclose(f);
}

/* name = "spore-kvm" or "qemu-microvm-tcg" / "qemu-microvm-kvm". */
int vmm_choose(const char *want, char *name, size_t namelen, char *err, size_t errlen)
{
	int have_mon = find_spore_kvm(), kvm = kvm_usable();
	char conf[32];

	if (!*want) {
		host_choice(conf, sizeof conf);
		want = conf;
	}
	/* Automatic: spore-kvm wherever /dev/kvm is usable; it starts in ring 3 on
	 * kvm_pvm and at the PVH entry elsewhere (docs/monitor.md, "Two start modes"). */
	int auto_kvm = kvm && have_mon;
	if (strcmp(want, "spore-kvm") == 0 || (!*want && auto_kvm)) {
		if (!have_mon)
			return oci_fail(
				err, errlen,
				"VMM spore-kvm asked for, but no spore-kvm next to spore-oci");
		if (!kvm)
			return oci_fail(err, errlen,
			                "VMM spore-kvm asked for, but /dev/kvm is not usable here");
		snprintf(name, namelen, "spore-kvm");
		return 0;
	}
	/* kvm_pvm (nested, no SSE in ring 0, README) cannot run QEMU's ring-0 guest: TCG there. */
	int accel_kvm = kvm && access("/sys/module/kvm_pvm", F_OK) != 0;
	snprintf(name, namelen, "qemu-microvm-%s", accel_kvm ? "kvm" : "tcg");
	return 0;
}

/* The VMM's argv (strings owned by a static buffer); the console is stdout. */
int vmm_argv(const char *vmm, const char *kernel, const char *initrd, unsigned mem_mib,
             const struct netcfg *nc, const char *cmdline, int tty, char **argv, int max)
{
	static char mem[32], net[128], nic[128], ird[PATH_MAX + 16], mac[64];
	int n = 0;
#define A(s)                                                                                       \
	do {                                                                                       \
		if (n + 1 >= max)                                                                  \
			return -1;                                                                 \
		argv[n++] = (char *)(s);                                                           \
	} while (0)
	if (strcmp(vmm, "spore-kvm") == 0) {
		A(spore_kvm);
		snprintf(mem, sizeof mem, "--mem=%uM", mem_mib);
		A(mem);
		if (nc->up) {
			snprintf(net, sizeof net, "--net=%s", OCI_TAP);
			snprintf(mac, sizeof mac, "--mac=%s", nc->mac);
			A(net);
			A(mac);
		}
		if (*initrd) {
			snprintf(ird, sizeof ird, "--initrd=%s", initrd);
			A(ird);
		}
		A(kernel);
		A(cmdline);
		argv[n] = NULL;
		return n;
	}
	int kvm = strcmp(vmm, "qemu-microvm-kvm") == 0;
	A("qemu-system-x86_64");
	A("-M");
	A("microvm,x-option-roms=off,rtc=on");
	A("-global");
	A("virtio-mmio.force-legacy=false");
	if (kvm) {
		A("-accel");
		A("kvm");
		A("-cpu");
		A("host,-arch-capabilities");
	} else {
		/* maxcpus=2: TCG then keeps the guest's fences (docs/virtio.md). */
		A("-accel");
		A("tcg");
		A("-cpu");
		A("max");
		A("-smp");
		A("1,maxcpus=2");
	}
	snprintf(mem, sizeof mem, "%u", mem_mib);
	A("-m");
	A(mem);
	A("-nodefaults");
	A("-no-user-config");
	A("-display");
	A("none");
	A("-no-reboot");
	/* On a terminal, QEMU's stdio backend turns OPOST on and the guest's CR LF becomes
	 * CR CR LF; its serial-device backend puts the pty in raw mode instead. */
	A("-chardev");
	A(tty ? "serial,id=con,path=/dev/stdin" : "stdio,id=con,signal=off");
	A("-serial");
	A("chardev:con");
	A("-device");
	A("isa-debug-exit,iobase=0xf4,iosize=0x04");
	A("-device");
	A("virtio-rng-device");
	if (nc->up) {
		snprintf(net, sizeof net, "tap,id=n0,ifname=%s,script=no,downscript=no", OCI_TAP);
		snprintf(nic, sizeof nic, "virtio-net-device,netdev=n0,mac=%s", nc->mac);
		A("-netdev");
		A(net);
		A("-device");
		A(nic);
	}
	if (*initrd) {
		A("-initrd");
		A(initrd);
	}
	A("-kernel");
	A(kernel);
	A("-append");
	A(cmdline);
	argv[n] = NULL;
	return n;
#undef A
}

/* The guest's exit status from the VMM's wait status. signo: a signal that ended it. */
int vmm_exit_status(const char *vmm, int ws, int *signo)
{
	*signo = 0;
	if (WIFSIGNALED(ws)) {
		*signo = WTERMSIG(ws);
		return 128 + *signo;
	}
	int rc = WEXITSTATUS(ws);
	if (strcmp(vmm, "spore-kvm") == 0)
		return rc;
	/* isa-debug-exit: QEMU exits (status << 1) | 1; 0 is a reset or a triple fault. */
	if (rc & 1)
		return rc >> 1;
	return 251;
}
