/* SPDX-License-Identifier: MIT */
/*
 * driver_supervisor - start user-space drivers, restart them when they
 * crash or hang, and answer udrvctl.
 *
 *   driver_supervisor [--config DIR|FILE] [--control PATH] [--runtime-dir DIR]
 *                     [--read-group GROUP] [--admin-group GROUP]
 *
 * SIGTERM/SIGINT: stop every driver (SIGTERM, SIGKILL after TimeoutStopSec)
 * and exit 0. SIGHUP: re-read the config (drivers added, removed, changed).
 */
#include "sup.h"
#include "udrv.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/udrv/drivers"
#define DEFAULT_CONTROL "/run/udrv/supervisor.sock"
#define DEFAULT_RUNTIME_DIR "/run/udrv"

struct sup sup = { .epfd = -1, .sigfd = -1, .notify_fd = -1, .ctl_fd = -1, .self_wdfd = -1 };

uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* Format "[sup] ..." and write it as one line; with @ring, keep it there
 * too, so `udrvctl log NAME` shows why a driver restarted. */
static void vlog(struct logring *ring, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "[sup] ");
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	if (ring)
		logring_add(ring, buf, (size_t)n);
	buf[n++] = '\n';
	/* One write per line, so lines of drivers and ours never interleave. */
	out_writev(&(struct iovec){ buf, (size_t)n }, 1);
}

void sup_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void sup_dlog(struct drv *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(&d->log, fmt, ap);
	va_end(ap);
}

void sup_check_shutdown_done(void)
{
	for (struct drv *d = sup.drivers; d; d = d->next)
		if (!drv_idle(d))
			return;
	sup.exit_now = true;
}

/* --- configuration -------------------------------------------------------- */

struct loaded {
	struct drv_config cfg;
	bool ok;
};

static int driver_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 7 && strcmp(e->d_name + n - 7, ".driver") == 0;
}

/* Parse every unit; a bad one is reported and skipped (its name is still
 * returned, with ok=false, so a running driver of that name is kept). */
static int load_all(struct loaded **out, size_t *count)
{
	struct stat st;
	struct dirent **ents = NULL;
	int n;

	*out = NULL;
	*count = 0;
	if (stat(sup.config_path, &st) < 0) {
		sup_log("config: %s: %s", sup.config_path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		n = scandir(sup.config_path, &ents, driver_file, alphasort);
		if (n < 0) {
			sup_log("config: %s: %s", sup.config_path, strerror(errno));
			return -errno;
		}
	} else {
		n = 1;
	}
	*out = calloc((size_t)n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char path[4096], err[SUP_ERR_MAX];
		struct loaded *l = &(*out)[*count];

		if (ents)
			snprintf(path, sizeof(path), "%s/%s", sup.config_path, ents[i]->d_name);
		else
			snprintf(path, sizeof(path), "%s", sup.config_path);
		if (ents)
			free(ents[i]);
		if (config_parse_file(path, &l->cfg, err, sizeof(err)) == 0) {
			l->ok = true;
		} else {
			sup_log("config error: %s (driver not loaded)", err);
			config_name_from_path(path, l->cfg.name, sizeof(l->cfg.name));
			if (!l->cfg.name[0])
				continue;
		}
		(*count)++;
	}
	free(ents);
	return 0;
}

static const struct loaded *find_loaded(const struct loaded *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].cfg.name, name) == 0)
			return &l[i];
	return NULL;
}

