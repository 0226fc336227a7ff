/*
 * tests/vm/rpi3_probe.c - proves board "rpi3" of vm/run from inside the
 * guest, with nothing but the kernel's UIO interface (no libudrv):
 *
 *  - finds the two uio_pdrv_genirq devices by name ("gpiomem", "timer") in
 *    /sys/class/uio and checks their map 0 (address 0x3f200000 / 0x3f003000,
 *    size 0x1000);
 *  - GPIO (BCM2835 ARM Peripherals, ch. 6): maps the GPIO block with plain
 *    mmap, makes GPIO17 an output (GPFSEL1 bits 21-23 = 001), sets and
 *    clears it through GPSET0/GPCLR0 and reads each level back in GPLEV0;
 *  - system timer (same datasheet, ch. 12): arms compare channel 1
 *    (C1 = CLO + period), enables the interrupt with write(1) on the
 *    timer's /dev/uioN, blocks in read() for 10 interrupts, clearing the
 *    match flag (write 1<<1 to CS) before re-arming each time; checks that
 *    the UIO event count rises by exactly one per interrupt and that no
 *    interrupt comes before its compare time.
 *
 * Prints what it saw; exits 0 if all matches, 1 on any mismatch, 2 if the
 * devices cannot be found or opened. Built static for aarch64:
 *   aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -std=gnu11 \
 *       -o rpi3_probe tests/vm/rpi3_probe.c
 *   vm/run --board rpi3 --put rpi3_probe -- rpi3_probe
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* GPIO registers, offsets from 0x7e200000 (bus) = 0x3f200000 (ARM physical
 * on the BCM2837), BCM2835 ARM Peripherals section 6.1. */
#define GPFSEL1 0x04	/* function select, pins 10-19, 3 bits each */
#define GPSET0  0x1c	/* write 1: drive pin 0-31 high */
#define GPCLR0  0x28	/* write 1: drive pin 0-31 low */
#define GPLEV0  0x34	/* level of pins 0-31 */
#define GPIO_PIN 17
#define GPFSEL_SHIFT ((GPIO_PIN % 10) * 3)	/* bits 21-23 for pin 17 */
#define GPFSEL_OUTPUT 1u			/* 001 = output */

/* System timer registers, offsets from 0x7e003000 (0x3f003000), section 12.1.
 * 1 MHz free-running counter; C1 is the compare channel free for the ARM. */
#define ST_CS  0x00	/* control/status: bit n = match on Cn, write 1 clears */
#define ST_CLO 0x04	/* counter, low 32 bits */
#define ST_C1  0x10	/* compare 1 */
#define ST_CS_M1 (1u << 1)

#define GPIO_ADDR 0x3f200000UL
#define TIMER_ADDR 0x3f003000UL
#define MAP_SIZE 0x1000UL
#define TICKS 10
#define PERIOD_US 10000u	/* 10 ms between compare matches */
#define IRQ_TIMEOUT_MS 5000	/* TCG is slow, but not this slow */

static int failures;

#define CHECK(cond, ...) do {					\
	if (!(cond)) {						\
		printf("FAIL: " __VA_ARGS__);			\
		printf("\n");					\
		failures++;					\
	}							\
} while (0)

static int read_sysfs_ul(const char *path, unsigned long *val)
{
	char buf[64];
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	errno = 0;
	*val = strtoul(buf, NULL, 0);
	return errno ? -errno : 0;
}

