// SPDX-License-Identifier: MIT
/* A small printf for the kernel: no heap, no floating point, so the abort path
 * can use it. Supports %d %i %u %x %X %p %s %c %% with l/ll/z, width and 0. */
#include "kernel.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void num(struct out *o, uint64_t v, int base, int neg, int width, char pad, int upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = dig[v % base];
		v /= base;
	} while (v);
	if (neg)
		width--;
	if (neg && pad == '0')
		put(o, '-');
	for (; width > n; width--)
		put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	while (n)
		put(o, tmp[--n]);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, lng = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			lng++, fmt++;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad, 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			num(&o, v, *fmt == 'u' ? 10 : 16, 0, width, pad, *fmt == 'X');
			break;
		}
		case 'p':
			put(&o, '0'), put(&o, 'x');
			num(&o, (uintptr_t)va_arg(ap, void *), 16, 0, width, pad, 0);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = 0;
			if (!s)
				s = "(null)";
			for (const char *t = s; *t; t++)
				n++;
			for (; width > n; width--)
				put(&o, ' ');
			while (*s)
				put(&o, *s++);
			break;
		}
		case 'c': put(&o, (char)va_arg(ap, int)); break;
		case '\0': fmt--; break;
		default: put(&o, *fmt);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}
