/* SPDX-License-Identifier: MIT */
/*
 * spawn.c - start one instance of a driver.
 *
 * The child gets: its own process group (so a stop reaches its children),
 * stdin from /dev/null, stdout+stderr into one pipe read by the supervisor,
 * the Listen= socket, the IPC=yes socket, the Device= fds (devices.c), then
 * the stored fds (FDSTORE=1) as fds 3.., nothing else (every other fd is
 * close-on-exec, including any the supervisor inherited), default signal
 * handling (even for signals the supervisor was started with ignored) and an
 * empty signal mask, and the environment: the supervisor's own, then Environment=, then
 * NOTIFY_SOCKET, WATCHDOG_USEC/WATCHDOG_PID, UDRV_DEVICE, UDRV_DRIVER and
 * LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES. It gets SIGTERM if
 * the supervisor dies (PR_SET_PDEATHSIG; SIGKILL with PrivatePIDs=).
 *
 * exec failures come back through a close-on-exec pipe, as posix_spawn
 * does it: the parent reads either EOF (exec worked) or the child's errno.
 *
 * The child is created as posix_spawn() does it, with
 * clone(CLONE_VM | CLONE_VFORK) on a stack of its own: no copy of the
 * supervisor's page tables (make bench: a fork+exec floor loop restarts a
 * program ~40% slower than a vfork/posix_spawn one). The child shares our
 * memory until it execs, so it only makes system calls and writes to its
 * own stack and to buffers the parent prepared: the environment is built
 * in the parent (build_env()); only the PIDs in LISTEN_PID/WATCHDOG_PID are
 * filled in by the child. Signals are blocked around clone() so that no
 * handler of ours runs in the child before it resets the dispositions.
 *
 * The driver's cgroup (cgroup.c): the child is created in it with
 * clone3(CLONE_VFORK | CLONE_INTO_CGROUP) (Linux 5.7), so the driver and all
 * it starts are in it from the first instruction. Moving a process between
 * cgroups (a write to cgroup.procs) waits for an RCU grace period unless
 * cgroup2 is mounted favordynmods: ~10 ms per restart measured on board pc
 * (bench serve rows), the bulk of a restart. clone3 has no "function on
 * another stack" form, so that child is a copy-on-write one (no CLONE_VM),
 * which is fine: the child only makes system calls, and what it must tell
 * the parent goes through a shared page (struct report) or the error pipe.
 * Where clone3 or CLONE_INTO_CGROUP is missing (old kernels, valgrind) the
 * clone(CLONE_VM) child writes "0" to the cgroup's cgroup.procs first thing
 * instead (it moves itself).
 *
 * Least privilege (User=, Group=, SupplementaryGroups=, NoNewPrivileges=,
 * Limit*=, SystemCallFilter=): the parent resolves the user and groups from
 * /etc/passwd and /etc/group (resolve_creds) and builds the seccomp program;
 * the child sets the limits, then setgroups/setresgid/setresuid and
 * PR_SET_NO_NEW_PRIVS, and loads the seccomp program (seccomp.c), last
 * before exec.
 *
 * Namespaces (PrivateDevices=, PrivatePIDs=, as systemd names them):
 * PrivatePIDs= adds CLONE_NEWPID to the clone() (the child is PID 1 of the
 * new namespace, and so is the driver after exec); either key has the
 * child unshare(CLONE_NEWNS) and make / recursively private, so that no
 * mount of its propagates back. PrivateDevices= mounts a tmpfs on /dev
 * with only null, zero, full, random, urandom, tty (mknod), the fd/stdin/
 * stdout/stderr links and a tmpfs /dev/shm, and drops CAP_MKNOD and
 * CAP_SYS_RAWIO from the bounding set (a root driver could otherwise make
 * any node, or use /dev/mem's ports and iopl): its device is only the fds
 * Device= passes. PrivateTmp= mounts an empty tmpfs on /tmp and /var/tmp
 * (the runtime dir, if below them, bound back in for the notify socket).
 * PrivatePIDs= mounts a /proc of the new namespace. When
 * the kernel refuses any of it (no CAP_SYS_ADMIN, a kernel without
 * namespaces), the start fails and last_exit names the key: a driver
 * asking for containment never runs without it.
 */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <sched.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's environment, built by the parent before clone(). */
struct child_env {
	char **envp;       /* NULL-terminated */
	size_t n, cap;
	char *own[8];      /* strings allocated here (freed after the spawn) */
	unsigned nown;
	char *listen_pid;  /* "LISTEN_PID=" + room the child fills, or NULL */
	char *watchdog_pid;
};

