/* SPDX-License-Identifier: MIT */
/* What newlib's <termios.h> includes: the window size ioctl's names only, so
 * programs that ask for a terminal width (Redis's memtest) compile. The
 * console is a serial line with no tty driver behind it: ioctl() on it
 * fails (EBADF, libc/net/socket.c), and such programs fall back to a width.
 * No terminal attributes (tcgetattr) are offered. */
#ifndef SPORE_SYS_TERMIOS_H
#define SPORE_SYS_TERMIOS_H
struct winsize {
	unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};
#define TIOCGWINSZ 0x5413
#endif
