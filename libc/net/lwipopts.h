/* SPDX-License-Identifier: MIT */
/* lwIP's configuration for spore: IPv4 (ARP, ICMP, TCP, UDP, DHCP optional),
 * the sockets API on cooperative threads (NO_SYS=0), memory from newlib's
 * malloc so it grows with the guest's RAM instead of a fixed pool. */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#define NO_SYS                      0
#define SYS_LIGHTWEIGHT_PROT        0 /* one vCPU, no preemption: nothing to protect */
#define LWIP_TCPIP_CORE_LOCKING     1
#define LWIP_NETCONN                1
#define LWIP_SOCKET                 1
#define LWIP_COMPAT_SOCKETS         0 /* libc/socket.c gives the POSIX names, over one fd table */
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_POLL            1
#define LWIP_SOCKET_SELECT          1
#define LWIP_SO_RCVTIMEO            1
#define LWIP_SO_SNDTIMEO            1
#define LWIP_SO_RCVBUF              1
#define SO_REUSE                    1
#define LWIP_TCP_KEEPALIVE          1
#define LWIP_NETIF_API              1
#define LWIP_DNS                    0
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ARP                    1
#define LWIP_ICMP                   1
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   1
#define LWIP_RAW                    0
#define LWIP_ETHERNET               1
#define LWIP_HAVE_LOOPIF            1 /* 127.0.0.1 inside the guest */
#define LWIP_NETIF_LOOPBACK         1
#define LWIP_LOOPBACK_MAX_PBUFS     64
#define LWIP_NETIF_STATUS_CALLBACK  0
#define LWIP_STATS                  0
#define LWIP_TIMERS                 1
#define LWIP_TIMERS_CUSTOM          1 /* libc/net/timers.c: no housekeeping while idle */
#define LWIP_ERRNO_STDINCLUDE       1 /* newlib's errno.h and values */
#define LWIP_RAND()                 ((u32_t)spore_lwip_rand())

/* Memory: the heap (malloc), so the limit is the guest's RAM. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT   8

/* Sizes: room for hundreds of connections; pools come from the heap. Windows and
 * the send buffer are 128 KiB (scaled): with 32 MSS (46720 bytes) a bulk sender was
 * refilled in the pieces each ACK freed (sent_tcp), so its bursts, and the GSO frames
 * joined from them (drivers/netcoal.c), stayed small, and the host's GSO frames to us
 * were bound by the window. A window update goes out when a quarter of the window has
 * been read, not every 4 MSS (lwIP's default: a bare ACK at each 16 KiB read).
 * Counted in the kvm_amd lab: docs/network.md, "Frames per MiB". Buffers come from
 * the heap as data waits: an idle connection costs nothing more. */
#define MEMP_NUM_NETCONN        1024
#define MEMP_NUM_TCP_PCB        1024
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_UDP_PCB        32
#define MEMP_NUM_TCP_SEG        1024
#define MEMP_NUM_NETBUF         256
#define PBUF_POOL_SIZE          256
/* The largest segment: that of a jumbo frame (kernel/net.h NET_MTU_MAX - 40), used
 * where the device says its MTU is that large (virtio-net's F_MTU); elsewhere the
 * netif's MTU, 1500, and the peer's MSS option bound it as before. Fewer, larger
 * segments: lwIP's work is per segment (docs/network.md, "Jumbo frames"). What
 * TCP_MSS also sized stays at a 1500-byte frame's: the pbufs of the pool, the room
 * a small write reserves for the next (TCP_OVERSIZE), the send queue's length. */
#define TCP_MSS                   8960
#define TCP_OVERSIZE              1460
#define PBUF_POOL_BUFSIZE         1520
#define TCP_WND                   (128 * 1024)
#define TCP_SND_BUF               (128 * 1024)
#define TCP_SND_QUEUELEN          (4 * TCP_SND_BUF / 1460)
#define TCP_SNDLOWAT              (28 * 1024) /* writable with 28 KiB free; below 0xffff - 4 MSS */
#define TCP_WND_UPDATE_THRESHOLD  (TCP_WND / 4)
#define TCP_LISTEN_BACKLOG        1
#define LWIP_WND_SCALE            1
#define TCP_RCV_SCALE             2
#define TCPIP_MBOX_SIZE           512
#define DEFAULT_TCP_RECVMBOX_SIZE 128
#define DEFAULT_UDP_RECVMBOX_SIZE 128
#define DEFAULT_ACCEPTMBOX_SIZE   128

/* SACK blocks in our ACKs (RFC 2018) when segments arrive out of order. Without them
 * a Linux sender on a lossy link that also loses a retransmission can only wait out
 * its timer, and with no RTT sample from a retransmitted segment (Karn) the backoff
 * never resets: tests/faults.sh's echo (5% loss, reordering) once waited 22 s and
 * then 30 s for one segment (its pcap). With SACK the sender sees each hole. */
#define LWIP_TCP_SACK_OUT     1
#define LWIP_TCP_MAX_SACK_NUM 4

#define TCPIP_THREAD_STACKSIZE   (32 * 1024)
#define DEFAULT_THREAD_STACKSIZE (32 * 1024)
#define TCPIP_THREAD_PRIO        1
/* Not on copy: lwIP would sum every byte sent at tcp_write even where the device sums
 * (NET_OFF_TCP_CSUM_TX); without a device's help it sums at output, the same pass. */
#define LWIP_CHECKSUM_ON_COPY 0
/* TCP's segments in one pbuf each, which netif.c's linkoutput hands the device
 * without flattening (tcp_write copies into one pbuf rather than chaining). */
#define LWIP_NETIF_TX_SINGLE_PBUF 1
/* Received frames in the device's own buffers (netif.c: rx_lend), as custom pbufs. */
#define LWIP_SUPPORT_CUSTOM_PBUF 1
/* Checksums a device does (netif.c: kernel/net.h NET_OFF_*) are off on its netif only. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1

/* fds 0-2 are the console; the socket table sits behind libc's fd table. */
#define LWIP_SOCKET_OFFSET 0

/* A new SYN may reopen a connection in TIME-WAIT (libc/net/timewait.c). */
struct pbuf;
struct netif;
int spore_ip4_input_hook(struct pbuf *p, struct netif *inp);
#define LWIP_HOOK_IP4_INPUT(p, inp) spore_ip4_input_hook((p), (inp))

unsigned int spore_lwip_rand(void);

/* lwIP's ephemeral ports, 49152-65535, as its default; but its first port, drawn at
 * tcp_init from LWIP_RAND, never the range's last. tcp_new_port() (2.1.3) adds one
 * before it wraps, so a first port of 65535 became 0 (a u16_t) and the guest's first
 * connect() failed with ENOBUFS (ERR_BUF): one boot in 16384, seen in a CI run. */
#define TCP_LOCAL_PORT_RANGE_START        0xc000
#define TCP_LOCAL_PORT_RANGE_END          0xffff
#define TCP_ENSURE_LOCAL_PORT_RANGE(port) ((u16_t)(TCP_LOCAL_PORT_RANGE_START + (port) % 0x3fffu))

/* RFC 6528 initial sequence numbers (sys_arch.c): lwIP's own is a counter, the same
 * in every copy restored from one snapshot. */
unsigned int spore_tcp_isn(const void *local_ip, unsigned short local_port, const void *remote_ip,
                           unsigned short remote_port);
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) spore_tcp_isn((lip), (lport), (rip), (rport))
#endif
