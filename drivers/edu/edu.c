/* SPDX-License-Identifier: MIT */
/* edu.c - QEMU edu device logic, see edu.h and QEMU docs/specs/edu.rst. */
#include "edu.h"

#include <errno.h>
#include <time.h>

#include "registers.h"

int edu_check_ident(udrv_dev *dev, uint32_t *ident)
{
	uint32_t v;
	int r;

	r = udrv_read32(dev, EDU_BAR, EDU_IDENT, &v);
	if (r < 0)
		return r;
	if (ident)
		*ident = v;
	return (v & EDU_IDENT_MASK) == EDU_IDENT_MAGIC ? 0 : -ENODEV;
}

int edu_check_liveness(udrv_dev *dev, uint32_t probe)
{
	uint32_t v;
	int r;

	r = udrv_write32(dev, EDU_BAR, EDU_LIVENESS, probe);
	if (r < 0)
		return r;
	r = udrv_read32(dev, EDU_BAR, EDU_LIVENESS, &v);
	if (r < 0)
		return r;
	return v == ~probe ? 0 : -EIO;
}

uint32_t edu_factorial_ref(uint32_t n)
{
	uint32_t f = 1;

	while (n > 1)
		f *= n--;
	return f;
}

/* Set or clear "raise an interrupt when the factorial is done" (0x20 bit 7). */
static int edu_fact_irq_mode(udrv_dev *dev, int on)
{
	return udrv_write32(dev, EDU_BAR, EDU_STATUS, on ? EDU_STATUS_IRQFACT : 0);
}

/* The device ignores a new operand while it computes: wait until idle. */
static int edu_wait_idle(udrv_dev *dev, int timeout_ms)
{
	const struct timespec nap = { 0, 100000 }; /* 100 us */
	struct timespec t0, now;
	uint32_t st;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		r = udrv_read32(dev, EDU_BAR, EDU_STATUS, &st);
		if (r < 0)
			return r;
		if (!(st & EDU_STATUS_COMPUTING))
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

int edu_factorial_poll(udrv_dev *dev, uint32_t n, int timeout_ms, uint32_t *result)
{
	int r;

	r = edu_wait_idle(dev, timeout_ms);
	if (r == 0)
		r = edu_fact_irq_mode(dev, 0);
	if (r == 0)
		r = udrv_write32(dev, EDU_BAR, EDU_FACTORIAL, n);
	/* The write sets the busy bit synchronously, so idle means done. */
	if (r == 0)
		r = edu_wait_idle(dev, timeout_ms);
	if (r == 0)
		r = udrv_read32(dev, EDU_BAR, EDU_FACTORIAL, result);
	return r;
}

int edu_factorial_irq(udrv_dev *dev, uint32_t n, int timeout_ms, uint32_t *result)
{
	uint32_t cause = 0;
	int r;

	r = edu_wait_idle(dev, timeout_ms);
	if (r == 0)
		r = edu_fact_irq_mode(dev, 1);
	if (r == 0)
		r = udrv_write32(dev, EDU_BAR, EDU_FACTORIAL, n);
	if (r < 0)
		return r;
	r = udrv_irq_wait(dev, timeout_ms, NULL);
	if (r == 0)
		r = -ETIMEDOUT;
	if (r < 0)
		goto out_mode;
	r = edu_irq_service(dev, &cause);
	if (r < 0)
		goto out_mode;
	if (!(cause & EDU_IRQ_FACT)) {
		r = -EPROTO;
		goto out_mode;
	}
	r = udrv_read32(dev, EDU_BAR, EDU_FACTORIAL, result);
out_mode:
	edu_fact_irq_mode(dev, 0);
	return r;
}

int edu_raise(udrv_dev *dev, uint32_t cause)
{
	return udrv_write32(dev, EDU_BAR, EDU_IRQ_RAISE, cause);
}

int edu_irq_service(udrv_dev *dev, uint32_t *cause)
{
	uint32_t st;
	int r;

	r = udrv_read32(dev, EDU_BAR, EDU_IRQ_STATUS, &st);
	if (r < 0)
		return r;
	/* Acknowledge what we saw, so the (level) INTx line drops before the
	 * kernel driver unmasks it again; otherwise it fires at once. */
	if (st) {
		r = udrv_write32(dev, EDU_BAR, EDU_IRQ_ACK, st);
		if (r < 0)
			return r;
	}
	if (cause)
		*cause = st;
	return udrv_irq_enable(dev);
}
