/* SPDX-License-Identifier: MIT */
/*
 * bench_svc - the supervised program of the restart, scale and idle rows,
 * the same binary under every supervisor compared (driver_supervisor,
 * s6-supervise, runsv, the fork/spawn floors), so only the supervisor differs.
 *
 * At the top of main() it appends "start SIDE PID NS" to the FIFO in
 * $BENCH_FIFO (NS = CLOCK_MONOTONIC), then reports readiness the way its
 * supervisor wants it: an sd_notify READY=1 datagram to $NOTIFY_SOCKET
 * (driver_supervisor), or a newline on fd $BENCH_S6_NOTIFY_FD (s6's
 * notification-fd), then appends "ready SIDE PID NS", then sleeps in pause()
 * until killed (0 wake-ups while idle). SIDE is $BENCH_SIDE. No libudrv: the
 * notify code is inline so every side loads the same (static) image.
 * Lines are short, so each write() to the FIFO is atomic (PIPE_BUF).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void record(int fd, const char *ev, const char *side)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s %s %d %llu\n", ev, side, (int)getpid(), now_ns());

	if (fd >= 0 && n > 0 && write(fd, line, (size_t)n) < 0)
		_exit(3);
}

/* sd_notify("READY=1"): a datagram to a path or an abstract ('@') socket. */
static void notify_ready(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd;

	if (len == 0 || len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

int main(void)
{
	const char *fifo = getenv("BENCH_FIFO"), *side = getenv("BENCH_SIDE");
	const char *ns = getenv("NOTIFY_SOCKET"), *s6 = getenv("BENCH_S6_NOTIFY_FD");
	int fd = -1;

	if (!side)
		side = "?";
	if (fifo) {
		/* O_WRONLY|O_NONBLOCK: fails rather than blocks if no reader */
		fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	}
	record(fd, "start", side);
	if (ns)
		notify_ready(ns);
	if (s6) {
		int nfd = atoi(s6);
		if (write(nfd, "\n", 1) == 1)
			close(nfd);
	}
	record(fd, "ready", side);
	for (;;)
		pause();
}
