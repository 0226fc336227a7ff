/* SPDX-License-Identifier: MIT */
/*
 * The common interrupt wait (lib/irq.c): timeout, event counting, missed
 * interrupts, counter wrap, EINTR. The "kernel" is a pipe carrying 4-byte
 * event counts, exactly what read() on /dev/uioN returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "udrv_internal.h"

static int pipe_read(udrv_dev *dev, uint32_t *count)
{
	ssize_t n = read(dev->irq_fd, count, sizeof(*count));
	return n == 4 ? 0 : (n < 0 ? -errno : -EIO);
}

static const struct udrv_backend pipe_backend = { .name = "pipe", .irq_read = pipe_read };
static int wfd;

static int setup(void **state)
{
	int p[2];
	udrv_dev *dev = udrv__dev_new(&pipe_backend);

	assert_non_null(dev);
	assert_int_equal(pipe(p), 0);
	dev->irq_fd = p[0];
	wfd = p[1];
	*state = dev;
	return 0;
}

static int teardown(void **state)
{
	udrv_close(*state);
	close(wfd);
	return 0;
}

static void post(uint32_t count)
{
	assert_int_equal(write(wfd, &count, 4), 4);
}

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timeout_returns_zero_after_the_timeout(void **state)
{
	uint32_t c = 77;
	int64_t t0 = ms_now();

	assert_int_equal(udrv_irq_wait(*state, 50, &c), 0);
	assert_true(ms_now() - t0 >= 49);
	assert_int_equal(c, 77); /* untouched on timeout */
	assert_int_equal(udrv_irq_wait(*state, 0, &c), 0); /* 0 = just check */
}

static void counts_and_missed(void **state)
{
	udrv_dev *dev = *state;
	uint32_t c;

	post(1);
	assert_int_equal(udrv_irq_wait(dev, 1000, &c), 1);
	assert_int_equal(c, 1);
	assert_int_equal(udrv_irq_missed(dev), 0);
	post(5); /* 2, 3, 4 coalesced */
	assert_int_equal(udrv_irq_wait(dev, 1000, &c), 1);
	assert_int_equal(c, 5);
	assert_int_equal(udrv_irq_missed(dev), 3);
	post(6);
	assert_int_equal(udrv_irq_wait(dev, 1000, NULL), 1);
	assert_int_equal(udrv_irq_missed(dev), 3);
}

static void counter_wraps(void **state)
{
	udrv_dev *dev = *state;
	uint32_t c;

	dev->irq_last = UINT32_MAX - 1;
	post(UINT32_MAX);
	assert_int_equal(udrv_irq_wait(dev, 1000, &c), 1);
	post(0);
	assert_int_equal(udrv_irq_wait(dev, 1000, &c), 1);
	assert_int_equal(c, 0);
	assert_int_equal(udrv_irq_missed(dev), 0);
	post(3); /* 1, 2 missed across the wrap */
	assert_int_equal(udrv_irq_wait(dev, 1000, &c), 1);
	assert_int_equal(udrv_irq_missed(dev), 2);
}

static void on_alarm(int sig) { (void)sig; }

static void *late_post(void *arg)
{
	(void)arg;
	usleep(80 * 1000);
	post(1);
	return NULL;
}

static void eintr_resumes_the_wait(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval it = { .it_value = { .tv_usec = 20 * 1000 } };
	pthread_t th;
	uint32_t c;
	int64_t t0;

	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	/* A signal mid-wait must neither end the wait early nor lose time. */
	t0 = ms_now();
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(udrv_irq_wait(*state, 60, &c), 0);
	assert_true(ms_now() - t0 >= 59);
	assert_true(ms_now() - t0 < 1000);
	/* And an interrupt after the signal is still delivered. */
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(pthread_create(&th, NULL, late_post, NULL), 0);
	assert_int_equal(udrv_irq_wait(*state, 5000, &c), 1);
	assert_int_equal(c, 1);
	pthread_join(th, NULL);
}

static void bad_arguments(void **state)
{
	assert_int_equal(udrv_irq_wait(NULL, 0, NULL), -EINVAL);
	assert_int_equal(udrv_irq_wait(*state, -2, NULL), -EINVAL);
	assert_int_equal(udrv_irq_fd(*state), ((udrv_dev *)*state)->irq_fd);
	assert_int_equal(udrv_irq_fd(NULL), -EINVAL);
	assert_int_equal(udrv_irq_enable(NULL), -EINVAL);
}

static void closed_writer_is_an_error_not_a_spin(void **state)
{
	close(wfd);
	wfd = open("/dev/null", O_WRONLY);
	/* EOF: poll says readable, read returns 0 -> -EIO, not an endless loop. */
	assert_int_equal(udrv_irq_wait(*state, 1000, NULL), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(timeout_returns_zero_after_the_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(counts_and_missed, setup, teardown),
		cmocka_unit_test_setup_teardown(counter_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(eintr_resumes_the_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(closed_writer_is_an_error_not_a_spin, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
