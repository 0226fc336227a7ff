/* SPDX-License-Identifier: MIT */
/*
 * driver.c - one supervised driver: its state machine as data.
 *
 * The table below maps (state, event) to a small action; an empty cell
 * means the event is ignored in that state (e.g. a stale timer). Actions
 * change d->state themselves. After every event, clients of udrvctl that
 * wait on this driver are told (control_driver_changed), and a driver whose
 * config was removed is freed once it has stopped.
 */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*action_fn)(struct drv *d);

#define IPC_RETRY_USEC 1000000ULL /* an IPC socket path in use: try again after this */

/* now + a configured delay, which may be close to 2^64 ("infinity"-like). */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void a_launch(struct drv *d);
static void a_manual_start(struct drv *d);
static void a_ready(struct drv *d);
static void a_ping(struct drv *d);
static void a_hung(struct drv *d);
static void a_start_timeout(struct drv *d);
static void a_stop(struct drv *d);
static void a_stop_aborting(struct drv *d);
static void a_restart(struct drv *d);
static void a_kill(struct drv *d);
static void a_exited(struct drv *d);
static void a_stopped(struct drv *d);
static void a_cancel(struct drv *d);
static void a_reset(struct drv *d);
static void out_line(const char *line, void *arg);
static int drv_setup_timers(struct drv *d);
static void apply_new_config(struct drv *d);

static const action_fn table[ST__COUNT][EV__COUNT] = {
	[ST_STOPPED] = {
		[EV_START] = a_manual_start, [EV_RESTART] = a_manual_start,
		[EV_RESET] = a_reset,
	},
	[ST_STARTING] = {
		[EV_STOP] = a_stop, [EV_RESTART] = a_restart, [EV_READY] = a_ready,
		[EV_TIMER] = a_start_timeout, [EV_EXIT] = a_exited,
	},
	[ST_RUNNING] = {
		[EV_STOP] = a_stop, [EV_RESTART] = a_restart, [EV_PING] = a_ping,
		[EV_WATCHDOG] = a_hung, [EV_EXIT] = a_exited,
	},
	[ST_BACKOFF] = {
		[EV_START] = a_manual_start, [EV_RESTART] = a_manual_start,
		[EV_STOP] = a_cancel, [EV_TIMER] = a_launch,
	},
	[ST_STOPPING] = {
		[EV_TIMER] = a_kill, [EV_EXIT] = a_stopped,
	},
	[ST_ABORTING] = {
		[EV_STOP] = a_stop_aborting, [EV_RESTART] = a_restart,
		[EV_TIMER] = a_kill, [EV_EXIT] = a_exited,
	},
	[ST_FAILED] = {
		[EV_START] = a_manual_start, [EV_RESTART] = a_manual_start,
		[EV_RESET] = a_reset,
	},
};

bool drv_idle(const struct drv *d)
{
	return d->state == ST_STOPPED || d->state == ST_FAILED;
}

