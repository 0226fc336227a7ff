/* SPDX-License-Identifier: MIT */
/* Unit tests: libudrv's sd_notify helpers against real sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* Receive one datagram: its text must be @want; returns the fd it carried (-1 if none). */
static int recv_fd(int sock, const char *want)
{
	char buf[512];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int fd = -1;

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			assert_int_equal(c->cmsg_len, CMSG_LEN(sizeof(int))); /* exactly one */
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
		}
	}
	return fd;
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void test_fdstore_send(void **state)
{
	char name[64];
	int sock, m, got;

	(void)state;
	snprintf(name, sizeof(name), "@udrv-notify-fdstore/%d", (int)getpid());
	sock = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	m = memfd_create("x", MFD_CLOEXEC);
	assert_true(m >= 0);
	assert_int_equal(udrv_notify_fdstore(m, "gpio-state"), 0);
	got = recv_fd(sock, "FDSTORE=1\nFDNAME=gpio-state");
	assert_true(got >= 0 && got != m);
	assert_true(same_inode(got, m));
	close(got);
	assert_int_equal(udrv_notify_fdstore(m, NULL), 0); /* systemd's default name */
	got = recv_fd(sock, "FDSTORE=1\nFDNAME=stored");
	close(got);
	assert_int_equal(udrv_notify_fdstore(m, "a:b"), -EINVAL);
	assert_int_equal(udrv_notify_fdstore(m, ""), -EINVAL);
	assert_int_equal(udrv_notify_fdstore(m, "new\nREADY=1"), -EINVAL); /* no key injection */
	assert_int_equal(udrv_notify_fdstore(-1, "x"), -EBADF);
	assert_int_equal(udrv_notify_fdstore(1000, "x"), -EBADF);
	assert_int_equal(recv(sock, name, sizeof(name), MSG_DONTWAIT), -1); /* nothing sent */
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(udrv_notify_fdstore(m, "x"), 0); /* no manager: a no-op */
	close(m);
	close(sock);
}

/* Put @fd at @target (as a manager passes fds) and close @fd. */
static void place(int fd, int target)
{
	int hi = fcntl(fd, F_DUPFD, 100);

	assert_true(hi >= 100);
	close(fd);
	assert_int_equal(dup2(hi, target), target);
	close(hi);
}

static void set_listen(int nfds, const char *names, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", nfds);
	setenv("LISTEN_FDS", buf, 1);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	setenv("LISTEN_PID", buf, 1);
	setenv("LISTEN_FDNAMES", names, 1);
}

static void unset_listen(void)
{
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
}

static void test_listen_fd(void **state)
{
	int p[2];

	(void)state;
	unset_listen();
	assert_int_equal(udrv_listen_fd("listen"), -ENOENT);
	assert_int_equal(pipe(p), 0);
	place(p[0], 3);
	place(p[1], 4);
	set_listen(2, "listen:state", getpid());
	assert_int_equal(udrv_listen_fd("state"), 4);
	assert_true(fcntl(4, F_GETFD) & FD_CLOEXEC); /* not passed on to our children */
	assert_int_equal(udrv_listen_fd("listen"), 3);
	assert_int_equal(udrv_listen_fd("stat"), -ENOENT); /* whole names only */
	assert_int_equal(udrv_listen_fd("nope"), -ENOENT);
	assert_int_equal(udrv_listen_fd(NULL), -EINVAL);
	set_listen(1, "listen:state", getpid()); /* more names than fds */
	assert_int_equal(udrv_listen_fd("state"), -ENOENT);
	set_listen(2, "listen:state", 1);   /* meant for another process */
	assert_int_equal(udrv_listen_fd("listen"), -ENOENT);
	setenv("LISTEN_PID", "12x", 1);
	assert_int_equal(udrv_listen_fd("listen"), -ENOENT);
	unset_listen();
	close(3);
	close(4);
}

static void test_state_open(void **state)
{
	char name[64];
	struct stat st;
	bool restored = true;
	void *mem;
	int sock, got, p[2];

	(void)state;
	unset_listen();
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(udrv_state_open("s", 0, &mem, &restored), -EINVAL);
	assert_int_equal(udrv_state_open("s", 64, NULL, &restored), -EINVAL);
	assert_int_equal(udrv_state_open("a:b", 64, &mem, &restored), -EINVAL);
	assert_int_equal(udrv_state_open(NULL, 64, &mem, &restored), -EINVAL);

	/* no manager: plain zeroed memory */
	assert_int_equal(udrv_state_open("s", 64, &mem, &restored), 0);
	assert_false(restored);
	assert_int_equal(((unsigned char *)mem)[63], 0);
	munmap(mem, 64);

	/* under a manager: the memfd is stored, then comes back after a "restart" */
	snprintf(name, sizeof(name), "@udrv-notify-state/%d", (int)getpid());
	sock = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(udrv_state_open("counter", 100, &mem, &restored), 0);
	assert_false(restored);
	strcpy(mem, "kept across restarts");
	got = recv_fd(sock, "FDSTORE=1\nFDNAME=counter");
	assert_true(got >= 0);
	munmap(mem, 100);
	place(got, 3);
	assert_int_equal(pipe(p), 0);
	place(p[0], 4);
	set_listen(2, "counter:pipe", getpid());
	restored = false;
	assert_int_equal(udrv_state_open("counter", 8192, &mem, &restored), 0);
	assert_true(restored);
	assert_string_equal(mem, "kept across restarts");
	assert_int_equal(((unsigned char *)mem)[8191], 0); /* grown, zero-filled */
	assert_int_equal(fstat(3, &st), 0);
	assert_true(st.st_size >= 8192);
	assert_int_equal(recv(sock, name, sizeof(name), MSG_DONTWAIT), -1); /* not stored again */
	munmap(mem, 8192);
	/* a passed fd of that name that is no memfd */
	assert_int_equal(udrv_state_open("pipe", 64, &mem, &restored), -EBADFD);
	unset_listen();
	unsetenv("NOTIFY_SOCKET");
	close(3);
	close(4);
	close(p[1]);
	close(sock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_unset_and_bad),
		cmocka_unit_test(test_watchdog_usec),
		cmocka_unit_test(test_fdstore_send),
		cmocka_unit_test(test_listen_fd),
		cmocka_unit_test(test_state_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
