/* SPDX-License-Identifier: MIT */
/*
 * edu.h - device logic for QEMU's edu PCI device on top of the udrv API,
 * independent of the backend (UIO today; VFIO + DMA/MSI reuse these).
 * Functions return 0 or a negative errno and never print.
 */
#ifndef UDRV_EDU_H
#define UDRV_EDU_H

#include <stdint.h>

#include "udrv.h"

/*
 * edu_check_ident - read the identification register; -ENODEV unless its
 * low 16 bits are 0x00ed. *ident (may be NULL) gets the register.
 */
int edu_check_ident(udrv_dev *dev, uint32_t *ident);

/* edu_check_liveness - write @probe, expect ~@probe back; -EIO if not. */
int edu_check_liveness(udrv_dev *dev, uint32_t probe);

/*
 * edu_factorial_poll - compute @n! (modulo 2^32, as the device does) by
 * polling the status busy bit, sleeping 100 us between reads, for at most
 * @timeout_ms. -ETIMEDOUT when the device stays busy.
 */
int edu_factorial_poll(udrv_dev *dev, uint32_t n, int timeout_ms, uint32_t *result);

/*
 * edu_factorial_irq - compute @n! with the completion interrupt (status bit
 * 7): start, block in udrv_irq_wait(), check and acknowledge cause 0x1,
 * re-arm, read the result. The interrupt must have been enabled once
 * (udrv_irq_enable) before. -ETIMEDOUT after @timeout_ms without it,
 * -EPROTO when the interrupt came with another cause.
 */
int edu_factorial_irq(udrv_dev *dev, uint32_t n, int timeout_ms, uint32_t *result);

/* edu_raise - raise an interrupt with cause bits @cause (register 0x60). */
int edu_raise(udrv_dev *dev, uint32_t cause);

/*
 * edu_irq_service - interrupt service: read the cause bits (0x24) into
 * *cause, acknowledge exactly those (0x64) so the line drops, then re-arm
 * with udrv_irq_enable() (uio_pci_generic unmasks INTx there). 0 or -errno.
 */
int edu_irq_service(udrv_dev *dev, uint32_t *cause);

/* edu_factorial_ref - what the device computes: n! modulo 2^32. */
uint32_t edu_factorial_ref(uint32_t n);

#endif /* UDRV_EDU_H */
