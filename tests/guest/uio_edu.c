/* SPDX-License-Identifier: MIT */
/*
 * libudrv over the real kernel UIO stack: QEMU's edu PCI device bound to
 * uio_pci_generic on board "pc" (vm/run --board pc --bind uio).
 * edu register map: QEMU docs/specs/edu.rst.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "gtest.h"
#include "udrv.h"

#define EDU_IDENT 0x00      /* 0xRRrr00ed: major.minor, "ed" */
#define EDU_LIVENESS 0x04   /* reads back the bitwise inverse of what was written */
#define EDU_FACTORIAL 0x08  /* write n, read n! once status bit 0 clears */
#define EDU_STATUS 0x20     /* bit 0: factorial busy */
#define EDU_IRQ_STATUS 0x24 /* raised interrupt bits */
#define EDU_IRQ_RAISE 0x60  /* write bits: raise (INTx/MSI) */
#define EDU_IRQ_ACK 0x64    /* write bits: clear; the line drops when status is 0 */

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void opens_by_every_spec(void)
{
	static const char *specs[] = { "/dev/uio0", "uio0", "name:uio_pci_generic",
				       "pci:0000:00:03.0" };

	for (size_t i = 0; i < sizeof(specs) / sizeof(*specs); i++) {
		udrv_dev *d = udrv_open(specs[i]);
		CHECK(d != NULL, "udrv_open(\"%s\") (%s)", specs[i], d ? "ok" : strerror(errno));
		udrv_close(d);
	}
	errno = 0;
	CHECK(udrv_open("uio9") == NULL && errno == ENOENT, "uio9 absent -> ENOENT");
}