#define PID_ROOM 20 /* digits of any pid_t, and the NUL */

/* Replace or add NAME=value (@kv, kept by reference); NULL @kv with @name: remove. */
static int env_set(struct child_env *ce, const char *name, char *kv)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < ce->n; i++)
		if (!strncmp(ce->envp[i], name, len) && ce->envp[i][len] == '=') {
			ce->envp[i] = ce->envp[--ce->n];
			i--;
		}
	if (!kv)
		return 0;
	if (ce->n + 2 > ce->cap) {
		size_t cap = ce->cap ? ce->cap * 2 : 64;
		char **v = realloc(ce->envp, cap * sizeof(*v));

		if (!v)
			return -1;
		ce->envp = v;
		ce->cap = cap;
	}
	ce->envp[ce->n++] = kv;
	ce->envp[ce->n] = NULL;
	return 0;
}

/* NAME=value in a new string; @room extra bytes of NULs after it. */
static char *env_own(struct child_env *ce, const char *name, const char *value, size_t room)
{
	size_t a = strlen(name), b = strlen(value);
	char *kv;

	if (ce->nown == sizeof(ce->own) / sizeof(ce->own[0]) ||
	    !(kv = calloc(1, a + 1 + b + room + 1)))
		return NULL;
	memcpy(kv, name, a);
	kv[a] = '=';
	memcpy(kv + a + 1, value, b);
	ce->own[ce->nown++] = kv;
	return env_set(ce, name, kv) < 0 ? NULL : kv;
}

static void free_env(struct child_env *ce)
{
	for (unsigned i = 0; i < ce->nown; i++)
		free(ce->own[i]);
	free(ce->envp);
	memset(ce, 0, sizeof(*ce)); /* a second call is harmless */
}

/*
 * The supervisor's environment, then Environment=, then NOTIFY_SOCKET,
 * UDRV_DRIVER, WATCHDOG_USEC/WATCHDOG_PID, UDRV_DEVICE, LISTEN_* (later
 * ones replace earlier ones of the same name). 0 or -1 (ENOMEM).
 */
static int build_env(struct drv *d, const struct devfds *dev, unsigned nfds,
		     struct child_env *ce)
{
	char buf[24];

	memset(ce, 0, sizeof(*ce));
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];

		if (!eq || (size_t)(eq - *e) >= sizeof(name))
			continue;
		memcpy(name, *e, (size_t)(eq - *e));
		name[eq - *e] = '\0';
		if (env_set(ce, name, *e) < 0)
			return -1;
	}
	for (size_t i = 0; i < d->cfg.nenv; i++) {
		const char *eq = strchr(d->cfg.env[i], '=');
		char name[256];

		if (!eq || (size_t)(eq - d->cfg.env[i]) >= sizeof(name))
			continue;
		memcpy(name, d->cfg.env[i], (size_t)(eq - d->cfg.env[i]));
		name[eq - d->cfg.env[i]] = '\0';
		if (env_set(ce, name, d->cfg.env[i]) < 0)
			return -1;
	}
	if (!env_own(ce, "NOTIFY_SOCKET", sup.notify_addr, 0) ||
	    !env_own(ce, "UDRV_DRIVER", d->cfg.name, 0))
		return -1;
	env_set(ce, "WATCHDOG_USEC", NULL);
	env_set(ce, "WATCHDOG_PID", NULL);
	env_set(ce, "LISTEN_FDS", NULL);
	env_set(ce, "LISTEN_PID", NULL);
	env_set(ce, "LISTEN_FDNAMES", NULL);
	if (d->watchdog_usec) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)d->watchdog_usec);
		if (!env_own(ce, "WATCHDOG_USEC", buf, 0) ||
		    !(ce->watchdog_pid = env_own(ce, "WATCHDOG_PID", "", PID_ROOM)))
			return -1;
	}
	if (d->cfg.device && !env_own(ce, "UDRV_DEVICE", d->cfg.device, 0))
		return -1;
	if (nfds > 0) {
		/* sd_listen_fds_with_names(): the Listen= socket is "listen",
		 * the IPC=yes socket "ipc", the devices as devices.c names them. */
		static char names[(FDNAME_MAX + 1) * (2 + DEVFDS_MAX + FDSTORE_MAX_LIMIT)];
		char first[128];
		int off = snprintf(first, sizeof(first), "%s%s%s", d->listen_fd >= 0 ? "listen" : "",
				   d->listen_fd >= 0 && d->ipc_fd >= 0 ? ":" : "",
				   d->ipc_fd >= 0 ? "ipc" : "");

		off = devices_names(dev, first, sizeof(first), (size_t)off);
		snprintf(buf, sizeof(buf), "%u", nfds);
		if (off < 0 || fdstore_names(&d->fdstore, off ? first : NULL, names, sizeof(names)) < 0 ||
		    !env_own(ce, "LISTEN_FDS", buf, 0) ||
		    !(ce->listen_pid = env_own(ce, "LISTEN_PID", "", PID_ROOM)) ||
		    !env_own(ce, "LISTEN_FDNAMES", names, 0))
			return -1;
	}
	return 0;
}

