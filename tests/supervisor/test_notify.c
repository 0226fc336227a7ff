/* SPDX-License-Identifier: MIT */
/* Unit tests: libudrv's sd_notify helpers against real sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "udrv.h"

/* Bind a datagram socket at @name ("/path" or "@abstract"). */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));

	assert_true(fd >= 0);
	strcpy(sa.sun_path, name);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		unlink(name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

static void expect_msg(int fd, const char *want)
{
	char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void roundtrip(const char *name)
{
	int fd = listener(name);

	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(udrv_notify_ready(), 0);
	expect_msg(fd, "READY=1");
	assert_int_equal(udrv_notify_watchdog(), 0);
	expect_msg(fd, "WATCHDOG=1");
	assert_int_equal(udrv_notify_stopping(), 0);
	expect_msg(fd, "STOPPING=1");
	assert_int_equal(udrv_notify_status("pin %d blinking\nINJECTED=1", 17), 0);
	/* a newline in STATUS= must not inject another key */
	expect_msg(fd, "STATUS=pin 17 blinking INJECTED=1");
	assert_int_equal(udrv_notify("READY=1\nSTATUS=raw"), 0);
	expect_msg(fd, "READY=1\nSTATUS=raw");
	close(fd);
	if (name[0] == '/')
		unlink(name);
}

static void test_path_socket(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/udrv-notify-test-%d", (int)getpid());
	roundtrip(path);
}

static void test_abstract_socket(void **state)
{
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "@udrv-notify-test/%d", (int)getpid());
	roundtrip(name);
}

static void test_unset_and_bad(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(udrv_notify_ready(), 0); /* not supervised: a no-op */
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(udrv_notify_ready(), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "/nonexistent/udrv/socket", 1);
	assert_int_equal(udrv_notify_ready(), -ENOENT);
	assert_int_equal(udrv_notify(NULL), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_usec(void **state)
{
	char pid[16];

	(void)state;
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(udrv_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "500000", 1);
	assert_int_equal(udrv_watchdog_usec(), 500000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(udrv_watchdog_usec(), 500000);
	/* meant for another process (we are a child that inherited it) */
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(udrv_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "12abc", 1);
	assert_int_equal(udrv_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "-5", 1);
	assert_int_equal(udrv_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_unset_and_bad),
		cmocka_unit_test(test_watchdog_usec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
