/* SPDX-License-Identifier: MIT */
/*
 * sup.h - driver_supervisor's shared types: one `struct drv` per supervised
 * driver, the global `struct sup`, and the entry points of each file.
 *
 * Files, by concern:
 *   main.c     options, config (re)loading, start-up and shutdown
 *   loop.c     the epoll loop: signalfd, pidfds, timerfds, sockets, pipes
 *   driver.c   the state machine (state x event table) and its actions
 *   spawn.c    fork/exec of one driver instance (fds, env, process group)
 *   notify.c   the sd_notify datagram socket
 *   control.c  the control socket used by udrvctl
 *   status.c   status as text and JSON
 *   logring.c  per-driver output: line splitting, prefix, ring buffer
 *   out.c      the supervisor's stdout: never blocks the loop
 *   fdstore.c  the per-driver fd store (FDSTORE=1)
 *   cgroup.c   one cgroup v2 per driver: whole-cgroup stop and kill, leftovers
 *   ipc.c      the IPC=yes socket held for a driver's clients
 *   devices.c  Device=: the device fds opened for a driver and passed to it
 *   seccomp.c  SystemCallFilter=: the BPF program, the report of a violation
 *   proto.c    the notify and control wire formats, parsed (pure, fuzzed)
 *   config.c, policy.c  pure parsing and policy (unit-tested)
 */
#ifndef SUP_H
#define SUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "fdstore.h"
#include "logring.h"
#include "policy.h"

enum drv_state {
	ST_STOPPED,  /* not running, nothing scheduled */
	ST_STARTING, /* launched, waiting for READY=1 */
	ST_RUNNING,  /* ready */
	ST_BACKOFF,  /* exited, restart timer armed */
	ST_STOPPING, /* SIGTERM sent (stop/shutdown), SIGKILL when TimeoutStopSec passes */
	ST_ABORTING, /* hung: SIGABRT sent, SIGKILL after TimeoutStopSec, then Restart= */
	ST_FAILED,   /* given up (start limit, or a failure with Restart=no) */
	ST__COUNT
};

enum drv_event {
	EV_START,    /* udrvctl start, start-up, config added */
	EV_STOP,     /* udrvctl stop, shutdown, config removed */
	EV_RESTART,  /* udrvctl restart, config changed */
	EV_RESET,    /* udrvctl reset-failed */
	EV_READY,    /* READY=1 (or exec for Type=simple) */
	EV_PING,     /* WATCHDOG=1 */
	EV_WATCHDOG, /* watchdog deadline passed (or WATCHDOG=trigger) */
	EV_TIMER,    /* the state timer: backoff over, start/stop timeout */
	EV_EXIT,     /* the main process was reaped */
	EV__COUNT
};

/* What an epoll event belongs to. */
enum watch_kind {
	W_SIGNAL, W_NOTIFY, W_CONTROL, W_CLIENT, W_SELF_WATCHDOG, W_OUT,
	W_CLIENT_TIMER,
	W_PIDFD, W_TIMER, W_WATCHDOG, W_LOG, W_CGROUP,
};

struct watch {
	enum watch_kind kind;
	void *obj; /* struct drv or struct client */
};

struct client;

struct drv {
	struct drv *next;
	struct drv_config cfg;
	enum drv_state state;

	/* the running instance */
	pid_t pid;          /* main process, also its process group id; 0 when none */
	int pidfd;          /* -1 when none */
	int logfd;          /* read end of its stdout/stderr pipe, -1 when none */
	int listen_fd;      /* Listen= socket kept across restarts, -1 when none */
	int ipc_fd;         /* IPC=yes socket, held until removed (ipc.c), -1 when none */
	char *ipc_path;     /* its path, while ipc_fd is open */
	dev_t ipc_dev;      /* the socket file we bound: unlinked only while still it */
	ino_t ipc_ino;
	char *exec_path;    /* `udrvctl upgrade --exec`: replaces argv[0] until the config changes */
	char *prev_exec_path; /* the program before it (NULL: ExecStart='s), while on trial */
	bool exec_trial;    /* exec_path not yet READY=1: dying before it goes back */
	/* the last planned switch (restart/upgrade of a live instance), usec:
	 * SIGTERM sent, the old instance gone, the new one ready (0: not yet) */
	uint64_t switch_begin, switch_exit, switch_ready;
	bool ready;
	bool watchdog_fired;
	bool start_timeout_fired;
	char seccomp_why[96]; /* killed by its SystemCallFilter=: which call ("" otherwise) */
	char start_err[160];  /* could not start before exec (Device=, SystemCallFilter=): why */
	int exec_errno;     /* the child could not exec: this errno; -errno: could not
	                     * take User=/Group=/NoNewPrivileges= */
	uint64_t started_at, ready_at; /* CLOCK_MONOTONIC usec */
	/* $UDRV_TIMES (bench/serve_latency.c): when the last instance was
	 * reaped, when Device= was open for this one and when its child was
	 * about to execve(), CLOCK_MONOTONIC ns */
	uint64_t t_exited_ns, t_devices_ns, t_exec_ns;
	uint64_t watchdog_usec; /* WatchdogSec=, or what WATCHDOG_USEC= set */