void drv_event(struct drv *d, enum drv_event ev)
{
	action_fn fn = table[d->state][ev];

	if (fn)
		fn(d);
	/* The fd store outlives crashes and restarts, not a stop: stopped by
	 * hand, given up (failed), or its unit removed, the driver starts
	 * afresh (systemd's FileDescriptorStorePreserve=no). */
	if (drv_idle(d) && d->fdstore.n) {
		sup_dlog(d, "%s: dropping %u stored fd(s)", d->cfg.name, d->fdstore.n);
		fdstore_clear(&d->fdstore);
	}
	control_driver_changed(d);
	if (d->removed && drv_idle(d)) {
		struct drv **pp;

		for (pp = &sup.drivers; *pp && *pp != d; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = d->next;
		sup_dlog(d, "%s removed", d->cfg.name);
		control_driver_gone(d);
		/* Later events of this epoll batch may still name it. */
		d->dead = true;
		d->next = sup.graveyard;
		sup.graveyard = d;
	}
	if (sup.shutting_down)
		sup_check_shutdown_done();
}

static void fmt_delay(uint64_t usec, char *buf, size_t len)
{
	format_time(usec, buf, len);
}

/* --- the running instance ------------------------------------------------ */

/* Listen=: the socket lives in the supervisor, so clients can connect
 * while the driver restarts; each instance gets it as fd 3. */
static int open_listen(struct drv *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *p = d->cfg.listen;
	socklen_t len;
	int fd;

	if (d->listen_fd >= 0 || !p)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, p, strlen(p)); /* length checked by the parser */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p));
	if (p[0] == '@')
		sa.sun_path[0] = '\0';
	else
		unlink(p); /* a stale socket from an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 64) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	d->listen_fd = fd;
	return 0;
}

static void a_launch(struct drv *d)
{
	uint64_t now = now_usec(), t_launch = now_nsec();
	int r;

	timer_arm(d->tfd, 0);
	apply_new_config(d); /* a changed config takes effect at the next start */
	r = open_listen(d);
	if (r < 0) {
		sup_dlog(d, "%s: cannot listen on %s: %s", d->cfg.name, d->cfg.listen, strerror(-r));
		snprintf(d->reason, sizeof(d->reason), "cannot listen on %s: %s",
			 d->cfg.listen, strerror(-r));
		d->state = ST_FAILED;
		return;
	}
	char ipc_err[SUP_ERR_MAX];
	r = ipc_sync(d, ipc_err, sizeof(ipc_err));
	if (r < 0) {
		snprintf(d->reason, sizeof(d->reason), "IPC socket: %.300s", ipc_err);
		/* In use: most likely the last instance, orphaned when a
		 * supervisor died, still quiescing on its SIGTERM. Try again
		 * (each try counts as a start, for the start limit). */
		starthist_add(&d->hist, now);
		if (r == -EADDRINUSE && !starthist_limit_hit(&d->hist, d->cfg.start_limit_burst,
							      d->cfg.start_limit_usec,
							      now + IPC_RETRY_USEC)) {
			sup_dlog(d, "%s: IPC socket: %s; trying again in 1s", d->cfg.name, ipc_err);
			d->state = ST_BACKOFF;
			d->timer_deadline = now + IPC_RETRY_USEC;
			timer_arm(d->tfd, IPC_RETRY_USEC);
			return;
		}
		sup_dlog(d, "%s: IPC socket: %s: failed", d->cfg.name, ipc_err);
		d->state = ST_FAILED;
		return;
	}
	d->ready = d->watchdog_fired = d->start_timeout_fired = false;
	d->exec_errno = 0;
	d->seccomp_why[0] = '\0';
	d->status[0] = '\0';
	d->reason[0] = '\0';
	d->watchdog_usec = d->cfg.watchdog_usec;
	sup_dlog(d, "launching %s", d->cfg.name);
	starthist_add(&d->hist, now);
	d->started_at = now; /* also when the spawn fails: the restart floor counts from here */
	r = spawn_driver(d, &d->pidfd, &d->logfd, &d->exec_errno);
	if (r < 0) {
		/* fork/pipe failed: the system is short of resources; treat it as
		 * an init failure so backoff and the start limit apply. */
		sup_dlog(d, "%s: cannot start: %s", d->cfg.name,
			 d->start_err[0] ? d->start_err : strerror(-r));
		d->pid = 0;
		d->wcode = CLD_EXITED;
		d->wstatus = 127;
		d->exec_errno = -r;
		d->state = ST_STARTING;
		a_exited(d);
		return;
	}
	d->pid = r;
	/* For bench/serve_latency.c: the supervisor's part of a restart (kill
	 * -> reaped -> decided -> Device= open), beside the driver's own. */
	if (sup.times)
		sup_log("times %s pid=%d exited=%" PRIu64 " launch=%" PRIu64 " devices=%" PRIu64
			" exec=%" PRIu64 " spawned=%" PRIu64, d->cfg.name, (int)r, d->t_exited_ns,
			t_launch, d->t_devices_ns, d->t_exec_ns, now_nsec());
	d->w_pid = (struct watch){ W_PIDFD, d };
	d->w_log = (struct watch){ W_LOG, d };
	if (d->pidfd >= 0)
		loop_add(d->pidfd, EPOLLIN, &d->w_pid);
	loop_add(d->logfd, EPOLLIN, &d->w_log);
	d->state = ST_STARTING;
	if (d->cfg.type == TYPE_SIMPLE) {
		a_ready(d);
		return;
	}
	if (d->cfg.timeout_start_usec) {
		timer_arm(d->tfd, d->cfg.timeout_start_usec);
		d->timer_deadline = sat_add(now, d->cfg.timeout_start_usec);
	}
}

