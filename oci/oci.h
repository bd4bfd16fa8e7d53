// SPDX-License-Identifier: MIT
/* spore-oci: an OCI runtime with runc's command line that boots spore images as VMs
 * and hands every other bundle to runc. Shared declarations; trusts nothing in a bundle. */
#ifndef OCI_H
#define OCI_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OCI_VERSION     "0.1"
#define OCI_SPEC        "1.0.2-dev"
#define OCI_MAX_ARGS    64
#define OCI_MEM_DEFAULT 64 /* MiB, as tests/spore-run */
#define OCI_MEM_MIN     4 /* MiB: the smallest guest QEMU microvm boots (tests/run-tests hello-4m) */
#define OCI_MEM_MAX     (64 * 1024) /* MiB */
#define OCI_TAP         "sporetap0"

/* Global options and the log (main.c). */
struct opts {
	const char *root;     /* --root: state directories, one per container */
	const char *log;      /* --log */
	int log_json;         /* --log-format json */
	const char *bundle;   /* --bundle */
	const char *pid_file; /* --pid-file */
	const char *console_socket;
	int detach, force, all, quiet;
	const char *format; /* list --format */
};
extern struct opts opt;
void oci_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oci_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The parts of config.json spore-oci uses (spec.c). */
struct spec {
	char rootfs[4096];        /* absolute */
	char *args[OCI_MAX_ARGS]; /* process.args, strdup'ed */
	int nargs;
	char path_env[1024]; /* process.env PATH=, for a bare args[0] */
	int terminal;        /* process.terminal */
	unsigned mem_mib;    /* linux.resources.memory.limit, or the default */
	char netns[4096];    /* linux.namespaces network path; "" = none given */
	int has_netns_entry; /* a network namespace is asked for at all */
	char vmm[32];        /* annotation org.spore.vmm: "", "spore-kvm" or "qemu" */
	char *mounts[64];    /* mount destinations (skipped when packing the initrd) */
	int nmounts;
	char *annotations_json; /* config's annotations, serialized, for state */
	char cgroup[1100];      /* linux.cgroupsPath */
};
int oci_fail(char *err, size_t errlen, const char *fmt, ...) /* -1, with the message in err */
	__attribute__((format(printf, 3, 4)));
int spec_load(const char *bundle, struct spec *s, char *err, size_t errlen);
int spec_parse(const char *text, const char *bundle, struct spec *s, char *err, size_t errlen);
void spec_free(struct spec *s);

/* args[0] inside the rootfs (image.c). */
int image_resolve(const struct spec *s, char *rel, size_t rellen, char *err, size_t errlen);
int image_is_spore(const char *rootfs, const char *rel, char *err, size_t errlen);
int image_notes_spore(const uint8_t *p, size_t n);

/* The rootfs's other files as a ustar archive, cached by content (initrd.c). */
int initrd_pack(const struct spec *s, const char *image_rel, const char *cache_dir,
                unsigned long long max_bytes, char *out, size_t outlen, char *err, size_t errlen);
int initrd_quote(const char *arg, char *out, size_t outlen);

/* The container's network namespace: tap + tc mirred (net.c). */
struct netcfg {
	int up;
	char ifname[32], mac[32], addr[32], gw[32];
	int prefix;
};
int net_setup(const char *netns, struct netcfg *nc, char *err, size_t errlen);
void net_teardown(const char *netns);

/* The VMM and the supervisor that owns it (vmm.c). */
int vmm_choose(const char *want, char *name, size_t namelen, char *err, size_t errlen);
int vmm_argv(const char *vmm, const char *kernel, const char *initrd, unsigned mem_mib,
             const struct netcfg *nc, const char *cmdline, int tty, char **argv, int max);
int vmm_exit_status(const char *vmm, int wstatus, int *signo);

/* The container's cgroup (cgroup.c). */
int cgroup_path_ok(const char *p);
int cgroup_join(const char *path, pid_t pid);
void cgroup_remove(const char *path);

/* State under --root (state.c). */
struct state {
	char id[256], bundle[4096], rootfs[4096], created[64], vmm[32], netns[4096], cgroup[1100];
	pid_t pid, vmm_pid;
	unsigned long long starttime;
	unsigned mem_mib;
	char *annotations_json;
};
int state_valid_id(const char *id);
void state_dir(const char *id, char *out, size_t outlen);
int state_exists(const char *id);
int state_save(const struct state *st);
int state_load(const char *id, struct state *st, char *err, size_t errlen);
const char *state_status(const struct state *st);
unsigned long long state_proc_start(pid_t pid);
char *state_json(const struct state *st);
void state_remove(const char *id);
#endif
