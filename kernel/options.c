// SPDX-License-Identifier: MIT
/* Kernel options: the `key=value` words before `--` on the command line.
 * An unknown key or a bad value is an error, never silently ignored. */
#include "kernel.h"
#include "net.h"

int opt_boottime;  /* boottime=1: print PVH entry -> main() time, and exits at the end */
int opt_entropy;   /* entropy=host: skip RDRAND, use the host's source; =rdrand: only RDRAND */
int opt_memstats;  /* memstats=N: a line of memory use every N seconds (kernel/sched.c) */
int opt_lose_irqs; /* lose_irqs=N, tests only: the first N device interrupts that find a
                      received frame wake nothing, as lost wake-ups would (kernel/net.c) */
uint64_t opt_memfs_bytes; /* memfs=SIZE: the writable /tmp and /data's limit (libc/vfs.c); 0: RAM/4
                           */
struct mmio_dev opt_mmio[MMIO_DEV_MAX]; /* virtio-mmio devices the host named */
int opt_nmmio;
struct net_config net_config = { .offload = 1 }; /* ip=ADDR/PREFIX gw=ADDR dhcp=1 offload=0 */

/* Dotted quad, each part 0..255, network byte order in *out. */
int parse_ipv4(const char *s, const char **end, uint32_t *out)
{
	uint32_t a = 0;
	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4)
			v = v * 10 + (unsigned)(*s++ - '0'), digits++;
		if (!digits || digits > 3 || v > 255)
			return -1;
		a |= v << (8 * part); /* byte 0 first: network order in memory */
		if (part < 3 && *s++ != '.')
			return -1;
	}
	*end = s;
	*out = a;
	return 0;
}

static int parse_ip(const char *v, int *dst)
{
	const char *end;
	(void)dst;
	if (parse_ipv4(v, &end, &net_config.addr) < 0 || *end != '/')
		return -1;
	unsigned prefix = 0, digits = 0;
	for (end++; *end >= '0' && *end <= '9' && digits < 3; end++, digits++)
		prefix = prefix * 10 + (unsigned)(*end - '0');
	if (!digits || *end || prefix > 32)
		return -1;
	net_config.prefix = prefix;
	net_config.static_ip = 1;
	return 0;
}

static int parse_gw(const char *v, int *dst)
{
	const char *end;
	(void)dst;
	return parse_ipv4(v, &end, &net_config.gw) < 0 || *end ? -1 : 0;
}

