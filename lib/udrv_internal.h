/* SPDX-License-Identifier: MIT */
/*
 * udrv_internal.h - the real definitions behind the opaque handle, and the
 * contract between the common code (dev.c, mmio.c, irq.c) and a backend
 * (uio.c, vfio.c). Not installed.
 */
#ifndef UDRV_INTERNAL_H
#define UDRV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "udrv.h"

#define UDRV_MAX_REGIONS 16 /* UIO has at most 5 maps; VFIO-PCI 9 regions */

/* One mappable region (a UIO map or a PCI BAR). */
struct udrv_region {
	struct udrv_map_info info;
	uint64_t mmap_offset;   /* the offset argument for mmap() on dev->fd */
	bool mappable;          /* false: e.g. an I/O port BAR */
	void *base;             /* mmap() result, NULL until mapped */
	size_t maplen;          /* length given to mmap() */
	volatile uint8_t *regs; /* base + info.offset: the first register */
};

/*
 * A backend fills dev->regions, dev->fd, dev->irq_fd at open time and
 * implements these. Every pointer may be NULL: the common code then answers
 * -ENOTSUP.
 */
struct udrv_backend {
	const char *name; /* "uio", "vfio" */
	/* Arm or re-arm the interrupt. */
	int (*irq_enable)(udrv_dev *dev);
	/*
	 * Called once poll() says irq_fd is readable: consume the event and give
	 * the running event count (wrapping uint32). 0 or -errno (-EAGAIN when
	 * there was nothing after all: the common code polls again).
	 */
	int (*irq_read)(udrv_dev *dev, uint32_t *count);
	int (*cfg_read)(udrv_dev *dev, uint64_t off, void *buf, size_t len);
	int (*cfg_write)(udrv_dev *dev, uint64_t off, const void *buf, size_t len);
	int (*dma_set_width)(udrv_dev *dev, unsigned bits);
	int (*dma_alloc)(udrv_dev *dev, size_t size, struct udrv_dma *out);
	void (*dma_free)(udrv_dev *dev, struct udrv_dma *buf);
	/*
	 * Several vectors (irqvec.c): query how many vectors interrupt @type has
	 * (@fds NULL: returns the count), or route @fds[0..n-1] to vectors
	 * 0..n-1 of @type, replacing the current routing (0 or -errno).
	 */
	int (*irq_route)(udrv_dev *dev, enum udrv_irq_type type, const int *fds, unsigned n);
	/* Release backend state (priv, extra fds). Called by udrv_close() after
	 * the regions are unmapped; must cope with a half-built device. */
	void (*destroy)(udrv_dev *dev);
};

struct udrv_dev {
	const struct udrv_backend *be;
	char name[UDRV_NAME_MAX];
	int fd;     /* fd regions are mmapped from; -1 when none */
	int irq_fd; /* pollable interrupt fd; -1 when none */
	unsigned nregions;
	struct udrv_region regions[UDRV_MAX_REGIONS];
	uint32_t irq_last;   /* count at the last wait (or at open) */
	uint64_t irq_missed; /* surplus events seen between waits */
	void *priv;          /* backend state */
	struct udrv_ext *ext; /* optional extras (irqvec.c, pci.c), NULL until used */
};

/*
 * Extras a device grows on demand, freed by udrv_close() after the backend:
 * interrupt vectors beyond 0 and BARs mapped by number over UIO.
 */
struct udrv_ext {
	unsigned nvec;       /* vectors routed (0: only dev->irq_fd as before) */
	int *vec_fd;         /* [nvec]; vec_fd[0] == dev->irq_fd */
	uint32_t *vec_count; /* [nvec] running counts of vectors >= 1 */
	void *bar_base[6];   /* resourceN mappings (uio_pci_generic) */
	size_t bar_len[6];
};
/* Get (allocating once) the extras: NULL + errno ENOMEM. */
struct udrv_ext *udrv__ext(udrv_dev *dev);
void udrv__ext_free(udrv_dev *dev);

/* irq.c: CLOCK_MONOTONIC in ms, for wait deadlines. */
int64_t udrv__now_ms(void);

/* dev.c */
udrv_dev *udrv__dev_new(const struct udrv_backend *be); /* fds -1, NULL+errno */

/* Backends' constructors: NULL + errno. */
udrv_dev *udrv__uio_open_index(unsigned index);
udrv_dev *udrv__vfio_open(const char *pci_addr);

/*
 * PCI config space through a file (sysfs `config`, or VFIO's config region
 * at @base of the device fd): the range checked against @size, the whole of
 * @len transferred or -EIO. Returns @len or -errno.
 */
int udrv__cfg_rw(int fd, uint64_t base, uint64_t size, uint64_t off, void *buf, size_t len,
		 bool write);

/* sysfs.c: roots overridable for tests. */
const char *udrv__sysfs_root(void); /* $UDRV_SYSFS_ROOT or "/sys" */
const char *udrv__dev_root(void);   /* $UDRV_DEV_ROOT or "/dev" */

#endif /* UDRV_INTERNAL_H */
