/* SPDX-License-Identifier: MIT */
/* The config header Debian's rules generate for luaconf.h (it names the
 * multiarch directory of C modules in package.cpath). Spore loads no C
 * modules (no dlopen); the name only has to exist. */
#define DEB_HOST_MULTIARCH "x86_64-linux-gnu"
