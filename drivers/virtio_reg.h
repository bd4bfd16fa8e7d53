/* SPDX-License-Identifier: MIT */
/* Wire formats of the virtio 1.x spec: split virtqueues, device status and
 * features, the virtio-mmio registers (spec 4.2.2), the virtio-pci
 * capabilities (4.1.4), the net header (5.1.6). Driver state: drivers/virtio.h. */
#ifndef VIRTIO_REG_H
#define VIRTIO_REG_H
#include <stddef.h>
#include <stdint.h>

/* 2.7 Split virtqueues */
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1 /* without EVENT_IDX: a hint, not a promise */
#define VIRTQ_USED_F_NO_NOTIFY     1
struct virtq_avail {
	uint16_t flags, idx;
	uint16_t ring[]; /* then used_event */
};
struct virtq_used_elem {
	uint32_t id, len;
};
struct virtq_used {
	uint16_t flags, idx;
	struct virtq_used_elem ring[]; /* then avail_event */
};

/* 2.1 Device status */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

/* 6 Reserved feature bits */
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* 4.2.2 virtio-mmio registers */
#define VIRTIO_MMIO_MAGIC               0x000 /* "virt" */
#define VIRTIO_MMIO_VERSION             0x004 /* 2: modern */
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW     0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH    0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW      0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH     0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100
#define VIRTIO_MMIO_MAGIC_VALUE         0x74726976

/* 4.1.2 PCI ids: modern devices are 0x1040 + the device type */
#define VIRTIO_PCI_VENDOR    0x1af4
#define VIRTIO_PCI_MODERN_ID 0x1040

/* 4.1.4 virtio-pci: vendor-specific capabilities (PCI cap id 0x09) in config
 * space locate each structure inside a memory BAR. */
#define PCI_CAP_ID_VNDR           0x09
#define PCI_CAP_ID_MSIX           0x11
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5
struct virtio_pci_cap {
	uint8_t cap_vndr, cap_next, cap_len, cfg_type;
	uint8_t bar, id, padding[2];
	uint32_t offset, length; /* within the BAR */
};
struct virtio_pci_notify_cap {     /* 4.1.4.4: queue i notifies at */
	struct virtio_pci_cap cap; /* offset + queue_notify_off * multiplier */
	uint32_t notify_off_multiplier;
};
/* 4.1.4.3 Common configuration, in the BAR the COMMON_CFG capability names */
struct virtio_pci_common_cfg {
	uint32_t device_feature_select, device_feature; /* 32 bits at a time */
	uint32_t driver_feature_select, driver_feature;
	uint16_t msix_config, num_queues;
	uint8_t device_status, config_generation;
	uint16_t queue_select; /* the fields below are queue_select's */
	uint16_t queue_size, queue_msix_vector, queue_enable, queue_notify_off;
	uint64_t queue_desc, queue_driver, queue_device;
};
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc) == 0x20, "4.1.4.3 layout");
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 0x38, "4.1.4.3 layout");
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* 5 Device types */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLK 2
#define VIRTIO_ID_RNG 4

/* 5.1.3 virtio-net features; 5.1.6 its header (12 bytes with VERSION_1) */
#define VIRTIO_NET_F_CSUM       0 /* the device completes checksums we leave partial */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* we accept partial or host-validated checksums */
#define VIRTIO_NET_F_MTU        3 /* the device says its MTU (config at 10) */
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7  /* we accept TCP/IPv4 segments past the MTU */
#define VIRTIO_NET_F_HOST_TSO4  11 /* the device segments TCP/IPv4 for us */
#define VIRTIO_NET_F_MRG_RXBUF  15 /* one received frame may span several buffers */
#define VIRTIO_NET_F_STATUS     16
struct virtio_net_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1 /* sum from csum_start, store at +csum_offset */
#define VIRTIO_NET_HDR_F_DATA_VALID 2 /* the checksum was checked (GUEST_CSUM only) */
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#endif
