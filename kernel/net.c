// SPDX-License-Identifier: MIT
/* The network device registry (one device) and the receive thread's wait. */
#include "kernel.h"
#include "net.h"

const struct net_dev *net_dev;
