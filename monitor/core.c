// SPDX-License-Identifier: MIT
/* --core=FILE: an ELF64 core of a crashed guest (ET_CORE, EM_X86_64) that gdb loads with
 * the image: one NT_PRSTATUS (x86_64 user_regs_struct) with the faulting registers, one
 * NT_PRPSINFO, and a PT_LOAD per run of the guest's own page-table mappings of RAM, at
 * guest-virtual addresses. All-zero pages are left as holes.
 * The sandbox (seccomp.c) forbids open, so the file is made at start, unnamed
 * (O_TMPFILE in FILE's directory), and named at the crash by one linkat that never
 * replaces an existing FILE and never follows a symlink there: a clean run leaves
 * nothing behind. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <unistd.h>

#include "monitor.h"

#define PAGE 4096ull

_Static_assert(sizeof(struct user_regs_struct) == sizeof(elf_gregset_t), "user_regs_struct");

struct segs {
	struct core_seg *s;
	int n, max, truncated;
	uint64_t total, limit;
};

static int add_mapping(void *ctx, uint64_t va, uint64_t gpa, uint64_t len, uint64_t prot)
{
	struct segs *c = ctx;
	uint32_t flags = PF_R | (prot & PTE_W ? PF_W : 0) | (prot & PTE_NX ? 0 : PF_X);

	if (len > c->limit - c->total) { /* aliases of the same RAM, many times over */
		c->truncated = 1;
		return 1;
	}
	c->total += len;
	if (c->n > 0) {
		struct core_seg *l = &c->s[c->n - 1];
		if (l->va + l->len == va && l->gpa + l->len == gpa && l->flags == flags) {
			l->len += len;
			return 0;
		}
	}
	if (c->n == c->max) {
		c->truncated = 1;
		return 1;
	}
	c->s[c->n++] = (struct core_seg){ va, gpa, len, flags };
	return 0;
}

/* The guest's mappings of RAM, coalesced; at most max, and at most twice RAM in all
 * (identity plus one alias is what spore maps). *truncated: some were left out. */
int core_segments(const uint8_t *mem, uint64_t mem_size, const struct gva_mmu *m,
                  struct core_seg *seg, int max, int *truncated)
{
	struct segs c = { seg, 0, max, 0, 0, 2 * mem_size };

	if (gva_walk(mem, mem_size, m, add_mapping, &c) < 0)
		c.truncated = 1;
	*truncated = c.truncated;
	return c.n;
}

/* The signal a Linux process would have died of, for gdb's "terminated with". */
static int signal_of(uint64_t vector)
{
	switch (vector) {
	case 0:
	case 16:
	case 19: return SIGFPE; /* #DE, #MF, #XM */
	case 1:
	case 3: return SIGTRAP;
	case 6: return SIGILL;
	case 12:
	case 17: return SIGBUS;  /* #SS, #AC */
	default: return SIGSEGV; /* #PF, #GP, ... */
	}
}

static uint8_t *note(uint8_t *p, uint32_t type, const void *desc, uint32_t descsz)
{
	Elf64_Nhdr h = { .n_namesz = 5, .n_descsz = descsz, .n_type = type };

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), "CORE\0\0\0", 8); /* name padded to 4 bytes: 8 */
	memcpy(p + sizeof(h) + 8, desc, descsz);
	return p + sizeof(h) + 8 + ((descsz + 3) & ~3u);
}

/* ELF header, program headers and notes into buf; *data_off is where segment i's
 * bytes start (each page-aligned, one after the other). Returns the header bytes. */
