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
 *
 * With --records [--tag T] (what `make bench` runs) it instead alternates,
 * in blocks of 50 interrupts inside this one process on the same device,
 * the udrv loop above with a hand-written one doing the same steps on the
 * same fds and mapping: raise through the raw BAR pointer, poll()+read()
 * of the irq fd (/dev/uioN, or VFIO's MSI eventfd), status and ack through
 * the pointer, and for uio_pci_generic the INTx re-arm as a pread/pwrite of
 * the command register in the device's sysfs config file (VFIO MSI needs
 * no re-arm). Block order alternates (udrv first, then raw first), so
 * drift in TCG speed hits both. Before that, an idle driver blocked in
 * udrv_irq_wait() has its context switches counted over a few seconds.
 * Output: records in bench/README.md's format.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

#define BLOCK 50
#define PCI_COMMAND 0x04
#define PCI_COMMAND_INTX_DISABLE 0x400

static double cpu_us(void)
{
	struct timespec c;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	return c.tv_sec * 1e6 + c.tv_nsec / 1e3;
}

/* One block of the udrv loop: the library's calls only. */
static int block_udrv(udrv_dev *dev, double *cyc)
{
	for (int i = 0; i < BLOCK; i++) {
		uint32_t st = 0;
		double t0 = now_us();

		udrv_write32(dev, 0, EDU_IRQ_RAISE, 1);
		if (udrv_irq_wait(dev, 1000, NULL) != 1)
			return -1;
		udrv_read32(dev, 0, EDU_IRQ_STATUS, &st);
		udrv_write32(dev, 0, EDU_IRQ_ACK, st);
		udrv_irq_enable(dev);
		cyc[i] = now_us() - t0;
	}
	return 0;
}

