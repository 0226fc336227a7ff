/* SPDX-License-Identifier: MIT */
/*
 * irq_timer - the BCM2835 system timer's interrupt through libudrv against
 * a hand-written loop on the same /dev/uioN fd (board rpi3: compare channel
 * 1 through uio_pdrv_genirq, drivers/timer/registers.h):
 *
 *   vm/run --board rpi3 --put build-aarch64/bench/irq_timer -- irq_timer [-n N] [SPEC]
 *
 * One cycle: arm compare 1 a short time ahead (CLO + --ahead us), wait for
 * the interrupt, acknowledge it (write M1 to CS), re-arm the line. The udrv
 * side waits in udrv_irq_wait() and re-arms with udrv_irq_enable(), all
 * accesses through udrv_read32/udrv_write32; the raw side does poll() +
 * read() on the fd, the registers through a volatile pointer into the same
 * mapping, and write(fd, 1) to unmask. Measured on the timer's own 1 MHz
 * counter: the match (the compare value) -> CLO read right after the line
 * is re-armed, in us. The two sides alternate in blocks of 50 cycles inside
 * this one process (udrv first, then raw first), so drift in TCG speed hits
 * both; the figure is the median of the per-block udrv/raw ratios.
 *
 * Output: records in bench/README.md's format. Exit 1 only when the set-up
 * fails or interrupts stop coming; never on speed.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udrv.h"
#include "../drivers/timer/registers.h"

#define BLOCK 50
#define WAIT_MS 1000 /* a compare missed (passed before it was written): re-arm */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static uint32_t ahead_us = 1000;
static unsigned missed;

/* One block through the library. Returns 0, or -1 when interrupts stop. */
static int block_udrv(udrv_dev *dev, double *cyc)
{
	for (int i = 0; i < BLOCK;) {
		uint32_t clo = 0, cmp, cs = 0;
		int r;

		udrv_read32(dev, 0, ST_CLO, &clo);
		cmp = clo + ahead_us;
		udrv_write32(dev, 0, ST_C(ST_CHANNEL), cmp);
		r = udrv_irq_wait(dev, WAIT_MS, NULL);
		if (r < 0)
			return -1;
		if (r == 0) { /* CLO passed the compare before it was written */
			if (++missed > 10)
				return -1;
			continue;
		}
		udrv_read32(dev, 0, ST_CS, &cs);
		udrv_write32(dev, 0, ST_CS, cs & ST_CS_M(ST_CHANNEL));
		udrv_irq_enable(dev);
		udrv_read32(dev, 0, ST_CLO, &clo);
		cyc[i++] = (double)(uint32_t)(clo - cmp);
	}
	return 0;
}

