/* SPDX-License-Identifier: MIT */
/* words.c: counting words, the library half of the example project. */
int words_count(const char *s);