/* Write @v's digits and a NUL at @p (PID_ROOM bytes): async-signal-safe. */
static void fmt_num(char *p, unsigned long v)
{
	char tmp[PID_ROOM];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < PID_ROOM - 1);
	while (n)
		*p++ = tmp[--n];
	*p = '\0';
}

/* Write @pid's digits after the '=' of @kv (room reserved). */
static void fmt_pid(char *kv, pid_t pid)
{
	fmt_num(strchr(kv, '=') + 1, (unsigned long)pid);
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
 * systemd); SupplementaryGroups= adds its groups; the supervisor's own
 * supplementary groups never pass on.
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
	if (!d->cfg.user && !d->cfg.group)
		c->gid = getgid(); /* SupplementaryGroups= alone: our own group stays */
	if (uname[0] && !d->cfg.group) {
		c->ngroups = (int)(sizeof(c->groups) / sizeof(c->groups[0]));
		find_groups(NULL, NULL, uname, c->groups, &c->ngroups);
	}
	/* SupplementaryGroups=: added to those (systemd), each once. */
	for (char **g = d->cfg.supp_groups; g && *g; g++) {
		gid_t gid;
		bool dup = false;

		if (!find_groups(*g, &gid, NULL, NULL, NULL)) {
			if (!numeric(*g, &v))
				return errno = ESRCH, -1;
			gid = (gid_t)v;
		}
		for (int i = 0; i < c->ngroups; i++)
			dup |= c->groups[i] == gid;
		if (dup)
			continue;
		if (c->ngroups == (int)(sizeof(c->groups) / sizeof(c->groups[0])))
			return errno = E2BIG, -1;
		c->groups[c->ngroups++] = gid;
	}
	return 0;
}

