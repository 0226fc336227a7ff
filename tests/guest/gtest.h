/* SPDX-License-Identifier: MIT */
/*
 * gtest.h - a TAP-style harness for tests that run inside a virtual board.
 * The guests have no cmocka (Debian ships no static libcmocka), so guest
 * tests are static programs that print one "ok N - ..." / "not ok N - ..."
 * line per check and exit non-zero when any check failed, 77 when skipped
 * (kernel selftests' convention).
 */
#ifndef UDRV_GTEST_H
#define UDRV_GTEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int gt_n, gt_failed;

__attribute__((format(printf, 2, 3))) static inline int gt_check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++gt_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		gt_failed++;
	return ok;
}

/* CHECK(cond, "what %d", x): one TAP line; evaluates to cond. */
#define CHECK(cond, ...) gt_check(!!(cond), __VA_ARGS__)
/* Equality of two integers with both values shown; each evaluated once
 * (a call with side effects, such as an interrupt wait, runs once). */
static inline int gt_check_eq(long long a, long long b, const char *what)
{
	return gt_check(a == b, "%s (got %lld, want %lld)", what, a, b);
}
#define CHECK_EQ(a, b, what) gt_check_eq((long long)(a), (long long)(b), what)

static inline int gt_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", gt_n, gt_n - gt_failed, gt_failed);
	return gt_failed ? 1 : 0;
}

#define GT_SKIP(why)                                   \
	do {                                           \
		printf("1..0 # SKIP %s\n", why);       \
		exit(77);                              \
	} while (0)

#endif
