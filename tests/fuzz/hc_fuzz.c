// SPDX-License-Identifier: MIT
/* libFuzzer target for spore-kvm's hypercall handlers (monitor/hypercalls.c,
 * net.c, blk.c) over a fake guest RAM: the input is the call number, the
 * argument block's address and the bytes of guest RAM around it, so every
 * pointer and length in a block is the fuzzer's. The tap is one end of a
 * datagram socket pair, the disk a 32 KiB memfd, the console /dev/null. Every
 * call returns "go on" (-1) or an exit status in 0..255, and touches nothing
 * outside guest RAM (ASan: RAM is a heap block of exactly its size). A guest
 * may sleep in HC_POLL: its timeout is cut to 0 here, the only change made.
 * make fuzz-hc FUZZ_SECONDS=N. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "monitor.h"
#include "hypercall.h"

#define MEM (1ull << 20)

void msg(const char *fmt, ...) /* main.c's: the one-line messages */ { (void)fmt; }

void print_stats(void) {}

static struct vm vm;
static int peer = -1; /* the "host side" of the tap */

static void setup(void)
{
	int sv[2], null = open("/dev/null", O_WRONLY);
	if (null < 0 || dup2(null, 1) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	int disk = memfd_create("disk", 0);
	if (disk < 0 || ftruncate(disk, 64 * 512) < 0)
		abort();
	vm = (struct vm){ .mem = malloc(MEM),
		          .mem_size = MEM,
		          .tap_fd = sv[0],
		          .tap_name = "fuzz0",
		          .disk_fd = disk,
		          .disk_sectors = 64 };
	peer = sv[1];
	for (int i = 0; i < 6; i++)
		vm.net_mac[i] = (uint8_t)(2 + i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!vm.mem)
		setup();
	if (size < 9)
		return 0;
	unsigned nr = data[0] & 15;
	uint64_t gpa;
	memcpy(&gpa, data + 1, 8);
	if (!(data[0] & 16))
		gpa %= MEM + 64; /* mostly inside RAM, sometimes just past it */
	data += 9, size -= 9;
	memset(vm.mem, 0, MEM);
	if (gpa < MEM)
		memcpy(vm.mem + gpa, data, size < MEM - gpa ? size : MEM - gpa);
	if (nr == HC_POLL && gm_block_ok(MEM, gpa, sizeof(struct hc_poll)))
		((struct hc_poll *)(vm.mem + gpa))->timeout_ns = 0;
	if (nr == HC_NET_RECV && size) /* a frame waiting on the tap, of the input's length */
		if (send(peer, data, size < 1514 ? size : 1514, 0) < 0)
			abort();
	int r = hc_dispatch(&vm, nr, gpa);
	if (r < -1 || r > 255)
		abort();
	char drain[2048];
	while (recv(peer, drain, sizeof(drain), 0) > 0) /* frames the guest sent */
		;
	while (recv(vm.tap_fd, drain, sizeof(drain), 0) > 0) /* ones it did not take */
		;
	return 0;
}
