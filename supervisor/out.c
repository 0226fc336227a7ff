/* SPDX-License-Identifier: MIT */
/*
 * out.c - the supervisor's own output (stdout): its [sup] lines and the
 * drivers' lines. A reader that stalls (a paused pager, a stuck journald)
 * must not stop the event loop, or restarts and watchdogs would stop with
 * it. When stdout is a pipe or socket it is made non-blocking; what does not
 * fit is queued (up to OUT_QUEUE_MAX) and written when epoll says stdout is
 * writable again; beyond that, whole lines are dropped and counted, and the
 * count is reported once the reader catches up. A terminal or a file is left
 * blocking (O_NONBLOCK would be shared with the shell; files do not stall).
 */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sbuf.h"

#define OUT_QUEUE_MAX (256 * 1024)

static bool nonblock, watching;
static struct sbuf queue; /* bytes not yet written, from queue_off on */
static size_t queue_off;
static unsigned long long dropped;
static struct watch w_out = { W_OUT, NULL };

void out_init(void)
{
	struct stat st;
	int fl;

	if (fstat(STDOUT_FILENO, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return;
	fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl >= 0 && fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) == 0)
		nonblock = true;
}

static size_t pending(void)
{
	return queue.len - queue_off;
}

static void watch_writable(bool on)
{
	if (on == watching)
		return;
	if (on)
		watching = loop_add(STDOUT_FILENO, EPOLLOUT, &w_out) == 0;
	else {
		loop_del(STDOUT_FILENO);
		watching = false;
	}
}

void out_writev(const struct iovec *iov, int n)
{
	size_t total = 0, done = 0;
	ssize_t r;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (!nonblock) {
		r = writev(STDOUT_FILENO, iov, n);
		(void)r; /* nowhere to report a failing stdout */
		return;
	}
	if (!pending()) {
		r = writev(STDOUT_FILENO, iov, n);
		if (r == (ssize_t)total)
			return;
		if (r < 0 && errno != EAGAIN)
			return; /* EPIPE and the like: nobody reads, nothing to keep */
		done = r > 0 ? (size_t)r : 0;
	}
	if (done == 0 && pending() + total > OUT_QUEUE_MAX) {
		dropped++; /* a whole line, never a piece of one */
		watch_writable(true);
		return;
	}
	/* The rest of a line already begun is always kept: lines stay whole. */
	for (int i = 0; i < n; i++) {
		size_t len = iov[i].iov_len;
		const char *p = iov[i].iov_base;

		if (done >= len) {
			done -= len;
			continue;
		}
		sbuf_add(&queue, p + done, len - done);
		done = 0;
	}
	watch_writable(true);
}

void out_on_writable(void)
{
	while (pending()) {
		ssize_t r = write(STDOUT_FILENO, queue.s + queue_off, pending());

		if (r < 0) {
			if (errno == EAGAIN)
				return; /* still full: epoll calls again */
			break; /* the reader is gone: drop the queue */
		}
		queue_off += (size_t)r;
	}
	queue.len = queue_off = 0;
	if (dropped) {
		char line[128];
		int len = snprintf(line, sizeof(line),
				   "[sup] %llu line(s) of output dropped while stdout was blocked\n", dropped);
		dropped = 0;
		out_writev(&(struct iovec){ line, (size_t)len }, 1);
		return;
	}
	watch_writable(false);
}

void out_close(void)
{
	if (pending())
		out_on_writable(); /* one last try, without blocking */
	watch_writable(false);
	sbuf_free(&queue);
	queue_off = 0;
}
