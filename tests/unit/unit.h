// SPDX-License-Identifier: MIT
/* unit.h: the one runner of the host unit tests (tests/unit/NAME_test.c). A test is a function
 * that returns NULL when it passes and why when not; a table of { fn, "name" } runs in order,
 * argv[1] keeps only the names containing it, and each test prints one line, "ok NAME" or
 * "FAIL NAME: why (line N)", which is what tests/run-tests counts. A sanitizer report or a
 * crash is counted there too: a test cannot pass by dying quietly.
 *
 *	static const char *t_split(void) { CHECK(split("a b") == 2); CHECK(x == 1, "x %d", x);
 *return NULL; } static const struct unit_test tests[] = { { t_split, "cmdline_split" } }; int
 *main(int argc, char **argv) { return UNIT_RUN(tests, argc, argv, ""); }
 */
#ifndef UNIT_H
#define UNIT_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *(*fn)(void); /* NULL: passed; else why it failed */
	const char *name;
};

static char unit_why[256]; /* the last failure's reason: one test runs at a time */

/* fmt starts with a space (CHECK adds it, so it is never empty); the rest, when any, is the
 * message, otherwise the failed condition's text is. */
__attribute__((format(printf, 3, 4), unused)) static const char *
unit_fail(int line, const char *cond, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(unit_why, sizeof(unit_why), "%s (line %d)", msg[1] ? msg + 1 : cond, line);
	return unit_why;
}

/* CHECK(cond) or CHECK(cond, "format", args...): return why from the test when cond is false. */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return unit_fail(__LINE__, #cond, " " __VA_ARGS__);                        \
	} while (0)

/* Runs each test whose name contains argv[1] (every test without it) and returns main's
 * status. stdout is flushed after each line: a sanitizer ends the program with _exit, and
 * the lines before its report must not be lost in a pipe's buffer. fflush(NULL), not
 * fflush(stdout): a test built on newlib's headers (tarfs_test) runs on the host's C
 * library, and newlib's stdout macro names newlib's own state. */
__attribute__((unused)) static int unit_run(const struct unit_test *t, size_t n, int argc,
                                            char **argv, const char *prefix)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(t[i].name, argv[1]))
			continue;
		const char *why = t[i].fn();
		if (why) {
			printf("FAIL %s%s: %s\n", prefix, t[i].name, why);
			failed = 1;
		} else {
			printf("ok %s%s\n", prefix, t[i].name);
		}
		fflush(NULL);
	}
	return failed;
}
#define UNIT_RUN(tests, argc, argv, prefix)                                                        \
	unit_run(tests, sizeof(tests) / sizeof((tests)[0]), argc, argv, prefix)

#endif
