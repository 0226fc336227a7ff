/* SPDX-License-Identifier: MIT */
/*
 * test_drvutil.c - host unit tests for the drivers' shared helpers
 * (drivers/common/drvutil.c): strict option parsing, the absolute-deadline
 * sleep and its stop-signal behaviour.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "drvutil.h"

static void test_parse_ok(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(drv_parse_u64("17", 0, 53, &v), 0);
	assert_int_equal(v, 17);
	assert_int_equal(drv_parse_u64("0x1f", 0, 100, &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(drv_parse_u64("0", 0, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(drv_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_parse_rejects(void **state)
{
	uint64_t v = 42;

	(void)state;
	/* Not numbers: the whole string must be one. */
	assert_int_equal(drv_parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(drv_parse_u64("12ms", 0, 100, &v), -EINVAL);
	assert_int_equal(drv_parse_u64(" 5", 0, 10, &v), -EINVAL);
	assert_int_equal(drv_parse_u64("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(drv_parse_u64("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(drv_parse_u64("0x", 0, 10, &v), -EINVAL);
	assert_int_equal(drv_parse_u64(NULL, 0, 10, &v), -EINVAL);
	/* Out of range, including overflow of 64 bits. */
	assert_int_equal(drv_parse_u64("54", 0, 53, &v), -ERANGE);
	assert_int_equal(drv_parse_u64("0", 1, 10, &v), -ERANGE);
	assert_int_equal(drv_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(v, 42); /* untouched on error */
}

static void test_opt_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_true(drv_opt_u64("t", "--pin", "3", 0, 53, &v));
	assert_int_equal(v, 3);
	assert_false(drv_opt_u64("t", "--pin", "x", 0, 53, &v));
	assert_false(drv_opt_u64("t", "--pin", "99", 0, 53, &v));
	assert_int_equal(v, 3);
}

static void test_ts(void **state)
{
	struct timespec a = { 1, 999999999 }, b;

	(void)state;
	b = a;
	drv_ts_add_ns(&b, 1);
	assert_int_equal(b.tv_sec, 2);
	assert_int_equal(b.tv_nsec, 0);
	drv_ts_add_ns(&b, 2500000000u);
	assert_int_equal(b.tv_sec, 4);
	assert_int_equal(b.tv_nsec, 500000000);
	assert_true(drv_ts_diff_s(&b, &a) > 2.5 && drv_ts_diff_s(&b, &a) < 2.5000001);
}

struct kicker {
	pthread_t target;
	int sig;
	long delay_ms;
};

static void *kick(void *arg)
{
	struct kicker *k = arg;
	struct timespec d = { k->delay_ms / 1000, (k->delay_ms % 1000) * 1000000L };

	nanosleep(&d, NULL);
	pthread_kill(k->target, k->sig);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A stop signal cuts the sleep short; the deadline is far away. */
static void test_sleep_stop(void **state)
{
	struct kicker k = { pthread_self(), SIGTERM, 50 };
	struct timespec t0, t1, deadline;
	pthread_t th;

	(void)state;
	drv_stop_requested = 0;
	assert_int_equal(drv_stop_signals_install(), 0);
	drv_now(&t0);
	deadline = t0;
	drv_ts_add_ns(&deadline, 5000000000u);
	assert_int_equal(pthread_create(&th, NULL, kick, &k), 0);
	assert_int_equal(drv_sleep_until(&deadline), -EINTR);
	drv_now(&t1);
	pthread_join(th, NULL);
	assert_true(drv_stop_requested);
	/* Well before the 5 s deadline (generous for a loaded machine). */
	assert_true(drv_ts_diff_s(&t1, &t0) < 2.0);
	/* Once a stop is requested, a sleep returns at once. */
	assert_int_equal(drv_sleep_until(&deadline), -EINTR);
	drv_stop_requested = 0;
}

/* Another signal does not end the sleep early: it resumes to the deadline. */
static void test_sleep_other_signal(void **state)
{
	struct kicker k = { pthread_self(), SIGUSR1, 20 };
	struct sigaction sa;
	struct timespec t0, t1, deadline;
	pthread_t th;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART: clock_nanosleep gets EINTR */
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	drv_stop_requested = 0;
	drv_now(&t0);
	deadline = t0;
	drv_ts_add_ns(&deadline, 200000000u);
	assert_int_equal(pthread_create(&th, NULL, kick, &k), 0);
	assert_int_equal(drv_sleep_until(&deadline), 0);
	drv_now(&t1);
	pthread_join(th, NULL);
	assert_true(drv_ts_diff_s(&t1, &t0) >= 0.2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_opt_u64),
		cmocka_unit_test(test_ts),
		cmocka_unit_test(test_sleep_stop),
		cmocka_unit_test(test_sleep_other_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
