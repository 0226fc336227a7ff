/* SPDX-License-Identifier: MIT */
/*
 * test_drivers_ipc.c - host unit tests for gpio_driver's and timer_driver's
 * IPC operations (drivers/gpio/gpio_ipc.c, drivers/timer/timer_ipc.c): the
 * replies, the refusals, and the setting kept across a SIGKILL of the
 * serving process. The server runs in a child on a socket and checkpoint
 * memfd of the test's own (udrv_server_open_fd), with fixed live values in
 * place of a blinking pin and a ticking timer; board rpi3 runs the real
 * drivers (tests/demo/test_rpi3_drivers.sh, section ipc).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gpio_ipc.h"
#include "timer_ipc.h"

#define WAIT 5000 /* ms per call: generous, a call normally takes microseconds */

enum kind { GPIO, TIMER };

static char sock_path[108];
static int lfd = -1, ckfd = -1;
static pid_t server = -1;

/* The serving child: the operations over fixed live values. */
static void server_main(enum kind k)
{
	struct gpio_run run = { .pin = 17, .period_ms = 500, .toggles = 42, .level = 1 };
	struct timer_state st = { .rate_hz = 100, .ticks = 7, .missed = 2 };
	udrv_server *s;
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGABRT, SIG_DFL);
	if (k == GPIO)
		s = udrv_server_open_fd(lfd, ckfd, GPIO_IPC_LAYOUT, sizeof(struct gpio_ipc_state));
	else
		s = udrv_server_open_fd(lfd, ckfd, TIMER_IPC_LAYOUT, sizeof(struct timer_ipc_state));
	if (!s)
		_exit(100);
	r = k == GPIO ? gpio_ipc_add_ops(s, &run) : timer_ipc_add_ops(s, &st);
	if (r < 0)
		_exit(101);
	for (;;)
		if (udrv_server_dispatch(s, -1) < 0 && errno != EINTR)
			_exit(102);
}

static void start(enum kind k)
{
	server = fork();
	assert_true(server >= 0);
	if (server == 0)
		server_main(k);
}

/* A crash: the next instance opens the same socket and checkpoint. */
static void stop(void)
{
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	server = -1;
}

static int setup(void **unused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)unused;
	snprintf(sock_path, sizeof(sock_path), "/tmp/udrv-test-drvipc.%d.sock", getpid());
	unlink(sock_path);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	ckfd = memfd_create("drv-ipc-test", MFD_CLOEXEC); /* fresh state per test */
	assert_true(ckfd >= 0);
	return 0;
}

static int teardown(void **unused)
{
	(void)unused;
	stop();
	close(lfd);
	close(ckfd);
	unlink(sock_path);
	return 0;
}

static uint64_t call_num(udrv_client *c, const char *op, size_t want)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	assert_int_equal(udrv_client_call(c, op, NULL, 0, b, sizeof(b), WAIT), (int)want);
	for (size_t i = 0; i < want; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void call_text(udrv_client *c, const char *op, const char *want)
{
	char b[256];
	int n = udrv_client_call(c, op, NULL, 0, b, sizeof(b) - 1, WAIT);

	assert_true(n > 0);
	b[n] = '\0';
	assert_string_equal(b, want);
}

/* A u32 setting: returns the old value the reply carries. */
static uint32_t call_set(udrv_client *c, const char *op, uint32_t v)
{
	uint8_t req[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	uint8_t b[4];

	assert_int_equal(udrv_client_call(c, op, req, 4, b, sizeof(b), WAIT), 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The handler refuses @len bytes of @req with EINVAL. */
static void refused(udrv_client *c, const char *op, uint32_t v, size_t len)
{
	uint8_t req[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	uint8_t b[4];

	assert_int_equal(udrv_client_call(c, op, req, len, b, sizeof(b), WAIT), -EREMOTEIO);
	assert_int_equal(udrv_client_errno(c), EINVAL);
}

static void test_gpio(void **unused)
{
	udrv_client *c;
	uint8_t small[2];

	(void)unused;
	start(GPIO);
	c = udrv_client_connect(sock_path);
	assert_non_null(c);
	call_text(c, "status", "pin=17 period_ms=500 toggles=42 level=1\n");
	assert_int_equal(call_num(c, "period", 4), 500);
	assert_int_equal(call_num(c, "toggles", 8), 42);
	/* out of 1..3600000, or not a u32: refused, nothing changed */
	refused(c, "set-period", 0, 4);
	refused(c, "set-period", 3600001, 4);
	refused(c, "set-period", 100, 2);
	assert_true(udrv_client_call(c, "set-period", "\x64\0\0\0", 4, small, sizeof(small), WAIT) < 0);
	assert_int_equal(call_num(c, "period", 4), 500);
	assert_int_equal(call_set(c, "set-period", 100), 500);
	assert_int_equal(call_num(c, "period", 4), 100);
	call_text(c, "status", "pin=17 period_ms=100 toggles=42 level=1\n");
	/* killed: the next instance (its --period-ms still 500) keeps 100 */
	stop();
	start(GPIO);
	assert_int_equal(call_num(c, "period", 4), 100);
	assert_int_equal(call_set(c, "set-period", 3600000), 100);
	assert_int_equal(call_num(c, "period", 4), 3600000);
	udrv_client_close(c);
}

static void test_timer(void **unused)
{
	udrv_client *c;

	(void)unused;
	start(TIMER);
	c = udrv_client_connect(sock_path);
	assert_non_null(c);
	call_text(c, "status", "ticks=7 missed=2 period_us=10000 rate_hz=100\n");
	assert_int_equal(call_num(c, "ticks", 8), 7);
	assert_int_equal(call_num(c, "period", 4), 10000);
	assert_int_equal(call_num(c, "rate", 4), 100);
	refused(c, "set-rate", 0, 4);
	refused(c, "set-rate", 10001, 4);
	refused(c, "set-rate", 50, 1);
	assert_int_equal(call_num(c, "rate", 4), 100);
	assert_int_equal(call_set(c, "set-rate", 3), 100);
	assert_int_equal(call_num(c, "rate", 4), 3);
	assert_int_equal(call_num(c, "period", 4), 333333); /* rounded down */
	stop();
	start(TIMER);
	assert_int_equal(call_num(c, "rate", 4), 3);
	call_text(c, "status", "ticks=7 missed=2 period_us=333333 rate_hz=3\n");
	assert_int_equal(call_set(c, "set-rate", 10000), 3);
	assert_int_equal(call_num(c, "period", 4), 100);
	udrv_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gpio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
