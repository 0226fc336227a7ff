/* SPDX-License-Identifier: MIT */
/*
 * fault_ctl - the controller of `make faults`, inside board pc (static).
 *
 *   fault_ctl NAME N SEED SUPERVISOR_PID KIND[,KIND...]
 *
 * Injects N faults of kinds picked at random (seed SEED) from the list (in
 * rounds: each kind once per round, in a shuffled order, so that a short
 * run still has them all) into
 * driver NAME (edu_driver with UDRV_FAULTS=1, drivers/edu/edu_faults.h),
 * one at a time, through its IPC operation "fault"; after each one it calls
 * "pid" until an instance answers: a new one for the kinds that end the
 * driver, any for a wild DMA (the IOMMU contains it, the driver goes on).
 * One line per fault:
 *   fault i=I kind=K arg=A pid=P new=Q recovered=0|1 ms=T origin=O detail=D sup=alive|dead
 *         warn=W dmar=M
 * (ms: fault reply -> the answer of the instance that serves again; origin:
 * what that instance's checkpoint open found; detail: the kind's own figure,
 * the -errno of udrv_read32 past the BAR for oob; warn, dmar: kernel log
 * records since the previous line, read from /dev/kmsg as they come, so a
 * long run does not depend on the log buffer keeping them: WARNING/BUG/Oops
 * and IOMMU (DMAR) faults). The last line, "kmsg warn=W dmar=M lost=L",
 * has what came after the last fault (lost: records overwritten before they
 * were read). Exit 0 when every fault
 * was recovered and the supervisor lived throughout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

/* edu_faults.h's kind codes, by name */
static const char *const kinds[] = {
	NULL, "sigsegv", "sigbus", "sigkill", "abort", "exit", "hang", "spin", "oob", "dma",
	"ckpt-corrupt", "ckpt-crash", "slow-start", "forkbomb", "memory",
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define CALL_MS 60000     /* one call, across a restart */
#define RECOVER_MS 120000 /* a fault -> a new instance serving */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t get_u32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int kfd = -1;
static unsigned long klost;

/* Kernel log records since the last call: warnings and DMAR faults. */
static void kmsg_drain(unsigned *warn, unsigned *dmar)
{
	char rec[8192];
	ssize_t n;

	*warn = *dmar = 0;
	if (kfd < 0)
		return;
	for (;;) {
		n = read(kfd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) { /* overwritten before we read it */
			klost++;
			continue;
		}
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, "WARNING:") || strstr(rec, "BUG:") || strstr(rec, "Oops") ||
		    strstr(rec, "general protection fault") || strstr(rec, "Kernel panic"))
			++*warn;
		if (strstr(rec, "DMAR: [DMA"))
			++*dmar;
	}
}

/* "pid": which instance answers, and its checkpoint origin. */
static int who(udrv_client *c, uint32_t *pid, uint32_t *origin)
{
	uint8_t b[8];
	int r = udrv_client_call(c, "pid", NULL, 0, b, sizeof(b), CALL_MS);

	if (r != 8)
		return r < 0 ? r : -EPROTO;
	*pid = get_u32(b);
	*origin = get_u32(b + 4);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned pick[NKINDS], npick = 0, deck[NKINDS], ndeck = 0, seed, fails = 0;
	unsigned long n;
	udrv_client *c;
	pid_t sup;
	char *list, *tok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 6) {
		fprintf(stderr, "usage: fault_ctl NAME N SEED SUPERVISOR_PID KIND[,KIND...]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	seed = (unsigned)strtoul(argv[3], NULL, 10);
	sup = (pid_t)strtol(argv[4], NULL, 10);
	list = argv[5];
	for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned k;

		for (k = 1; k < NKINDS && strcmp(kinds[k], tok); k++)
			;
		if (k == NKINDS || npick == NKINDS) {
			fprintf(stderr, "fault_ctl: unknown fault kind '%s'\n", tok);
			return 2;
		}
		pick[npick++] = k;
	}
	if (!npick || sup <= 0) {
		fprintf(stderr, "fault_ctl: no kinds, or a bad supervisor pid\n");
		return 2;
	}
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd < 0 || lseek(kfd, 0, SEEK_END) < 0)
		printf("error=/dev/kmsg: %s (kernel warnings not counted)\n", strerror(errno));
	c = udrv_client_connect(argv[1]);
	if (!c) {
		printf("error=connect %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (unsigned long i = 1; i <= n; i++) {
		unsigned k;
		uint32_t arg, pid0, pid = 0, origin = 0, o;
		uint8_t req[8], rep[8];
		int r, recovered = 0;
		unsigned warn, dmar;
		int32_t detail = 0;
		double t0, t1 = 0;

		if (!ndeck) { /* a new round: every kind once, shuffled */
			memcpy(deck, pick, sizeof(pick));
			for (ndeck = npick; ndeck > 1; ndeck--) {
				unsigned j = (unsigned)rand_r(&seed) % ndeck, t = deck[j];

				deck[j] = deck[ndeck - 1];
				deck[ndeck - 1] = t;
			}
			ndeck = npick;
		}
		k = deck[--ndeck];
		arg = (uint32_t)rand_r(&seed);
		r = who(c, &pid0, &o);
		if (r < 0) {
			printf("error=fault %lu: pid before: %s\n", i, strerror(-r));
			fails++;
			continue;
		}
		for (int j = 0; j < 4; j++) {
			req[j] = (uint8_t)(k >> (8 * j));
			req[4 + j] = (uint8_t)(arg >> (8 * j));
		}
		r = udrv_client_call(c, "fault", req, 8, rep, sizeof(rep), CALL_MS);
		t0 = now_ms();
		if (r != 8) {
			printf("error=fault %lu (%s): %s\n", i, kinds[k],
			       r < 0 ? strerror(-r) : "short reply");
			fails++;
			continue;
		}
		detail = (int32_t)get_u32(rep + 4);
		/* Serving again: for a wild DMA any answer (the driver goes on);
		 * for the others an answer from another instance. */
		while (now_ms() - t0 < RECOVER_MS) {
			r = who(c, &pid, &origin);
			if (r == 0 && (k == 9 || pid != pid0)) {
				t1 = now_ms();
				recovered = 1;
				break;
			}
			if (r < 0)
				usleep(10000);
		}
		if (!recovered)
			fails++;
		r = kill(sup, 0) == 0;
		if (!r)
			fails++;
		kmsg_drain(&warn, &dmar);
		printf("fault i=%lu kind=%s arg=%u pid=%u new=%u recovered=%d ms=%.2f origin=%u "
		       "detail=%d sup=%s warn=%u dmar=%u\n", i, kinds[k], arg, pid0, pid, recovered,
		       recovered ? t1 - t0 : 0.0, origin, detail, r ? "alive" : "dead", warn, dmar);
	}
	udrv_client_close(c);
	{
		unsigned warn, dmar;

		usleep(200000);
		kmsg_drain(&warn, &dmar);
		printf("kmsg warn=%u dmar=%u lost=%lu\n", warn, dmar, klost);
	}
	printf("done faults=%lu\n", n);
	return fails ? 1 : 0;
}
