/* SPDX-License-Identifier: MIT */
/*
 * iova.h - an I/O virtual address allocator for VFIO DMA mappings.
 *
 * Pure bookkeeping, no system calls: it hands out page-aligned ranges of
 * device-visible addresses that
 *   - lie below 2^width (the device's DMA address width: QEMU's edu decodes
 *     only 28 bits, many devices 32, modern NICs 64),
 *   - lie inside the windows the IOMMU accepts (VFIO_IOMMU_GET_INFO's
 *     IOVA-range capability; on x86 the MSI window 0xfee00000.. is a hole),
 *   - do not overlap each other.
 * First fit over a sorted array: a driver holds a handful of buffers, so
 * O(n) is the right trade against a tree.
 *
 * Conventions as in the rest of libudrv: 0 or -errno.
 */
#ifndef UDRV_IOVA_H
#define UDRV_IOVA_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* An inclusive range [start, last]: `last` rather than an end avoids 2^64. */
struct udrv_iova_range {
	uint64_t start;
	uint64_t last; /* inclusive last address: avoids the 2^64 overflow */
};

struct udrv_iova {
	uint64_t page;     /* allocation granule (power of two) */
	uint64_t limit;    /* inclusive highest usable address: 2^width - 1 */
	uint64_t floor;    /* lowest address handed out (keeps IOVA 0 unused) */
	struct udrv_iova_range *win; /* usable windows, sorted, disjoint */
	size_t nwin;
	struct udrv_iova_range *used; /* allocations, sorted by start */
	size_t nused, capused;
};

/*
 * udrv_iova_init - empty allocator, one window covering all 64 bits, width
 * 32, floor = one page (IOVA 0 is never handed out so a zeroed descriptor
 * cannot alias a real buffer).
 * @page: granule, a power of two >= 1. Returns 0 or -EINVAL.
 */
int udrv_iova_init(struct udrv_iova *a, uint64_t page);

/* udrv_iova_fini - release the allocator's memory. NULL is fine. */
void udrv_iova_fini(struct udrv_iova *a);

/*
 * udrv_iova_set_width - addresses handed out from now on lie below 2^bits.
 * Returns 0, -EINVAL for bits outside 12..64, -EBUSY when a live allocation
 * already lies at or above 2^bits (the device could not reach it).
 */
int udrv_iova_set_width(struct udrv_iova *a, unsigned bits);

/*
 * udrv_iova_set_windows - replace the usable windows (inclusive ranges, any
 * order, may overlap: they are sorted and merged). n = 0 is refused.
 * Returns 0, -EINVAL (n == 0, start > last), -ENOMEM.
 */
int udrv_iova_set_windows(struct udrv_iova *a, const struct udrv_iova_range *r, size_t n);

/*
 * udrv_iova_alloc - reserve @size bytes (rounded up to the page) and store
 * the first address in *iova.
 * Returns 0, -EINVAL for size 0 or NULL, -ENOMEM when no hole below the
 * width limit is large enough (or out of memory).
 */
int udrv_iova_alloc(struct udrv_iova *a, uint64_t size, uint64_t *iova);

/*
 * udrv_iova_free - release the allocation that starts at @iova.
 * Returns 0, or -ENOENT when nothing was allocated there.
 */
int udrv_iova_free(struct udrv_iova *a, uint64_t iova);

/* udrv_iova_count - live allocations. */
size_t udrv_iova_count(const struct udrv_iova *a);

#endif /* UDRV_IOVA_H */