	/* timers */
	int tfd;            /* state timer (backoff, start/stop timeouts) */
	int wdfd;           /* watchdog deadline */
	uint64_t timer_deadline; /* when tfd fires, for status */

	/* kept across restarts */
	unsigned restarts;      /* automatic restarts since the last manual start */
	unsigned backoff_step;  /* see policy_backoff() */
	struct start_hist hist;
	bool has_exit;
	struct exit_info last;
	char last_exit[160];    /* the last exit in words */
	char reason[320];       /* why it is failed/stopped, "" otherwise */
	char status[256];       /* the driver's STATUS= text */
	struct logring log;
	struct fdstore fdstore; /* FDSTORE=1 fds, until stopped/failed/removed */

	/* pending work */
	bool restart_pending;   /* start again once stopped */
	bool removed;           /* config file gone: free once stopped */
	bool dead;              /* off the list; freed after this epoll batch */
	struct drv_config *new_cfg; /* config changed: apply once stopped */
	int wcode, wstatus; /* the exit being handled (EV_EXIT) */

	/* cgroup.c: the main process is reaped but others of its cgroup live:
	 * EV_EXIT waits until it is empty (cgroup.events, EPOLLPRI). -1: not waiting */
	int cg_events_fd;

	struct watch w_pid, w_timer, w_wdog, w_log, w_cg;
};

struct sup {
	int epfd;
	int sigfd;
	int notify_fd;
	int ctl_fd;
	int self_wdfd;          /* pings our own manager (systemd) */
	char notify_addr[108];  /* "$UDRV_RUNTIME_DIR/notify" */
	const char *control_path;
	const char *config_path;
	const char *runtime_dir; /* --runtime-dir, $UDRV_RUNTIME_DIR, /run/udrv */
	struct drv *drivers;
	struct drv *graveyard;  /* removed drivers, freed between epoll batches */
	bool shutting_down;
	bool exit_now;
	bool no_pidfd;          /* pidfd_open() is ENOSYS: SIGCHLD + waitid instead */
	bool times;             /* $UDRV_TIMES=1: a "[sup] times" line per launch */
	unsigned long nofile_soft; /* RLIMIT_NOFILE soft limit we were started with (drivers get it) */
	unsigned long nofile_max;  /* our soft limit after raising it; 0 unknown */
	uint64_t client_timeout_usec; /* --client-timeout: a control client's request/reply */
	struct watch w_sig, w_notify, w_ctl, w_self_wd;
};

extern struct sup sup;

