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
#include <unistd.h>

#include "udrv.h"

#define UDRV_MAX_REGIONS 16 /* UIO has at most 5 maps; VFIO-PCI 9 regions */

/* One mappable region (a UIO map or a PCI BAR). */
struct udrv_region {
	struct udrv_map_info info;
	uint64_t mmap_offset;   /* the offset argument for mmap() on dev->fd */
	uint64_t mmap_len;      /* the length for mmap(): whole pages holding
				 * [info.offset, info.offset + info.size) */
	bool mappable;          /* false: e.g. an I/O port BAR */
	void *base;             /* mmap() result, NULL until mapped */
	size_t maplen;          /* length given to mmap() */
	volatile uint8_t *regs; /* base + info.offset: the first register; the
				 * window is [regs, regs + info.size) */
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
	/*
	 * One register access of @width bytes at @off of a region that cannot
	 * be mmapped (bounds and alignment already checked). 0 or -errno.
	 */
	int (*region_rw)(udrv_dev *dev, unsigned idx, uint64_t off, void *val, unsigned width,
			 bool write);
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
	int req_fd; /* polls readable when the kernel wants the device back (VFIO); -1 */
	bool gone;  /* the device went away: waits answer -ENODEV */
	pid_t owner; /* the process that opened it: a forked child only unmaps */
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

/*
 * Fault-injection hooks for tests/faults (drivers/edu/edu_faults.c declares
 * them itself: a statically linked test driver only). checkpoint.c:
 * crash_next makes the next commit die (SIGKILL) after byte @at modulo the
 * commit's size; stray_write flips a byte of the stored current copy
 * (-ENODATA: nothing stored). ipc_server.c: the server's checkpoint.
 */
void udrv__ckpt_crash_next(udrv_ckpt *c, uint64_t at);
int udrv__ckpt_stray_write(udrv_ckpt *c);
udrv_ckpt *udrv__server_ckpt(udrv_server *s);

/* irq.c: CLOCK_MONOTONIC in ms, for wait deadlines. */
int64_t udrv__now_ms(void);

/* dev.c */
udrv_dev *udrv__dev_new(const struct udrv_backend *be); /* fds -1, NULL+errno */

/* Backends' constructors: NULL + errno. */
udrv_dev *udrv__uio_open_index(unsigned index);
/* uioN through @node (a path: udev symlinks) or a passed @fd (dup'ed; -1:
 * none), and a passed sysfs config fd (-1: opened lazily). The fd must be
 * uioN's node: else ENODEV (a path) or EBADFD (a passed fd). */
udrv_dev *udrv__uio_open(unsigned index, const char *node, int fd, int cfg_fd);
/* Is uio@index still registered with device number @rdev? */
bool udrv__uio_still_there(unsigned index, dev_t rdev);
/* fds the manager passed (dup'ed by the backend; -1: open it ourselves). */
struct udrv__vfio_fds {
	int container, group, device;
};
udrv_dev *udrv__vfio_open(const char *pci_addr, const struct udrv__vfio_fds *fds);

/* In a process forked from the opener? It must leave the device alone. */
static inline bool udrv__in_child(const udrv_dev *dev)
{
	return dev->owner != getpid();
}

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

/* notify.c: the fd of fd-store state @name (passed back, or a new memfd
 * of @size bytes stored under @name); *old says which. fd or -errno. */
int udrv__state_fd(const char *name, size_t size, bool *old);

/* checkpoint.c: the 64-bit hash behind checkpoint checksums. */
uint64_t udrv__hash64(const void *buf, size_t len, uint64_t seed);

#endif /* UDRV_INTERNAL_H */
