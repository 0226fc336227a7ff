/* SPDX-License-Identifier: MIT */
/*
 * edu_dma.h - the DMA engine of QEMU's edu device over VFIO (QEMU
 * docs/specs/edu.rst, "DMA controller"; behaviour checked against
 * hw/misc/edu.c of QEMU 7.2).
 *
 * The engine copies between a host address (an IOVA from udrv_dma_alloc)
 * and the device's own 4 KiB buffer at device address 0x40000. Two quirks
 * make validation before starting a transfer mandatory:
 *   - the device masks host addresses to 28 bits (edu's dma_mask), so an
 *     IOVA at or above 2^28 silently becomes another address;
 *   - edu_check_range() accepts a transfer only if its end lies strictly
 *     inside the buffer (end < 0x41000: an off-by-one, so at most 4095
 *     bytes) and its length is non-zero; anything else is hw_error(), which
 *     aborts QEMU itself.
 * Functions return 0 or a negative errno and never print.
 */
#ifndef UDRV_EDU_DMA_H
#define UDRV_EDU_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "udrv.h"

#define EDU_DMA_BUF_ADDR  0x40000u /* device address of the internal buffer */
#define EDU_DMA_BUF_SIZE  4096u
#define EDU_DMA_MAX_LEN   (EDU_DMA_BUF_SIZE - 1) /* the off-by-one above */
#define EDU_DMA_ADDR_BITS 28u      /* host addresses the device decodes */

/* EDU_DMA_CMD (0x98) bits */
#define EDU_DMA_CMD_START  0x1u /* start; reads back set while running */
#define EDU_DMA_CMD_TO_RAM 0x2u /* direction: 1 = device buffer -> host */
#define EDU_DMA_CMD_IRQ    0x4u /* raise interrupt cause 0x100 when done */

/*
 * edu_dma_check - would a transfer of @len bytes at buffer offset @off and
 * host address @iova be accepted? 0, or -ERANGE naming nothing touched.
 */
int edu_dma_check(uint64_t iova, uint32_t off, uint32_t len);

/*
 * edu_dma_start - program and start one transfer: @to_ram false copies host
 * @iova -> buffer @off, true copies buffer @off -> host @iova. With @irq the
 * device raises cause 0x100 when done. -ERANGE (see edu_dma_check), -EBUSY
 * when a transfer is still running, or a register access error.
 */
int edu_dma_start(udrv_dev *dev, uint64_t iova, uint32_t off, uint32_t len,
		  bool to_ram, bool irq);

/* edu_dma_busy - 1 while a transfer runs, 0 when idle, or -errno. */
int edu_dma_busy(udrv_dev *dev);

/*
 * edu_dma_wait_irq - wait for the completion interrupt of a transfer
 * started with @irq: block in udrv_irq_wait(), check that cause 0x100 is
 * pending, acknowledge it and re-arm. -ETIMEDOUT after @timeout_ms, -EPROTO
 * when the interrupt carried no DMA cause.
 */
int edu_dma_wait_irq(udrv_dev *dev, int timeout_ms);

/* edu_dma_wait_poll - poll the start bit (1 ms sleeps) until idle; -ETIMEDOUT. */
int edu_dma_wait_poll(udrv_dev *dev, int timeout_ms);

/*
 * edu_dma_copy - one synchronous transfer between @buf (at byte @buf_off)
 * and the device buffer at @off, waiting for the completion interrupt
 * (the interrupt must have been enabled with udrv_irq_enable). -EINVAL when
 * [buf_off, buf_off + len) is not inside @buf.
 */
int edu_dma_copy(udrv_dev *dev, const struct udrv_dma *buf, size_t buf_off,
		 uint32_t off, uint32_t len, bool to_ram, int timeout_ms);

/*
 * edu_dma_roundtrip - @len bytes from @out (offset 0) to the device buffer
 * at @off, then back into @in (offset 0), each waited for by interrupt.
 * 0 when @in now holds exactly what @out held, -EIO when the data differs,
 * or an error of edu_dma_copy.
 */
int edu_dma_roundtrip(udrv_dev *dev, const struct udrv_dma *out, const struct udrv_dma *in,
		      uint32_t off, uint32_t len, int timeout_ms);

#endif /* UDRV_EDU_DMA_H */
