/* SPDX-License-Identifier: MIT */
/*
 * ipc.c - the socket a unit with IPC=yes gets for its clients.
 *
 * The supervisor, not the driver, owns the listening SOCK_SEQPACKET socket
 * RUNTIME/NAME.sock: it is created before the first start and held across
 * crashes, watchdog kills, restarts and upgrades, so a client that connects
 * while the driver is down waits in the backlog (never ECONNREFUSED) and the
 * next instance accepts it. Every instance gets it as the fd named `ipc`
 * (LISTEN_FDNAMES). It is closed and unlinked only when the unit is removed,
 * IPC= is turned off, or the supervisor exits.
 *
 * The path is unlinked only while it is still the socket we bound (same
 * st_dev/st_ino), so a file someone put there since is never deleted; a
 * non-socket found at the path before binding is not deleted either.
 */
#include "sup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int runtime_dir_create(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	/* mkdir -p: each missing component 0755, as systemd's RuntimeDirectory= */
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static bool still_ours(const struct drv *d)
{
	struct stat st;

	return d->ipc_path && lstat(d->ipc_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       st.st_dev == d->ipc_dev && st.st_ino == d->ipc_ino;
}

void ipc_close(struct drv *d)
{
	if (d->ipc_fd >= 0) {
		if (still_ours(d))
			unlink(d->ipc_path);
		close(d->ipc_fd);
		d->ipc_fd = -1;
	}
	free(d->ipc_path);
	d->ipc_path = NULL;
}

/* Owner, then group and mode, of the socket file: the unit's IPCGroup= and
 * IPCMode=. The file was bound owner-only, so nobody else could connect
 * before this. */
static int set_perms(struct drv *d, char *err, size_t errlen)
{
	if (d->cfg.ipc_gid != (gid_t)-1 && chown(d->ipc_path, (uid_t)-1, d->cfg.ipc_gid) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot give %s to group %s: %s", d->ipc_path,
			 d->cfg.ipc_group ? d->cfg.ipc_group : "?", strerror(e));
		return -e;
	}
	if (chmod(d->ipc_path, d->cfg.ipc_mode) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot chmod %04o %s: %s", d->cfg.ipc_mode, d->ipc_path,
			 strerror(e));
		return -e;
	}
	return 0;
}

/* What is at @sa's path before we bind: nothing, or a stale socket (removed).
 * A live socket or any other file is left alone and reported. */
static int clear_path(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	const char *path = sa->sun_path;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(-r));
		return r;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: not removing it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-r));
		return r;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : errno;
	close(fd);
	if (r != ECONNREFUSED) {
		/* 0 or EAGAIN: someone listens there; EPROTOTYPE: a socket of
		 * another type that is not ours to remove */
		snprintf(err, errlen, "%s is a socket in use by another process (%s): not removing it",
			 path, r ? strerror(r) : "it accepts connections");
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) { /* stale: nobody listens */
		r = -errno;
		snprintf(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

static int ipc_open(struct drv *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r, n;

	r = runtime_dir_create(sup.runtime_dir);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the runtime directory %s: %s", sup.runtime_dir,
			 strerror(-r));
		return r;
	}
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", sup.runtime_dir, d->cfg.name);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s/%s.sock: longer than a socket path may be (%zu bytes)",
			 sup.runtime_dir, d->cfg.name, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	r = clear_path(&sa, err, errlen);
	if (r < 0)
		return r;
	/* Blocking, as systemd passes sockets: the supervisor never accepts on it. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-r));
		return r;
	}
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot bind %s: %s", sa.sun_path, strerror(-r));
		close(fd);
		return r;
	}
	d->ipc_fd = fd;
	d->ipc_path = strdup(sa.sun_path);
	if (!d->ipc_path || lstat(sa.sun_path, &st) < 0) {
		r = d->ipc_path ? -errno : -ENOMEM;
		snprintf(err, errlen, "%s: %s", sa.sun_path, strerror(-r));
		unlink(sa.sun_path);
		goto err_close;
	}
	d->ipc_dev = st.st_dev;
	d->ipc_ino = st.st_ino;
	r = set_perms(d, err, errlen);
	if (r < 0)
		goto err_close;
	/* As deep a backlog as the kernel allows (clamped to
	 * net.core.somaxconn): clients queue there while the driver restarts. */
	if (listen(fd, INT_MAX) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", sa.sun_path, strerror(-r));
		goto err_close;
	}
	return 0;
err_close:
	ipc_close(d);
	return r;
}

int ipc_sync(struct drv *d, char *err, size_t errlen)
{
	if (!d->cfg.ipc) {
		ipc_close(d);
		return 0;
	}
	if (d->ipc_fd >= 0) {
		if (still_ours(d))
			return set_perms(d, err, errlen);
		/* Someone removed or replaced the file: the socket is unreachable.
		 * Leave whatever is there now to clear_path() and bind anew. */
		close(d->ipc_fd);
		d->ipc_fd = -1;
		free(d->ipc_path);
		d->ipc_path = NULL;
	}
	return ipc_open(d, err, errlen);
}

void ipc_config_changed(struct drv *d)
{
	char err[SUP_ERR_MAX];

	/* A socket not yet created is left to the next start. */
	if (d->cfg.ipc && d->ipc_fd < 0)
		return;
	if (!d->cfg.ipc && d->ipc_fd >= 0)
		sup_dlog(d, "%s: IPC=no, closing %s", d->cfg.name, d->ipc_path);
	if (ipc_sync(d, err, sizeof(err)) < 0)
		sup_dlog(d, "%s: IPC socket: %s", d->cfg.name, err);
}
