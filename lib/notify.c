/* SPDX-License-Identifier: MIT */
/*
 * notify.c - the sd_notify protocol for drivers: one datagram of
 * "KEY=VALUE\n..." to the socket named by $NOTIFY_SOCKET ("/path" or
 * "@abstract", as systemd and driver_supervisor set it). Credentials are
 * attached by the kernel; the receiver knows who we are.
 *
 * Also the fd store (FDSTORE=1 with the fd as SCM_RIGHTS), the fds the
 * manager passes back (LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES) and state
 * kept in a stored memfd (udrv_state_open).
 */
#include "udrv.h"
#include "udrv_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Send @state, with @fd attached (SCM_RIGHTS) when it is >= 0. */
static int notify_send(const char *state, int fd)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)state, strlen(state) };
	struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t plen;
	ssize_t n;
	int sock, r = 0;

	if (!path || !*path)
		return 0; /* not supervised: nothing to tell */
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path) || plen < 2)
		return -EAFNOSUPPORT; /* e.g. systemd's "vsock:" form */
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}

	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	close(sock);
	return r;
}

int udrv_notify(const char *state)
{
	if (!state)
		return -EINVAL;
	return notify_send(state, -1);
}

/* systemd's fdname_is_valid(): 1-255 printable ASCII, no ':'. */
static bool fdname_ok(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p; p++, n++)
		if (*p < ' ' || *p > '~' || *p == ':')
			return false;
	return n >= 1 && n <= 255;
}

int udrv_notify_fdstore(int fd, const char *name)
{
	char msg[32 + 256];

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (!name)
		name = "stored";
	if (!fdname_ok(name))
		return -EINVAL;
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	return notify_send(msg, fd);
}

/* A decimal number, whole string, no sign. */
static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int udrv_listen_fd(const char *name)
{
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long pid, nfds;
	size_t len;

	if (!name)
		return -EINVAL;
	/* LISTEN_PID: the fds are for this process, not a child that inherited the environment. */
	if (parse_ulong(getenv("LISTEN_PID"), &pid) < 0 || pid != (unsigned long)getpid() ||
	    parse_ulong(getenv("LISTEN_FDS"), &nfds) < 0 || nfds == 0 || nfds > 4096 || !names)
		return -ENOENT;
	len = strlen(name);
	for (unsigned long i = 0; i < nfds && names; i++) {
		const char *colon = strchr(names, ':');
		size_t n = colon ? (size_t)(colon - names) : strlen(names);

		if (n == len && memcmp(names, name, len) == 0) {
			int fd = 3 + (int)i;
			int fl = fcntl(fd, F_GETFD);
			if (fl < 0)
				return -ENOENT; /* named but not open: nothing to give */
			if (!(fl & FD_CLOEXEC))
				fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
			return fd;
		}
		names = colon ? colon + 1 : NULL;
	}
	return -ENOENT;
}

/*
 * The fd behind a piece of state: the one the manager passed as @name, at
 * least @size bytes (grown if smaller), or a new zeroed memfd stored under
 * @name. The caller owns the fd (close-on-exec; a passed one keeps its
 * number). *old says which. Also used by checkpoint.c.
 */
int udrv__state_fd(const char *name, size_t size, bool *old)
{
	char mname[250];
	struct stat st;
	int fd, r;

	if (!name || size == 0 || size > (size_t)INT64_MAX || !fdname_ok(name))
		return -EINVAL;
	fd = udrv_listen_fd(name);
	*old = fd >= 0;
	if (*old) {
		if (fstat(fd, &st) < 0) {
			r = -errno;
			goto err;
		}
		if (!S_ISREG(st.st_mode)) { /* not a memfd: someone stored something else */
			r = -EBADFD;
			goto err;
		}
		if ((uint64_t)st.st_size < (uint64_t)size && ftruncate(fd, (off_t)size) < 0) {
			r = -errno;
			goto err;
		}
		return fd;
	}
	/* The memfd's name shows in /proc/PID/fd and maps: "udrv:NAME". */
	snprintf(mname, sizeof(mname), "udrv:%s", name);
	fd = memfd_create(mname, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* zero-filled; sealed against shrinking, so no later instance
	 * can get SIGBUS from a mapping cut short */
	if (ftruncate(fd, (off_t)size) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		r = -errno;
		goto err;
	}
	r = udrv_notify_fdstore(fd, name);
	if (r < 0)
		goto err;
	return fd;
err:
	close(fd);
	return r;
}

int udrv_state_open(const char *name, size_t size, void **mem, bool *restored)
{
	void *p;
	int fd, r;
	bool old;

	if (!mem)
		return -EINVAL;
	fd = udrv__state_fd(name, size, &old);
	if (fd < 0)
		return fd;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		close(fd);
		return r;
	}
	/* The mapping holds the memory; the manager holds its own fd. A
	 * passed fd stays open (close-on-exec): its number stays taken, so a
	 * later udrv_listen_fd(@name) cannot name some other file. */
	if (!old)
		close(fd);
	*mem = p;
	if (restored)
		*restored = old;
	return 0;
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
