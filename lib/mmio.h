/* SPDX-License-Identifier: MIT */
/*
 * mmio.h - device-memory barriers and exact-width volatile accessors.
 *
 * Semantics follow the kernel's readl()/writel() (Documentation/
 * memory-barriers.txt, "Kernel I/O barrier effects"): a read is followed by a
 * barrier so later loads (e.g. of a DMA buffer the device just filled) are
 * not satisfied early; a write is preceded by one so earlier stores to
 * memory are visible to the device before the doorbell.
 *  - aarch64: device memory (nGnRE) is not ordered against normal memory:
 *    `dmb oshld` after reads, `dmb oshst` before writes (arm64 io.h).
 *  - x86_64: UC mappings are strongly ordered against each other and
 *    against normal stores, so only the compiler must be stopped.
 */
#ifndef UDRV_MMIO_H
#define UDRV_MMIO_H

#include <stdint.h>

/* udrv__rmb()/udrv__wmb() live in the public header: the inline
 * udrv_mmio_*() accessors need them. */
#include "udrv.h"

/* One load or store of exactly the type's width: never split, never merged. */
#define UDRV__ACCESSORS(bits)                                                    \
	static inline uint##bits##_t udrv__raw_read##bits(volatile void *p)      \
	{                                                                        \
		uint##bits##_t v = *(volatile uint##bits##_t *)p;                \
		udrv__rmb();                                                     \
		return v;                                                        \
	}                                                                        \
	static inline void udrv__raw_write##bits(volatile void *p, uint##bits##_t v) \
	{                                                                        \
		udrv__wmb();                                                     \
		*(volatile uint##bits##_t *)p = v;                               \
	}
UDRV__ACCESSORS(8)
UDRV__ACCESSORS(16)
UDRV__ACCESSORS(32)
UDRV__ACCESSORS(64)
#undef UDRV__ACCESSORS

#endif
