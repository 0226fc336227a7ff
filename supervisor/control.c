/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket (SOCK_STREAM, peers checked with
 * SO_PEERCRED). Root and our own uid may do everything; with
 * --admin-group, so may that group's members, and with --read-group that
 * group's members may read (status, log). The socket is mode 0600, or
 * 0666 when a group is given (the check is then SO_PEERCRED's alone).
 * Group membership: the peer's gid and its supplementary groups
 * (SO_PEERGROUPS), as they were when it connected.
 *
 * Protocol: the client sends one line of words,
 *   status [NAME] [--json] | start NAME | stop NAME | restart NAME
 *   | upgrade NAME [--exec PATH] | reset-failed NAME | log NAME [N]
 *   (start/stop/restart/upgrade take --no-block)
 * and gets "OK\n" followed by the output, or "ERR message\n"; then the
 * server closes. start/restart answer once the driver is running (or has
 * failed, or backs off), stop once it is stopped, unless --no-block;
 * restart/upgrade of a running driver also say how long the switch took.
 * Nothing blocks the loop: input and output are buffered per client.
 */
#include "proto.h"
#include "sbuf.h"
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

enum wait_kind { WAIT_NONE, WAIT_UP, WAIT_DOWN };

/* At most this many clients at once; more are told so and closed. */
#define CLIENTS_MAX 64

/* What a client may do (peer_role). */
enum role { ROLE_NONE, ROLE_READ, ROLE_ADMIN };

struct client {
	struct client *next;
	int fd;
	enum role role;
	uid_t uid;
	uint64_t deadline;  /* the request (or the reply) must be done by then; 0: none */
	bool asked;         /* the request was read and executed */
	struct watch w;
	char in[1024];
	size_t inlen;
	struct sbuf out;
	size_t outpos;
	bool replied;
	struct drv *wait_drv;
	enum wait_kind wait;
	uint64_t asked_at;  /* when the request came (now_usec) */
};

static struct client *clients;
static unsigned nclients;
static char *ctl_path;
/* One timer for every client: armed at the earliest deadline. */
static int client_tfd = -1;
static struct watch w_client_timer;
/* Kept open to be given up when accept() fails for want of fds (EMFILE):
 * the waiting client is then accepted and turned away, instead of the
 * listening socket staying readable and the loop spinning on it. */
static int spare_fd = -1;

/* --read-group and --admin-group (control_set_group). */
static struct ctl_group {
	bool set;
	gid_t gid;
	char name[64];
} ctl_groups[2]; /* [0] read, [1] admin */

int control_set_group(bool admin, const char *name)
{
	struct ctl_group *g = &ctl_groups[admin];
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	char *end;

	/* /etc/group read directly, as spawn.c does (no NSS in a static build) */
	while (f && (gr = fgetgrent(f)))
		if (strcmp(gr->gr_name, name) == 0) {
			g->gid = gr->gr_gid;
			g->set = true;
			break;
		}
	if (f)
		fclose(f);
	if (!g->set) {
		unsigned long v;

		errno = 0;
		v = strtoul(name, &end, 10);
		if (*name < '0' || *name > '9' || *end || errno || v >= 0xffffffffUL)
			return -ESRCH;
		g->gid = (gid_t)v;
		g->set = true;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	return 0;
}

/* Is the peer on @fd (@cr) in group @gid: its gid or a supplementary one? */
static bool peer_in_group(int fd, const struct ucred *cr, gid_t gid)
{
	gid_t small[64], *list = small;
	socklen_t len = sizeof(small);
	bool in = cr->gid == gid;

	if (!in && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, list, &len) < 0 && errno == ERANGE &&
	    (list = malloc(len)))
		getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, list, &len);
	for (size_t i = 0; !in && list && i < len / sizeof(gid_t); i++)
		in = list[i] == gid;
	if (list != small)
		free(list);
	return in;
}

static enum role peer_role(int fd, const struct ucred *cr)
{
	if (cr->uid == 0 || cr->uid == geteuid() ||
	    (ctl_groups[1].set && peer_in_group(fd, cr, ctl_groups[1].gid)))
		return ROLE_ADMIN;
	if (ctl_groups[0].set && peer_in_group(fd, cr, ctl_groups[0].gid))
		return ROLE_READ;
	return ROLE_NONE;
}

