/* SPDX-License-Identifier: MIT */
/*
 * notify.c - the sd_notify protocol for drivers: one datagram of
 * "KEY=VALUE\n..." to the socket named by $NOTIFY_SOCKET ("/path" or
 * "@abstract", as systemd and driver_supervisor set it). Credentials are
 * attached by the kernel; the receiver knows who we are.
 */
#include "udrv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int udrv_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen;
	socklen_t salen;
	ssize_t n;
	int fd, r = 0;

	if (!state)
		return -EINVAL;
	if (!path || !*path)
		return 0; /* not supervised: nothing to tell */
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path) || plen < 2)
		return -EAFNOSUPPORT; /* e.g. systemd's "vsock:" form */
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

int udrv_notify_ready(void)
{
	return udrv_notify("READY=1");
}

int udrv_notify_watchdog(void)
{
	return udrv_notify("WATCHDOG=1");
}

int udrv_notify_stopping(void)
{
	return udrv_notify("STOPPING=1");
}

int udrv_notify_status(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (!fmt)
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), "STATUS=");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap); /* long texts are cut */
	va_end(ap);
	/* A newline would end the STATUS= line and start a bogus key. */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return udrv_notify(buf);
}

uint64_t udrv_watchdog_usec(void)
{
	const char *s = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return 0;
	/* WATCHDOG_PID names the process the watchdog is for: not a child we
	 * forked that inherited the environment. */
	if (pid && *pid) {
		unsigned long p = strtoul(pid, &end, 10);
		if (*end || p != (unsigned long)getpid())
			return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || s[0] == '-')
		return 0;
	return v;
}
