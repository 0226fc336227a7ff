/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c - one cgroup v2 per driver, where the supervisor can make one.
 *
 * A driver's processes are its cgroup's: children, setsid() grandchildren
 * and process-group hoppers alike, and a process cannot leave it without
 * write access to the cgroup tree (root's). So a stop or kill reaches all
 * of them (cgroup.kill, or every pid of cgroup.procs), an instance is over
 * only once its cgroup is empty (cgroup.events: "populated 0"), notify
 * messages are taken from its members only, and what a dead supervisor
 * left behind is found again (cgroups outlive the processes that made
 * them).
 *
 * Layout, under the cgroup the supervisor was started in (OWN):
 *
 *   OWN/supervisor                 the supervisor itself, only when it was
 *                                  alone in OWN (systemd, Delegate=yes):
 *                                  controllers can then be enabled in OWN
 *                                  (the "no internal processes" rule)
 *   OWN/udrv.RUNTIME/              one per supervisor: RUNTIME is its
 *                                  --runtime-dir, '/' as '-' ("run-udrv"),
 *                                  other characters as systemd escapes them
 *   OWN/udrv.RUNTIME/NAME.driver   one per driver
 *
 * The runtime dir is locked (main.c), so a live supervisor owns its
 * udrv.RUNTIME; $RUNTIME/cgroup names it, for a successor started from
 * another cgroup. Both are emptied (everything in them killed) at start-up.
 *
 * TasksMax= and MemoryMax= go into the driver's pids.max and memory.max,
 * the controllers enabled below OWN on first use.
 *
 * The child joins its cgroup itself, by writing "0" to the cgroup.procs
 * file the parent opened (spawn.c): one system call, before it execs.
 *
 * Without cgroup2, or without the right to create cgroups there, all of
 * this is off and the supervisor does what it did before (process group +
 * pidfd), saying so once at start-up.
 */
#include "sup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAIN_WAIT_MS 10000 /* start-up: how long leftovers may take to die */

static char cg_mnt[PATH_MAX];  /* the cgroup2 mount point */
static char cg_top[PATH_MAX];  /* OWN/udrv.RUNTIME, absolute (under cg_mnt) */
static char cg_rel[PATH_MAX];  /* the same, as /proc/PID/cgroup shows it */
static int cg_topfd = -1;      /* its directory, O_PATH */
static int cg_basefd = -1;     /* OWN, O_PATH (controllers are enabled from there) */
static bool cg_has_kill = true; /* cgroup.kill exists (Linux 5.14+) */

bool cgroup_on(void)
{
	return cg_topfd >= 0;
}

/* --- small file helpers ----------------------------------------------------- */

/* Read @name in directory @dirfd into @buf (NUL-terminated); bytes or -errno. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

static int write_at(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/* "populated 1" in the open cgroup.events @events_fd (read from the start). */
static bool populated_fd(int events_fd)
{
	char buf[256];
	ssize_t n = pread(events_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

/* "populated 1" in @dirfd's cgroup.events: processes in it or below. */
static bool populated_at(int dirfd)
{
	char buf[256];
	const char *p;

	if (read_at(dirfd, "cgroup.events", buf, sizeof(buf)) < 0)
		return false; /* gone */
	p = strstr(buf, "populated ");
	return p && p[10] == '1';
}

/*
 * Send @sig to every process in the cgroup @dirfd and below. SIGKILL goes
 * through cgroup.kill where the kernel has it (atomic, forks included);
 * otherwise, and for other signals, to each pid of cgroup.procs. Returns
 * how many processes were signalled; @sig 0 only counts them.
 */
static unsigned signal_tree(int dirfd, int sig, int depth)
{
	static char buf[65536]; /* one level at a time: not reentrant across levels */
	unsigned n = 0;
	DIR *dir;
	int fd;

	if (sig == SIGKILL && cg_has_kill && depth == 0) {
		if (!populated_at(dirfd))
			return 0; /* the usual case after the main process exited: nobody left */
		n = signal_tree(dirfd, 0, 0); /* counted for the log */
		int r = write_at(dirfd, "cgroup.kill", "1");

		if (r == 0)
			return n;
		if (r == -ENOENT)
			cg_has_kill = false;
		n = 0;
	}
	if (read_at(dirfd, "cgroup.procs", buf, sizeof(buf)) > 0) {
		for (char *p = buf, *end; *p; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (pid > 0 && pid != getpid() && (!sig || kill((pid_t)pid, sig) == 0))
				n++;
		}
	}
	/* cgroups a (root) driver made below its own */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return n;
	}
	for (struct dirent *e; depth < 16 && (e = readdir(dir));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		int sub = openat(dirfd, e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0) {
			n += signal_tree(sub, sig, depth + 1);
			close(sub);
		}
	}
	closedir(dir);
	return n;
}

/* rmdir every cgroup below @dirfd (they must be empty), deepest first. */
static void rmdir_below(int dirfd, int depth)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *e; depth < 16 && (e = readdir(dir));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		int sub = openat(dirfd, e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0) {
			rmdir_below(sub, depth + 1);
			close(sub);
		}
		unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(dir);
}

/* Wait (poll, POLLPRI on cgroup.events) until @dirfd's cgroup is empty, up
 * to @ms. Only at start-up and exit, before and after the event loop. */
static bool wait_empty(int dirfd, int ms)
{
	int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	bool empty = false;

	for (int waited = 0; fd >= 0; waited += 100) {
		char buf[256];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		if (n <= 0)
			break;
		buf[n] = '\0';
		if (strstr(buf, "populated 0")) {
			empty = true;
			break;
		}
		if (waited >= ms)
			break;
		poll(&(struct pollfd){ .fd = fd, .events = POLLPRI }, 1, 100);
		if (!cg_has_kill) /* forks racing the per-pid kill */
			signal_tree(dirfd, SIGKILL, 0);
	}
	if (fd >= 0)
		close(fd);
	return empty;
}

/* Kill everything in the cgroup @path and below (a predecessor's), then
 * remove the cgroups under it. Returns how many were signalled. */
static unsigned kill_tree(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	unsigned n;

	if (fd < 0)
		return 0;
	n = populated_at(fd) ? signal_tree(fd, SIGKILL, 0) : 0;
	if (n && !wait_empty(fd, DRAIN_WAIT_MS))
		sup_log("cgroup %s: processes left by a previous supervisor did not die within "
			"%d s (stuck in the kernel?)", path, DRAIN_WAIT_MS / 1000);
	rmdir_below(fd, 0);
	close(fd);
	return n;
}

/* --- set-up ----------------------------------------------------------------- */

/* The first cgroup2 mount, from /proc/self/mountinfo. */
static bool find_mount(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		char root[PATH_MAX], mnt[PATH_MAX], fstype[64];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		/* a root other than "/" is a bind mount of a part: not ours to use */
		if (strcmp(fstype, "cgroup2") || strcmp(root, "/") || strchr(mnt, '\\'))
			continue;
		snprintf(cg_mnt, sizeof(cg_mnt), "%s", mnt);
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

/* Our own cgroup ("0::/path" in /proc/self/cgroup) into @own. */
static bool own_cgroup(char *own, size_t len)
{
	char buf[4096];
	int dfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ssize_t n = dfd >= 0 ? read_at(dfd, "cgroup", buf, sizeof(buf)) : -1;

	if (dfd >= 0)
		close(dfd);
	if (n <= 0)
		return false;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "0::", 3) == 0) {
			size_t k = strcspn(l + 3, "\n");
			if (k >= len)
				return false;
			memcpy(own, l + 3, k);
			own[k] = '\0';
			return own[0] == '/';
		}
	}
	return false;
}