/* Who may, in words: "root, uid 1000 (the supervisor's) or group udrv (--admin-group)". */
static void who_may(char *buf, size_t len, bool read)
{
	int n = snprintf(buf, len, "root");

	if (geteuid() != 0)
		n += snprintf(buf + n, len - (size_t)n, ", uid %u (the supervisor's)",
			      (unsigned)geteuid());
	if (ctl_groups[1].set)
		n += snprintf(buf + n, len - (size_t)n, ", group %s (--admin-group)",
			      ctl_groups[1].name);
	if (read && ctl_groups[0].set)
		snprintf(buf + n, len - (size_t)n, ", group %s (--read-group, status and log only)",
			 ctl_groups[0].name);
}

int control_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* Only a socket is ever replaced: --control pointing at a regular file
	 * (a typo, or a trap) must not delete it. */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by a supervisor that died is replaced; one that
	 * answers belongs to a running supervisor and is not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Bound under a temporary name and renamed once listening: the path
	 * never names a socket that refuses connections (a udrvctl started
	 * right after the supervisor would get ECONNREFUSED between bind()
	 * and listen()). Too long for a temporary name: bound in place. */
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	bool renamed = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", path, (int)getpid()) <
		       (int)sizeof(tmp.sun_path);

	if (renamed)
		unlink(tmp.sun_path);
	old = umask(0077); /* root (or our user) only */
	r = bind(fd, (struct sockaddr *)(renamed ? &tmp : &sa), sizeof(sa));
	umask(old);
	/* Groups given: anyone may connect, SO_PEERCRED decides (peer_role). */
	if (r == 0 && (ctl_groups[0].set || ctl_groups[1].set))
		r = chmod(renamed ? tmp.sun_path : path, 0666);
	if (r == 0)
		r = listen(fd, 32);
	if (r == 0 && renamed)
		r = rename(tmp.sun_path, path);
	if (r < 0) {
		r = -errno;
		if (renamed)
			unlink(tmp.sun_path);
		close(fd);
		return r;
	}
	ctl_path = strdup(path);
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	client_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (client_tfd < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	w_client_timer = (struct watch){ W_CLIENT_TIMER, NULL };
	loop_add(client_tfd, EPOLLIN, &w_client_timer);
	sup.ctl_fd = fd;
	sup.w_ctl = (struct watch){ W_CONTROL, NULL };
	return loop_add(fd, EPOLLIN, &sup.w_ctl);
}