/* Take @c and NoNewPrivileges=: system calls only, last before exec. */
static int drop_privileges(const struct drv *d, const struct creds *c)
{
	if ((d->cfg.user || d->cfg.group || d->cfg.supp_groups) &&
	    (setgroups((size_t)c->ngroups, c->groups) < 0 || setresgid(c->gid, c->gid, c->gid) < 0))
		return -1;
	if (d->cfg.user && setresuid(c->uid, c->uid, c->uid) < 0)
		return -1;
	if (d->cfg.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return 0;
}

/* PrivateDevices=: the nodes of the new /dev (mode 0666, as in the real one). */
static const struct {
	const char *path;
	unsigned major, minor;
} dev_nodes[] = {
	{ "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};
static const char *const dev_links[][2] = {
	{ "/proc/self/fd", "/dev/fd" }, { "/proc/self/fd/0", "/dev/stdin" },
	{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
};

/* A tmpfs on /dev with the basics only: the driver cannot name another
 * device. System calls only (the child). */
static int private_dev(void)
{
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
		  "mode=0755,size=4m") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++)
		/* chmod: mknod's mode passes through the supervisor's umask */
		if (mknod(dev_nodes[i].path, S_IFCHR | 0666,
			  makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0 ||
		    chmod(dev_nodes[i].path, 0666) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0)
			return -1;
	if (mkdir("/dev/shm", 0755) < 0 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -1;
	/* No new nodes (anywhere) and no raw I/O, even for a root driver. */
	if (prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) < 0 ||
	    prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO, 0, 0, 0) < 0)
		return -1;
	return 0;
}

/* PrivateTmp=: an empty tmpfs on /tmp and on /var/tmp (where it exists).
 * @keep (resolved by the parent; "" if none) is the runtime dir when it lies
 * below one of them: bound back in at the same path, so that the notify
 * socket stays reachable. System calls only (the child). */
static int private_tmp(const char *keep)
{
	static const char *const dirs[] = { "/tmp", "/var/tmp" };
	char path[PATH_MAX], fdpath[16 + PID_ROOM] = "/proc/self/fd/";
	int kfd = -1;

	if (keep[0] && (kfd = open(keep, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat st;

		if (stat(dirs[i], &st) < 0 && errno == ENOENT)
			continue; /* no /var/tmp: nothing to hide */
		if (mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
			goto fail;
	}
	if (kfd < 0)
		return 0;
	/* mkdir -p @keep in the new tmpfs (root's, 0755: any User= passes) */
	size_t n = strlen(keep);

	memcpy(path, keep, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			goto fail;
		path[i] = i < n ? '/' : '\0';
	}
	fmt_num(fdpath + 14, (unsigned long)kfd); /* "/proc/self/fd/N": the dir, as we opened it */
	if (mount(fdpath, keep, NULL, MS_BIND, NULL) < 0)
		goto fail;
	close(kfd);
	return 0;
fail:
	if (kfd >= 0)
		close(kfd);
	return -1;
}

/* The mount namespace of PrivateDevices= / PrivateTmp= / PrivatePIDs= (the
 * PID namespace came with clone()). NULL, or the key the kernel refused
 * (errno set). */
static const char *setup_namespaces(const struct drv *d, const char *tmp_keep)
{
	const char *key = d->cfg.private_devices ? "PrivateDevices=yes" :
			  d->cfg.private_tmp ? "PrivateTmp=yes" : "PrivatePIDs=yes";

	if (!d->cfg.private_devices && !d->cfg.private_tmp && !d->cfg.private_pids)
		return NULL;
	/* private: nothing mounted here appears outside, nor the reverse */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return key;
	if (d->cfg.private_devices && private_dev() < 0)
		return "PrivateDevices=yes";
	if (d->cfg.private_tmp && private_tmp(tmp_keep) < 0)
		return "PrivateTmp=yes";
	/* a /proc of the new PID namespace: ps shows the driver's processes */
	if (d->cfg.private_pids &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return "PrivatePIDs=yes";
	return NULL;
}

/* If the supervisor itself dies (SIGKILL, crash), its drivers get
 * SIGTERM: orphans would keep their devices (a VFIO group opens only once)
 * and a new supervisor could not start them again. With PrivatePIDs= the
 * driver is PID 1 of its namespace, which ignores SIGTERM without a
 * handler: SIGKILL, which always reaches it from outside; and getppid() is
 * 0 there (the parent is outside the namespace), so whether the supervisor
 * still lives shows on the exec-error pipe @errfd instead (the child closed
 * its copy of the read end: no reader left once the supervisor is gone).
 * Set again after a change of uid or gid, which clears it. -1 when it
 * cannot be set or the supervisor is gone already. */
static int arm_pdeathsig(const struct drv *d, pid_t parent, int errfd)
{
	struct pollfd pfd = { .fd = errfd, .events = POLLOUT };

	if (!d->cfg.private_pids)
		return prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent ? -1 : 0;
	return prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || poll(&pfd, 1, 0) < 0 ||
	       (pfd.revents & POLLERR) ? -1 : 0;
}

/* clone3's argument (linux/sched.h, kept here: that header clashes with
 * glibc's <sched.h>), up to CLONE_ARGS_SIZE_VER2 (Linux 5.7). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* What the child tells the parent besides the error pipe, in a shared page:
 * it may run with or without CLONE_VM. ns_key points into our rodata, the
 * same address in both. */
struct report {
	uint64_t t_exec_ns;
	const char *ns_key;
};
static struct report *rep;

/* Runs in the child; returns only on failure, with errno set (and @ns_key
 * set when a namespace key failed). */
static void child(struct drv *d, const struct devfds *dev, const struct sock_fprog *prog,
		  struct child_env *ce, const struct creds *cr, int cred_err, int outfd, int *errfd,
		  pid_t parent, int cgfd, int errrd, const char *tmp_keep, const char **ns_key)
{
	sigset_t none;
	int nullfd;

	/* Into the driver's own cgroup (cgroup.c) first, so that whatever it
	 * starts is there too; while still root, as the cgroup files are. */
	if (cgfd >= 0 && write(cgfd, "0", 1) < 0) {
		errno = -errno;
		return;
	}

	/* The supervisor's death ends the driver (arm_pdeathsig). */
	if ((d->cfg.private_pids && close(errrd) < 0) || arm_pdeathsig(d, parent, *errfd) < 0)
		return;

	if ((*ns_key = setup_namespaces(d, tmp_keep))) {
		errno = -errno;
		return;
	}

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
	/* Passed fds: the Listen= socket, the IPC socket, the devices, then the
	 * fd store, as 3, 4, ... First every source (and the exec-error pipe)
	 * moves above the target range, so no dup2() below overwrites a
	 * source still needed. */
	unsigned nfds = (d->listen_fd >= 0) + (d->ipc_fd >= 0) + dev->n + d->fdstore.n, k = 0;
	int src[2 + DEVFDS_MAX + FDSTORE_MAX_LIMIT];

	if (nfds > 0) {
		if ((*errfd = fcntl(*errfd, F_DUPFD_CLOEXEC, 3 + (int)nfds)) < 0)
			return;
		if (d->listen_fd >= 0)
			src[k++] = d->listen_fd;
		if (d->ipc_fd >= 0)
			src[k++] = d->ipc_fd;
		for (unsigned i = 0; i < dev->n; i++)
			src[k++] = dev->fd[i];
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

	/* the PIDs: only the child knows its own (its stack and the
	 * parent's buffers only: we share the parent's memory) */
	if (ce->listen_pid)
		fmt_pid(ce->listen_pid, getpid());
	if (ce->watchdog_pid)
		fmt_pid(ce->watchdog_pid, getpid());

	if (sup.nofile_soft) {
		/* The soft limit we were started with, not the one we raised; last,
		 * as our own fds may lie above it (exec does not mind). */
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > sup.nofile_soft) {
			rl.rlim_cur = sup.nofile_soft;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (cred_err) { /* User=/Group= resolved by the parent (it reads /etc) */
		errno = -cred_err; /* negative: told apart from exec errors (driver.c) */
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
	if (drop_privileges(d, cr) < 0) {
		errno = -errno;
		return;
	}
	/* the new uid or gid cleared the parent-death signal: again */
	if ((d->cfg.user || d->cfg.group || d->cfg.supp_groups) &&
	    arm_pdeathsig(d, parent, *errfd) < 0)
		return;
	/* $UDRV_TIMES: the shared report page, read once the parent resumes
	 * (a vDSO clock read, before any syscall filter). */
	rep->t_exec_ns = now_nsec();

	/* SystemCallFilter=: last, so that nothing above needs to be allowed;
	 * from here on only exec (and the report of a failed one) runs.
	 * no_new_privs first: the kernel requires it without CAP_SYS_ADMIN. */
	if (prog->len && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
			  prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog) < 0)) {
		errno = -errno;
		return;
	}

	/* `udrvctl upgrade --exec PATH` runs another program under the same
	 * argv (the memory may be the parent's: nothing in d is changed here). */
	const char *path = d->exec_path ? d->exec_path : d->cfg.argv[0];

	if (strchr(path, '/'))
		execve(path, d->cfg.argv, ce->envp);
	else
		execvpe(path, d->cfg.argv, ce->envp);
}

/* What the cloned child needs: it runs on its own stack, in our memory. */
struct child_arg {
	struct drv *d;
	const struct devfds *dev;
	const struct sock_fprog *prog;
	struct child_env *ce;
	struct creds cr;
	int cred_err;
	int outfd, errfd;
	int errrd;         /* the read end of errfd's pipe (PrivatePIDs=: closed by the child) */
	int cgfd;          /* the driver cgroup's cgroup.procs, -1 without */
	pid_t parent;
	const char *tmp_keep; /* PrivateTmp=: the runtime dir to keep, or "" */
};

static int child_main(void *p)
{
	struct child_arg *a = p;
	int errfd = a->errfd, e;

	child(a->d, a->dev, a->prog, a->ce, &a->cr, a->cred_err, a->outfd, &errfd, a->parent,
	      a->cgfd, a->errrd, a->tmp_keep, &rep->ns_key);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

pid_t spawn_driver(struct drv *d, int *pidfd, int *logfd, int *exec_errno)
{
	/* The child's stack: one is enough, CLONE_VFORK suspends us until the
	 * child has exec'd or exited. 64 KiB: child() and execvpe()'s path
	 * buffer; untouched pages cost no memory. */
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int out[2], errp[2], e, child_errno = 0;
	struct child_env ce;
	struct child_arg arg;
	struct devfds dev;
	struct sock_fprog prog;
	sigset_t all, old;
	ssize_t n;
	pid_t pid;

	int cgfd = -1, cgdir = -1;
	static bool no_clone3;

	if (!rep) {
		rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			   -1, 0);
		if (rep == MAP_FAILED) {
			rep = NULL;
			return -ENOMEM;
		}
	}
	*rep = (struct report){ 0 };

	/* Device=: opened here, as root, for this instance only. */
	d->start_err[0] = '\0';
	e = devices_open(d->cfg.device, &dev, d->start_err, sizeof(d->start_err));
	if (e < 0)
		return e;
	d->t_devices_ns = now_nsec();
	/* SystemCallFilter=: built here, only loaded by the child. */
	e = seccomp_build((const char *const *)d->cfg.syscall_filter, &prog, d->start_err,
			  sizeof(d->start_err));
	if (e < 0) {
		devices_close(&dev);
		return e;
	}
	e = cgroup_prepare(d, &cgfd, &cgdir);
	if (e < 0) {
		devices_close(&dev);
		seccomp_prog_free(&prog);
		return e;
	}
	if (build_env(d, &dev, (d->listen_fd >= 0) + (d->ipc_fd >= 0) + dev.n + d->fdstore.n,
		      &ce) < 0) {
		free_env(&ce);
		e = -ENOMEM;
		goto err_cg;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		e = -errno;
		free_env(&ce);
		goto err_cg;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		e = -errno;
		goto err_out;
	}
	arg = (struct child_arg){ .d = d, .dev = &dev, .prog = &prog, .ce = &ce, .outfd = out[1],
				  .errfd = errp[1], .errrd = errp[0], .cgfd = cgfd,
				  .parent = getpid(), .tmp_keep = "" };
	/* PrivateTmp=: the runtime dir (NOTIFY_SOCKET) if a new /tmp or
	 * /var/tmp would hide it; resolved here, the child cannot. */
	static char tmp_keep[PATH_MAX];
	if (d->cfg.private_tmp && realpath(sup.runtime_dir, tmp_keep) &&
	    (!strncmp(tmp_keep, "/tmp/", 5) || !strncmp(tmp_keep, "/var/tmp/", 9)))
		arg.tmp_keep = tmp_keep;
	/* Who the driver runs as: /etc is read here, the child only makes
	 * system calls. */
	if (resolve_creds(d, &arg.cr) < 0)
		arg.cred_err = errno;

	fflush(stdout); /* nothing buffered may be written twice */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = -1;
	errno = ENOSYS;
	if (cgdir >= 0 && !no_clone3) {
		struct clone3_args ca = {
			.flags = CLONE_VFORK | CLONE_INTO_CGROUP |
				 (d->cfg.private_pids ? CLONE_NEWPID : 0),
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)cgdir,
		};

		arg.cgfd = -1; /* born in it: no move */
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == 0)
			child_main(&arg); /* a copy of our memory; never returns */
		if (pid < 0 && (errno == ENOSYS || errno == E2BIG))
			no_clone3 = true; /* before 5.7 (CLONE_INTO_CGROUP), valgrind */
		arg.cgfd = cgfd;
	}
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL || cgdir < 0))
		pid = clone(child_main, stack + sizeof(stack),
			    CLONE_VM | CLONE_VFORK | SIGCHLD |
				    (d->cfg.private_pids ? CLONE_NEWPID : 0), &arg);
	e = -errno;
	d->t_exec_ns = rep->t_exec_ns;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free_env(&ce);
	devices_close(&dev); /* the child has its copies (or is gone) */
	seccomp_prog_free(&prog);
	if (pid < 0) {
		if (d->cfg.private_pids && (e == -EPERM || e == -EINVAL || e == -ENOSPC))
			snprintf(d->start_err, sizeof(d->start_err), "PrivatePIDs=yes: the kernel "
				 "refused a new PID namespace: %s", strerror(-e));
		goto err_errp;
	}
	if (cgfd >= 0)
		close(cgfd);
	if (cgdir >= 0)
		close(cgdir);
	cgfd = cgdir = -1;
	/* Both sides set the group, so it is in place whichever runs first. */
	setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);
	do
		n = read(errp[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	*exec_errno = n == sizeof(child_errno) ? child_errno : 0;
	if (*exec_errno < 0 && rep->ns_key)
		snprintf(d->start_err, sizeof(d->start_err), "%s: the kernel refused the namespace "
			 "or its mounts: %s", rep->ns_key, strerror(-*exec_errno));

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
	free_env(&ce);
err_cg:
	devices_close(&dev);
	seccomp_prog_free(&prog);
	if (cgfd >= 0)
		close(cgfd);
	if (cgdir >= 0)
		close(cgdir);
	return e;
}
