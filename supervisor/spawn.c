/* SPDX-License-Identifier: MIT */
/*
 * spawn.c - start one instance of a driver.
 *
 * The child gets: its own process group (so a stop reaches its children),
 * stdin from /dev/null, stdout+stderr into one pipe read by the supervisor,
 * the Listen= socket then the stored fds (FDSTORE=1) as fds 3.., nothing else (every other fd is close-on-exec,
 * including any the supervisor inherited), default signal handling (even
 * for signals the supervisor was started with ignored) and an empty signal
 * mask, and the environment: the supervisor's own, then Environment=, then
 * NOTIFY_SOCKET, WATCHDOG_USEC/WATCHDOG_PID, UDRV_DEVICE, UDRV_DRIVER and
 * LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES. It gets SIGTERM if
 * the supervisor dies (PR_SET_PDEATHSIG).
 *
 * exec failures come back through a close-on-exec pipe, as posix_spawn
 * does it: the parent reads either EOF (exec worked) or the child's errno.
 */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int setenv_u64(const char *name, unsigned long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", v);
	return setenv(name, buf, 1);
}

/* /etc/passwd and /etc/group read directly (fgetpwent, fgetgrent): no
 * NSS, which a static supervisor in a board's initramfs does not have. */
static bool find_user(const char *name, uid_t *uid, gid_t *gid, char *uname, size_t ulen)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	bool found = false;

	while (f && (pw = fgetpwent(f))) {
		if (strcmp(pw->pw_name, name) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			snprintf(uname, ulen, "%s", pw->pw_name);
			found = true;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* Group @name's gid; with @member, the supplementary groups of that user
 * (up to *n) go into @list instead. */
static bool find_groups(const char *name, gid_t *gid, const char *member, gid_t *list, int *n)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	bool found = false;
	int k = 0;

	while (f && (gr = fgetgrent(f))) {
		if (name && strcmp(gr->gr_name, name) == 0) {
			*gid = gr->gr_gid;
			found = true;
			break;
		}
		for (char **m = member ? gr->gr_mem : NULL; m && *m; m++)
			if (strcmp(*m, member) == 0 && k < *n)
				list[k++] = gr->gr_gid;
	}
	if (f)
		fclose(f);
	if (member)
		*n = k;
	return found;
}

static bool numeric(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno && *v < 0xffffffffUL;
}

/* Who the driver runs as: resolved before Limit*= are set (LimitAS= can
 * leave no room for the allocations reading /etc needs). */
struct creds {
	uid_t uid;
	gid_t gid, groups[64];
	int ngroups;
};

/* User=, Group= (names or numbers). User= without Group= takes the user's
 * group and the groups that list it as a member (as initgroups, and
 * systemd); the supervisor's own supplementary groups never pass on.
 * Returns -1 with errno on failure (ESRCH: no such user or group). */
static int resolve_creds(const struct drv *d, struct creds *c)
{
	char uname[256] = "";
	unsigned long v;

	memset(c, 0, sizeof(*c));
	if (d->cfg.user) {
		if (!find_user(d->cfg.user, &c->uid, &c->gid, uname, sizeof(uname))) {
			if (!numeric(d->cfg.user, &v))
				return errno = ESRCH, -1;
			c->uid = (uid_t)v;
			c->gid = (gid_t)v;
		}
	}
	if (d->cfg.group && !find_groups(d->cfg.group, &c->gid, NULL, NULL, NULL)) {
		if (!numeric(d->cfg.group, &v))
			return errno = ESRCH, -1;
		c->gid = (gid_t)v;
	}
	if (uname[0] && !d->cfg.group) {
		c->ngroups = (int)(sizeof(c->groups) / sizeof(c->groups[0]));
		find_groups(NULL, NULL, uname, c->groups, &c->ngroups);
	}
	return 0;
}

/* Take @c and NoNewPrivileges=: system calls only, last before exec. */
static int drop_privileges(const struct drv *d, const struct creds *c)
{
	if ((d->cfg.user || d->cfg.group) &&
	    (setgroups((size_t)c->ngroups, c->groups) < 0 || setresgid(c->gid, c->gid, c->gid) < 0))
		return -1;
	if (d->cfg.user && setresuid(c->uid, c->uid, c->uid) < 0)
		return -1;
	if (d->cfg.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return 0;
}

/* Runs in the child; returns only on failure, with errno set. */
static void child(struct drv *d, int outfd, int *errfd, pid_t parent)
{
	sigset_t none;
	int nullfd;

	/* If the supervisor itself dies (SIGKILL, crash), its drivers get
	 * SIGTERM: orphans would keep their devices (a VFIO group opens only
	 * once) and a new supervisor could not start them again. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		return;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Dispositions too, not only our SIGPIPE: SIG_IGN survives exec, and a
	 * supervisor started with SIGTERM ignored (nohup, a shell's background
	 * job) would otherwise pass that on, and stop would end in SIGKILL. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL); /* EINVAL for the reserved RT ones: fine */
	setpgid(0, 0);

	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0 || dup2(nullfd, STDIN_FILENO) < 0 ||
	    dup2(outfd, STDOUT_FILENO) < 0 || dup2(outfd, STDERR_FILENO) < 0)
		return;
	/* Passed fds: the Listen= socket, then the fd store, as 3, 4, ...
	 * First every source (and the exec-error pipe) moves above the
	 * target range, so no dup2() below overwrites a source still needed. */
	unsigned nfds = (d->listen_fd >= 0) + d->fdstore.n, k = 0;
	int src[1 + FDSTORE_MAX_LIMIT];

	if (nfds > 0) {
		if ((*errfd = fcntl(*errfd, F_DUPFD_CLOEXEC, 3 + (int)nfds)) < 0)
			return;
		if (d->listen_fd >= 0)
			src[k++] = d->listen_fd;
		for (unsigned i = 0; i < d->fdstore.n; i++)
			src[k++] = d->fdstore.v[i].fd;
		for (unsigned i = 0; i < nfds; i++)
			if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3 + (int)nfds)) < 0)
				return;
		for (unsigned i = 0; i < nfds; i++)
			if (dup2(src[i], 3 + (int)i) < 0) /* the copy is not close-on-exec */
				return;
	}
	/* Anything at or above the first fd we pass on must not survive exec:
	 * marking (not closing) keeps the exec-error pipe working. */
	if (close_range(3 + nfds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return;

	for (size_t i = 0; i < d->cfg.nenv; i++)
		if (putenv(d->cfg.env[i]) < 0)
			return;
	if (setenv("NOTIFY_SOCKET", sup.notify_addr, 1) < 0 ||
	    setenv("UDRV_DRIVER", d->cfg.name, 1) < 0)
		return;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (d->watchdog_usec &&
	    (setenv_u64("WATCHDOG_USEC", d->watchdog_usec) < 0 ||
	     setenv_u64("WATCHDOG_PID", (unsigned long long)getpid()) < 0))
		return;
	if (d->cfg.device && setenv("UDRV_DEVICE", d->cfg.device, 1) < 0)
		return;
	if (nfds > 0) {
		/* sd_listen_fds_with_names(): the Listen= socket is "listen". */
		static char names[(FDNAME_MAX + 1) * (1 + FDSTORE_MAX_LIMIT)];
		if (fdstore_names(&d->fdstore, d->listen_fd >= 0 ? "listen" : NULL,
				  names, sizeof(names)) < 0 ||
		    setenv_u64("LISTEN_FDS", nfds) < 0 ||
		    setenv_u64("LISTEN_PID", (unsigned long long)getpid()) < 0 ||
		    setenv("LISTEN_FDNAMES", names, 1) < 0)
			return;
	}

	if (sup.nofile_soft) {
		/* The soft limit we were started with, not the one we raised; last,
		 * as our own fds may lie above it (exec does not mind). */
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > sup.nofile_soft) {
			rl.rlim_cur = sup.nofile_soft;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	struct creds cr;

	if (resolve_creds(d, &cr) < 0) {
		errno = -errno; /* told apart from exec errors (driver.c) */
		return;
	}
	/* Limit*=: before dropping privileges (raising a hard limit needs them). */
	for (int i = 0; i < 5; i++) {
		const struct drv_limit *l = &d->cfg.limits[i];
		struct rlimit rl = {
			.rlim_cur = l->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)l->soft,
			.rlim_max = l->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)l->hard,
		};
		if (l->set && setrlimit(config_limit_resources[i], &rl) < 0) {
			errno = -errno;
			return;
		}
	}
	if (drop_privileges(d, &cr) < 0) {
		errno = -errno; /* told apart from exec errors (driver.c) */
		return;
	}
	if (strchr(d->cfg.argv[0], '/'))
		execv(d->cfg.argv[0], d->cfg.argv);
	else
		execvp(d->cfg.argv[0], d->cfg.argv);
}

pid_t spawn_driver(struct drv *d, int *pidfd, int *logfd, int *exec_errno)
{
	int out[2], errp[2], e, child_errno = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(errp, O_CLOEXEC) < 0) {
		e = -errno;
		goto err_out;
	}
	pid_t parent = getpid();

	fflush(stdout); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		e = -errno;
		goto err_errp;
	}
	if (pid == 0) {
		int errfd = errp[1];
		child(d, out[1], &errfd, parent);
		e = errno;
		n = write(errfd, &e, sizeof(e));
		_exit(127);
	}
	/* Both sides set the group, so it is in place whichever runs first. */
	setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);
	do
		n = read(errp[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	*exec_errno = n == sizeof(child_errno) ? child_errno : 0;

	*pidfd = sup.no_pidfd ? -1 : pidfd_open(pid, 0);
	if (*pidfd < 0 && !sup.no_pidfd) {
		e = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(out[0]);
		return e;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*logfd = out[0];
	return pid;

err_errp:
	close(errp[0]);
	close(errp[1]);
err_out:
	close(out[0]);
	close(out[1]);
	return e;
}