static void client_free(struct client *c)
{
	struct client **pp;

	for (pp = &clients; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	close(c->fd); /* also leaves the epoll set */
	sbuf_free(&c->out);
	free(c);
	nclients--;
}

/* Arm the client timer for the earliest deadline (or disarm it). */
static void client_timer_update(void)
{
	uint64_t first = 0, now = now_usec();

	for (struct client *c = clients; c; c = c->next)
		if (c->deadline && (!first || c->deadline < first))
			first = c->deadline;
	if (client_tfd >= 0)
		timer_arm(client_tfd, !first ? 0 : first > now ? first - now : 1);
}

static uint64_t deadline_from_now(void)
{
	uint64_t now = now_usec();

	return sup.client_timeout_usec > UINT64_MAX - now ? 0 : now + sup.client_timeout_usec;
}

/* A client that has not finished its request (or not read its reply) in
 * time is closed: a silent client must not hold a slot forever. */
void control_on_client_timer(void)
{
	uint64_t n, now = now_usec();

	if (read(client_tfd, &n, sizeof(n)) != sizeof(n))
		return;
	for (struct client *c = clients, *next; c; c = next) {
		next = c->next;
		if (!c->deadline || c->deadline > now)
			continue;
		if (!c->replied) {
			static const char msg[] = "ERR timed out waiting for a request\n";
			ssize_t r = write(c->fd, msg, sizeof(msg) - 1);
			(void)r;
		}
		client_free(c);
	}
	client_timer_update();
}

void control_close(void)
{
	while (clients)
		client_free(clients);
	if (sup.ctl_fd >= 0) {
		close(sup.ctl_fd);
		sup.ctl_fd = -1;
	}
	if (spare_fd >= 0) {
		close(spare_fd);
		spare_fd = -1;
	}
	if (client_tfd >= 0) {
		close(client_tfd);
		client_tfd = -1;
	}
	if (ctl_path) {
		struct stat st;

		if (lstat(ctl_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(ctl_path);
		free(ctl_path);
		ctl_path = NULL;
	}
}

/* Queue the reply and start writing it. */
static void reply(struct client *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reply(struct client *c, bool ok, const char *fmt, ...)
{
	struct sbuf head = { 0 };
	char msg[1024] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (ok)
		sbuf_printf(&head, "OK\n");
	else
		sbuf_printf(&head, "ERR %s\n", msg);
	if (c->out.len)
		sbuf_add(&head, c->out.s, c->out.len);
	sbuf_free(&c->out);
	c->out = head;
	c->replied = true;
	c->wait = WAIT_NONE;
	c->wait_drv = NULL;
	c->deadline = deadline_from_now(); /* to read the reply */
	client_timer_update();
	epoll_ctl(sup.epfd, EPOLL_CTL_MOD, c->fd,
		  &(struct epoll_event){ .events = EPOLLOUT, .data.ptr = &c->w });
}

static void reply_state(struct client *c, struct drv *d)
{
	char t[32];

	switch (d->state) {
	case ST_RUNNING:
		sbuf_printf(&c->out, "%s is running (pid %d)\n", d->cfg.name, (int)d->pid);
		if (d->switch_begin >= c->asked_at && d->switch_ready) {
			char t1[32], t2[32];

			sbuf_printf(&c->out, "switch took %s (old instance gone after %s, new one "
				    "ready %s later)\n",
				    format_time(d->switch_ready - d->switch_begin, t, sizeof(t)),
				    format_time(d->switch_exit - d->switch_begin, t1, sizeof(t1)),
				    format_time(d->switch_ready - d->switch_exit, t2, sizeof(t2)));
		}
		reply(c, true, NULL);
		break;
	case ST_STOPPED:
		if (c->wait == WAIT_DOWN) {
			sbuf_printf(&c->out, "%s is stopped\n", d->cfg.name);
			reply(c, true, NULL);
		} else {
			reply(c, false, "%s stopped: %s", d->cfg.name, d->reason);
		}
		break;
	case ST_FAILED:
		if (c->wait == WAIT_DOWN) {
			sbuf_printf(&c->out, "%s is failed: %s\n", d->cfg.name, d->reason);
			reply(c, true, NULL);
		} else {
			reply(c, false, "%s failed: %s", d->cfg.name, d->reason);
		}
		break;
	case ST_BACKOFF:
		/* reason: a start that could not even be tried (IPC socket in use) */
		reply(c, false, "%s %s; restarting in %s", d->cfg.name,
		      d->reason[0] ? d->reason : d->last_exit,
		      format_time(d->timer_deadline > now_usec() ? d->timer_deadline - now_usec() : 0,
				  t, sizeof(t)));
		break;
	default:
		break; /* not settled yet */
	}
}

void control_driver_changed(struct drv *d)
{
	for (struct client *c = clients; c; c = c->next) {
		if (c->wait_drv != d || c->replied)
			continue;
		if (c->wait == WAIT_UP && d->state != ST_STARTING && d->state != ST_STOPPING &&
		    d->state != ST_ABORTING)
			reply_state(c, d);
		else if (c->wait == WAIT_DOWN && drv_idle(d))
			reply_state(c, d);
	}
}

void control_driver_gone(struct drv *d)
{
	for (struct client *c = clients; c; c = c->next)
		if (c->wait_drv == d && !c->replied) {
			sbuf_printf(&c->out, "%s removed\n", d->cfg.name);
			reply(c, true, NULL);
		}
}

static void do_log(struct client *c, struct drv *d, unsigned long n)
{
	for (unsigned i = 0;; i++) {
		const char *line = logring_get(&d->log, n > LOGRING_LINES ? LOGRING_LINES : (unsigned)n, i);
		if (!line)
			break;
		sbuf_printf(&c->out, "%s\n", line);
	}
	reply(c, true, NULL);
}

/* Send @ev to @d for @c, replying now (--no-block, or already settled) or
 * once the driver settles (control_driver_changed). */
static void send_event(struct client *c, struct drv *d, enum drv_event ev, enum wait_kind wait,
		       bool no_block)
{
	c->wait = no_block ? WAIT_NONE : wait;
	c->wait_drv = d;
	drv_event(d, ev); /* may settle and reply at once */
	if (!c->replied && c->wait == WAIT_NONE) {
		sbuf_printf(&c->out, "%s is %s\n", d->cfg.name, drv_public_state(d));
		reply(c, true, NULL);
	}
}

/* upgrade NAME [--exec PATH]: a restart; with --exec, PATH (an executable
 * regular file, absolute) replaces ExecStart='s program from this start on,
 * until the unit's config changes. */
static void do_upgrade(struct client *c, struct drv *d, const char *path, bool no_block)
{
	struct stat st;

	if (sup.shutting_down) {
		reply(c, false, "the supervisor is shutting down");
		return;
	}
	if (d->state == ST_STOPPING) {
		reply(c, false, "%s is stopping; upgrade it once it is stopped", d->cfg.name);
		return;
	}
	if (path) {
		char *copy;

		if (path[0] != '/') {
			reply(c, false, "upgrade: '%s' is not an absolute path", path);
			return;
		}
		if (stat(path, &st) < 0) {
			reply(c, false, "upgrade: %s: %s", path, strerror(errno));
			return;
		}
		if (!S_ISREG(st.st_mode)) {
			reply(c, false, "upgrade: %s is not a regular file", path);
			return;
		}
		if (access(path, X_OK) < 0) {
			reply(c, false, "upgrade: %s is not executable: %s", path, strerror(errno));
			return;
		}
		copy = strdup(path);
		if (!copy) {
			reply(c, false, "out of memory");
			return;
		}
		drv_set_exec(d, copy, true);
		sup_dlog(d, "upgrading %s to %s", d->cfg.name, path);
	} else {
		sup_dlog(d, "upgrading %s (same program)", d->cfg.name);
	}
	send_event(c, d, EV_RESTART, WAIT_UP, no_block);
}

static void execute(struct client *c, char *line)
{
	static const struct {
		enum ctl_cmd cmd;
		enum drv_event ev;
		enum wait_kind wait;
	} acts[] = {
		{ CTL_START, EV_START, WAIT_UP },
		{ CTL_STOP, EV_STOP, WAIT_DOWN },
		{ CTL_RESTART, EV_RESTART, WAIT_UP },
		{ CTL_RESET, EV_RESET, WAIT_NONE },
	};
	struct ctl_req req;
	char err[256];
	struct drv *d = NULL;

	char word[16] = "";

	sscanf(line, " %15s", word); /* the command, for a refusal (ctl_parse cuts the line) */
	if (ctl_parse(line, &req, err, sizeof(err)) < 0) {
		reply(c, false, "%s", err);
		return;
	}
	if (c->role != ROLE_ADMIN && req.cmd != CTL_STATUS && req.cmd != CTL_LOG) {
		char who[300];

		who_may(who, sizeof(who), false);
		reply(c, false, "permission denied: %s needs %s; uid %u is in group %s "
		      "(--read-group), which may only read (status, log)", word, who,
		      (unsigned)c->uid, ctl_groups[0].name);
		return;
	}
	if (req.name) {
		d = drv_find(req.name);
		if (!d) {
			reply(c, false, "no driver named '%.64s'", req.name);
			return;
		}
	}
	if (req.cmd == CTL_STATUS) {
		if (req.json)
			status_json(&c->out, sup.drivers, d ? d->cfg.name : NULL, now_usec());
		else
			status_text(&c->out, sup.drivers, d ? d->cfg.name : NULL, now_usec());
		reply(c, true, NULL);
		return;
	}
	if (req.cmd == CTL_LOG) {
		do_log(c, d, req.log_lines);
		return;
	}
	if (req.cmd == CTL_UPGRADE) {
		do_upgrade(c, d, req.exec_path, req.no_block);
		return;
	}
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (req.cmd != acts[i].cmd)
			continue;
		if (sup.shutting_down) {
			reply(c, false, "the supervisor is shutting down");
			return;
		}
		if (acts[i].ev == EV_RESET && d->state != ST_FAILED) {
			sbuf_printf(&c->out, "%s is not failed (%s)\n", d->cfg.name, drv_public_state(d));
			reply(c, true, NULL);
			return;
		}
		if (acts[i].ev == EV_START && !drv_idle(d) && d->state != ST_BACKOFF) {
			sbuf_printf(&c->out, "%s is already %s\n", d->cfg.name, drv_public_state(d));
			reply(c, true, NULL);
			return;
		}
		send_event(c, d, acts[i].ev, acts[i].wait, req.no_block);
		return;
	}
}

void control_on_accept(void)
{
	for (;;) {
		int fd = accept4(sup.ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct client *c;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
			sup_log("control: out of file descriptors, refusing a client");
			close(spare_fd);
			fd = accept4(sup.ctl_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return; /* still nothing: wait for the next wake-up */
			continue;
		}
		if (fd < 0)
			return; /* EAGAIN, or a client that went away */
		if (nclients >= CLIENTS_MAX) {
			static const char msg[] = "ERR too many clients, try again\n";
			ssize_t r = write(fd, msg, sizeof(msg) - 1);
			(void)r;
			close(fd);
			continue;
		}
		enum role role = ROLE_NONE;

		memset(&cred, 0, sizeof(cred));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			role = peer_role(fd, &cred);
		if (role == ROLE_NONE) {
			char msg[512], who[300];
			ssize_t r;

			who_may(who, sizeof(who), true);
			snprintf(msg, sizeof(msg), "ERR permission denied: uid %u may not use this "
				 "supervisor (allowed: %s)\n", (unsigned)cred.uid, who);
			r = write(fd, msg, strlen(msg));
			(void)r;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->role = role;
		c->uid = cred.uid;
		c->w = (struct watch){ W_CLIENT, c };
		if (loop_add(fd, EPOLLIN, &c->w) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = clients;
		clients = c;
		nclients++;
		c->deadline = deadline_from_now();
		client_timer_update();
	}
}

void control_on_client(struct client *c, uint32_t events)
{
	if (!c->replied && c->asked) {
		/* Waiting for a driver. Only a full close ends the wait (EPOLLHUP):
		 * a client that shut down its writing side (SHUT_WR) still reads. */
		if (events & (EPOLLHUP | EPOLLERR))
			client_free(c);
		return;
	}
	if (!c->replied && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
		char *nl;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0 || (n == 0 && c->inlen == 0)) {
			client_free(c); /* went away before asking */
			return;
		}
		if (n > 0 && memchr(c->in + c->inlen, '\0', (size_t)n)) {
			reply(c, false, "a NUL byte in the request");
			return;
		}
		c->inlen += (size_t)n;
		c->in[c->inlen] = '\0';
		nl = strchr(c->in, '\n');
		if (!nl && n > 0) {
			if (c->inlen == sizeof(c->in) - 1)
				reply(c, false, "request too long");
			return;
		}
		/* A line, or end of input (a half-closed client): the request. */
		if (nl)
			*nl = '\0';
		c->asked = true;
		c->deadline = 0; /* from here on, we are the slow one */
		c->asked_at = now_usec();
		execute(c, c->in);
		if (!c->replied) {
			/* waiting for the driver: no events asked, EPOLLHUP/EPOLLERR
			 * come anyway (a half-closed client would make EPOLLIN and
			 * EPOLLRDHUP fire forever) */
			epoll_ctl(sup.epfd, EPOLL_CTL_MOD, c->fd,
				  &(struct epoll_event){ .events = 0, .data.ptr = &c->w });
			client_timer_update();
		}
		return;
	}
	if (c->replied) {
		while (c->outpos < c->out.len) {
			ssize_t n = write(c->fd, c->out.s + c->outpos, c->out.len - c->outpos);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			if (n < 0)
				break; /* the client is gone */
			c->outpos += (size_t)n;
		}
		client_free(c);
	}
}
