/* SPDX-License-Identifier: MIT */
/* newlib's <limits.h> (and gcc's below it) plus the POSIX limit newlib
 * leaves out: SSIZE_MAX, the largest ssize_t (long on x86_64). */
#ifndef SPORE_LIMITS_H
#define SPORE_LIMITS_H
#pragma GCC system_header /* #include_next, under -pedantic */
#include_next <limits.h>
#ifndef SSIZE_MAX
#define SSIZE_MAX __LONG_MAX__
#endif
#endif