/* A start asked for by a person (or start-up): the failure history of
 * earlier runs no longer counts. */
static void a_manual_start(struct drv *d)
{
	int r = drv_setup_timers(d);

	if (r < 0) {
		d->state = ST_FAILED;
		snprintf(d->reason, sizeof(d->reason), "cannot set up: %s (RLIMIT_NOFILE %lu)",
			 strerror(-r), sup.nofile_max);
		sup_dlog(d, "%s: %s", d->cfg.name, d->reason);
		return;
	}
	starthist_reset(&d->hist);
	d->backoff_step = 0;
	d->restarts = 0;
	a_launch(d);
}

static void a_ready(struct drv *d)
{
	d->ready = true;
	d->ready_at = now_usec();
	if (d->exec_trial) { /* the upgrade worked: no way back needed */
		d->exec_trial = false;
		free(d->prev_exec_path);
		d->prev_exec_path = NULL;
	}
	if (d->switch_begin && !d->switch_ready && d->switch_exit) {
		char t[32], t1[32], t2[32];

		d->switch_ready = d->ready_at;
		sup_dlog(d, "%s switched to pid %d in %s (old instance gone after %s, "
			 "new one ready %s later)", d->cfg.name, (int)d->pid,
			 format_time(d->switch_ready - d->switch_begin, t, sizeof(t)),
			 format_time(d->switch_exit - d->switch_begin, t1, sizeof(t1)),
			 format_time(d->switch_ready - d->switch_exit, t2, sizeof(t2)));
	}
	d->state = ST_RUNNING;
	timer_arm(d->tfd, 0);
	if (d->watchdog_usec)
		timer_arm(d->wdfd, d->watchdog_usec);
}

static void a_ping(struct drv *d)
{
	if (d->watchdog_usec)
		timer_arm(d->wdfd, d->watchdog_usec);
}

/* A hang: SIGABRT to the main process (a core shows where it hung), then
 * SIGKILL to its group if it is still there after TimeoutStopSec. */
static void abort_instance(struct drv *d)
{
	timer_arm(d->wdfd, 0);
	/* Only the main process: its core shows where it hung. Not yet reaped,
	 * so its pid cannot have been reused (the pidfd is preferred anyway). */
	if ((d->pidfd >= 0 ? pidfd_send_signal(d->pidfd, SIGABRT, NULL, 0)
			   : kill(d->pid, SIGABRT)) < 0 && errno != ESRCH)
		sup_dlog(d, "%s: cannot send SIGABRT: %s", d->cfg.name, strerror(errno));
	timer_arm(d->tfd, d->cfg.timeout_stop_usec == UINT64_MAX ? 0 : d->cfg.timeout_stop_usec);
	d->state = ST_ABORTING;
}

static void a_hung(struct drv *d)
{
	char t[32];

	d->watchdog_fired = true;
	sup_dlog(d, "%s hung: no WATCHDOG=1 for %s, sending SIGABRT", d->cfg.name,
		format_time(d->watchdog_usec, t, sizeof(t)));
	abort_instance(d);
}

static void a_start_timeout(struct drv *d)
{
	char t[32];

	d->start_timeout_fired = true;
	sup_dlog(d, "%s hung: no READY=1 within %s, sending SIGABRT", d->cfg.name,
		format_time(d->cfg.timeout_start_usec, t, sizeof(t)));
	abort_instance(d);
}

