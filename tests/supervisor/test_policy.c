/* SPDX-License-Identifier: MIT */
/* Unit tests: exit classification and wording, Restart=, backoff, start limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "policy.h"

#define MS 1000ULL
#define S 1000000ULL

static void words(int code, int status, bool ready, bool wd, bool st, const char *noun,
		  const char *verb, enum exit_kind kind)
{
	struct exit_info e;
	char n[160], v[160];

	exit_classify(code, status, ready, wd, st, &e);
	assert_int_equal(e.kind, kind);
	assert_string_equal(exit_noun(&e, n, sizeof(n)), noun);
	assert_string_equal(exit_verb(&e, v, sizeof(v)), verb);
}

static void test_classify(void **state)
{
	(void)state;
	words(CLD_EXITED, 0, true, false, false, "clean exit", "exited cleanly", EK_CLEAN);
	words(CLD_EXITED, 1, true, false, false, "failure exit (code 1)", "exited with code 1", EK_FAILURE);
	words(CLD_KILLED, SIGSEGV, true, false, false, "crash (SIGSEGV)", "crashed (SIGSEGV)", EK_CRASH);
	words(CLD_DUMPED, SIGSEGV, true, false, false, "crash (SIGSEGV, core dumped)",
	      "crashed (SIGSEGV, core dumped)", EK_CRASH);
	words(CLD_KILLED, SIGBUS, true, false, false, "crash (SIGBUS)", "crashed (SIGBUS)", EK_CRASH);
	words(CLD_KILLED, SIGABRT, true, false, false, "crash (SIGABRT)", "crashed (SIGABRT)", EK_CRASH);
	words(CLD_KILLED, SIGKILL, true, false, false, "killed (SIGKILL)", "was killed (SIGKILL)", EK_KILLED);
	/* our SIGABRT after a missed watchdog is reported as the hang it is */
	words(CLD_KILLED, SIGABRT, true, true, false, "watchdog timeout", "hung (watchdog timeout)",
	      EK_WATCHDOG);
	words(CLD_KILLED, SIGKILL, false, false, true, "start timeout (no READY=1)",
	      "hung before ready (start timeout)", EK_START_TIMEOUT);
	words(CLD_EXITED, 3, false, false, false, "died before ready: failure exit (code 3)",
	      "died before ready (exited with code 3)", EK_FAILURE);
	words(CLD_KILLED, SIGSEGV, false, false, false, "died before ready: crash (SIGSEGV)",
	      "died before ready (crashed (SIGSEGV))", EK_CRASH);
}

static void test_should_restart(void **state)
{
	struct exit_info clean, fail, crash;

	(void)state;
	exit_classify(CLD_EXITED, 0, true, false, false, &clean);
	exit_classify(CLD_EXITED, 2, true, false, false, &fail);
	exit_classify(CLD_KILLED, SIGSEGV, true, false, false, &crash);
	assert_false(policy_should_restart(RESTART_NO, &crash));
	assert_false(policy_should_restart(RESTART_ON_FAILURE, &clean));
	assert_true(policy_should_restart(RESTART_ON_FAILURE, &fail));
	assert_true(policy_should_restart(RESTART_ON_FAILURE, &crash));
	assert_true(policy_should_restart(RESTART_ALWAYS, &clean));
}

static void test_backoff_doubles_and_caps(void **state)
{
	struct drv_config c;
	unsigned step = 0;
	const uint64_t want[] = { 100 * MS, 200 * MS, 400 * MS, 800 * MS, 1 * S, 1 * S };

	(void)state;
	config_defaults(&c);
	c.restart_usec = 100 * MS;
	c.restart_max_usec = 1 * S;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(policy_backoff(&c, &step, false, false), want[i]);
}

static void test_backoff_healthy_run_resets(void **state)
{
	struct drv_config c;
	unsigned step = 0;

	(void)state;
	config_defaults(&c);
	c.restart_usec = 100 * MS;
	c.restart_max_usec = 10 * S;
	for (int i = 0; i < 5; i++)
		policy_backoff(&c, &step, false, false);
	assert_int_equal(step, 5);
	/* a crash after a long healthy run: immediate, and the streak restarts */
	assert_int_equal(policy_backoff(&c, &step, true, false), 0);
	assert_int_equal(step, 0);
	assert_int_equal(policy_backoff(&c, &step, false, false), 100 * MS);
	assert_int_equal(policy_backoff(&c, &step, false, false), 200 * MS);
}

static void test_backoff_init_failure_never_hot(void **state)
{
	struct drv_config c;
	unsigned step = 0;

	(void)state;
	config_defaults(&c);
	c.restart_usec = 0;
	c.restart_max_usec = 0;
	/* RestartSec=0 would be a hot loop for a driver that cannot start */
	assert_int_equal(policy_backoff(&c, &step, false, true), INIT_FAILURE_MIN_USEC);
	assert_int_equal(policy_backoff(&c, &step, false, true), INIT_FAILURE_MIN_USEC);
	/* and "healthy" cannot apply to something that never got ready */
	assert_true(policy_backoff(&c, &step, true, true) >= INIT_FAILURE_MIN_USEC);
	/* a crash after READY=1 with RestartSec=0 is what was asked for */
	step = 0;
	assert_int_equal(policy_backoff(&c, &step, false, false), 0);
}

static void test_backoff_no_overflow(void **state)
{
	struct drv_config c;
	unsigned step = 0;
	uint64_t d = 0;

	(void)state;
	config_defaults(&c);
	c.restart_usec = UINT64_MAX / 3;
	c.restart_max_usec = UINT64_MAX - 1;
	for (int i = 0; i < 200; i++)
		d = policy_backoff(&c, &step, false, false);
	assert_int_equal(d, UINT64_MAX - 1);
	assert_int_equal(step, 64);
}

static void test_start_limit(void **state)
{
	struct start_hist h;

	(void)state;
	starthist_reset(&h);
	/* burst 3 within 10s: three starts are fine, the fourth is refused */
	starthist_add(&h, 0);
	assert_false(starthist_limit_hit(&h, 3, 10 * S, 1 * S));
	starthist_add(&h, 1 * S);
	assert_false(starthist_limit_hit(&h, 3, 10 * S, 2 * S));
	starthist_add(&h, 2 * S);
	assert_true(starthist_limit_hit(&h, 3, 10 * S, 3 * S));
	/* once the oldest of the three is older than the interval, allowed */
	assert_false(starthist_limit_hit(&h, 3, 10 * S, 10 * S));
	assert_true(starthist_limit_hit(&h, 3, 10 * S, 10 * S - 1));
	/* burst 0: no limit */
	assert_false(starthist_limit_hit(&h, 0, 10 * S, 3 * S));
	/* many starts wrap the ring */
	starthist_reset(&h);
	for (uint64_t t = 0; t < 1000; t++)
		starthist_add(&h, t * S);
	assert_true(starthist_limit_hit(&h, 5, 6 * S, 1000 * S));
	assert_false(starthist_limit_hit(&h, 5, 5 * S, 1000 * S));
	/* bursts above the ring size are clamped, not read out of bounds */
	assert_true(starthist_limit_hit(&h, 1000, 100 * S, 1000 * S));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_should_restart),
		cmocka_unit_test(test_backoff_doubles_and_caps),
		cmocka_unit_test(test_backoff_healthy_run_resets),
		cmocka_unit_test(test_backoff_init_failure_never_hot),
		cmocka_unit_test(test_backoff_no_overflow),
		cmocka_unit_test(test_start_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