size_t core_headers(uint8_t *buf, size_t size, const struct core_seg *seg, int nseg,
                    const struct hc_regs *r, uint64_t fs_base, uint64_t gs_base, const char *name,
                    uint64_t *data_off)
{
	struct elf_prstatus st;
	struct elf_prpsinfo ps;
	struct user_regs_struct u = {
		.r15 = r->r15,
		.r14 = r->r14,
		.r13 = r->r13,
		.r12 = r->r12,
		.rbp = r->rbp,
		.rbx = r->rbx,
		.r11 = r->r11,
		.r10 = r->r10,
		.r9 = r->r9,
		.r8 = r->r8,
		.rax = r->rax,
		.rcx = r->rcx,
		.rdx = r->rdx,
		.rsi = r->rsi,
		.rdi = r->rdi,
		.orig_rax = UINT64_MAX,
		.rip = r->rip,
		.cs = r->cs,
		.eflags = r->rflags,
		.rsp = r->rsp,
		.ss = r->ss,
		.fs_base = fs_base,
		.gs_base = gs_base,
	};
	size_t nsz =
		2 * (sizeof(Elf64_Nhdr) + 8) + ((sizeof(st) + 3) & ~3u) + ((sizeof(ps) + 3) & ~3u);
	size_t hdr = sizeof(Elf64_Ehdr) + (size_t)(nseg + 1) * sizeof(Elf64_Phdr);

	if (nseg < 0 || nseg > CORE_SEG_MAX || size < hdr + nsz)
		return 0;
	memset(buf, 0, hdr + nsz);
	Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_CORE;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_ehsize = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = (uint16_t)(nseg + 1);

	memset(&st, 0, sizeof(st));
	st.pr_info.si_signo = st.pr_cursig = (short)signal_of(r->vector);
	st.pr_pid = 1;
	memcpy(&st.pr_reg, &u, sizeof(u));
	memset(&ps, 0, sizeof(ps));
	ps.pr_sname = 'R';
	ps.pr_pid = 1;
	snprintf(ps.pr_fname, sizeof(ps.pr_fname), "%s", name);
	snprintf(ps.pr_psargs, sizeof(ps.pr_psargs), "%s", name);
	uint8_t *n = note(buf + hdr, NT_PRSTATUS, &st, sizeof(st));
	n = note(n, NT_PRPSINFO, &ps, sizeof(ps));

	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = hdr, .p_filesz = nsz, .p_align = 4 };
	uint64_t off = (hdr + nsz + PAGE - 1) & ~(PAGE - 1);
	*data_off = off;
	for (int i = 0; i < nseg; i++) {
		ph[i + 1] = (Elf64_Phdr){ .p_type = PT_LOAD,
			                  .p_flags = seg[i].flags,
			                  .p_offset = off,
			                  .p_vaddr = seg[i].va,
			                  .p_filesz = seg[i].len,
			                  .p_memsz = seg[i].len,
			                  .p_align = PAGE };
		off += (seg[i].len + PAGE - 1) & ~(PAGE - 1);
	}
	return hdr + nsz;
}

/* FILE's directory and last component; -1 after a message. The linkat paths go to a
 * page that is made read-only before the sandbox pins their addresses. */
int core_open(struct vm *vm, const char *path)
{
	static struct core c;
	static char paths[PAGE] __attribute__((aligned(PAGE)));
	char dir[PAGE];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	struct stat st;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strlen(path) >= sizeof(dir) - 1) {
		msg("spore-kvm: --core=%s: want a file name\n", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
		msg("spore-kvm: --core=%s: %s\n", path,
		    errno == ENOENT || !errno ? "exists; not overwritten" : strerror(errno));
		return -1;
	}
	c.dir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.dir < 0) {
		msg("spore-kvm: --core=%s: directory %s: %s\n", path, dir, strerror(errno));
		return -1;
	}
	c.fd = openat(c.dir, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (c.fd < 0) {
		msg("spore-kvm: --core=%s: cannot make an unnamed file in %s (%s; the core needs a "
		    "filesystem with O_TMPFILE: ext4, xfs, btrfs, tmpfs)\n",
		    path, dir, strerror(errno));
		close(c.dir);
		return -1;
	}
	mprotect(paths, sizeof(paths), PROT_READ | PROT_WRITE); /* a second call (the tests) */
	int n = snprintf(paths, sizeof(paths), "/proc/self/fd/%d", c.fd);
	snprintf(paths + n + 1, sizeof(paths) - (size_t)n - 1, "%s", base);
	if (mprotect(paths, sizeof(paths), PROT_READ) < 0) {
		msg("spore-kvm: --core: mprotect: %s\n", strerror(errno));
		return -1;
	}
	c.from = paths;
	c.name = paths + n + 1;
	c.path = path;
	vm->core = &c;
	return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zero[PAGE];

	return memcmp(p, zero, n) == 0;
}