/* The same steps by hand. @cfg: the sysfs config fd (uio_pci_generic) or -1. */
static int block_raw(volatile uint8_t *bar, int irqfd, int cfg, bool vfio, double *cyc)
{
	for (int i = 0; i < BLOCK; i++) {
		struct pollfd p = { .fd = irqfd, .events = POLLIN };
		uint64_t ev = 0;
		uint32_t st;
		uint16_t cmd;
		double t0 = now_us();

		*(volatile uint32_t *)(bar + EDU_IRQ_RAISE) = 1;
		if (poll(&p, 1, 1000) != 1)
			return -1;
		if (read(irqfd, &ev, vfio ? 8 : 4) < 0)
			return -1;
		st = *(volatile uint32_t *)(bar + EDU_IRQ_STATUS);
		*(volatile uint32_t *)(bar + EDU_IRQ_ACK) = st;
		if (cfg >= 0 && pread(cfg, &cmd, 2, PCI_COMMAND) == 2 &&
		    (cmd & PCI_COMMAND_INTX_DISABLE)) {
			cmd &= (uint16_t)~PCI_COMMAND_INTX_DISABLE;
			if (pwrite(cfg, &cmd, 2, PCI_COMMAND) != 2)
				return -1;
		}
		cyc[i] = now_us() - t0;
	}
	return 0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Context switches of @pid (voluntary + nonvoluntary). */
static long ctxt(pid_t pid)
{
	char path[64], line[128];
	long total = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
			total += v;
	fclose(f);
	return total;
}

static int records(const char *spec, const char *tag, int n, int idle_s)
{
	udrv_dev *dev = udrv_open(spec);
	volatile uint8_t *bar;
	bool vfio;
	int cfg = -1, irqfd;
	pid_t idle;

	if (!dev || !(bar = udrv_map(dev, 0)) || udrv_irq_enable(dev) < 0 ||
	    (irqfd = udrv_irq_fd(dev)) < 0) {
		fprintf(stderr, "irq_latency: %s: %s\n", spec, strerror(errno));
		return 1;
	}
	vfio = strcmp(udrv_backend(dev), "vfio") == 0;
	if (!vfio && !strncmp(spec, "pci:", 4)) {
		char path[128];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", spec + 4);
		cfg = open(path, O_RDWR | O_CLOEXEC);
	}
	printf("row irq-%s-cycle us raise -> wait -> ack -> re-armed, %s (TCG guest)\n", tag, tag);
	printf("row irq-%s-ratio udrv/raw per-block median ratio of the cycle, %s\n", tag, tag);
	printf("row irq-%s-rate irq/s interrupts per second sustained per block, %s\n", tag, tag);
	printf("row irq-%s-cpu us CPU time per interrupt per block, %s\n", tag, tag);
	printf("row idle-driver-%s switches driver blocked in udrv_irq_wait for %d s, %s\n", tag,
	       idle_s, tag);

	/* Idle: a child blocked on the interrupt; nothing raises it. */
	fflush(stdout);
	idle = fork();
	if (idle == 0) {
		udrv_irq_wait(dev, -1, NULL);
		_exit(0);
	}
	sleep(1);
	long c0 = ctxt(idle);
	sleep((unsigned)idle_s);
	long c1 = ctxt(idle);
	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);
	if (c0 >= 0 && c1 >= 0)
		printf("sample idle-driver-%s udrv %ld\n", tag, c1 - c0);
	printf("target idle-driver-%s udrv le 0\n", tag);
	/* the child may have consumed nothing; re-arm for the loops */
	udrv_irq_enable(dev);

	/* Samples are kept and printed at the end: console output (an
	 * emulated UART) would steal time from the blocks that follow it. */
	int nb = n / BLOCK;
	double *all = calloc((size_t)nb * 2 * BLOCK, sizeof(double));
	double *blk = calloc((size_t)nb * 5, sizeof(double));
	uint64_t missed0 = udrv_irq_missed(dev), raw_since = 0, surplus = 0;

	if (!all || !blk)
		return 1;
	for (int b = 0; b < nb; b++) {
		double w0, p0, wu = 0, pu = 0, wr = 0, pr = 0;
		double *cu = all + (size_t)b * 2 * BLOCK, *cr = cu + BLOCK;
		int r = 0;

		for (int k = 0; k < 2 && r == 0; k++) {
			bool udrv_turn = (k == 0) == (b % 2 == 0);

			w0 = now_us();
			p0 = cpu_us();
			r = udrv_turn ? block_udrv(dev, cu) : block_raw(bar, irqfd, cfg, vfio, cr);
			if (udrv_turn) {
				wu = now_us() - w0;
				pu = cpu_us() - p0;
				/* UIO's counter moved by the raw block's interrupts too:
				 * udrv counts those as coalesced; they were not. */
				surplus += vfio ? 0 : raw_since;
				raw_since = 0;
			} else {
				wr = now_us() - w0;
				pr = cpu_us() - p0;
				raw_since += BLOCK;
			}
		}
		if (r < 0) {
			fprintf(stderr, "irq_latency: interrupt lost in block %d\n", b);
			return 1;
		}
		blk[b * 5 + 0] = BLOCK / (wu / 1e6);
		blk[b * 5 + 1] = BLOCK / (wr / 1e6);
		blk[b * 5 + 2] = pu / BLOCK;
		blk[b * 5 + 3] = pr / BLOCK;
		blk[b * 5 + 4] = median(cu, BLOCK) / median(cr, BLOCK); /* sorts: after use */
	}
	for (int b = 0; b < nb; b++) {
		double *cu = all + (size_t)b * 2 * BLOCK, *cr = cu + BLOCK;

		for (int i = 0; i < BLOCK; i++)
			printf("sample irq-%s-cycle udrv %.2f\nsample irq-%s-cycle raw %.2f\n", tag,
			       cu[i], tag, cr[i]);
		printf("sample irq-%s-rate udrv %.0f\nsample irq-%s-rate raw %.0f\n", tag,
		       blk[b * 5], tag, blk[b * 5 + 1]);
		printf("sample irq-%s-cpu udrv %.2f\nsample irq-%s-cpu raw %.2f\n", tag, blk[b * 5 + 2],
		       tag, blk[b * 5 + 3]);
		printf("sample irq-%s-ratio udrv/raw %.4f\n", tag, blk[b * 5 + 4]);
	}
	uint64_t missed = udrv_irq_missed(dev) - missed0;
	printf("note irq-%s-cycle %d interrupts per side, %llu missed (coalesced) in the udrv loop\n",
	       tag, nb * BLOCK, (unsigned long long)(missed > surplus ? missed - surplus : 0));
	free(all);
	free(blk);
	printf("target irq-%s-ratio udrv/raw le 1.05\n", tag);
	if (cfg >= 0)
		close(cfg);
	udrv_close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	const char *spec = "pci:0000:00:03.0";
	int n = 1000, i;
	udrv_dev *dev;
	double *wake, *cycle, t0, cpu0, wall0;
	struct timespec c;

	const char *tag = NULL;
	int idle_s = 10;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--records"))
			tag = tag ? tag : "irq";
		else if (!strcmp(argv[i], "--tag") && i + 1 < argc)
			tag = argv[++i];
		else if (!strcmp(argv[i], "--idle") && i + 1 < argc)
			idle_s = atoi(argv[++i]);
		else
			spec = argv[i];
	}
	if (tag)
		return records(spec, tag, n < BLOCK ? BLOCK : n, idle_s);
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
