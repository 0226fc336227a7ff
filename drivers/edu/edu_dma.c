/* SPDX-License-Identifier: MIT */
/* edu_dma.c - edu's DMA engine; see edu_dma.h for the device's quirks. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "edu_dma.h"
#include "registers.h"

int edu_dma_check(uint64_t iova, uint32_t off, uint32_t len)
{
	const uint64_t host_last = (UINT64_C(1) << EDU_DMA_ADDR_BITS) - 1;

	/* Device side: 1 <= len and off + len < 4096 (edu_check_range). */
	if (len == 0 || off >= EDU_DMA_BUF_SIZE || len > EDU_DMA_MAX_LEN - off)
		return -ERANGE;
	/* Host side: the whole range below 2^28, or the device wraps it. */
	if (iova > host_last || len - 1 > host_last - iova)
		return -ERANGE;
	return 0;
}

int edu_dma_busy(udrv_dev *dev)
{
	uint64_t cmd;
	int r = udrv_read64(dev, EDU_BAR, EDU_DMA_CMD, &cmd);

	return r < 0 ? r : (cmd & EDU_DMA_CMD_START) != 0;
}

int edu_dma_start(udrv_dev *dev, uint64_t iova, uint32_t off, uint32_t len,
		  bool to_ram, bool irq)
{
	uint64_t devaddr = EDU_DMA_BUF_ADDR + off;
	uint64_t cmd = EDU_DMA_CMD_START | (to_ram ? EDU_DMA_CMD_TO_RAM : 0) |
		       (irq ? EDU_DMA_CMD_IRQ : 0);
	int r = edu_dma_check(iova, off, len);

	if (r)
		return r;
	/* While a transfer runs the device ignores writes to 0x80..0x98. */
	r = edu_dma_busy(dev);
	if (r)
		return r < 0 ? r : -EBUSY;
	if ((r = udrv_write64(dev, EDU_BAR, EDU_DMA_SRC, to_ram ? devaddr : iova)) ||
	    (r = udrv_write64(dev, EDU_BAR, EDU_DMA_DST, to_ram ? iova : devaddr)) ||
	    (r = udrv_write64(dev, EDU_BAR, EDU_DMA_COUNT, len)))
		return r;
	return udrv_write64(dev, EDU_BAR, EDU_DMA_CMD, cmd);
}

int edu_dma_wait_irq(udrv_dev *dev, int timeout_ms)
{
	uint32_t cause;
	int r = udrv_irq_wait(dev, timeout_ms, NULL);

	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return r;
	if ((r = udrv_read32(dev, EDU_BAR, EDU_IRQ_STATUS, &cause)))
		return r;
	if ((r = udrv_write32(dev, EDU_BAR, EDU_IRQ_ACK, cause)))
		return r;
	if ((r = udrv_irq_enable(dev)))
		return r;
	return cause & EDU_IRQ_DMA ? 0 : -EPROTO;
}

int edu_dma_wait_poll(udrv_dev *dev, int timeout_ms)
{
	const struct timespec ms = { 0, 1000000 };
	int waited, r;

	for (waited = 0;; waited++) {
		r = edu_dma_busy(dev);
		if (r <= 0)
			return r;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&ms, NULL);
	}
}

int edu_dma_copy(udrv_dev *dev, const struct udrv_dma *buf, size_t buf_off,
		 uint32_t off, uint32_t len, bool to_ram, int timeout_ms)
{
	int r;

	if (!buf || buf_off > buf->size || len > buf->size - buf_off)
		return -EINVAL;
	r = edu_dma_start(dev, buf->iova + buf_off, off, len, to_ram, true);
	if (r)
		return r;
	return edu_dma_wait_irq(dev, timeout_ms);
}

int edu_dma_roundtrip(udrv_dev *dev, const struct udrv_dma *out, const struct udrv_dma *in,
		      uint32_t off, uint32_t len, int timeout_ms)
{
	int r = edu_dma_copy(dev, out, 0, off, len, false, timeout_ms);

	if (r == 0)
		r = edu_dma_copy(dev, in, 0, off, len, true, timeout_ms);
	if (r == 0 && memcmp(out->va, in->va, len) != 0)
		r = -EIO;
	return r;
}