/* All of buf at off, or -1: short writes and EINTR retried (the core, the snapshot). */
int core_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n =
			pwrite(fd, (const uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int core_write(struct vm *vm, const struct gva_mmu *m, const struct hc_regs *r, uint64_t fs_base,
               uint64_t gs_base)
{
	static struct core_seg seg[CORE_SEG_MAX];
	static uint8_t hdr[PAGE * 4];
	const struct core *c = vm->core;
	const char *base = strrchr(c->image ? c->image : "guest", '/');
	int truncated;
	uint64_t off;

	int n = core_segments(vm->mem, vm->mem_size, m, seg, CORE_SEG_MAX, &truncated);
	size_t h = core_headers(hdr, sizeof(hdr), seg, n, r, fs_base, gs_base,
	                        base       ? base + 1
	                        : c->image ? c->image
	                                   : "guest",
	                        &off);
	if (h == 0 || core_pwrite_all(c->fd, hdr, h, 0) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		for (uint64_t p = 0; p < seg[i].len; p += PAGE) {
			size_t k = seg[i].len - p < PAGE ? (size_t)(seg[i].len - p) : PAGE;
			const uint8_t *src = gm_at(vm->mem, vm->mem_size, seg[i].gpa + p, k);
			if (src == NULL) { /* gva_walk clips to RAM: a bug if it ever is */
				errno = EFAULT;
				goto fail;
			}
			int last = i == n - 1 && p + k == seg[i].len; /* sets the file's size */
			if ((!all_zero(src, k) || last) &&
			    core_pwrite_all(c->fd, src, k, off + p) < 0)
				goto fail;
		}
		off += (seg[i].len + PAGE - 1) & ~(PAGE - 1);
	}
	if (linkat(AT_FDCWD, c->from, c->dir, c->name, AT_SYMLINK_FOLLOW) < 0) {
		msg("spore-kvm: --core=%s: %s\n", c->path,
		    errno == EEXIST
		            ? "appeared while the guest ran; not overwritten, no core written"
		            : strerror(errno));
		return -1;
	}
	msg("spore-kvm: core written to %s (%d segments%s, rip 0x%llx)\n", c->path, n,
	    truncated ? ", some mappings left out" : "", (unsigned long long)r->rip);
	return 0;
fail:
	msg("spore-kvm: --core=%s: writing the core failed: %s\n", c->path,
	    h == 0 ? "headers too big" : strerror(errno));
	return -1;
}

/* At a guest crash (status HC_EXIT_FAULT): the exception's registers if the guest or
 * the trap decoder gave them, else the vCPU's where it stopped (a kernel that
 * exited 120 without a frame: the exit path is what there is). The page tables are
 * the vCPU's current ones. */
int core_dump(struct vm *vm)
{
	struct kvm_sregs sr;
	struct kvm_regs k;
	struct hc_regs r = vm->fault;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0) {
		msg("spore-kvm: --core=%s: KVM_GET_SREGS: %s\n", vm->core->path, strerror(errno));
		return -1;
	}
	if (!vm->fault_known) {
		if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &k) < 0) {
			msg("spore-kvm: --core=%s: KVM_GET_REGS: %s\n", vm->core->path,
			    strerror(errno));
			return -1;
		}
		r = (struct hc_regs){
			.rax = k.rax,
			.rbx = k.rbx,
			.rcx = k.rcx,
			.rdx = k.rdx,
			.rsi = k.rsi,
			.rdi = k.rdi,
			.rbp = k.rbp,
			.rsp = k.rsp,
			.r8 = k.r8,
			.r9 = k.r9,
			.r10 = k.r10,
			.r11 = k.r11,
			.r12 = k.r12,
			.r13 = k.r13,
			.r14 = k.r14,
			.r15 = k.r15,
			.rip = k.rip,
			.rflags = k.rflags,
			.cs = sr.cs.selector,
			.ss = sr.ss.selector,
			.vector = 13,
		};
	}
	struct gva_mmu m = { sr.cr0, sr.cr3, sr.cr4, sr.efer };
	return core_write(vm, &m, &r, sr.fs.base, sr.gs.base);
}
