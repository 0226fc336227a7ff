/* SPDX-License-Identifier: MIT */
/*
 * dev.c - opening and closing devices: spec parsing and dispatch to a
 * backend (uio.c, vfio.c), and the operations that only forward to it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sysfs.h"
#include "udrv_internal.h"

udrv_dev *udrv__dev_new(const struct udrv_backend *be)
{
	udrv_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL; /* errno = ENOMEM from calloc */
	dev->be = be;
	dev->fd = -1;
	dev->irq_fd = -1;
	return dev;
}

void udrv_close(udrv_dev *dev)
{
	int saved = errno;

	if (!dev)
		return;
	for (unsigned i = 0; i < dev->nregions; i++)
		if (dev->regions[i].base)
			munmap(dev->regions[i].base, dev->regions[i].maplen);
	/* The backend may close fds itself (and set them to -1) when it needs
	 * an order, e.g. VFIO: device before group before container. */
	if (dev->be && dev->be->destroy)
		dev->be->destroy(dev);
	udrv__ext_free(dev); /* after the device fd: its vectors are detached */
	if (dev->irq_fd >= 0 && dev->irq_fd != dev->fd)
		close(dev->irq_fd);
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev);
	errno = saved; /* close is usable on error paths */
}

/* First UIO device whose `name` is @name. */
struct by_name {
	const char *name;
	unsigned index;
	bool found;
};

static int match_name(const struct udrv_uio_info *info, void *arg)
{
	struct by_name *q = arg;

	if (strcmp(info->name, q->name) != 0)
		return 0;
	q->index = info->index;
	q->found = true;
	return 1; /* stop the scan */
}

/* The uioN under a PCI device bound to uio_pci_generic. */
static int pci_uio_index(const char *devdir, unsigned *index)
{
	char path[PATH_MAX];
	struct dirent *de;
	int r = -ENODEV;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/uio", devdir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return -ENODEV;
	while ((de = readdir(d)))
		if (udrv__parse_index(de->d_name, "uio", index) == 0) {
			r = 0;
			break;
		}
	closedir(d);
	return r;
}

static udrv_dev *open_pci(const char *addr)
{
	char devdir[PATH_MAX], drv[64];
	unsigned index;
	int r;

	if (!udrv__valid_pci_addr(addr)) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(devdir, sizeof(devdir), "%s/bus/pci/devices/%s", udrv__sysfs_root(), addr);
	if (access(devdir, F_OK) != 0) {
		errno = ENOENT;
		return NULL;
	}
	r = udrv__sysfs_driver(devdir, drv, sizeof(drv));
	if (r < 0) {
		errno = ENODEV; /* present but bound to no driver */
		return NULL;
	}
	if (strcmp(drv, "vfio-pci") == 0) {
#ifdef UDRV_HAVE_VFIO
		return udrv__vfio_open(addr);
#else
		errno = ENOTSUP;
		return NULL;
#endif
	}
	if (strcmp(drv, "uio_pci_generic") == 0 && pci_uio_index(devdir, &index) == 0)
		return udrv__uio_open_index(index);
	errno = ENODEV; /* bound to a driver udrv cannot drive through */
	return NULL;
}

udrv_dev *udrv_open(const char *spec)
{
	unsigned index;
	const char *base;

	if (!spec || !*spec) {
		errno = EINVAL;
		return NULL;
	}
	if (strncmp(spec, "pci:", 4) == 0)
		return open_pci(spec + 4);
	if (strncmp(spec, "name:", 5) == 0) {
		struct by_name q = { .name = spec + 5 };
		int r;

		if (!*q.name || strlen(q.name) >= UDRV_NAME_MAX) {
			errno = EINVAL;
			return NULL;
		}
		r = udrv_uio_scan(match_name, &q);
		if (r < 0) {
			errno = -r;
			return NULL;
		}
		if (!q.found) {
			errno = ENOENT;
			return NULL;
		}
		return udrv__uio_open_index(q.index);
	}
	/* "/dev/uioN" (any directory) or "uioN". */
	base = spec[0] == '/' ? strrchr(spec, '/') + 1 : spec;
	if (udrv__parse_index(base, "uio", &index) < 0) {
		errno = EINVAL;
		return NULL;
	}
	return udrv__uio_open_index(index);
}

const char *udrv_name(const udrv_dev *dev)
{
	return dev ? dev->name : "";
}

const char *udrv_backend(const udrv_dev *dev)
{
	return dev && dev->be ? dev->be->name : "";
}

int udrv_map_count(const udrv_dev *dev)
{
	return dev ? (int)dev->nregions : -EINVAL;
}

int udrv_map_info(const udrv_dev *dev, unsigned idx, struct udrv_map_info *out)
{
	if (!dev || !out)
		return -EINVAL;
	if (idx >= dev->nregions)
		return -ERANGE;
	*out = dev->regions[idx].info;
	return 0;
}

int udrv__cfg_rw(int fd, uint64_t base, uint64_t size, uint64_t off, void *buf, size_t len,
		 bool write)
{
	ssize_t n;

	if (off > size || len > size - off || len > INT_MAX)
		return -ERANGE;
	n = write ? pwrite(fd, buf, len, (off_t)(base + off)) : pread(fd, buf, len, (off_t)(base + off));
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? (int)n : -EIO;
}

int udrv_pci_cfg_read(udrv_dev *dev, uint64_t off, void *buf, size_t len)
{
	if (!dev || (!buf && len))
		return -EINVAL;
	return dev->be->cfg_read ? dev->be->cfg_read(dev, off, buf, len) : -ENOTSUP;
}

int udrv_pci_cfg_write(udrv_dev *dev, uint64_t off, const void *buf, size_t len)
{
	if (!dev || (!buf && len))
		return -EINVAL;
	return dev->be->cfg_write ? dev->be->cfg_write(dev, off, buf, len) : -ENOTSUP;
}

int udrv_dma_set_width(udrv_dev *dev, unsigned bits)
{
	if (!dev)
		return -EINVAL;
	return dev->be->dma_set_width ? dev->be->dma_set_width(dev, bits) : -ENOTSUP;
}

int udrv_dma_alloc(udrv_dev *dev, size_t size, struct udrv_dma *out)
{
	if (!dev || !out)
		return -EINVAL;
	return dev->be->dma_alloc ? dev->be->dma_alloc(dev, size, out) : -ENOTSUP;
}

void udrv_dma_free(udrv_dev *dev, struct udrv_dma *buf)
{
	if (dev && buf && buf->va && dev->be->dma_free)
		dev->be->dma_free(dev, buf);
}
