/* SPDX-License-Identifier: MIT */
/*
 * ipc_client - the client side of the IPC tests on board pc (issue 8),
 * against edu_driver --serve under driver_supervisor with IPC=yes.
 *
 *   ipc_client storm NAME   add calls (value = call number) until SIGUSR1,
 *                           each reply checked against a client-side ledger;
 *                           then the driver's total is compared with it.
 *   ipc_client hostile NAME random and malformed messages on raw connections
 *                           of their own, then a normal call must still work.
 *
 * Prints "key=value" lines for the host to assert on. Exit 0 when the
 * accounting holds (no error, no mismatch), 1 otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

#define TIMEOUT_MS 60000 /* a call that spans a restart on a slow TCG guest */

static volatile sig_atomic_t stop;
static void on_usr1(int sig) { (void)sig; stop = 1; }

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int get_total(udrv_client *c, uint64_t *t)
{
	uint8_t b[8];
	int r = udrv_client_call(c, "total", NULL, 0, b, sizeof(b), TIMEOUT_MS);

	if (r != 8)
		return r < 0 ? r : -EPROTO;
	*t = 0;
	for (int i = 7; i >= 0; i--)
		*t = *t << 8 | b[i];
	return 0;
}

static int storm(const char *name)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	udrv_client *c = udrv_client_connect(name);
	uint64_t start, ledger, total, calls = 0, errors = 0, mismatch = 0, resends;
	size_t ncross = 0, cap = 1024;
	double *cross = malloc(cap * sizeof(double)), *all = NULL, worst = 0;
	size_t nall = 0, capall = 1 << 16;
	int r;

	all = malloc(capall * sizeof(double));
	sigaction(SIGUSR1, &sa, NULL);
	if (!c || !cross || !all) {
		printf("error=connect: %s\n", strerror(errno));
		return 1;
	}
	r = get_total(c, &start);
	if (r < 0) {
		printf("error=total: %s\n", strerror(-r));
		return 1;
	}
	ledger = start;
	printf("ready start_total=%llu\n", (unsigned long long)start);
	fflush(stdout);
	while (!stop) {
		uint32_t v = (uint32_t)(calls % 1000 + 1);
		uint8_t req[4] = { v, v >> 8, v >> 16, v >> 24 }, resp[8];
		uint64_t got = 0, before = udrv_client_resends(c);
		double t0 = now_ms(), dt;

		r = udrv_client_call(c, "add", req, 4, resp, sizeof(resp), TIMEOUT_MS);
		dt = now_ms() - t0;
		calls++;
		if (r != 8) {
			errors++;
			printf("call_error=%llu: %s\n", (unsigned long long)calls,
			       r < 0 ? strerror(-r) : "short reply");
			continue;
		}
		ledger += v;
		for (int i = 7; i >= 0; i--)
			got = got << 8 | resp[i];
		if (got != ledger) {
			mismatch++;
			if (mismatch <= 5)
				printf("mismatch=call %llu: driver says %llu, ledger %llu\n",
				       (unsigned long long)calls, (unsigned long long)got,
				       (unsigned long long)ledger);
			ledger = got; /* report each jump once */
		}
		if (dt > worst)
			worst = dt;
		if (nall < capall)
			all[nall++] = dt;
		if (udrv_client_resends(c) != before && ncross < cap)
			cross[ncross++] = dt; /* this call spanned a crash */
	}
	resends = udrv_client_resends(c);
	r = get_total(c, &total);
	if (r < 0) {
		printf("error=final total: %s\n", strerror(-r));
		return 1;
	}
	qsort(all, nall, sizeof(double), cmp_d);
	qsort(cross, ncross, sizeof(double), cmp_d);
	printf("calls=%llu errors=%llu mismatches=%llu resends=%llu\n", (unsigned long long)calls,
	       (unsigned long long)errors, (unsigned long long)mismatch,
	       (unsigned long long)resends);
	printf("ledger=%llu total=%llu lost=%lld\n", (unsigned long long)ledger,
	       (unsigned long long)total, (long long)(ledger - total));
	printf("latency_ms p50=%.2f p99=%.2f max=%.1f\n", nall ? all[nall / 2] : 0,
	       nall ? all[nall * 99 / 100] : 0, worst);
	printf("crash_spanning calls=%zu p50=%.1f p99=%.1f\n", ncross,
	       ncross ? cross[ncross / 2] : 0, ncross ? cross[ncross * 99 / 100] : 0);
	udrv_client_close(c);
	return errors || mismatch || total != ledger ? 1 : 0;
}

static int hostile(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *dir = getenv("UDRV_RUNTIME_DIR");
	unsigned seed = 4242;
	uint8_t msg[200], rep[256];
	int sent = 0, closed = 0;
	udrv_client *c;
	uint8_t b[8];
	int r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", dir ? dir : "/run/udrv", name);
	for (int i = 0; i < 500; i++) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		struct timeval tv = { 30, 0 };
		size_t len = (size_t)rand_r(&seed) % sizeof(msg) + 1;

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			printf("error=connect %s: %s\n", sa.sun_path, strerror(errno));
			return 1;
		}
		for (size_t j = 0; j < len; j++)
			msg[j] = (uint8_t)rand_r(&seed);
		if (i % 3 == 1) /* a valid magic and version: deeper into the parser */
			memcpy(msg, "UDRV\x01\x01", len < 6 ? len : 6);
		if (i % 3 == 2 && len >= 40) { /* a request header that lies about its length */
			memcpy(msg, "UDRV\x01\x01\0\0", 8);
			memset(msg + 34, 0, 2);
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (send(fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len)
			sent++;
		/* an error reply or none, then the connection must be closed */
		while ((r = (int)recv(fd, rep, sizeof(rep), 0)) > 0)
			;
		if (r == 0)
			closed++;
		close(fd);
	}
	c = udrv_client_connect(name);
	r = c ? udrv_client_call(c, "total", NULL, 0, b, sizeof(b), TIMEOUT_MS) : -errno;
	printf("hostile sent=%d closed=%d after=%s\n", sent, closed, r == 8 ? "answered" : strerror(-r));
	udrv_client_close(c);
	return sent == 500 && closed == 500 && r == 8 ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "storm") == 0)
		return storm(argv[2]);
	if (argc == 3 && strcmp(argv[1], "hostile") == 0)
		return hostile(argv[2]);
	fprintf(stderr, "usage: ipc_client storm|hostile NAME\n");
	return 2;
}
