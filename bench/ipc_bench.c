/* SPDX-License-Identifier: MIT */
/*
 * ipc_bench - the cost of a driver operation over udrv IPC, on the host,
 * through the real stack: driver_supervisor holds the socket of a unit
 * with IPC=yes running this program as its driver (--server).
 *
 *   ipc-rtt    one call's round trip, 64-byte request and reply:
 *              raw-seqpacket  send + recv against a bare echo process on a
 *                             SOCK_SEQPACKET socket of its own (the floor)
 *              udrv-pure      udrv_client_call of a pure echo operation
 *              udrv-state     a state operation (the reply and the state
 *                             committed together in the checkpoint)
 *              target: udrv-pure <= 1.3 x raw-seqpacket
 *   ipc-rate   the same as calls per second
 *   ipc-crash  a call made right after the driver was killed (SIGKILL):
 *              crash -> restart -> the resent call answered, in ms
 *
 * Sides alternate in blocks of BLOCK calls; one sample per block (mean).
 * Everything (this client, the supervisor, the driver, the raw echo) runs
 * on one CPU: the row compares software cost; across CPUs the figures
 * follow where the scheduler wakes each side up (idle-CPU wake-up latency
 * on a VM host swings them several-fold for every side alike).
 * Records in bench/README.md's format on stdout.
 *
 *   ipc_bench --supervisor PATH [--quick]
 *   ipc_bench --server          (the driver, started by the supervisor)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

#define MSG 64
#define WAIT_MS 30000

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* --- the driver ---------------------------------------------------------- */

static int op_echo(void *arg, const struct udrv_call *c)
{
	(void)arg;
	memcpy(c->resp, c->req, c->req_len);
	return (int)c->req_len;
}

static int op_state(void *arg, const struct udrv_call *c)
{
	uint64_t *n = c->state;

	(void)arg;
	(*n)++;
	memcpy(c->resp, c->req, c->req_len);
	return (int)c->req_len;
}

static int op_pid(void *arg, const struct udrv_call *c)
{
	int32_t p = getpid();

	(void)arg;
	memcpy(c->resp, &p, 4);
	return 4;
}

