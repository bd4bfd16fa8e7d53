// SPDX-License-Identifier: MIT
/* Host unit tests for spore-oci's pure parts: argument quoting (round-tripped through the
 * kernel's own command-line splitter), the spore-image check on real and damaged ELFs, and
 * config.json parsing of hostile input. Prints "ok NAME" / "FAIL NAME: why" (unit.h). Built with
 * ASan and UBSan by oci/oci.mk; run by tests/oci.sh with the paths of a spore and a Linux ELF. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "oci.h"
#include "unit.h"

struct opts opt = { .root = "/nonexistent" };
void oci_err(const char *fmt, ...) { (void)fmt; }
void oci_info(const char *fmt, ...) { (void)fmt; }

static const char *spore_elf, *linux_elf; /* argv[1] and argv[2] */

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*n ? *n : 1);
	if (b && fread(b, 1, *n, f) != *n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* Every argument quoted, joined after "--", split by kernel/cmdline.c: the same words back. */
static int round_trip(const char **args, int n)
{
	char line[4096] = "--", q[1024], *words[64];

	for (int i = 0; i < n; i++) {
		if (initrd_quote(args[i], q, sizeof q) < 0)
			return 0;
		strcat(line, " ");
		strcat(line, q);
	}
	int w = cmdline_split(line, words, 64);
	if (w != n + 1 || strcmp(words[0], "--") != 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(words[i + 1], args[i]) != 0)
			return 0;
	return 1;
}

static const char *t_quote(void)
{
	const char *fixed[] = { "a",        "b c", "it's", "",   "\"", "'",
		                "a'b\"c d", "''",  "\t\n", "--", "x=y" };
	CHECK(round_trip(fixed, sizeof fixed / sizeof fixed[0]),
	      "blanks, both quotes, empty and '--' survive the kernel's splitter: "
	      "a fixed argument came back changed");
	srand(7);
	int bad = 0;
	for (int t = 0; t < 20000 && !bad; t++) {
		static const char alpha[] = "ab '\"\t-=";
		char bufs[4][12];
		const char *args[4];
		for (int i = 0; i < 4; i++) {
			int len = rand() % 11;
			for (int j = 0; j < len; j++)
				bufs[i][j] = alpha[rand() % (sizeof alpha - 1)];
			bufs[i][len] = '\0';
			args[i] = bufs[i];
		}
		bad = !round_trip(args, 4);
	}
	CHECK(!bad, "20000 random argument lists round-trip: one did not");
	char small[4];
	CHECK(initrd_quote("abcdef", small, sizeof small) < 0,
	      "too long for the buffer is an error: it fit in 4 bytes");
	return NULL;
}

static const char *t_notes(void)
{
	size_t n = 0, m = 0;
	uint8_t *s = slurp(spore_elf, &n), *l = slurp(linux_elf, &m);

	if (!s || !l) {
		free(s);
		free(l);
		CHECK(0, "test images readable: cannot read %s or %s", spore_elf, linux_elf);
	}
	CHECK(image_notes_spore(s, n) == 1, "a spore image has the Spore note: not recognised");
	CHECK(image_notes_spore(l, m) == 0, "a static Linux ELF is not a spore image: recognised");
	/* A prefix that ends before the note cannot pass; once the note is in, longer ones do. */
	int cut_ok = 1, seen = 0;
	for (size_t k = 0; k <= n; k += 97) {
		int r = image_notes_spore(s, k);
		if ((k < 64 && r) || (seen && !r))
			cut_ok = 0;
		seen |= r;
	}
	CHECK(cut_ok, "truncated images read within bounds; only those holding the note pass: "
	              "a truncation gave the wrong answer");
	/* Damaged headers: phoff far away, huge phnum, a note size that overruns. */
	uint8_t *d = malloc(n);
	memcpy(d, s, n);
	((Elf64_Ehdr *)d)->e_phoff = (uint64_t)-64;
	int a = image_notes_spore(d, n);
	memcpy(d, s, n);
	((Elf64_Ehdr *)d)->e_phnum = 0xffff;
	int b = image_notes_spore(d, n);
	CHECK(a == 0 && b == 0, "a wild e_phoff or e_phnum is refused: %d %d", a, b);
	/* Random bytes in the headers: ASan stops the test at any read out of bounds. */
	srand(11);
	for (int t = 0; t < 3000; t++) {
		memcpy(d, s, n);
		for (int k = 0; k < 8; k++)
			d[rand() % (n < 8192 ? n : 8192)] = (uint8_t)rand();
		image_notes_spore(d, n);
	}
	free(d);
	free(s);
	free(l);
	return NULL;
}

static const char *t_spec(void)
{
	static const struct {
		const char *json, *want;
	} bad[] = {
		{ "", "invalid JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"process\":{\"args\":[\"/x\"]}}", "root.path is missing" },
		{ "{\"root\":{\"path\":\"r\"}}", "no process object" },
		{ "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[1]}}",
		  "process.args[0] is not a string" },
		{ "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"\"]}}",
		  "process.args[0] is empty" },
		{ "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"/x\"]},\"linux\":{\"resources\":{\"memory\":{\"limit\":1.5}}}}",
		  "not an integer" },
		{ "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"/x\"]},\"linux\":{\"resources\":{\"memory\":{\"limit\":-2}}}}",
		  "outside" },
		{ "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"/x\"]},\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775807}}}}",
		  "outside" },
		{ "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"/x\"]},\"annotations\":{\"org.spore.vmm\":\"xen\"}}",
		  "org.spore.vmm" },
		{ "{\"root\":{\"path\":\"r\"},\"root\":{\"path\":\"s\"},\"process\":{\"args\":[\"/x\"]}}",
		  "invalid JSON" },
		{ "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\\u0000b\"]}}",
		  "invalid JSON" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct spec s;
		char err[256] = "";
		int rc = spec_parse(bad[i].json, "/b", &s, err, sizeof err);
		spec_free(&s);
		CHECK(rc == -1 && strstr(err, bad[i].want),
		      "hostile config.json '%s' gave %d '%s', want '%s'", bad[i].json, rc, err,
		      bad[i].want);
	}
	struct spec s;
	char err[256];
	int rc = spec_parse(
		"{\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"/h\",\"b c\"],"
		"\"env\":[\"A=1\",\"PATH=/sbin\"],\"terminal\":true},\"linux\":{\"resources\":"
		"{\"memory\":{\"limit\":33554432}},\"namespaces\":[{\"type\":\"pid\"},"
		"{\"type\":\"network\",\"path\":\"/run/netns/x\"}]},\"mounts\":[{\"destination\":"
		"\"/etc/hosts\"}],\"annotations\":{\"org.spore.vmm\":\"qemu\"}}",
		"/b", &s, err, sizeof err);
	int good = rc == 0 && !strcmp(s.rootfs, "/b/rootfs") && s.nargs == 2 &&
	           !strcmp(s.args[1], "b c") && !strcmp(s.path_env, "/sbin") && s.terminal &&
	           s.mem_mib == 32 && !strcmp(s.netns, "/run/netns/x") && s.nmounts == 1 &&
	           !strcmp(s.vmm, "qemu");
	spec_free(&s);
	CHECK(good,
	      "a full config gives rootfs, args, PATH, terminal, memory, netns, mounts, VMM: "
	      "rc %d err '%s'",
	      rc, err);
	return NULL;
}

static const char *t_ids(void)
{
	CHECK(state_valid_id("abc-1.2_x+y") && !state_valid_id("") && !state_valid_id(".") &&
	              !state_valid_id("..") && !state_valid_id("a/b") && !state_valid_id("../x") &&
	              !state_valid_id("initrd@cache") && !state_valid_id("a b"),
	      "runc's rule (letters, digits, _+-.; not . or ..): a bad id passed or a good one "
	      "failed");
	return NULL;
}

static const char *t_cgroup_paths(void)
{
	CHECK(cgroup_path_ok("/libpod_parent/libpod-abc") && cgroup_path_ok("a/b") &&
	              cgroup_path_ok("/a/..b") && !cgroup_path_ok("/a/../b") &&
	              !cgroup_path_ok("..") && !cgroup_path_ok("/a/..") &&
	              !cgroup_path_ok("machine.slice:libpod:abc") && !cgroup_path_ok("/") &&
	              !cgroup_path_ok(""),
	      "cgroupfs paths taken, '..', systemd and empty ones refused: a path was judged "
	      "wrongly");
	return NULL;
}

static const struct unit_test tests[] = {
	{ t_quote, "quote" },
	{ t_notes, "notes" },
	{ t_spec, "spec" },
	{ t_ids, "ids" },
	{ t_cgroup_paths, "cgroup_paths" },
};

/* The two ELF paths come first; a name filter, when any, is the third argument. */
int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: oci_test SPORE-ELF LINUX-ELF [NAME-FILTER]\n");
		return 2;
	}
	spore_elf = argv[1];
	linux_elf = argv[2];
	return UNIT_RUN(tests, argc - 2, argv + 2, "");
}