/* main.c */
void sup_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* sup_log() about driver @d: also kept in its log ring (`udrvctl log`). */
void sup_dlog(struct drv *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t now_usec(void);
uint64_t now_nsec(void);
/* fd_in_reserve - @fd is one of the last fds below RLIMIT_NOFILE, kept for
 * restarts and udrvctl: new drivers and fd stores must not take it. */
bool fd_in_reserve(int fd);
int sup_reload(bool initial);
void sup_check_shutdown_done(void);

/* loop.c */
int loop_add(int fd, uint32_t events, struct watch *w);

/* out.c */
struct iovec;
void out_init(void);                          /* before the first line */
void out_writev(const struct iovec *iov, int n); /* one whole line */
void out_on_writable(void);
void out_close(void);
void loop_del(int fd);
int loop_run(void);
int timer_arm(int tfd, uint64_t usec); /* 0 disarms */

/* driver.c */
const char *drv_state_name(enum drv_state s);
struct drv *drv_new(struct drv_config *cfg); /* takes cfg's contents; NULL + errno */
void drv_free(struct drv *d);
struct drv *drv_find(const char *name);
struct drv *drv_find_pid(pid_t pid);
void drv_event(struct drv *d, enum drv_event ev);
void drv_on_pidfd(struct drv *d);
void drv_on_sigchld(void); /* without pidfd support */
void drv_on_log(struct drv *d);
void drv_on_timer(struct drv *d);
void drv_on_watchdog_timer(struct drv *d);
void drv_on_cgroup(struct drv *d);
/* drv_signal - @sig to every process of @d: its cgroup, or without one its
 * process group, and the main process through its pidfd. */
void drv_signal(struct drv *d, int sig);
bool drv_idle(const struct drv *d);
/* drv_set_exec - the program of later starts: @path (taken over; from
 * `upgrade --exec`) or NULL for ExecStart='s. With @trial, the program in
 * place before comes back if the first instance of @path dies before READY=1. */
void drv_set_exec(struct drv *d, char *path, bool trial);

/* spawn.c: fork/exec; returns the pid (>0) or -errno. */
pid_t spawn_driver(struct drv *d, int *pidfd, int *logfd, int *exec_errno);

/* devices.c: the fds of one Device= spec, opened at each launch. */
#define DEVFDS_MAX 3
struct devfds {
	int fd[DEVFDS_MAX];        /* close-on-exec */
	const char *name[DEVFDS_MAX]; /* "udrv-uio", "udrv-vfio-group", ... */
	unsigned n;
};
/* devices_open - open what @spec (NULL: nothing) names, as root, for
 * passing. 0, or -errno with @err = "cannot open device SPEC: why". */
int devices_open(const char *spec, struct devfds *df, char *err, size_t errlen);
void devices_close(struct devfds *df);
/* devices_names - append ":name..." (no ':' first when @off is 0) to @buf
 * at @off. The new length, or -ENOSPC. */
int devices_names(const struct devfds *df, char *buf, size_t len, size_t off);

/* seccomp.c: SystemCallFilter= */
struct sock_fprog;
/* seccomp_build - the BPF program of SystemCallFilter= @names (NULL or
 * empty: none, prog->len 0) for prctl(PR_SET_SECCOMP). 0, or -errno with
 * @err naming the problem (an unknown name, no libseccomp). */
int seccomp_build(const char *const *names, struct sock_fprog *prog, char *err, size_t errlen);
void seccomp_prog_free(struct sock_fprog *prog);
/* seccomp_explain - which system call killed @pid ("system call 41 (socket)
 * not allowed"), from the kernel's audit record; waits up to 500 ms for it. */
void seccomp_explain(pid_t pid, char *buf, size_t len);

/* cgroup.c: all no-ops (false, NULL) when cgroups are not used. */
void cgroup_init(void);  /* once, before any driver starts: set up, kill leftovers; logs */
void cgroup_done(void);  /* at exit, every driver stopped: remove our cgroups */
bool cgroup_on(void);
/* cgroup_prepare - create @d's cgroup (it must be empty), open it (*dir_fd,
 * for clone3's CLONE_INTO_CGROUP) and its
 * cgroup.procs for the child to join (*procs_fd, -1 without cgroups).
 * 0 or -errno (logged). */
int cgroup_prepare(struct drv *d, int *procs_fd, int *dir_fd);
/* cgroup_signal - @sig to every process of @d's cgroup (SIGKILL: cgroup.kill).
 * -ENOSYS without cgroups, else 0. */
int cgroup_signal(struct drv *d, int sig);
/* cgroup_drain - after @d's main process was reaped: true when others are
 * left in its cgroup; cgroup_on_events() then says when they are gone. */
bool cgroup_drain(struct drv *d);
bool cgroup_on_events(struct drv *d);   /* true: empty now (drain over) */
void cgroup_drain_timeout(struct drv *d); /* give up waiting (logged) */
void cgroup_forget(struct drv *d);       /* driver freed: rmdir its cgroup */
struct drv *cgroup_driver_of(pid_t pid); /* whose cgroup @pid is in */

/* ipc.c */
int runtime_dir_create(const char *dir); /* mkdir -p, 0755; 0 or -errno */
/* ipc_sync - make @d's IPC socket match its config: created (or re-created
 * when its file vanished), permissions set, or closed with IPC=no.
 * 0, or -errno with @err saying what failed. */
int ipc_sync(struct drv *d, char *err, size_t errlen);
void ipc_config_changed(struct drv *d); /* after a config swap; logs errors */
void ipc_close(struct drv *d);          /* close, unlink while still ours */

/* notify.c */
int notify_open(void);  /* also checks/creates the runtime dir */
void notify_close(void);
void notify_drain(void);

/* control.c */
/* control_set_group - --read-group (@admin false) or --admin-group: @name
 * from /etc/group, or a number. 0, or -ESRCH when there is no such group. */
int control_set_group(bool admin, const char *name);
int control_open(const char *path);
void control_close(void);
void control_on_accept(void);
void control_on_client(struct client *c, uint32_t events);
void control_on_client_timer(void);
void control_driver_changed(struct drv *d);  /* settle waiting clients */
void control_driver_gone(struct drv *d);

/* status.c */
struct sbuf;
void status_json(struct sbuf *b, struct drv *list, const char *only, uint64_t now);
void status_text(struct sbuf *b, struct drv *list, const char *only, uint64_t now);
const char *drv_public_state(const struct drv *d);

#endif /* SUP_H */