static int server(void)
{
	struct sigaction sa = { .sa_handler = on_term };
	udrv_server *s = udrv_server_open(1, 8);

	if (!s) {
		fprintf(stderr, "ipc_bench --server: %s\n", strerror(errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	if (udrv_server_add_op(s, "echo", UDRV_OP_PURE, op_echo, NULL, NULL) ||
	    udrv_server_add_op(s, "state", UDRV_OP_STATE, op_state, NULL, NULL) ||
	    udrv_server_add_op(s, "pid", UDRV_OP_PURE, op_pid, NULL, NULL))
		return 1;
	udrv_notify_ready();
	while (!stop) {
		int r = udrv_server_dispatch(s, -1);

		if (r < 0 && r != -EINTR)
			return 1;
	}
	udrv_server_close(s);
	return 0;
}

/* --- the raw floor: a bare SEQPACKET echo --------------------------------- */

static pid_t raw_echo(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	pid_t p;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 8) < 0)
		return -1;
	p = fork();
	if (p == 0) {
		char buf[4096];
		int c = accept(l, NULL, NULL);
		ssize_t n;

		while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
			send(c, buf, (size_t)n, MSG_NOSIGNAL);
		_exit(0);
	}
	close(l);
	return p;
}

/* --- the client ----------------------------------------------------------- */

static int sh(const char *cmd)
{
	int r = system(cmd);

	return r == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *sup = NULL;
	bool quick = false;
	char dir[] = "/tmp/udrv-ipc-bench.XXXXXX", path[256], cmd[1024];
	int samples, block, crashes;
	udrv_client *c = NULL, *cs = NULL;
	uint8_t msg[MSG], resp[MSG];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t supp, rawp;
	int raw = -1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--server") == 0)
			return server();
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--supervisor") == 0 && i + 1 < argc)
			sup = argv[++i];
	}
	if (!sup) {
		fprintf(stderr, "usage: ipc_bench --supervisor PATH [--quick] | --server\n");
		return 2;
	}
	samples = quick ? 3 : 15;
	block = quick ? 500 : 2000;
	crashes = quick ? 5 : 40;
	if (!mkdtemp(dir))
		return 1;
	{
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
		sched_setaffinity(0, sizeof(one), &one); /* inherited by every process below */
	}
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/conf && printf '[Driver]\\nExecStart=%s --server\\nType=notify\\n"
		 "IPC=yes\\nRestart=always\\nRestartSec=1ms\\nRestartMaxDelaySec=1ms\\n"
		 "RestartMinDelaySec=1ms\\nStartLimitBurst=0\\n' > %s/conf/bench.driver",
		 dir, realpath(argv[0], NULL) ? realpath(argv[0], NULL) : argv[0], dir);
	if (sh(cmd) < 0)
		return 1;
	supp = fork();
	if (supp == 0) {
		char conf[256], ctl[256], run[256];

		snprintf(conf, sizeof(conf), "%s/conf", dir);
		snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
		snprintf(run, sizeof(run), "%s/run", dir);
		if (!freopen("/dev/null", "w", stdout))
			_exit(1);
		execl(sup, sup, "--config", conf, "--control", ctl, "--runtime-dir", run, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/run/bench.sock", dir);
	for (int i = 0; i < 1000 && !c; i++) {
		c = udrv_client_connect(path);
		if (!c)
			usleep(10000);
	}
	memset(msg, 0xa5, sizeof(msg));
	if (!c || udrv_client_call(c, "echo", msg, MSG, resp, MSG, WAIT_MS) != MSG) {
		fprintf(stderr, "ipc_bench: the driver did not answer at %s\n", path);
		goto out;
	}
	cs = udrv_client_connect(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/raw.sock", dir);
	rawp = raw_echo(sa.sun_path);
	raw = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (!cs || rawp < 0 || raw < 0 || connect(raw, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ipc_bench: set-up failed: %s\n", strerror(errno));
		goto out;
	}

	printf("row ipc-rtt us one call's round trip, 64-byte request and reply (host)\n");
	printf("row ipc-rate calls/s calls per second, one client, one call at a time\n");
	for (int s = 0; s < samples; s++) {
		for (int side = 0; side < 3; side++) {
			int k = (side + s) % 3; /* rotate: no side always first */
			double t0 = now_us(), us;

			for (int i = 0; i < block; i++) {
				int r;

				if (k == 0) {
					r = send(raw, msg, MSG, 0) == MSG && recv(raw, resp, MSG, 0) == MSG ? MSG : -1;
				} else {
					r = udrv_client_call(k == 1 ? c : cs, k == 1 ? "echo" : "state", msg, MSG,
							     resp, MSG, WAIT_MS);
				}
				if (r != MSG) {
					fprintf(stderr, "ipc_bench: a call failed: %d\n", r);
					goto out;
				}
			}
			us = (now_us() - t0) / block;
			const char *name = k == 0 ? "raw-seqpacket" : k == 1 ? "udrv-pure" : "udrv-state";

			printf("sample ipc-rtt %s %.3f\n", name, us);
			printf("sample ipc-rate %s %.0f\n", name, 1e6 / us);
		}
	}
	printf("target ipc-rtt udrv-pure le_ratio 1.3 raw-seqpacket\n");

	printf("row ipc-crash ms a call made right after SIGKILL of the driver: restart + resend + answer\n");
	for (int i = 0; i < crashes; i++) {
		int32_t pid = 0;
		double t0;

		usleep(20000);
		if (udrv_client_call(c, "pid", NULL, 0, &pid, 4, WAIT_MS) != 4 || pid <= 0)
			goto out;
		t0 = now_us();
		kill(pid, SIGKILL);
		if (udrv_client_call(c, "echo", msg, MSG, resp, MSG, WAIT_MS) != MSG) {
			fprintf(stderr, "ipc_bench: the call across a crash failed\n");
			goto out;
		}
		printf("sample ipc-crash udrv %.3f\n", (now_us() - t0) / 1e3);
	}
	printf("note ipc-crash the supervisor's restart floor is set to 1 ms here "
	       "(RestartMinDelaySec=1ms; the default is 100ms)\n");
out:
	udrv_client_close(c);
	udrv_client_close(cs);
	if (raw >= 0)
		close(raw);
	kill(supp, SIGTERM);
	waitpid(supp, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
	return 0;
}
