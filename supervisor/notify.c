/* SPDX-License-Identifier: MIT */
/*
 * notify.c - the sd_notify socket: one datagram socket for all drivers,
 * at the abstract address "@udrv-sup/PID". The sender is identified by the
 * credentials the kernel attaches (SO_PASSCRED): the main process of a
 * driver, or any process in its process group (a driver's helper). Other
 * senders are ignored, as systemd does with NotifyAccess=all.
 */
#include "sup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NOTIFY_MAX 4096

int notify_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, one = 1;
	socklen_t len;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	snprintf(sup.notify_addr, sizeof(sup.notify_addr), "@udrv-sup/%d", (int)getpid());
	memcpy(sa.sun_path, sup.notify_addr, strlen(sup.notify_addr));
	sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sup.notify_addr));
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	sup.notify_fd = fd;
	sup.w_notify = (struct watch){ W_NOTIFY, NULL };
	return loop_add(fd, EPOLLIN, &sup.w_notify);
}

static struct drv *sender(pid_t pid)
{
	struct drv *d = drv_find_pid(pid);
	pid_t pg;

	if (d)
		return d;
	pg = getpgid(pid);
	return pg > 0 ? drv_find_pid(pg) : NULL;
}

static void handle(struct drv *d, char *msg)
{
	char *save = NULL;

	for (char *line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "READY=1") == 0) {
			drv_event(d, EV_READY);
		} else if (strcmp(line, "WATCHDOG=1") == 0) {
			drv_event(d, EV_PING);
		} else if (strcmp(line, "WATCHDOG=trigger") == 0) {
			drv_event(d, EV_WATCHDOG);
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			snprintf(d->status, sizeof(d->status), "%s", line + 7);
		} else if (strncmp(line, "WATCHDOG_USEC=", 14) == 0) {
			char *end;
			unsigned long long v = strtoull(line + 14, &end, 10);
			if (*end == '\0' && v > 0) {
				d->watchdog_usec = v;
				drv_event(d, EV_PING); /* re-arms with the new period */
			}
		}
		/* STOPPING=1, MAINPID=, ERRNO= and others: nothing to do here; the
		 * exit that follows tells the rest. */
	}
}

void notify_drain(void)
{
	for (;;) {
		char buf[NOTIFY_MAX + 1];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
		} ctl;
		struct iovec iov = { buf, NOTIFY_MAX };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		struct ucred *cred = NULL;
		ssize_t n = recvmsg(sup.notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: drained */
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS)
				cred = (struct ucred *)CMSG_DATA(c);
			else if (c->cmsg_type == SCM_RIGHTS) {
				/* FDSTORE= is not supported: never keep fds we did not ask for */
				int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				int *fds = (int *)CMSG_DATA(c);
				for (int i = 0; i < nfd; i++)
					close(fds[i]);
			}
		}
		if (!cred || (mh.msg_flags & MSG_TRUNC))
			continue;
		buf[n] = '\0';
		struct drv *d = sender(cred->pid);
		if (d)
			handle(d, buf);
	}
}
