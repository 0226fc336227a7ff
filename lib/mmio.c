/* SPDX-License-Identifier: MIT */
/*
 * mmio.c - mapping regions and bounds-checked register access.
 *
 * Every access is checked before anything is touched: the region index,
 * then [off, off + width) inside the region (written so that a huge @off
 * cannot wrap around), then natural alignment (devices and the AXI/PCI
 * fabric may fault or split misaligned accesses).
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmio.h"
#include "udrv_internal.h"

volatile void *udrv_map(udrv_dev *dev, unsigned idx)
{
	struct udrv_region *rg;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t len;
	void *p;

	if (!dev) {
		errno = EINVAL;
		return NULL;
	}
	if (idx >= dev->nregions || dev->regions[idx].info.size == 0) {
		errno = ERANGE;
		return NULL;
	}
	rg = &dev->regions[idx];
	if (rg->regs)
		return rg->regs;
	if (!rg->mappable || dev->fd < 0) {
		errno = ENOTSUP;
		return NULL;
	}
	/* The kernel maps whole pages; the registers start info.offset in
	 * (UIO: the physical address need not be page aligned). The backend
	 * worked out how much the kernel lets us map. */
	len = rg->mmap_len;
	if (rg->info.offset > len || rg->info.size > len - rg->info.offset ||
	    len % page || len > SIZE_MAX) {
		errno = ENOTSUP;
		return NULL;
	}
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd,
		 (off_t)rg->mmap_offset);
	if (p == MAP_FAILED)
		return NULL; /* errno from mmap() */
	rg->base = p;
	rg->maplen = (size_t)len;
	rg->regs = (volatile uint8_t *)p + rg->info.offset;
	return rg->regs;
}

int udrv_mmio_get(udrv_dev *dev, unsigned idx, struct udrv_mmio *m)
{
	if (!dev || !m)
		return -EINVAL;
	if (idx >= dev->nregions)
		return -ERANGE;
	/* The region as the backend described and mapped it: no window math here. */
	if (!dev->regions[idx].regs && !udrv_map(dev, idx))
		return -errno;
	m->base = dev->regions[idx].regs;
	m->size = dev->regions[idx].info.size;
	return 0;
}

/*
 * Resolve (idx, off, width) to an address (0), or 1 when the region cannot
 * be mmapped but the backend reaches it otherwise (VFIO: pread/pwrite on the
 * device fd), or a negative errno.
 */
static int reg_addr(udrv_dev *dev, unsigned idx, uint64_t off, unsigned width,
		    volatile void **out)
{
	const struct udrv_region *rg;

	if (!dev)
		return -EINVAL;
	if (idx >= dev->nregions)
		return -ERANGE;
	rg = &dev->regions[idx];
	/* Overflow-safe form of "off + width > size". */
	if (rg->info.size < width || off > rg->info.size - width)
		return -ERANGE;
	if (off & (width - 1))
		return -EINVAL;
	if (!rg->regs && !rg->mappable && dev->be->region_rw)
		return 1;
	if (!rg->regs && !udrv_map(dev, idx))
		return -errno;
	*out = rg->regs + off;
	return 0;
}

#define UDRV__RW(bits)                                                               \
	int udrv_read##bits(udrv_dev *dev, unsigned idx, uint64_t off, uint##bits##_t *val) \
	{                                                                            \
		volatile void *p = NULL;                                                  \
		int r;                                                               \
		if (!val)                                                            \
			return -EINVAL;                                              \
		if ((r = reg_addr(dev, idx, off, bits / 8, &p)) < 0)                 \
			return r;                                                    \
		if (r == 1)                                                          \
			return dev->be->region_rw(dev, idx, off, val, bits / 8, false); \
		*val = udrv__raw_read##bits(p);                                      \
		return 0;                                                            \
	}                                                                            \
	int udrv_write##bits(udrv_dev *dev, unsigned idx, uint64_t off, uint##bits##_t val) \
	{                                                                            \
		volatile void *p = NULL;                                                  \
		int r;                                                               \
		if ((r = reg_addr(dev, idx, off, bits / 8, &p)) < 0)                 \
			return r;                                                    \
		if (r == 1)                                                          \
			return dev->be->region_rw(dev, idx, off, &val, bits / 8, true); \
		udrv__raw_write##bits(p, val);                                       \
		return 0;                                                            \
	}
UDRV__RW(8)
UDRV__RW(16)
UDRV__RW(32)
UDRV__RW(64)
#undef UDRV__RW
