/* SPDX-License-Identifier: MIT */
/*
 * notify.c - the sd_notify socket: one datagram socket for all drivers,
 * at $UDRV_RUNTIME_DIR/notify, in a directory only the supervisor's user
 * can create files in (an abstract name has no permissions: anyone could
 * bind it after the supervisor died, and receive a driver's FDSTORE=1
 * fds). The sender is identified by the credentials the kernel attaches
 * (SO_PASSCRED): a process in the driver's cgroup, or without cgroups the
 * main process of a driver or a descendant of it (a driver's helper).
 * Other senders are ignored.
 *
 * FDSTORE=1 (+ FDNAME=) with SCM_RIGHTS fds puts them in the driver's fd
 * store (fdstore.c), FDSTOREREMOVE=1 + FDNAME= takes them out; fds sent
 * any other way are closed at once. MSG_CMSG_CLOEXEC: none leaks into a
 * driver by accident.
 */
#include "proto.h"
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NOTIFY_MAX 4096

/* The runtime directory must be ours and writable by nobody else: a
 * socket there cannot be bound by another user first, nor replaced. */
static int runtime_dir_check(void)
{
	struct stat st;

	if (mkdir(sup.runtime_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(sup.runtime_dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		fprintf(stderr, "driver_supervisor: runtime dir %s must be a directory owned by "
			"uid %u and writable by nobody else\n", sup.runtime_dir, (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

int notify_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, one = 1, r;

	r = runtime_dir_check();
	if (r < 0)
		return r;
	if ((size_t)snprintf(sup.notify_addr, sizeof(sup.notify_addr), "%s/notify",
			     sup.runtime_dir) >= sizeof(sup.notify_addr))
		return -ENAMETOOLONG;
	/* Left by a supervisor that died: only a socket is replaced (the
	 * directory lock, main.c, says no other supervisor uses it). */
	if (lstat(sup.notify_addr, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -ENOTSOCK;
		unlink(sup.notify_addr);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, sup.notify_addr);
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    /* drivers running as other users (User=) must be able to send */
	    chmod(sup.notify_addr, 0666) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	sup.notify_fd = fd;
	sup.w_notify = (struct watch){ W_NOTIFY, NULL };
	return loop_add(fd, EPOLLIN, &sup.w_notify);
}

void notify_close(void)
{
	struct stat st;

	if (sup.notify_fd < 0)
		return;
	close(sup.notify_fd);
	sup.notify_fd = -1;
	if (lstat(sup.notify_addr, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(sup.notify_addr);
}

/* The parent of @pid from /proc, 0 when unknown (gone, or no /proc). */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* Which driver sent this: the one whose cgroup the sender is in
 * (cgroup.c), where drivers have cgroups: nothing a driver's process does
 * (setpgid, setsid, a double fork) takes it out of it, and no process of
 * another driver is ever in it. Without cgroups: the main process, or a
 * descendant of it (the pid tree); a descendant orphaned by its parent's
 * death is reparented away and no longer counts. Never the process group:
 * any process of the session can join another driver's group (setpgid)
 * and would speak as that driver. */
static struct drv *sender(pid_t pid)
{
	struct drv *d = drv_find_pid(pid);

	/* The main process, even as a zombie (READY=1 just before exiting). */
	if (d || cgroup_on())
		return d ? d : cgroup_driver_of(pid);
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if ((d = drv_find_pid(pid)))
			return d;
		if (pid == getpid())
			return NULL;
		pid = parent_of(pid);
	}
	return NULL;
}

/* Apply what driver @d said (proto.c parsed it). */
static void handle(struct drv *d, const struct notify_msg *m)
{
	if (m->status)
		snprintf(d->status, sizeof(d->status), "%s", m->status);
	if (m->watchdog_usec) {
		d->watchdog_usec = m->watchdog_usec;
		drv_event(d, EV_PING); /* re-arms with the new period */
	}
	if (m->ready)
		drv_event(d, EV_READY);
	if (m->ping)
		drv_event(d, EV_PING);
	if (m->trigger)
		drv_event(d, EV_WATCHDOG);
	/* STOPPING=1, MAINPID=, ERRNO= and others: nothing to do here; the
	 * exit that follows tells the rest. */
}

/* FDSTORE=1 / FDSTOREREMOVE=1 from driver @d (NULL: an unknown sender),
 * as systemd does. Every fd of @fds not stored is closed here. */
static void fdstore_msg(struct drv *d, const struct notify_msg *fm, int *fds, int nfd)
{
	const char *name = fm->fdname ? fm->fdname : "stored"; /* systemd's default name */

	if (d && fm->remove) {
		if (!fm->fdname || !fdname_valid(fm->fdname))
			sup_dlog(d, "%s: FDSTOREREMOVE=1 needs a valid FDNAME=, ignored", d->cfg.name);
		else if (fdstore_remove(&d->fdstore, fm->fdname) == 0)
			sup_dlog(d, "%s: FDSTOREREMOVE=1: no fd named '%s' stored", d->cfg.name, fm->fdname);
	}
	if (d && nfd && !fm->store)
		sup_dlog(d, "%s: %d fd(s) sent without FDSTORE=1, closed", d->cfg.name, nfd);
	for (int i = 0; i < nfd; i++) {
		/* The last fds below RLIMIT_NOFILE are kept for restarts: one
		 * driver's store must not starve the others. */
		int r = !d || !fm->store ? -EPERM : fd_in_reserve(fds[i]) ? -EMFILE
			: fdstore_add(&d->fdstore, fds[i], name, d->cfg.fdstore_max, NULL);

		if (r == 0)
			continue; /* the store owns it now */
		if (r == -ENOBUFS)
			sup_dlog(d, "%s: fd store full (FileDescriptorStoreMax=%u), refusing fd '%s'",
				 d->cfg.name, d->cfg.fdstore_max, name);
		else if (r == -EINVAL)
			sup_dlog(d, "%s: FDNAME='%s' is not a valid fd name (1-255 printable "
				 "characters, no ':'), refusing the fd", d->cfg.name, name);
		else if (r == -EMFILE)
			sup_dlog(d, "%s: the supervisor is short of file descriptors (RLIMIT_NOFILE "
				 "%lu), refusing fd '%s'", d->cfg.name, sup.nofile_max, name);
		else if (r == -E2BIG)
			sup_dlog(d, "%s: fd names would pass %d bytes of LISTEN_FDNAMES, refusing "
				 "fd '%s'", d->cfg.name, FDSTORE_NAMES_MAX, name);
		else if (r == -ENOMEM)
			sup_dlog(d, "%s: cannot store fd '%s': %s", d->cfg.name, name, strerror(-r));
		/* -EEXIST: the same open file is stored already; keep that one, quietly
		 * (systemd does too). -EPERM: not ours to keep. */
		close(fds[i]);
	}
}

void notify_drain(void)
{
	for (;;) {
		char buf[NOTIFY_MAX + 1];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
		} ctl;
		struct iovec iov = { buf, NOTIFY_MAX };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		const struct ucred *cred;
		ssize_t n = recvmsg(sup.notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: drained */
		}
		int fds[NOTIFY_FDS_MAX], nfd = notify_cmsgs(&mh, fds, &cred);
		struct drv *d = cred && !(mh.msg_flags & MSG_TRUNC) ? sender(cred->pid) : NULL;
		struct notify_msg fm = { 0 };

		buf[n] = '\0';
		if (d) {
			notify_parse(buf, &fm);
			handle(d, &fm);
		}
		/* A truncated message, an unknown sender, a store refused: closed. */
		if (mh.msg_flags & MSG_CTRUNC && d)
			sup_dlog(d, "%s: too many fds in one message (more than 16), some were dropped",
				 d->cfg.name);
		fdstore_msg(d, &fm, fds, nfd);
	}
}