static int parse_bool(const char *v, int *out)
{
	if ((v[0] == '0' || v[0] == '1') && v[1] == '\0') {
		*out = v[0] - '0';
		return 0;
	}
	return -1;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int parse_entropy(const char *v, int *dst)
{
	if (streq(v, "host"))
		return *dst = ENTROPY_HOST, 0;
	if (streq(v, "rdrand"))
		return *dst = ENTROPY_RDRAND, 0;
	if (streq(v, "auto"))
		return *dst = 0, 0;
	return -1;
}

/* Whole seconds, 0..MEMSTATS_MAX_S. */
static int parse_secs(const char *v, int *out)
{
	int n = 0;
	if (!*v)
		return -1;
	for (; *v >= '0' && *v <= '9'; v++)
		if ((n = n * 10 + (*v - '0')) > MEMSTATS_MAX_S)
			return -1;
	return *v ? -1 : (*out = n, 0);
}

/* A number as Linux's memparse reads one: decimal or 0x hex, then an optional
 * K, M or G. 0 after reading it to *end; -1 when there is no digit or it
 * overflows. */
static int parse_num(const char *s, const char **end, uint64_t *out, int suffix)
{
	unsigned base = 10, digits = 0;
	uint64_t v = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	for (;; s++, digits++) {
		unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
		             : base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f'
		                     ? (unsigned)((*s | 0x20) - 'a' + 10)
		                     : 99;
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	unsigned shift = !suffix                  ? 0
	                 : *s == 'K' || *s == 'k' ? 10
	                 : *s == 'M' || *s == 'm' ? 20
	                 : *s == 'G' || *s == 'g' ? 30
	                                          : 0;
	if (!digits || (shift && v > UINT64_MAX >> shift))
		return -1;
	*end = s + !!shift;
	*out = v << shift;
	return 0;
}

/* A size with an optional K, M or G, at most 1 TiB. */
static int parse_size(const char *v, int *dst)
{
	const char *end;
	uint64_t n;
	(void)dst;
	if (parse_num(v, &end, &n, 1) < 0 || *end || n > (1ull << 40))
		return -1;
	opt_memfs_bytes = n;
	return 0;
}

static const struct {
	const char *key;
	int (*set)(const char *val, int *dst);
	int *dst;
	const char *help;
} options[] = {
	{ "boottime", parse_bool, &opt_boottime, "0|1" },
	{ "ip", parse_ip, NULL, "A.B.C.D/PREFIX" },
	{ "gw", parse_gw, NULL, "A.B.C.D" },
	{ "dhcp", parse_bool, &net_config.dhcp, "0|1" },
	{ "offload", parse_bool, &net_config.offload, "0|1" },
	{ "entropy", parse_entropy, &opt_entropy, "auto|rdrand|host" },
	{ "memstats", parse_secs, &opt_memstats, "SECONDS" },
	{ "memfs", parse_size, NULL, "SIZE[K|M|G]" },
	{ "lose_irqs", parse_secs, &opt_lose_irqs, "N (tests: lost wake-ups)" },
};

static int streq_key(const char *word, const char *key, const char **val)
{
	while (*key && *word == *key)
		word++, key++;
	if (*key || *word != '=')
		return 0;
	*val = word + 1;
	return 1;
}

int options_parse(char **words, int n)
{
	for (int i = 0; i < n; i++) {
		const char *val = NULL;
		unsigned k;
		for (k = 0; k < sizeof options / sizeof options[0]; k++)
			if (streq_key(words[i], options[k].key, &val))
				break;
		if (k == sizeof options / sizeof options[0]) {
			kprintf("spore: unknown kernel option '%s' (known: boottime=0|1, "
			        "ip=A.B.C.D/N, gw=A.B.C.D, dhcp=0|1, entropy=auto|rdrand|host, memstats=SECONDS, memfs=SIZE; "
			        "app arguments go after --)\n",
			        words[i]);
			return -1;
		}
		if (options[k].set(val, options[k].dst) < 0) {
			kprintf("spore: bad value in '%s' (expected %s=%s)\n", words[i],
			        options[k].key, options[k].help);
			return -1;
		}
	}
	return 0;
}

/* QEMU microvm (without ACPI) and Firecracker name each virtio-mmio device in
 * a word SIZE@BASE:IRQ[:ID] (Linux's format, Documentation/admin-guide/
 * kernel-parameters.txt) appended to the command line, after the app's own
 * arguments. args_init() offers every word here; the ones taken never reach
 * the app. */
int options_mmio(const char *w)
{
	static const char key[] = "virtio_mmio.device=";
	for (unsigned i = 0; i < sizeof key - 1; i++)
		if (w[i] != key[i])
			return 0;
	const char *s = w + sizeof key - 1;
	uint64_t size, base, irq, id;
	if (parse_num(s, &s, &size, 1) < 0 || *s++ != '@' || parse_num(s, &s, &base, 0) < 0 ||
	    *s++ != ':' || parse_num(s, &s, &irq, 0) < 0 ||
	    (*s == ':' && parse_num(s + 1, &s, &id, 0) < 0) || *s || !size || base + size < base ||
	    base >> 48 || (base & 3) || irq > 255) {
		kprintf("spore: bad '%s' (expected virtio_mmio.device=SIZE@BASE:IRQ)\n", w);
		return -1;
	}
	if (opt_nmmio == MMIO_DEV_MAX) {
		kprintf("spore: more than %d virtio_mmio.device words\n", MMIO_DEV_MAX);
		return -1;
	}
	opt_mmio[opt_nmmio++] = (struct mmio_dev){ base, size, (unsigned)irq };
	return 1;
}