static int factorial(udrv_dev *d, uint32_t n, uint32_t *out)
{
	uint32_t st = 1;
	int r;

	if ((r = udrv_write32(d, 0, EDU_FACTORIAL, n)) < 0)
		return r;
	/* edu computes in a thread; bounded wait (about 1 s), sleeping 1 ms per try. */
	for (int i = 0; i < 1000 && (st & 1); i++) {
		if ((r = udrv_read32(d, 0, EDU_STATUS, &st)) < 0)
			return r;
		if (st & 1)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	if (st & 1)
		return -ETIMEDOUT;
	return udrv_read32(d, 0, EDU_FACTORIAL, out);
}

static void registers(udrv_dev *d)
{
	struct udrv_map_info mi;
	uint32_t v = 0;

	CHECK_EQ(udrv_map_count(d), 1, "one map (BAR0)");
	int r = udrv_map_info(d, 0, &mi);
	CHECK(r == 0 && mi.size == 0x100000, "map0 size 0x%llx == 1 MiB", (unsigned long long)mi.size);
	CHECK(mi.addr != 0 && (mi.addr & 0xfffff) == 0, "map0 addr 0x%llx", (unsigned long long)mi.addr);
	r = udrv_read32(d, 0, EDU_IDENT, &v);
	CHECK(r == 0 && (v & 0xff) == 0xed && v >> 24 == 1, "ident 0x%08x is edu 1.x", v);
	for (uint32_t x = 0; x < 3; x++) {
		uint32_t w = 0x12345678u * (x + 1);
		udrv_write32(d, 0, EDU_LIVENESS, w);
		r = udrv_read32(d, 0, EDU_LIVENESS, &v);
		CHECK(r == 0 && v == ~w, "liveness: wrote 0x%08x, read 0x%08x", w, v);
	}
	static const uint32_t want[] = { 1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800 };
	for (uint32_t n = 0; n <= 10; n += 5) {
		uint32_t f = 0;
		r = factorial(d, n, &f);
		CHECK(r == 0 && f == want[n], "factorial(%u) = %u (r=%d)", n, f, r);
	}
	/* Through the raw pointer as well: udrv_map gives the first register. */
	volatile uint32_t *regs = udrv_map(d, 0);
	CHECK(regs && (regs[0] & 0xff) == 0xed, "udrv_map pointer reads ident");
}

static void bounds_on_the_real_mapping(udrv_dev *d)
{
	uint32_t v = 0xabababab;
	uint64_t v64;

	CHECK_EQ(udrv_read32(d, 0, 0x100000, &v), -ERANGE, "read32 at size");
	CHECK_EQ(udrv_read32(d, 0, 0xffffc, &v), 0, "read32 at size-4");
	CHECK_EQ(udrv_read64(d, 0, 0xffffc, &v64), -ERANGE, "read64 straddling the end");
	CHECK_EQ(udrv_write32(d, 0, UINT64_MAX - 1, 1), -ERANGE, "write32 at 2^64-2 (no wrap)");
	CHECK_EQ(udrv_read32(d, 0, 2, &v), -EINVAL, "misaligned read32");
	CHECK_EQ(udrv_read32(d, 1, 0, &v), -ERANGE, "map 1 does not exist");
	errno = 0;
	CHECK(udrv_map(d, 1) == NULL && errno == ERANGE, "udrv_map(1) -> ERANGE");
}

/* Raise one interrupt, wait for it, acknowledge, re-arm. */
static int one_irq(udrv_dev *d, uint32_t bit, uint32_t *count)
{
	uint32_t st = 0;
	int r;

	if ((r = udrv_write32(d, 0, EDU_IRQ_RAISE, bit)) < 0)
		return r;
	r = udrv_irq_wait(d, 2000, count);
	if (r != 1)
		return r == 0 ? -ETIMEDOUT : r;
	udrv_read32(d, 0, EDU_IRQ_STATUS, &st);
	if (!(st & bit))
		return -EPROTO;
	/* Acknowledge at the device first, then unmask INTx: a level interrupt
	 * re-armed before the ack would fire again at once. */
	udrv_write32(d, 0, EDU_IRQ_ACK, st);
	return udrv_irq_enable(d);
}

static void interrupts(udrv_dev *d)
{
	static const int bursts[] = { 1, 10, 100 };
	uint32_t first = 0, count = 0;
	int r;

	CHECK_EQ(udrv_irq_enable(d), 0, "irq_enable (clears INTx disable)");
	CHECK(udrv_irq_fd(d) >= 0, "irq fd %d", udrv_irq_fd(d));
	for (size_t b = 0; b < sizeof(bursts) / sizeof(*bursts); b++) {
		int delivered = 0;
		uint64_t missed0 = udrv_irq_missed(d);

		r = 0;
		for (int i = 0; i < bursts[b] && r == 0; i++) {
			r = one_irq(d, 1u << (i % 8), &count);
			if (r == 0) {
				if (delivered == 0)
					first = count;
				delivered++;
			}
		}
		CHECK(r == 0 && delivered == bursts[b], "burst of %d: %d delivered (%s)", bursts[b],
		      delivered, r ? strerror(-r) : "ok");
		CHECK_EQ(count - first + 1, (uint32_t)bursts[b], "kernel event count advanced by the burst");
		CHECK_EQ(udrv_irq_missed(d) - missed0, 0, "no missed interrupts");
	}
}

static void timeout_and_idle_cpu(udrv_dev *d)
{
	double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	int r = udrv_irq_wait(d, 200, NULL);
	double dt = now_s(CLOCK_MONOTONIC) - t0;

	CHECK(r == 0 && dt >= 0.19 && dt < 2.0, "no interrupt: timeout after %.3f s (r=%d)", dt, r);
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	r = udrv_irq_wait(d, 1000, NULL);
	dt = now_s(CLOCK_MONOTONIC) - t0;
	double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	/* Blocked in poll(): the CPU time of a 1 s wait is scheduler noise. */
	CHECK(r == 0 && cpu < 0.02 * dt, "blocked %.3f s in udrv_irq_wait using %.1f ms CPU", dt, cpu * 1e3);
}

int main(void)
{
	udrv_dev *d;

	opens_by_every_spec();
	d = udrv_open("uio0");
	if (!CHECK(d != NULL, "open uio0"))
		return gt_done();
	CHECK(!strcmp(udrv_name(d), "uio_pci_generic"), "name %s", udrv_name(d));
	registers(d);
	bounds_on_the_real_mapping(d);
	interrupts(d);
	timeout_and_idle_cpu(d);
	udrv_close(d);
	return gt_done();
}
