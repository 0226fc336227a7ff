/* SPDX-License-Identifier: MIT */
/*
 * restart_latency - crash-to-ready-again latency of driver_supervisor.
 *
 *   restart_latency SUPERVISOR TEST_DRIVER [-n CRASHES] [--restart-sec TIME]
 *
 * Starts driver_supervisor on a temporary config with one test_driver
 * (RestartSec=0 by default, no start limit), then N times: note the time,
 * kill -SEGV the driver, and wait for the new instance to report READY=1.
 * test_driver writes "ready PID MONOTONIC_NS" to a FIFO right after its
 * READY=1 datagram was sent, so the figure covers: the fault, the kernel
 * delivering the exit to the supervisor's pidfd, reaping, classification,
 * the log line, fork+exec of the new instance, its start-up and READY=1.
 * Prints p50/p90/p99/max. A benchmark, not a test: it never fails on speed.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int fifo_fd;

/* Next "ready PID NS" line from the driver; -1 after 10 s of silence. */
static int next_ready(pid_t *pid, uint64_t *ns)
{
	static char buf[4096];
	static size_t len;

	for (;;) {
		char *nl = memchr(buf, '\n', len), ev[16];
		unsigned long long t;
		int p;

		if (nl) {
			*nl = '\0';
			int ok = sscanf(buf, "%15s %d %llu", ev, &p, &t) == 3 && strcmp(ev, "ready") == 0;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
			if (ok) {
				*pid = p;
				*ns = t;
				return 0;
			}
			continue;
		}
		struct pollfd pfd = { .fd = fifo_fd, .events = POLLIN };
		if (len == sizeof(buf) || poll(&pfd, 1, 10000) != 1)
			return -1;
		ssize_t n = read(fifo_fd, buf + len, sizeof(buf) - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e6;
}

int main(int argc, char **argv)
{
	const char *restart_sec = "0";
	char supervisor[PATH_MAX], driver[PATH_MAX];
	char dir[] = "/tmp/udrv-bench-XXXXXX", path[512], ctl[512], unit[512];
	long n = 200;
	uint64_t *lat;
	pid_t sup, pid;
	uint64_t t;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: restart_latency SUPERVISOR TEST_DRIVER [-n CRASHES] [--restart-sec TIME]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = atol(argv[++i]);
		else if (strcmp(argv[i], "--restart-sec") == 0 && i + 1 < argc)
			restart_sec = argv[++i];
		else {
			fprintf(stderr, "restart_latency: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (n < 1) {
		fprintf(stderr, "restart_latency: -n must be at least 1\n");
		return 2;
	}
	/* the unit file lives elsewhere: relative paths would not resolve */
	if (!realpath(argv[1], supervisor) || !realpath(argv[2], driver)) {
		fprintf(stderr, "restart_latency: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ready.fifo", dir);
	snprintf(ctl, sizeof(ctl), "%s/control.sock", dir);
	snprintf(unit, sizeof(unit), "%s/bench.driver", dir);
	if (mkfifo(path, 0600) < 0) {
		perror("mkfifo");
		return 1;
	}
	/* O_RDWR: the FIFO never reports EOF between driver instances */
	fifo_fd = open(path, O_RDWR | O_CLOEXEC);
	f = fopen(unit, "w");
	if (fifo_fd < 0 || !f) {
		perror("bench setup");
		return 1;
	}
	fprintf(f, "[Driver]\nExecStart=%s --record %s\nRestartSec=%s\nRestartMaxDelaySec=%s\n"
		   "StartLimitBurst=0\n", driver, path, restart_sec, restart_sec);
	fclose(f);

	sup = fork();
	if (sup == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		execl(supervisor, supervisor, "--config", unit, "--control", ctl, (char *)NULL);
		_exit(127);
	}
	lat = calloc((size_t)n, sizeof(*lat));
	if (sup < 0 || !lat || next_ready(&pid, &t) < 0) {
		fprintf(stderr, "restart_latency: the driver did not start\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		uint64_t t0 = now_ns(), t1;
		pid_t np;

		if (kill(pid, SIGSEGV) < 0) {
			perror("kill");
			break;
		}
		if (next_ready(&np, &t1) < 0 || np == pid) {
			fprintf(stderr, "restart_latency: no new instance after crash %ld\n", i + 1);
			n = i;
			break;
		}
		lat[i] = t1 - t0;
		pid = np;
	}
	kill(sup, SIGTERM);
	waitpid(sup, NULL, 0);
	unlink(path);
	unlink(unit);
	rmdir(dir);
	if (n < 1)
		return 1;

	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	double sum = 0;
	for (long i = 0; i < n; i++)
		sum += (double)lat[i] / 1e6;
	printf("crash-to-ready latency over %ld crashes (kill -SEGV -> new instance sent READY=1), "
	       "RestartSec=%s:\n", n, restart_sec);
	printf("  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  mean %.3f ms\n",
	       pct(lat, (size_t)n, 50), pct(lat, (size_t)n, 90), pct(lat, (size_t)n, 99),
	       (double)lat[n - 1] / 1e6, sum / (double)n);
	free(lat);
	return 0;
}