/* Find /sys/class/uio/uioN whose name is NAME; N is returned, -1 if none. */
static int find_uio(const char *name)
{
	glob_t g;
	int found = -1;

	if (glob("/sys/class/uio/uio*", 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc && found < 0; i++) {
		char path[256], buf[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "%s/name", g.gl_pathv[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (strcmp(buf, name) == 0)
				found = atoi(strrchr(g.gl_pathv[i], 'o') + 1);
		}
		fclose(f);
	}
	globfree(&g);
	return found;
}

struct uio {
	int n, fd;
	volatile uint32_t *regs;
};

/* Open /dev/uioN for device NAME, check map 0 is at WANT_ADDR and of size
 * MAP_SIZE, mmap it (map index 0 = offset 0 pages). 0 or -1. */
static int uio_open(const char *name, unsigned long want_addr, struct uio *u)
{
	char path[128];
	unsigned long addr = 0, size = 0;
	void *p;

	u->n = find_uio(name);
	if (u->n < 0) {
		printf("no UIO device named '%s' in /sys/class/uio\n", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/class/uio/uio%d/maps/map0/addr", u->n);
	if (read_sysfs_ul(path, &addr) < 0) {
		printf("cannot read %s\n", path);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/class/uio/uio%d/maps/map0/size", u->n);
	if (read_sysfs_ul(path, &size) < 0) {
		printf("cannot read %s\n", path);
		return -1;
	}
	printf("uio%d name=%s map0 addr=0x%lx size=0x%lx\n", u->n, name, addr, size);
	CHECK(addr == want_addr, "%s map0 addr 0x%lx, want 0x%lx", name, addr, want_addr);
	CHECK(size == MAP_SIZE, "%s map0 size 0x%lx, want 0x%lx", name, size, MAP_SIZE);

	snprintf(path, sizeof(path), "/dev/uio%d", u->n);
	u->fd = open(path, O_RDWR | O_CLOEXEC);
	if (u->fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return -1;
	}
	p = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, 0);
	if (p == MAP_FAILED) {
		printf("mmap %s map0: %s\n", path, strerror(errno));
		return -1;
	}
	u->regs = p;
	return 0;
}

static uint32_t rd(const struct uio *u, unsigned off)
{
	return u->regs[off / 4];
}

static void wr(const struct uio *u, unsigned off, uint32_t v)
{
	u->regs[off / 4] = v;
}

static void probe_gpio(const struct uio *g)
{
	uint32_t fsel, lev;

	/* Read-modify-write: the other pins of GPFSEL1 keep their function. */
	fsel = rd(g, GPFSEL1);
	fsel &= ~(7u << GPFSEL_SHIFT);
	fsel |= GPFSEL_OUTPUT << GPFSEL_SHIFT;
	wr(g, GPFSEL1, fsel);
	fsel = rd(g, GPFSEL1);
	printf("gpio: GPFSEL1=0x%08" PRIx32 " (pin %d function %" PRIu32 ")\n",
	       fsel, GPIO_PIN, (fsel >> GPFSEL_SHIFT) & 7);
	CHECK(((fsel >> GPFSEL_SHIFT) & 7) == GPFSEL_OUTPUT,
	      "GPFSEL1 pin %d function %" PRIu32 ", want 1 (output)",
	      GPIO_PIN, (fsel >> GPFSEL_SHIFT) & 7);

	for (int i = 0; i < 3; i++) {
		wr(g, GPSET0, 1u << GPIO_PIN);
		lev = rd(g, GPLEV0);
		printf("gpio: set   -> GPLEV0=0x%08" PRIx32 " (pin %d = %u)\n",
		       lev, GPIO_PIN, (unsigned)(lev >> GPIO_PIN) & 1);
		CHECK(lev & (1u << GPIO_PIN), "GPLEV0 pin %d low after GPSET0", GPIO_PIN);

		wr(g, GPCLR0, 1u << GPIO_PIN);
		lev = rd(g, GPLEV0);
		printf("gpio: clear -> GPLEV0=0x%08" PRIx32 " (pin %d = %u)\n",
		       lev, GPIO_PIN, (unsigned)(lev >> GPIO_PIN) & 1);
		CHECK(!(lev & (1u << GPIO_PIN)), "GPLEV0 pin %d high after GPCLR0", GPIO_PIN);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Clear a pending match, set C1 = CLO + PERIOD_US, re-enable the IRQ line
 * (uio_pdrv_genirq masks it in its handler; write(1) unmasks). Returns the
 * compare value. */
static uint32_t timer_arm(const struct uio *t)
{
	int32_t on = 1;
	uint32_t cmp;

	wr(t, ST_CS, ST_CS_M1);		/* write 1 clears M1 (12.2, CS) */
	cmp = rd(t, ST_CLO) + PERIOD_US;
	wr(t, ST_C1, cmp);
	if (write(t->fd, &on, sizeof(on)) != sizeof(on)) {
		printf("FAIL: write(1) on /dev/uio%d: %s\n", t->n, strerror(errno));
		failures++;
	}
	return cmp;
}

static void probe_timer(const struct uio *t)
{
	int32_t count, prev = -1;
	double t0 = now_ms(), t1;
	int got = 0;

	printf("timer: CS=0x%08" PRIx32 " CLO=%" PRIu32 "\n", rd(t, ST_CS), rd(t, ST_CLO));
	for (int i = 0; i < TICKS; i++) {
		struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
		uint32_t cmp = timer_arm(t), clo, cs;
		int r = poll(&pfd, 1, IRQ_TIMEOUT_MS);

		if (r == 0) {
			printf("FAIL: no timer interrupt %d within %d ms (CS=0x%08" PRIx32
			       " CLO=%" PRIu32 " C1=%" PRIu32 ")\n", i + 1, IRQ_TIMEOUT_MS,
			       rd(t, ST_CS), rd(t, ST_CLO), cmp);
			failures++;
			break;
		}
		if (r < 0 || read(t->fd, &count, sizeof(count)) != sizeof(count)) {
			printf("FAIL: waiting on /dev/uio%d: %s\n", t->n, strerror(errno));
			failures++;
			break;
		}
		clo = rd(t, ST_CLO);
		cs = rd(t, ST_CS);
		got++;
		printf("timer: irq %2d: count=%" PRId32 " CS=0x%" PRIx32
		       " CLO-C1=%" PRId32 " us\n", got, count, cs, (int32_t)(clo - cmp));
		CHECK(cs & ST_CS_M1, "interrupt %d without the M1 match flag", got);
		CHECK((int32_t)(clo - cmp) >= 0,
		      "interrupt %d came %" PRId32 " us before its compare time",
		      got, (int32_t)(cmp - clo));
		CHECK(prev < 0 || count == prev + 1,
		      "event count %" PRId32 " after %" PRId32 " (want +1)", count, prev);
		prev = count;
	}
	wr(t, ST_CS, ST_CS_M1);	/* leave no match pending */
	t1 = now_ms();
	printf("timer: %d of %d interrupts in %.1f ms (period %u us)\n",
	       got, TICKS, t1 - t0, PERIOD_US);
	CHECK(got == TICKS, "%d interrupts, want %d", got, TICKS);
}

int main(void)
{
	struct uio gpio, timer;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (uio_open("gpiomem", GPIO_ADDR, &gpio) < 0 ||
	    uio_open("timer", TIMER_ADDR, &timer) < 0)
		return 2;
	probe_gpio(&gpio);
	probe_timer(&timer);
	printf("rpi3_probe: %s (%d failure%s)\n", failures ? "FAILED" : "OK",
	       failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