/* The same steps by hand on the same fd and mapping. */
static int block_raw(volatile uint8_t *regs, int fd, double *cyc)
{
	volatile uint32_t *cs_reg = (volatile uint32_t *)(regs + ST_CS);
	volatile uint32_t *clo_reg = (volatile uint32_t *)(regs + ST_CLO);
	volatile uint32_t *c_reg = (volatile uint32_t *)(regs + ST_C(ST_CHANNEL));

	for (int i = 0; i < BLOCK;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint32_t cmp, count, one = 1, cs, clo;
		int r;

		cmp = *clo_reg + ahead_us;
		*c_reg = cmp;
		r = poll(&p, 1, WAIT_MS);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (++missed > 10)
				return -1;
			continue;
		}
		if (read(fd, &count, sizeof(count)) != sizeof(count))
			return -1;
		cs = *cs_reg;
		*cs_reg = cs & ST_CS_M(ST_CHANNEL);
		if (write(fd, &one, sizeof(one)) != sizeof(one))
			return -1;
		clo = *clo_reg;
		cyc[i++] = (double)(uint32_t)(clo - cmp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *spec = "name:timer", *tag = "rpi3-timer";
	int n = 2000, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ahead") && i + 1 < argc)
			ahead_us = (uint32_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tag") && i + 1 < argc)
			tag = argv[++i];
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: irq_timer [-n N] [--ahead US] [--tag T] [SPEC]\n");
			return 2;
		} else
			spec = argv[i];
	}
	if (n < BLOCK)
		n = BLOCK;
	if (ahead_us < 10 || ahead_us > 1000000) {
		fprintf(stderr, "irq_timer: --ahead must be 10..1000000 us\n");
		return 2;
	}

	udrv_dev *dev = udrv_open(spec);
	volatile uint8_t *regs;
	struct udrv_map_info mi;
	int fd;

	if (!dev || !(regs = udrv_map(dev, 0)) || udrv_map_info(dev, 0, &mi) < 0 ||
	    mi.size < ST_REGS_END || (fd = udrv_irq_fd(dev)) < 0) {
		fprintf(stderr, "irq_timer: %s: %s\n", spec, dev ? "no timer registers or interrupt" :
			strerror(errno));
		return 1;
	}
	/* Start clean: a stale match flag would fire at once. */
	udrv_write32(dev, 0, ST_CS, ST_CS_M(ST_CHANNEL));
	if (udrv_irq_enable(dev) < 0) {
		fprintf(stderr, "irq_timer: enabling the interrupt: %s\n", strerror(errno));
		return 1;
	}

	int nb = n / BLOCK;
	double *all = calloc((size_t)nb * 2 * BLOCK, sizeof(double));
	double *ratio = calloc((size_t)nb, sizeof(double));

	/* UIO's counter also moves with the raw blocks' interrupts: udrv counts
	 * those as coalesced at its next wait; they were not. */
	uint64_t missed0 = udrv_irq_missed(dev), surplus = 0, raw_since = 0;

	if (!all || !ratio)
		return 1;
	for (int b = 0; b < nb; b++) {
		double *cu = all + (size_t)b * 2 * BLOCK, *cr = cu + BLOCK;
		double mu, mr;

		for (int k = 0; k < 2; k++) {
			bool udrv_turn = (k == 0) == (b % 2 == 0);
			int r = udrv_turn ? block_udrv(dev, cu) : block_raw(regs, fd, cr);

			if (udrv_turn) {
				surplus += raw_since;
				raw_since = 0;
			} else {
				raw_since += BLOCK;
			}

			if (r < 0) {
				fprintf(stderr, "irq_timer: interrupts stopped in block %d (%u missed "
					"compares)\n", b, missed);
				return 1;
			}
		}
		/* medians of copies: the samples are printed in order below */
		double tu[BLOCK], tr[BLOCK];

		memcpy(tu, cu, sizeof(tu));
		memcpy(tr, cr, sizeof(tr));
		mu = median(tu, BLOCK);
		mr = median(tr, BLOCK);
		ratio[b] = mr > 0 ? mu / mr : 0;
	}
	/* Printed at the end: console output would slow the blocks down. */
	printf("row irq-%s-cycle us timer compare match -> woken -> CS acked -> re-armed "
	       "(timer's 1 MHz counter), BCM2835 system timer channel 1 over uio_pdrv_genirq "
	       "(board rpi3, TCG)\n", tag);
	printf("row irq-%s-ratio udrv/raw per-block median ratio of the cycle, %s\n", tag, tag);
	for (int b = 0; b < nb; b++) {
		double *cu = all + (size_t)b * 2 * BLOCK, *cr = cu + BLOCK;

		for (int j = 0; j < BLOCK; j++)
			printf("sample irq-%s-cycle udrv %.0f\nsample irq-%s-cycle raw %.0f\n", tag,
			       cu[j], tag, cr[j]);
		if (ratio[b] > 0)
			printf("sample irq-%s-ratio udrv/raw %.4f\n", tag, ratio[b]);
	}
	printf("note irq-%s-cycle %d interrupts per side in blocks of %d, compare armed %u us "
	       "ahead, %u compares passed before being written (re-armed, not counted), %llu "
	       "interrupts coalesced (udrv)\n", tag, nb * BLOCK, BLOCK, ahead_us, missed,
	       (unsigned long long)(udrv_irq_missed(dev) - missed0 > surplus ?
				    udrv_irq_missed(dev) - missed0 - surplus : 0));
	printf("target irq-%s-ratio udrv/raw le 1.05\n", tag);
	udrv_write32(dev, 0, ST_CS, ST_CS_M(ST_CHANNEL));
	free(all);
	free(ratio);
	udrv_close(dev);
	return 0;
}