void drv_signal(struct drv *d, int sig)
{
	/* Its cgroup (cgroup.c): children, setsid() grandchildren and group
	 * hoppers. Without one, the whole process group, so a driver's own
	 * children stop too. */
	if (cgroup_signal(d, sig) == 0)
		;
	else if (d->pid > 0 && kill(-d->pid, sig) < 0 && errno != ESRCH)
		sup_dlog(d, "%s: kill(%s): %s", d->cfg.name, sigabbrev_np(sig), strerror(errno));
	/* And the main process through its pidfd: one that moved itself to
	 * another process group (setpgid) is not reached by the group signal,
	 * and stop would wait forever. */
	if (d->pidfd >= 0 && pidfd_send_signal(d->pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		sup_dlog(d, "%s: pidfd_send_signal(%s): %s", d->cfg.name, sigabbrev_np(sig),
			 strerror(errno));
}

/* Whether @pid has a handler for @sig (SigCgt in /proc/PID/status); true
 * when that cannot be read (then the signal is sent as usual). */
static bool sig_caught(pid_t pid, int sig)
{
	char path[64], buf[2048], *p;
	unsigned long long mask;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strstr(buf, "\nSigCgt:");
	if (!p || sscanf(p + 8, "%llx", &mask) != 1)
		return true;
	return mask >> (sig - 1) & 1;
}

static void a_stop(struct drv *d)
{
	sup_dlog(d, "stopping %s", d->cfg.name);
	timer_arm(d->wdfd, 0);
	/* PrivatePIDs=yes: the driver is PID 1 of its namespace, and the kernel
	 * drops any signal PID 1 has no handler for (SIGKILL aside). Waiting
	 * TimeoutStopSec for a SIGTERM that was never delivered helps nobody. */
	if (d->cfg.private_pids && d->pid > 0 && !sig_caught(d->pid, SIGTERM)) {
		sup_dlog(d, "%s is PID 1 of its own PID namespace (PrivatePIDs=yes) and has no "
			 "SIGTERM handler, which the kernel would drop: sending SIGKILL", d->cfg.name);
		drv_signal(d, SIGKILL);
	}
	drv_signal(d, SIGTERM);
	/* a stopped (SIGSTOP) driver would never see the SIGTERM */
	drv_signal(d, SIGCONT);
	timer_arm(d->tfd, d->cfg.timeout_stop_usec == UINT64_MAX ? 0 : d->cfg.timeout_stop_usec);
	d->state = ST_STOPPING;
}

static void a_stop_aborting(struct drv *d)
{
	/* Already being killed; only the outcome changes: stay stopped. */
	d->state = ST_STOPPING;
}

/* A planned restart (udrvctl restart/upgrade, a changed unit): the driver
 * gets SIGTERM to quiesce; its fd store and sockets stay, and the new
 * instance starts as a manual start would (not counted as a failure). */
static void a_restart(struct drv *d)
{
	d->switch_begin = now_usec();
	d->switch_exit = d->switch_ready = 0;
	d->restart_pending = true;
	if (d->state == ST_ABORTING)
		a_stop_aborting(d);
	else
		a_stop(d);
}

static void a_kill(struct drv *d)
{
	char t[32];

	sup_dlog(d, "%s did not exit within %s, sending SIGKILL", d->cfg.name,
		format_time(d->cfg.timeout_stop_usec, t, sizeof(t)));
	drv_signal(d, SIGKILL);
}

static void a_cancel(struct drv *d)
{
	timer_arm(d->tfd, 0);
	d->state = ST_STOPPED;
	snprintf(d->reason, sizeof(d->reason), "stopped by request");
	sup_dlog(d, "%s stopped", d->cfg.name);
}

static void a_reset(struct drv *d)
{
	starthist_reset(&d->hist);
	d->backoff_step = 0;
	d->restarts = 0;
	d->reason[0] = '\0';
	d->state = ST_STOPPED;
}

static void apply_new_config(struct drv *d)
{
	if (!d->new_cfg)
		return;
	config_free(&d->cfg);
	d->cfg = *d->new_cfg;
	free(d->new_cfg);
	d->new_cfg = NULL;
	if (d->listen_fd >= 0) {
		close(d->listen_fd); /* Listen= may have changed */
		d->listen_fd = -1;
	}
	drv_set_exec(d, NULL, false); /* an upgrade's binary lasts until the unit changes */
	ipc_config_changed(d); /* held, not re-created: only IPC=no closes it */
}

/* Forget the instance that was just reaped. */
static void instance_gone(struct drv *d)
{
	if (d->switch_begin && !d->switch_exit)
		d->switch_exit = now_usec();
	timer_arm(d->tfd, 0);
	timer_arm(d->wdfd, 0);
	if (d->logfd >= 0) {
		drv_on_log(d); /* what it wrote just before dying comes first */
		loop_del(d->logfd);
		close(d->logfd);
		d->logfd = -1;
		logring_flush(&d->log, out_line, d);
	}
	d->pid = 0;
}

static void record_exit(struct drv *d)
{
	exit_classify(d->wcode, d->wstatus, d->ready, d->watchdog_fired,
		      d->start_timeout_fired, &d->last);
	d->has_exit = true;
	if (d->start_err[0]) /* spawn.c: Device= or SystemCallFilter= failed */
		snprintf(d->last_exit, sizeof(d->last_exit), "%s", d->start_err);
	else if (d->seccomp_why[0])
		snprintf(d->last_exit, sizeof(d->last_exit), "killed by SIGSYS (seccomp: %s)",
			 d->seccomp_why);
	else if (d->exec_errno < 0) /* spawn.c: User=/Group=/NoNewPrivileges= failed */
		snprintf(d->last_exit, sizeof(d->last_exit), "cannot set limits or privileges (User=%s "
			 "Group=%s): %s", d->cfg.user ? d->cfg.user : "-",
			 d->cfg.group ? d->cfg.group : "-",
			 -d->exec_errno == ESRCH ? "no such user or group" :
			 -d->exec_errno == E2BIG ? "more than 64 groups" : strerror(-d->exec_errno));
	else if (d->exec_errno)
		snprintf(d->last_exit, sizeof(d->last_exit), "cannot execute %s: %s",
			 d->exec_path ? d->exec_path : d->cfg.argv[0], strerror(d->exec_errno));
	else
		exit_noun(&d->last, d->last_exit, sizeof(d->last_exit));
}

static void a_exited(struct drv *d)
{
	uint64_t now = now_usec(), delay;
	bool healthy, init_failure;
	char verb[200], t[32], t2[32];

	d->t_exited_ns = now_nsec();
	instance_gone(d);
	record_exit(d);
	if (d->switch_begin && !d->switch_ready)
		d->switch_begin = 0; /* the new instance died before READY=1: no switch */
	if (d->exec_errno < 0 || d->start_err[0])
		snprintf(verb, sizeof(verb), "could not be started (%s)", d->last_exit);
	else if (d->seccomp_why[0])
		snprintf(verb, sizeof(verb), "was %s", d->last_exit);
	else if (d->exec_errno)
		snprintf(verb, sizeof(verb), "could not be executed (%s: %s)",
			 d->exec_path ? d->exec_path : d->cfg.argv[0], strerror(d->exec_errno));
	else
		exit_verb(&d->last, verb, sizeof(verb));
	if (d->exec_trial && !d->ready) {
		/* A new program that cannot even start: the next start (after
		 * the usual init-failure backoff) runs the one that worked. */
		char *back = d->prev_exec_path;

		sup_dlog(d, "%s: upgrade to %s failed (%s), going back to %s", d->cfg.name,
			 d->exec_path, d->last_exit, back ? back : d->cfg.argv[0]);
		d->prev_exec_path = NULL;
		drv_set_exec(d, back, false);
	}

	if (!policy_should_restart(d->cfg.restart, &d->last)) {
		if (exit_is_failure(&d->last)) {
			d->state = ST_FAILED;
			snprintf(d->reason, sizeof(d->reason), "%s (Restart=%s)", d->last_exit,
				 d->cfg.restart == RESTART_NO ? "no" : "on-failure");
			sup_dlog(d, "%s %s, not restarting (Restart=no): failed", d->cfg.name, verb);
		} else {
			d->state = ST_STOPPED;
			snprintf(d->reason, sizeof(d->reason), "%s", d->last_exit);
			sup_dlog(d, "%s %s, not restarting", d->cfg.name, verb);
		}
		return;
	}

	healthy = d->ready && now - d->ready_at >= d->cfg.restart_reset_usec;
	init_failure = !d->ready;
	delay = policy_backoff(&d->cfg, &d->backoff_step, healthy, init_failure);
	/* The floor of every automatic restart: never sooner than
	 * RestartMinDelaySec= after the previous start, so RestartSec=0 with a
	 * driver that exits at once is not a hot loop. A crash after a healthy
	 * run started long ago: no wait. */
	if (now - d->started_at < d->cfg.restart_min_usec &&
	    delay < d->cfg.restart_min_usec - (now - d->started_at))
		delay = d->cfg.restart_min_usec - (now - d->started_at);
	if (starthist_limit_hit(&d->hist, d->cfg.start_limit_burst, d->cfg.start_limit_usec,
				now + delay)) {
		d->state = ST_FAILED;
		snprintf(d->reason, sizeof(d->reason),
			 "start limit hit: %u starts within %s, last: %s",
			 d->cfg.start_limit_burst,
			 format_time(d->cfg.start_limit_usec, t, sizeof(t)), d->last_exit);
		sup_dlog(d, "%s %s, start limit hit (%u starts within %s): failed, not restarting",
			d->cfg.name, verb, d->cfg.start_limit_burst, t);
		return;
	}
	d->restarts++;
	fmt_delay(delay, t2, sizeof(t2));
	sup_dlog(d, "%s %s, restarting (restart %u, delay %s)", d->cfg.name, verb, d->restarts, t2);
	if (delay == 0) {
		a_launch(d);
		return;
	}
	d->state = ST_BACKOFF;
	d->timer_deadline = sat_add(now, delay);
	timer_arm(d->tfd, delay);
}

static void a_stopped(struct drv *d)
{
	instance_gone(d);
	record_exit(d);
	d->state = ST_STOPPED;
	snprintf(d->reason, sizeof(d->reason), "stopped by request");
	sup_dlog(d, "%s stopped", d->cfg.name);
	if (sup.shutting_down || d->removed) {
		d->restart_pending = false;
		return;
	}
	apply_new_config(d);
	if (d->restart_pending) {
		d->restart_pending = false;
		a_manual_start(d);
	}
}

/* --- fd handlers (called from loop.c) ------------------------------------ */

/* The main process has exited and is a zombie: @si was peeked or reaped. */
static void before_reap(struct drv *d)
{
	/* READY=1 or STATUS= sent just before dying must count. */
	notify_drain();
	/* Leftover members of its process group die with it (they may hold the
	 * device). The main process is still a zombie here, so the group id
	 * cannot have been reused. */
	drv_signal(d, SIGKILL);
}

static void reaped(struct drv *d, const siginfo_t *si)
{
	if (d->pidfd >= 0) {
		loop_del(d->pidfd);
		close(d->pidfd);
		d->pidfd = -1;
	}
	d->wcode = si->si_code;
	d->wstatus = si->si_status;
	/* SIGSYS under SystemCallFilter=: the filter killed it; say which call. */
	d->seccomp_why[0] = '\0';
	if (d->cfg.syscall_filter && si->si_status == SIGSYS &&
	    (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED))
		seccomp_explain(si->si_pid, d->seccomp_why, sizeof(d->seccomp_why));
	/* Its cgroup got SIGKILL (before_reap): the instance is over once
	 * every process of it is gone, not just the main one. */
	if (cgroup_drain(d))
		return;
	drv_event(d, EV_EXIT);
}

/* cgroup.events changed while waiting for @d's cgroup to empty. */
void drv_on_cgroup(struct drv *d)
{
	if (cgroup_on_events(d))
		drv_event(d, EV_EXIT);
}

void drv_on_pidfd(struct drv *d)
{
	siginfo_t si = { 0 };

	before_reap(d);
	if (waitid(P_PIDFD, (id_t)d->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	reaped(d, &si);
}

/* Without pidfds (kernels before 5.3, valgrind): SIGCHLD through the
 * signalfd. Peek first (WNOWAIT) so the zombie still pins its pid while
 * we signal its group, then reap. */
void drv_on_sigchld(void)
{
	for (;;) {
		siginfo_t peek = { 0 }, si = { 0 };
		struct drv *d;

		if (waitid(P_ALL, 0, &peek, WEXITED | WNOHANG | WNOWAIT) < 0 || peek.si_pid == 0)
			return;
		d = drv_find_pid(peek.si_pid);
		if (d)
			before_reap(d);
		if (waitid(P_PID, (id_t)peek.si_pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
			return;
		if (d)
			reaped(d, &si);
	}
}

static void out_line(const char *line, void *arg)
{
	struct drv *d = arg;
	struct iovec iov[] = {
		{ (void *)d->cfg.log_prefix, strlen(d->cfg.log_prefix) },
		{ (void *)line, strlen(line) },
		{ (void *)"\n", 1 },
	};
	out_writev(iov, 3);
}

/* Reads per call: a driver that writes without pause must not keep the loop
 * here forever (epoll is level-triggered: the rest comes next round). 16 x 8
 * KiB is more than a pipe holds by default, so instance_gone() still drains
 * everything a dead instance left behind. */
#define LOG_READS_MAX 16

void drv_on_log(struct drv *d)
{
	char buf[8192];

	for (unsigned i = 0; i < LOG_READS_MAX; i++) {
		ssize_t n = read(d->logfd, buf, sizeof(buf));
		if (n > 0) {
			logring_feed(&d->log, buf, (size_t)n, out_line, d);
			continue;
		}
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			/* EOF: every writer is gone; stop watching, the exit closes it */
			logring_flush(&d->log, out_line, d);
			loop_del(d->logfd);
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
}

void drv_on_timer(struct drv *d)
{
	uint64_t n;

	if (read(d->tfd, &n, sizeof(n)) != sizeof(n))
		return; /* re-armed or disarmed since: stale */
	if (d->cg_events_fd >= 0) { /* the rest of its cgroup would not die */
		cgroup_drain_timeout(d);
		drv_event(d, EV_EXIT);
		return;
	}
	drv_event(d, EV_TIMER);
}

void drv_on_watchdog_timer(struct drv *d)
{
	uint64_t n;

	if (read(d->wdfd, &n, sizeof(n)) != sizeof(n))
		return;
	drv_event(d, EV_WATCHDOG);
}

/* --- lifecycle ------------------------------------------------------------ */

/* The two timers of @d. Refused (EMFILE) when they would eat into the fds
 * kept for restarts: the driver is then listed as failed, with the reason,
 * and `udrvctl start` tries again. */
static int drv_setup_timers(struct drv *d)
{
	int e;

	if (d->tfd >= 0)
		return 0;
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->wdfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->tfd < 0 || d->wdfd < 0 || fd_in_reserve(d->wdfd)) {
		e = d->tfd < 0 || d->wdfd < 0 ? errno : EMFILE;
		goto err;
	}
	d->w_timer = (struct watch){ W_TIMER, d };
	d->w_wdog = (struct watch){ W_WATCHDOG, d };
	if (loop_add(d->tfd, EPOLLIN, &d->w_timer) < 0 ||
	    loop_add(d->wdfd, EPOLLIN, &d->w_wdog) < 0) {
		e = errno;
		goto err;
	}
	return 0;
err:
	if (d->tfd >= 0)
		close(d->tfd); /* closing removes it from epoll too */
	if (d->wdfd >= 0)
		close(d->wdfd);
	d->tfd = d->wdfd = -1;
	return -e;
}

struct drv *drv_new(struct drv_config *cfg)
{
	struct drv *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return NULL;
	d->pidfd = d->logfd = d->listen_fd = d->ipc_fd = d->tfd = d->wdfd = d->cg_events_fd = -1;
	d->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	d->state = ST_STOPPED;
	r = drv_setup_timers(d);
	if (r < 0) {
		/* Listed all the same (status shows why), never silently missing. */
		d->state = ST_FAILED;
		snprintf(d->reason, sizeof(d->reason), "cannot set up: %s (RLIMIT_NOFILE %lu)",
			 strerror(-r), sup.nofile_max);
		sup_dlog(d, "%s: %s", d->cfg.name, d->reason);
	}
	return d;
}

void drv_free(struct drv *d)
{
	if (!d)
		return;
	if (d->pidfd >= 0)
		close(d->pidfd);
	if (d->logfd >= 0)
		close(d->logfd);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		if (d->cfg.listen && d->cfg.listen[0] == '/')
			unlink(d->cfg.listen);
	}
	ipc_close(d);
	cgroup_forget(d);
	drv_set_exec(d, NULL, false);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->wdfd >= 0)
		close(d->wdfd);
	config_free(&d->cfg);
	if (d->new_cfg) {
		config_free(d->new_cfg);
		free(d->new_cfg);
	}
	logring_free(&d->log);
	fdstore_clear(&d->fdstore);
	free(d);
}

void drv_set_exec(struct drv *d, char *path, bool trial)
{
	if (trial && d->exec_trial) {
		free(d->exec_path); /* never ready: the way back stays the one that worked */
	} else {
		free(d->prev_exec_path);
		d->prev_exec_path = NULL;
		if (trial)
			d->prev_exec_path = d->exec_path;
		else
			free(d->exec_path);
	}
	d->exec_path = path;
	d->exec_trial = trial;
}

struct drv *drv_find(const char *name)
{
	for (struct drv *d = sup.drivers; d; d = d->next)
		if (strcmp(d->cfg.name, name) == 0)
			return d;
	return NULL;
}

struct drv *drv_find_pid(pid_t pid)
{
	for (struct drv *d = sup.drivers; d; d = d->next)
		if (d->pid == pid && pid > 0)
			return d;
	return NULL;
}
