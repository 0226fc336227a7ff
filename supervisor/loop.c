/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the one event loop: epoll over the signalfd, the notify and
 * control sockets, and per driver its pidfd, output pipe and two timerfds.
 * Nothing polls on a period and nothing sleeps: every wake-up is an event.
 */
#include "sup.h"
#include "udrv.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

int loop_add(int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(sup.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(int fd)
{
	epoll_ctl(sup.epfd, EPOLL_CTL_DEL, fd, NULL); /* ENOENT: already gone */
}

int timer_arm(int tfd, uint64_t usec)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(usec / 1000000), .tv_nsec = (long)(usec % 1000000) * 1000 },
	};

	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(sup.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (sup.shutting_down) {
				/* asked twice: do not wait for TimeoutStopSec */
				for (struct drv *d = sup.drivers; d; d = d->next)
					if (d->pid > 0 || d->cg_events_fd >= 0)
						drv_signal(d, SIGKILL);
				break;
			}
			sup.shutting_down = true;
			sup_log("shutting down (%s)", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			for (struct drv *d = sup.drivers, *next; d; d = next) {
				next = d->next; /* drv_event may free d */
				drv_event(d, EV_STOP);
			}
			sup_check_shutdown_done();
			break;
		case SIGCHLD:
			drv_on_sigchld();
			break;
		case SIGHUP:
			if (!sup.shutting_down) {
				sup_log("reloading %s", sup.config_path);
				sup_reload(false);
			}
			break;
		}
	}
}

static void on_self_watchdog(void)
{
	uint64_t n;

	if (read(sup.self_wdfd, &n, sizeof(n)) == sizeof(n))
		udrv_notify_watchdog();
}

int loop_run(void)
{
	struct epoll_event evs[32];

	while (!sup.exit_now) {
		int n = epoll_wait(sup.epfd, evs, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !sup.exit_now; i++) {
			struct watch *w = evs[i].data.ptr;

			/* An earlier event of this batch may have removed a driver:
			 * it waits in the graveyard until the batch is done. */
			if (w->kind >= W_PIDFD && ((struct drv *)w->obj)->dead)
				continue;
			switch (w->kind) {
			case W_SIGNAL:
				on_signal();
				break;
			case W_NOTIFY:
				notify_drain();
				break;
			case W_CONTROL:
				control_on_accept();
				break;
			case W_CLIENT:
				control_on_client(w->obj, evs[i].events);
				break;
			case W_CLIENT_TIMER:
				control_on_client_timer();
				break;
			case W_SELF_WATCHDOG:
				on_self_watchdog();
				break;
			case W_OUT:
				out_on_writable();
				break;
			case W_PIDFD:
				drv_on_pidfd(w->obj);
				break;
			case W_TIMER:
				drv_on_timer(w->obj);
				break;
			case W_WATCHDOG:
				drv_on_watchdog_timer(w->obj);
				break;
			case W_LOG:
				drv_on_log(w->obj);
				break;
			case W_CGROUP:
				drv_on_cgroup(w->obj);
				break;
			}
		}
		while (sup.graveyard) {
			struct drv *d = sup.graveyard;
			sup.graveyard = d->next;
			drv_free(d);
		}
	}
	return 0;
}
