/* SPDX-License-Identifier: MIT */
/* newlib's <math.h> plus the long double functions it declares only where
 * long double is double, which spore has (libc/mathl.c). */
#ifndef SPORE_MATH_H
#define SPORE_MATH_H
#pragma GCC system_header /* #include_next, under -pedantic */
#include_next <math.h>
#if !defined(_LDBL_EQ_DBL)
long double ceill(long double x);
long long llroundl(long double x);
#endif
#endif
