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
#include <sys/stat.h>
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
	dev->req_fd = -1;
	dev->owner = getpid();
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
	if (dev->req_fd >= 0)
		close(dev->req_fd);
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

/* A spec resolved to one device. */
struct spec {
	bool vfio;              /* a PCI device on vfio-pci; else uioN */
	unsigned index;         /* uioN */
	char pci[16];           /* "DDDD:BB:DD.F" when PCI */
	char node[PATH_MAX];    /* the path given, when it was one */
};

static int resolve_pci(const char *addr, struct spec *out)
{
	char devdir[PATH_MAX], drv[64];

	if (!udrv__valid_pci_addr(addr))
		return -EINVAL;
	snprintf(out->pci, sizeof(out->pci), "%s", addr);
	snprintf(devdir, sizeof(devdir), "%s/bus/pci/devices/%s", udrv__sysfs_root(), addr);
	if (access(devdir, F_OK) != 0)
		return -ENOENT;
	if (udrv__sysfs_driver(devdir, drv, sizeof(drv)) < 0)
		return -ENODEV; /* present but bound to no driver */
	if (strcmp(drv, "vfio-pci") == 0) {
#ifdef UDRV_HAVE_VFIO
		out->vfio = true;
		return 0;
#else
		return -ENOTSUP;
#endif
	}
	if (strcmp(drv, "uio_pci_generic") == 0 && pci_uio_index(devdir, &out->index) == 0)
		return 0;
	return -ENODEV; /* bound to a driver udrv cannot drive through */
}

/*
 * A path: the node itself decides, by its device number (udev symlinks such
 * as /dev/myfpga -> uio0 work; /any/dir/uio0 is not /dev/uio0). "/dev/..."
 * is looked up under $UDRV_DEV_ROOT when that is set (test trees), where a
 * regular file named uioN stands in for the node.
 */
static int resolve_path(const char *spec, struct spec *out)
{
	const char *root = getenv("UDRV_DEV_ROOT");
	char real[PATH_MAX], rootreal[PATH_MAX];
	struct stat st;

	if (root && *root && strncmp(spec, "/dev/", 5) == 0) {
		if (snprintf(out->node, sizeof(out->node), "%s/%s", root, spec + 5) >=
		    (int)sizeof(out->node))
			return -ENAMETOOLONG;
	} else if (snprintf(out->node, sizeof(out->node), "%s", spec) >= (int)sizeof(out->node)) {
		return -ENAMETOOLONG;
	}
	if (stat(out->node, &st) < 0)
		return -errno; /* ENOENT: no such node */
	if (S_ISCHR(st.st_mode))
		return udrv__uio_index_of_rdev(st.st_rdev, &out->index);
	if (S_ISREG(st.st_mode) && root && *root && realpath(out->node, real) &&
	    realpath(root, rootreal)) {
		char *base = strrchr(real, '/');

		*base++ = '\0'; /* a stand-in node counts only inside the test root */
		return strcmp(real, rootreal) == 0 && udrv__parse_index(base, "uio", &out->index) == 0 ?
			       0 : -ENODEV;
	}
	return S_ISDIR(st.st_mode) ? -EINVAL : -ENODEV;
}

static int resolve(const char *spec, struct spec *out)
{
	memset(out, 0, sizeof(*out));
	if (!spec || !*spec)
		return -EINVAL;
	if (strncmp(spec, "pci:", 4) == 0)
		return resolve_pci(spec + 4, out);
	if (strncmp(spec, "name:", 5) == 0) {
		struct by_name q = { .name = spec + 5 };
		int r;

		if (!*q.name || strlen(q.name) >= UDRV_NAME_MAX - 1)
			return -EINVAL; /* longer names are cut in the scan */
		r = udrv_uio_scan(match_name, &q);
		if (r < 0)
			return r;
		if (!q.found)
			return -ENOENT;
		out->index = q.index;
		return 0;
	}
	if (strchr(spec, '/'))
		return resolve_path(spec, out);
	return udrv__parse_index(spec, "uio", &out->index) == 0 ? 0 : -EINVAL;
}

/* The fd the manager passed as @name, or -1. */
static int passed(const char *name)
{
	int fd = udrv_listen_fd(name);

	return fd >= 0 ? fd : -1;
}

/*
 * Passed device fds (LISTEN_FDNAMES udrv-*) apply when $UDRV_DEVICE names
 * the same device as @s: the manager opened that one for us.
 */
static bool for_passed_device(const struct spec *s)
{
	const char *want = getenv("UDRV_DEVICE");
	struct spec w;

	if (!want || !*want || resolve(want, &w) < 0 || w.vfio != s->vfio)
		return false;
	return s->vfio ? strcmp(w.pci, s->pci) == 0 : w.index == s->index;
}

udrv_dev *udrv_open(const char *spec)
{
	struct spec s;
	int r = resolve(spec, &s);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	if (s.vfio) {
#ifdef UDRV_HAVE_VFIO
		struct udrv__vfio_fds fds = { -1, -1, -1 };

		if (for_passed_device(&s)) {
			fds.container = passed("udrv-vfio-container");
			fds.group = passed("udrv-vfio-group");
			fds.device = passed("udrv-vfio-device");
		}
		return udrv__vfio_open(s.pci, &fds);
#endif
	}
	if (for_passed_device(&s)) {
		int fd = passed("udrv-uio");

		if (fd >= 0)
			return udrv__uio_open(s.index, NULL, fd, passed("udrv-uio-config"));
	}
	return udrv__uio_open(s.index, s.node[0] ? s.node : NULL, -1, -1);
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
