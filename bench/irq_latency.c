/* SPDX-License-Identifier: MIT */
/*
 * irq_latency - time from raising an edu interrupt (register write 0x60) to
 * udrv_irq_wait() returning, and the full raise -> wait -> ack -> re-arm
 * cycle, over N interrupts. Run in board pc, over UIO (INTx through
 * uio_pci_generic) or VFIO (MSI through an eventfd):
 *
 *   vm/run --board pc --bind uio|vfio --put build/bench/irq_latency -- irq_latency [-n N] [SPEC]
 *
 * Prints figures; never fails on speed (exit 1 only if interrupts are lost).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "udrv.h"

#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-28s n=%d  p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  max %7.1f us\n", what, n,
	       v[n / 2], v[n * 9 / 10], v[n * 99 / 100], v[n - 1]);
}

int main(int argc, char **argv)
{
	const char *spec = "pci:0000:00:03.0";
	int n = 1000, i;
	udrv_dev *dev;
	double *wake, *cycle, t0, cpu0, wall0;
	struct timespec c;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
		else
			spec = argv[i];
	}
	if (n < 10) {
		fprintf(stderr, "irq_latency: -n must be at least 10\n");
		return 2;
	}
	dev = udrv_open(spec);
	if (!dev) {
		fprintf(stderr, "irq_latency: %s: %s\n", spec, strerror(errno));
		return 1;
	}
	wake = calloc((size_t)n, sizeof(double));
	cycle = calloc((size_t)n, sizeof(double));
	if (!wake || !cycle || udrv_irq_enable(dev) < 0) {
		fprintf(stderr, "irq_latency: set-up failed\n");
		return 1;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	cpu0 = c.tv_sec * 1e6 + c.tv_nsec / 1e3;
	wall0 = now_us();
	for (i = 0; i < n; i++) {
		uint32_t st = 0;

		t0 = now_us();
		udrv_write32(dev, 0, EDU_IRQ_RAISE, 1);
		if (udrv_irq_wait(dev, 1000, NULL) != 1) {
			fprintf(stderr, "irq_latency: interrupt %d lost\n", i);
			return 1;
		}
		wake[i] = now_us() - t0;
		udrv_read32(dev, 0, EDU_IRQ_STATUS, &st);
		udrv_write32(dev, 0, EDU_IRQ_ACK, st);
		udrv_irq_enable(dev);
		cycle[i] = now_us() - t0;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	printf("irq_latency on %s (%s backend, TCG-emulated guest: compare ratios, not absolutes)\n",
	       udrv_name(dev), udrv_backend(dev));
	report("raise -> wait returns", wake, n);
	report("raise -> ack -> re-armed", cycle, n);
	printf("%-28s %.0f interrupts/s, %.1f us CPU per interrupt, missed %llu\n", "throughput",
	       n / ((now_us() - wall0) / 1e6), (c.tv_sec * 1e6 + c.tv_nsec / 1e3 - cpu0) / n,
	       (unsigned long long)udrv_irq_missed(dev));
	free(wake);
	free(cycle);
	udrv_close(dev);
	return 0;
}