int sup_reload(bool initial)
{
	struct loaded *l;
	size_t n;
	int r = load_all(&l, &n);

	if (r < 0) {
		free(l);
		return r;
	}
	/* removed: stop, then freed by drv_event once idle */
	for (struct drv *d = sup.drivers, *next; d; d = next) {
		next = d->next;
		if (!find_loaded(l, n, d->cfg.name)) {
			sup_log("%s: config removed, stopping", d->cfg.name);
			d->removed = true;
			drv_event(d, EV_STOP);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct drv *d = drv_find(l[i].cfg.name);

		if (!l[i].ok)
			continue;
		if (!d) {
			struct drv **tail = &sup.drivers;

			d = drv_new(&l[i].cfg);
			if (!d) {
				sup_log("%s: cannot set up: %s", l[i].cfg.name, strerror(errno));
				continue;
			}
			while (*tail)
				tail = &(*tail)->next;
			*tail = d;
			if (!initial)
				sup_log("%s: config added", d->cfg.name);
			drv_event(d, EV_START);
			continue;
		}
		if (d->removed) {
			/* The unit is back before the old instance stopped (a
			 * removed driver is always stopping): keep it, start it
			 * again once stopped. */
			d->removed = false;
			d->restart_pending = true;
			sup_log("%s: config back, starting again once stopped", d->cfg.name);
		}
		if (config_equal(&d->cfg, &l[i].cfg))
			continue;
		struct drv_config *nc = malloc(sizeof(*nc));
		if (!nc) {
			sup_log("%s: out of memory, config change ignored", d->cfg.name);
			continue;
		}
		*nc = l[i].cfg;
		memset(&l[i].cfg, 0, sizeof(l[i].cfg));
		if (d->new_cfg) {
			config_free(d->new_cfg);
			free(d->new_cfg);
		}
		d->new_cfg = nc;
		sup_log("%s: config changed%s", d->cfg.name, drv_idle(d) ? "" : ", restarting");
		if (drv_idle(d)) {
			config_free(&d->cfg);
			d->cfg = *nc;
			free(nc);
			d->new_cfg = NULL;
			drv_set_exec(d, NULL, false);
			ipc_config_changed(d);
		} else {
			drv_event(d, EV_RESTART);
		}
	}
	for (size_t i = 0; i < n; i++)
		config_free(&l[i].cfg);
	free(l);
	return 0;
}

/* --- start-up ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: driver_supervisor [--config DIR|FILE] [--control PATH] [--runtime-dir DIR]\n"
		"                         [--read-group GROUP] [--admin-group GROUP]\n"
		"  --config DIR|FILE  driver units NAME.driver (default " DEFAULT_CONFIG ")\n"
		"  --control PATH     control socket for udrvctl (default $UDRV_CONTROL or\n"
		"                     " DEFAULT_CONTROL ")\n"
		"  --runtime-dir DIR  notify socket, lock, state file and the IPC=yes\n"
		"                     sockets NAME.sock (default $UDRV_RUNTIME_DIR or\n"
		"                     " DEFAULT_RUNTIME_DIR ")\n"
		"  --client-timeout T a udrvctl client must send its request (and read the\n"
		"                     reply) within T (default 10s)\n"
		"  --read-group GROUP its members may use udrvctl status and log\n"
		"  --admin-group GROUP  its members may do everything root can (start,\n"
		"                     stop, restart, upgrade, reset-failed, status, log)\n"
		"Signals: SIGTERM stops all drivers and exits, SIGHUP reloads the config.\n");
}

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* pidfds tell us about child exits; without them (old kernel,
	 * valgrind) SIGCHLD does, through the same signalfd. */
	int probe = pidfd_open(getpid(), 0);
	if (probe >= 0)
		close(probe);
	else if (errno == ENOSYS)
		sup.no_pidfd = true;
	if (sup.no_pidfd)
		sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN); /* a vanished udrvctl must not kill us */
	/* SIGCHLD ignored by whoever started us survives exec and makes the
	 * kernel reap our drivers itself: waitid() would then fail and a dead
	 * driver's pidfd would stay readable forever (a busy loop, no restart). */
	signal(SIGCHLD, SIG_DFL);
	sup.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sup.sigfd < 0)
		return -errno;
	sup.w_sig = (struct watch){ W_SIGNAL, NULL };
	return loop_add(sup.sigfd, EPOLLIN, &sup.w_sig);
}

/* Under systemd with WatchdogSec=, ping it at half the period. */
static int setup_self_watchdog(void)
{
	uint64_t usec = udrv_watchdog_usec();
	struct itimerspec its;

	if (!usec)
		return 0;
	sup.self_wdfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sup.self_wdfd < 0)
		return -errno;
	usec /= 2;
	its.it_value.tv_sec = its.it_interval.tv_sec = (time_t)(usec / 1000000);
	its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(usec % 1000000) * 1000;
	if (timerfd_settime(sup.self_wdfd, 0, &its, NULL) < 0)
		return -errno;
	sup.w_self_wd = (struct watch){ W_SELF_WATCHDOG, NULL };
	return loop_add(sup.self_wdfd, EPOLLIN, &sup.w_self_wd);
}