/* Alone in @base (not the root): move into @base/supervisor, so that
 * controllers can be enabled in @base for the drivers' cgroups. */
static void leave_base(const char *base, bool is_root)
{
	char buf[256];
	int fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	long pid;

	if (fd < 0 || is_root)
		goto out;
	if (read_at(fd, "cgroup.procs", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%ld", &pid) != 1 || pid != getpid() || strchr(buf, '\n') != buf + strlen(buf) - 1)
		goto out;
	if ((mkdirat(fd, "supervisor", 0755) < 0 && errno != EEXIST) ||
	    write_at(fd, "supervisor/cgroup.procs", "0") < 0)
		sup_log("cgroups: cannot move into %s/supervisor: %s (TasksMax=/MemoryMax= may not "
			"apply)", base, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
}

/* Our runtime dir as one cgroup name, escaped as systemd-escape --path
 * does, so that two directories never share one: "/run/udrv" ->
 * "udrv.run-udrv", "/a-b" -> "udrv.a\x2db", "/a/b" -> "udrv.a-b". */
static bool top_name(char *name, size_t len)
{
	char real[PATH_MAX];
	const char *p = realpath(sup.runtime_dir, real) ? real : sup.runtime_dir;
	size_t k = (size_t)snprintf(name, len, "udrv.");

	while (*p == '/')
		p++;
	for (const char *start = p; *p && k + 5 < len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/')
			name[k++] = '-';
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '_' || (c == '.' && p != start))
			name[k++] = (char)c;
		else
			k += (size_t)snprintf(name + k, len - k, "\\x%02x", c);
	}
	name[k] = '\0';
	return !*p; /* cut short, two long names could meet */
}

/* $RUNTIME/cgroup: the absolute path of our udrv.RUNTIME. */
static void state_path(char *path, size_t len)
{
	snprintf(path, len, "%s/cgroup", sup.runtime_dir);
}

void cgroup_init(void)
{
	char own[PATH_MAX], base[PATH_MAX], name[256], prev[PATH_MAX], state[PATH_MAX];
	unsigned killed = 0;
	int fd;

	if (!find_mount()) {
		sup_log("cgroups: no cgroup2 mount; a stop reaches the process group and the main "
			"process only");
		return;
	}
	if (!own_cgroup(own, sizeof(own))) {
		sup_log("cgroups: cannot tell our own cgroup v2 (hybrid or v1 only?); a stop reaches "
			"the process group and the main process only");
		return;
	}
	if (!top_name(name, sizeof(name)) ||
	    (size_t)snprintf(base, sizeof(base), "%s%s", cg_mnt,
			     strcmp(own, "/") ? own : "") >= sizeof(base) ||
	    (size_t)snprintf(cg_top, sizeof(cg_top), "%s/%s", base, name) >= sizeof(cg_top) ||
	    (size_t)snprintf(cg_rel, sizeof(cg_rel), "%s/%s", strcmp(own, "/") ? own : "",
			     name) >= sizeof(cg_rel)) {
		sup_log("cgroups: path too long; a stop reaches the process group and the main "
			"process only");
		return;
	}
	leave_base(base, strcmp(own, "/") == 0);

	/* A predecessor's, started from elsewhere (its path in our runtime dir). */
	state_path(state, sizeof(state));
	fd = open(state, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0) {
		struct stat st;
		ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
			read(fd, prev, sizeof(prev) - 1) : -1;

		close(fd);
		if (n > 0) {
			prev[n] = '\0';
			prev[strcspn(prev, "\n")] = '\0';
			/* only a cgroup of ours: a path under the mount, ending in our name */
			size_t ml = strlen(cg_mnt), nl = strlen(name), pl = strlen(prev);
			if (strcmp(prev, cg_top) && !strncmp(prev, cg_mnt, ml) && prev[ml] == '/' &&
			    pl > nl && !strcmp(prev + pl - nl, name) && prev[pl - nl - 1] == '/' &&
			    !strstr(prev, "/../")) {
				killed += kill_tree(prev);
				rmdir(prev);
			}
		}
	}
	/* Ours, left by a predecessor started from the same cgroup. */
	killed += kill_tree(cg_top);
	if (killed)
		sup_log("killed %u process(es) left by a previous supervisor of %s (cgroups)", killed,
			sup.runtime_dir);

	if (mkdir(cg_top, 0755) < 0 && errno != EEXIST) {
		sup_log("cgroups: cannot create %s: %s; a stop reaches the process group and the "
			"main process only", cg_top, strerror(errno));
		return;
	}
	cg_topfd = open(cg_top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cg_topfd < 0) {
		sup_log("cgroups: %s: %s; not used", cg_top, strerror(errno));
		return;
	}
	cg_basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = open(state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || dprintf(fd, "%s\n", cg_top) < 0)
		sup_log("cgroups: cannot write %s: %s (a successor started elsewhere will not find "
			"our drivers)", state, strerror(errno));
	if (fd >= 0)
		close(fd);
	{
		int probe = openat(cg_topfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		if (probe < 0)
			cg_has_kill = false;
		else
			close(probe);
	}
	sup_log("cgroups: one per driver under %s%s", cg_top,
		cg_has_kill ? "" : " (no cgroup.kill: killed pid by pid)");
}

void cgroup_done(void)
{
	char state[PATH_MAX];

	if (cg_topfd < 0)
		return;
	rmdir_below(cg_topfd, 0);
	close(cg_topfd);
	cg_topfd = -1;
	if (cg_basefd >= 0)
		close(cg_basefd);
	cg_basefd = -1;
	if (rmdir(cg_top) == 0) {
		state_path(state, sizeof(state));
		unlink(state);
	}
}

/* --- per driver --------------------------------------------------------------- */

static void drv_dir(const struct drv *d, char *name, size_t len)
{
	snprintf(name, len, "%s.driver", d->cfg.name);
}

static int drv_open(const struct drv *d)
{
	char name[SUP_NAME_MAX + 8];

	drv_dir(d, name, sizeof(name));
	return openat(cg_topfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Is @ctrl ("pids") a word of the file @name in @dirfd? */
static bool has_word(int dirfd, const char *name, const char *ctrl)
{
	char buf[512];
	size_t n = strlen(ctrl);

	if (read_at(dirfd, name, buf, sizeof(buf)) <= 0)
		return false;
	for (char *p = buf; (p = strstr(p, ctrl)); p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* Make controller @ctrl available in the drivers' cgroups: enabled in
 * OWN's and udrv.RUNTIME's cgroup.subtree_control. OWN must hold no
 * processes for that (unless it is the root): see leave_base(). */
static int enable_controller(const char *ctrl)
{
	char plus[32];
	int r;

	if (has_word(cg_topfd, "cgroup.subtree_control", ctrl))
		return 0;
	if (!has_word(cg_basefd, "cgroup.controllers", ctrl))
		return -ENOENT; /* not in this kernel, or not given to us */
	snprintf(plus, sizeof(plus), "+%s", ctrl);
	if (!has_word(cg_basefd, "cgroup.subtree_control", ctrl) &&
	    (r = write_at(cg_basefd, "cgroup.subtree_control", plus)) < 0)
		return r;
	return write_at(cg_topfd, "cgroup.subtree_control", plus);
}

/* TasksMax= and MemoryMax= into pids.max and memory.max of @d's cgroup
 * @fd ("max" when not given, as a changed unit may have dropped them). A
 * limit that cannot be set is logged and the driver starts all the same,
 * as under systemd. */
static void apply_limits(struct drv *d, int fd)
{
	const struct {
		const char *ctrl, *file, *key;
		uint64_t v;
	} l[] = {
		{ "pids", "pids.max", "TasksMax", d->cfg.tasks_max },
		{ "memory", "memory.max", "MemoryMax", d->cfg.memory_max },
	};

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		char val[32];
		int r = 0;

		if (!l[i].v) {
			if (faccessat(fd, l[i].file, F_OK, 0) == 0)
				write_at(fd, l[i].file, "max");
			continue;
		}
		if (l[i].v == UINT64_MAX)
			snprintf(val, sizeof(val), "max");
		else
			snprintf(val, sizeof(val), "%llu", (unsigned long long)l[i].v);
		if (cg_basefd < 0 || (r = enable_controller(l[i].ctrl)) < 0) {
			sup_dlog(d, "%s: %s=%s not applied: cannot enable the %s controller below "
				 "%s: %s", d->cfg.name, l[i].key, val, l[i].ctrl, cg_top,
				 r == -ENOENT ? "not available there" :
				 r == -EBUSY ? "other processes share the supervisor's cgroup" :
				 strerror(r ? -r : EBADF));
			continue;
		}
		r = write_at(fd, l[i].file, val);
		if (r < 0)
			sup_dlog(d, "%s: %s=%s not applied: %s: %s", d->cfg.name, l[i].key, val,
				 l[i].file, strerror(-r));
	}
}

int cgroup_prepare(struct drv *d, int *procs_fd, int *dir_fd)
{
	char name[SUP_NAME_MAX + 8];
	int fd;

	*procs_fd = -1;
	*dir_fd = -1;
	if (cg_topfd < 0)
		return 0;
	drv_dir(d, name, sizeof(name));
	/* A fresh cgroup for every instance (removed here when empty; 0.04 ms):
	 * kernels with cgroup.kill's kill_seq (6.14+, and stable backports)
	 * compare it against the parent's cgroup for a CLONE_INTO_CGROUP
	 * child, so once a cgroup was killed every child born into it would
	 * get SIGKILL at once. A new one has never been killed. */
	unlinkat(cg_topfd, name, AT_REMOVEDIR);
	if (mkdirat(cg_topfd, name, 0755) < 0 && errno != EEXIST) {
		int e = -errno;
		sup_dlog(d, "%s: cannot create its cgroup %s/%s: %s", d->cfg.name, cg_top, name,
			 strerror(-e));
		return e;
	}
	fd = drv_open(d);
	if (fd < 0)
		return -errno;
	if (populated_at(fd)) {
		/* An instance whose processes would not die (cgroup_drain_timeout):
		 * never a second copy beside them. */
		signal_tree(fd, SIGKILL, 0);
		if (populated_at(fd)) {
			sup_dlog(d, "%s: processes of the last instance are still in %s/%s; not "
				 "starting another", d->cfg.name, cg_top, name);
			close(fd);
			return -EBUSY;
		}
	}
	apply_limits(d, fd);
	*procs_fd = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (*procs_fd < 0) {
		int e = -errno;
		sup_dlog(d, "%s: %s/%s/cgroup.procs: %s", d->cfg.name, cg_top, name, strerror(-e));
		close(fd);
		return e;
	}
	*dir_fd = fd; /* for clone3(CLONE_INTO_CGROUP) */
	return 0;
}

int cgroup_signal(struct drv *d, int sig)
{
	int fd;

	if (cg_topfd < 0)
		return -ENOSYS;
	fd = drv_open(d);
	if (fd < 0)
		return 0; /* never started: nothing to signal */
	signal_tree(fd, sig, 0);
	close(fd);
	return 0;
}

bool cgroup_drain(struct drv *d)
{
	char name[SUP_NAME_MAX + 24];
	int fd;

	if (cg_topfd < 0)
		return false;
	drv_dir(d, name, sizeof(name));
	strcat(name, "/cgroup.events");
	fd = openat(cg_topfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* Opened before the check: a change after it wakes us (EPOLLPRI). */
	if (!populated_fd(fd) ||
	    loop_add(fd, EPOLLPRI, (d->w_cg = (struct watch){ W_CGROUP, d }, &d->w_cg)) < 0) {
		close(fd);
		return false;
	}
	d->cg_events_fd = fd;
	sup_dlog(d, "%s: main process gone, waiting for the rest of its cgroup to die",
		 d->cfg.name);
	/* Bounded: a process stuck in the kernel (D state) never dies. */
	timer_arm(d->tfd, d->cfg.timeout_stop_usec == UINT64_MAX ? 90000000 :
		  d->cfg.timeout_stop_usec);
	return true;
}

/* Stop waiting for @d's cgroup to empty. */
static void drain_end(struct drv *d)
{
	loop_del(d->cg_events_fd);
	close(d->cg_events_fd);
	d->cg_events_fd = -1;
}

bool cgroup_on_events(struct drv *d)
{
	if (d->cg_events_fd < 0)
		return false;
	if (populated_fd(d->cg_events_fd)) {
		if (!cg_has_kill)
			cgroup_signal(d, SIGKILL); /* forks that raced the last pass */
		return false;
	}
	drain_end(d);
	timer_arm(d->tfd, 0);
	return true;
}

void cgroup_drain_timeout(struct drv *d)
{
	char t[32];

	sup_dlog(d, "%s: processes of its cgroup still alive %s after the main process exited "
		 "(stuck in the kernel?); it will not start again while they live", d->cfg.name,
		 format_time(d->cfg.timeout_stop_usec == UINT64_MAX ? 90000000 :
			     d->cfg.timeout_stop_usec, t, sizeof(t)));
	drain_end(d);
}

void cgroup_forget(struct drv *d)
{
	char name[SUP_NAME_MAX + 8];

	if (d->cg_events_fd >= 0)
		drain_end(d);
	if (cg_topfd < 0)
		return;
	drv_dir(d, name, sizeof(name));
	unlinkat(cg_topfd, name, AT_REMOVEDIR); /* EBUSY while processes remain: left */
}

struct drv *cgroup_driver_of(pid_t pid)
{
	char path[64], buf[PATH_MAX + 64], name[SUP_NAME_MAX + 8];
	size_t rl = strlen(cg_rel);
	int fd;
	ssize_t n;

	if (cg_topfd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (char *l = buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "0::", 3) || strncmp(l + 3, cg_rel, rl) || l[3 + rl] != '/')
			continue;
		const char *c = l + 3 + rl + 1;
		size_t k = strcspn(c, "/\n");

		if (k <= 7 || k >= sizeof(name) || strncmp(c + k - 7, ".driver", 7))
			return NULL;
		memcpy(name, c, k - 7);
		name[k - 7] = '\0';
		return drv_find(name);
	}
	return NULL;
}