/* Every driver costs the supervisor fds (two timers, a pidfd, its output
 * pipe, its Listen= socket and fd store): a few hundred units pass the
 * usual soft limit of 1024. Raise the soft limit to the hard one, as
 * systemd does for itself; drivers get the original soft limit back
 * (spawn.c), since select() breaks on fds above 1023. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	sup.nofile_soft = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	sup.nofile_max = rl.rlim_cur;
}

bool fd_in_reserve(int fd)
{
	unsigned long reserve = sup.nofile_max >= 1024 ? 128 : sup.nofile_max / 8;

	/* fds are allocated lowest first: fd N means 0..N-1 are all in use. */
	return sup.nofile_max && (unsigned long)fd + reserve >= sup.nofile_max;
}

/* One supervisor per config and per runtime dir: an exclusive flock on
 * both (as s6's lock fd), held until we exit; the kernel drops it when we
 * die, even by SIGKILL. The fds stay open, close-on-exec. */
static int lock_path(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		fprintf(stderr, "driver_supervisor: %s %s: %s\n", what, path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "driver_supervisor: %s %s is in use by another driver_supervisor "
			"(%s); not starting a second one\n", what, path,
			errno == EWOULDBLOCK ? "it holds the lock" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Does process @pid have @want ("NOTIFY_SOCKET=/run/udrv/notify") in its
 * environment? */
static bool environ_has(const char *pid, const char *want)
{
	char path[300];
	static char buf[65536];
	size_t len = strlen(want);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (strncmp(p, want, len) == 0 && p[len] == '\0')
			return true;
	return false;
}

/*
 * Drivers left by a supervisor of this runtime dir that died (SIGKILL,
 * crash) are killed before any driver starts: they may hold a device (a
 * VFIO group opens once) and a second copy must never run on it. Killed,
 * not adopted: an orphan is not our child (no pidfd exit status, no
 * output pipe, no notify credentials we could trust again), and the state
 * it had is what the fd store is for. They are found by what every driver
 * process inherits, NOTIFY_SOCKET=$UDRV_RUNTIME_DIR/notify (the lock says
 * no living supervisor uses that dir): SIGTERM-ignoring ones, their
 * children and setsid() grandchildren alike. A process that rewrote its
 * environment escapes this scan, not the per-driver cgroups (cgroup.c,
 * cgroup_init() kills what is left in them), which is why both run.
 */
static void kill_leftovers(void)
{
	char want[160];
	unsigned killed = 0;

	snprintf(want, sizeof(want), "NOTIFY_SOCKET=%s/notify", sup.runtime_dir);
	for (int round = 0; round < 20; round++) {
		DIR *dir = opendir("/proc");
		struct dirent *e;
		unsigned found = 0;

		if (!dir)
			return;
		while ((e = readdir(dir))) {
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			pid_t pid = (pid_t)atoi(e->d_name);
			if (pid == getpid() || !environ_has(e->d_name, want))
				continue;
			/* SIGSTOP first would stop forking; SIGKILL is enough as
			 * rounds repeat until nothing is found. */
			if (kill(pid, SIGKILL) == 0)
				found++;
		}
		closedir(dir);
		if (!found)
			break;
		killed += found;
		usleep(10000); /* let them die, then look for late forks */
	}
	if (killed)
		sup_log("killed %u process(es) left by a previous supervisor of %s", killed,
			sup.runtime_dir);
}

static int ensure_default_dir(const char *path)
{
	char *copy = strdup(path), *dir;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	free(copy);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 's' },
		{ "client-timeout", required_argument, NULL, 't' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "read-group", required_argument, NULL, 'g' },
		{ "admin-group", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		/* hidden: the unit keys and their defaults, for tests/man */
		{ "list-keys", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	const char *control = getenv("UDRV_CONTROL");
	int opt, r;

	sup.config_path = DEFAULT_CONFIG;
	sup.client_timeout_usec = 10000000; /* 10 s */
	sup.runtime_dir = getenv("UDRV_RUNTIME_DIR");
	sup.times = getenv("UDRV_TIMES") && strcmp(getenv("UDRV_TIMES"), "1") == 0;
	if (!sup.runtime_dir || !*sup.runtime_dir)
		sup.runtime_dir = DEFAULT_RUNTIME_DIR;
	while ((opt = getopt_long(argc, argv, "c:s:t:r:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			sup.runtime_dir = optarg;
			break;
		case 't':
			if (parse_time_usec(optarg, &sup.client_timeout_usec) < 0 ||
			    sup.client_timeout_usec == 0) {
				fprintf(stderr, "driver_supervisor: --client-timeout: '%s' is not a "
					"time above 0 (such as 10s or 500ms)\n", optarg);
				return 2;
			}
			break;
		case 'g':
		case 'G':
			if (control_set_group(opt == 'G', optarg) < 0) {
				fprintf(stderr, "driver_supervisor: --%s: no group '%s' in /etc/group "
					"(and not a number)\n", opt == 'G' ? "admin-group" : "read-group",
					optarg);
				return 2;
			}
			break;
		case 'c':
			sup.config_path = optarg;
			break;
		case 's':
			control = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'K':
			for (size_t i = 0; i < drv_nkeys; i++)
				printf("%s=\t%s\n", drv_keys[i].name, drv_keys[i].dflt);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "driver_supervisor: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!control || !*control) {
		control = DEFAULT_CONTROL;
		ensure_default_dir(control);
	}
	sup.control_path = control;
	raise_nofile();

	/* mkdir -p, 0755: it holds the notify socket (ours only to bind) and
	 * the IPC=yes sockets clients connect to. notify_open() checks that
	 * nobody else can write to it. */
	r = runtime_dir_create(sup.runtime_dir);
	if (r < 0) {
		fprintf(stderr, "driver_supervisor: runtime dir %s: %s\n", sup.runtime_dir,
			strerror(-r));
		return 1;
	}
	if (lock_path(sup.config_path, "config") < 0 ||
	    lock_path(sup.runtime_dir, "runtime dir") < 0)
		return 1;

	sup.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sup.epfd < 0) {
		fprintf(stderr, "driver_supervisor: epoll: %s\n", strerror(errno));
		return 1;
	}
	r = setup_signals();
	if (r < 0) {
		fprintf(stderr, "driver_supervisor: signals: %s\n", strerror(-r));
		return 1;
	}
	out_init();
	r = notify_open();
	if (r < 0) {
		fprintf(stderr, "driver_supervisor: notify socket %s: %s\n", sup.notify_addr,
			r == -ENOTSOCK ? "exists and is not a socket; not removing it" : strerror(-r));
		return 1;
	}
	cgroup_init();    /* leftovers in our cgroups first: all of them, */
	kill_leftovers(); /* then those found by environment (no cgroups) */
	r = control_open(control);
	if (r < 0) {
		fprintf(stderr, "driver_supervisor: control socket %s: %s\n", control,
			r == -EADDRINUSE ? "in use by a running supervisor" :
			r == -ENOTSOCK ? "exists and is not a socket; not removing it" : strerror(-r));
		cgroup_done();
		return 1;
	}
	r = setup_self_watchdog();
	if (r < 0)
		fprintf(stderr, "driver_supervisor: watchdog timer: %s (continuing)\n", strerror(-r));

	if (sup_reload(true) < 0) {
		fprintf(stderr, "driver_supervisor: cannot read config %s\n", sup.config_path);
		control_close();
		cgroup_done();
		return 1;
	}
	udrv_notify("READY=1\nSTATUS=supervising");
	r = loop_run();
	udrv_notify_stopping();
	if (r < 0)
		sup_log("event loop failed: %s", strerror(-r));
	else
		sup_log("all drivers stopped, exiting");
	control_close();
	while (sup.drivers) {
		struct drv *d = sup.drivers;
		sup.drivers = d->next;
		drv_free(d);
	}
	cgroup_done();
	notify_close();
	close(sup.sigfd);
	if (sup.self_wdfd >= 0)
		close(sup.self_wdfd);
	out_close();
	close(sup.epfd);
	return r < 0 ? 1 : 0;
}
