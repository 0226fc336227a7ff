/* SPDX-License-Identifier: MIT */
/*
 * uio.c - the UIO backend (Documentation/driver-api/uio-howto.rst).
 *
 * - Map N of /dev/uioX is mmapped at offset N * page size.
 * - read() of 4 bytes blocks until an interrupt and returns the event count.
 * - Re-arming depends on the kernel driver bound:
 *     uio_pdrv_genirq (and other drivers with irqcontrol): write() a 32-bit 1;
 *     uio_pci_generic: write() is not supported; its handler masks INTx by
 *     setting Interrupt Disable (bit 10 of the PCI command register, PCI
 *     Local Bus spec 3.0, 6.2.2), so re-arming clears that bit through the
 *     device's sysfs config file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "sysfs.h"
#include "udrv_internal.h"

/* PCI Local Bus spec 3.0, 6.2.2: Command register at 0x04; Interrupt
 * Disable is its bit 10, i.e. bit 2 of the byte at 0x05. Only that byte is
 * rewritten (as the UIO howto's example and DPDK do), so a concurrent change
 * of the low byte (memory/bus-master enables) by someone else is not undone. */
#define PCI_COMMAND_HI 0x05
#define PCI_COMMAND_HI_INTX_DISABLE 0x04

struct uio_priv {
	unsigned index;         /* N of uioN */
	dev_t rdev;             /* its device number */
	char cfg_path[PATH_MAX]; /* sysfs config of a uio_pci_generic device, else "" */
	int cfg_fd;             /* that file, opened on first use; -1 until then */
	bool cfg_rw;            /* cfg_fd is open for writing */
	bool cfg_passed;        /* cfg_fd came from the manager: never reopened */
	uint64_t cfg_len;       /* its size: 256 or 4096 */
	bool no_irq;            /* the device has no interrupt (known from sysfs) */
};

/*
 * The config file is opened on first use, read-only until a write is needed:
 * sysfs grants reads to everyone (the first 64 bytes to non-root) but writes
 * to root only, so a non-root owner of /dev/uioN can open the device and
 * read config space; only re-arming INTx needs root or a passed fd.
 */
static int cfg_open(struct uio_priv *p, bool write)
{
	struct stat st;
	int fd;

	if (!p->cfg_path[0] && p->cfg_fd < 0)
		return -ENOTSUP;
	if (p->cfg_fd >= 0 && (p->cfg_rw || !write))
		return 0;
	if (p->cfg_passed)
		return -EACCES; /* the manager passed it read-only */
	fd = open(p->cfg_path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (p->cfg_fd >= 0)
		close(p->cfg_fd);
	p->cfg_fd = fd;
	p->cfg_rw = write;
	p->cfg_len = st.st_size > 0 ? (uint64_t)st.st_size : 256;
	return 0;
}

static int uio_cfg_read(udrv_dev *dev, uint64_t off, void *buf, size_t len)
{
	struct uio_priv *p = dev->priv;
	int r = cfg_open(p, false);

	if (r < 0)
		return r;
	return udrv__cfg_rw(p->cfg_fd, 0, p->cfg_len, off, buf, len, false);
}

static int uio_cfg_write(udrv_dev *dev, uint64_t off, const void *buf, size_t len)
{
	struct uio_priv *p = dev->priv;
	int r = cfg_open(p, true);

	if (r < 0)
		return r;
	return udrv__cfg_rw(p->cfg_fd, 0, p->cfg_len, off, (void *)buf, len, true);
}

static int uio_irq_enable(udrv_dev *dev)
{
	struct uio_priv *p = dev->priv;
	uint32_t one = 1;
	uint8_t hi;
	int r;

	if (p->cfg_path[0] || p->cfg_fd >= 0) {
		if ((r = uio_cfg_read(dev, PCI_COMMAND_HI, &hi, 1)) < 0)
			return r;
		if (!(hi & PCI_COMMAND_HI_INTX_DISABLE))
			return 0;
		hi &= (uint8_t)~PCI_COMMAND_HI_INTX_DISABLE;
		r = uio_cfg_write(dev, PCI_COMMAND_HI, &hi, 1);
		return r < 0 ? r : 0;
	}
	if (write(dev->fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		return 0;
	/* uio_write() answers EIO when the driver has no irqcontrol (or the
	 * device is gone), ENOSYS in older kernels. */
	if (errno == ENOSYS)
		return -ENOTSUP;
	if (errno == EIO)
		return udrv__uio_still_there(p->index, p->rdev) ? -ENOTSUP : -ENODEV;
	return -errno;
}

/*
 * uio_read()/uio_write() give EIO both for a device without an IRQ and for
 * one the kernel unregistered (unbind, hot-unplug). uio_unregister_device()
 * wakes readers before it removes the sysfs entry, so a device whose IRQ we
 * cannot rule out gets a bounded wait (2 s) for that entry to go. After a
 * "no IRQ" answer the device is known to have none.
 */
static int eio_means(struct uio_priv *p)
{
	for (int i = 0; !p->no_irq && i < 200 && udrv__uio_still_there(p->index, p->rdev); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	if (!udrv__uio_still_there(p->index, p->rdev))
		return -ENODEV;
	p->no_irq = true;
	return -ENOTSUP;
}

static int uio_irq_read(udrv_dev *dev, uint32_t *count)
{
	struct uio_priv *p = dev->priv;
	ssize_t n = read(dev->fd, count, sizeof(*count));

	if (n == (ssize_t)sizeof(*count))
		return 0;
	if (n < 0 && errno == EIO)
		return eio_means(p);
	if (n < 0)
		return -errno;
	return -EIO;
}

static void uio_destroy(udrv_dev *dev)
{
	struct uio_priv *p = dev->priv;

	if (p && p->cfg_fd >= 0)
		close(p->cfg_fd);
	free(p);
	dev->priv = NULL;
}

static const struct udrv_backend uio_backend = {
	.name = "uio",
	.irq_enable = uio_irq_enable,
	.irq_read = uio_irq_read,
	.cfg_read = uio_cfg_read,
	.cfg_write = uio_cfg_write,
	.destroy = uio_destroy,
};

/*
 * uio_pci_generic devices: remember where their config space is. Devices
 * known to have no interrupt: a PCI device whose irq is 0 (uio_pci_generic
 * registers no handler then), a device-tree node without "interrupts" or
 * "interrupts-extended" (uio_pdrv_genirq: UIO_IRQ_NONE).
 */
static void find_pci_config(unsigned index, struct uio_priv *p)
{
	char devdir[PATH_MAX / 2], drv[64], path[PATH_MAX];
	uint64_t irq;

	snprintf(devdir, sizeof(devdir), "%s/class/uio/uio%u/device", udrv__sysfs_root(), index);
	snprintf(path, sizeof(path), "%s/of_node", devdir);
	if (access(path, F_OK) == 0) {
		char a[PATH_MAX + 32], b[PATH_MAX + 32];

		snprintf(a, sizeof(a), "%s/interrupts", path);
		snprintf(b, sizeof(b), "%s/interrupts-extended", path);
		p->no_irq = access(a, F_OK) != 0 && access(b, F_OK) != 0;
	}
	if (udrv__sysfs_driver(devdir, drv, sizeof(drv)) < 0 || strcmp(drv, "uio_pci_generic") != 0)
		return;
	snprintf(p->cfg_path, sizeof(p->cfg_path), "%s/config", devdir);
	snprintf(path, sizeof(path), "%s/irq", devdir);
	p->no_irq = udrv__sysfs_read_u64(path, &irq) == 0 && irq == 0;
}

bool udrv__uio_still_there(unsigned index, dev_t rdev)
{
	dev_t now;

	return udrv__uio_rdev(index, &now) == 0 && now == rdev;
}

/* Is @fd the node of char device @rdev? A regular file stands in for a node
 * only when $UDRV_DEV_ROOT points at a test tree. */
static bool fd_is_node(int fd, dev_t rdev)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	if (S_ISCHR(st.st_mode))
		return st.st_rdev == rdev;
	return S_ISREG(st.st_mode) && getenv("UDRV_DEV_ROOT");
}

udrv_dev *udrv__uio_open(unsigned index, const char *node, int fd, int cfg_fd)
{
	struct udrv_uio_info info;
	uint64_t mmap_len[sizeof(info.maps) / sizeof(info.maps[0])];
	long page = sysconf(_SC_PAGESIZE);
	struct uio_priv *p;
	udrv_dev *dev;
	int r;

	if ((r = udrv__uio_read_info_ex(index, &info, mmap_len)) < 0) {
		errno = -r;
		return NULL;
	}
	if (fd < 0 && !node && !info.devnode[0]) {
		errno = ENOENT; /* in sysfs, but no /dev node with its number */
		return NULL;
	}
	dev = udrv__dev_new(&uio_backend);
	if (!dev)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto fail;
	p->cfg_fd = -1;
	p->index = index;
	dev->priv = p;
	snprintf(dev->name, sizeof(dev->name), "%s", info.name);
	if ((r = udrv__uio_rdev(index, &p->rdev)) < 0) {
		errno = -r;
		goto fail;
	}
	if (fd >= 0)
		dev->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	else
		dev->fd = open(node ? node : info.devnode, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0)
		goto fail;
	/* The node opened must be this device (udev names, passed fds). */
	if (!fd_is_node(dev->fd, p->rdev)) {
		errno = fd >= 0 ? EBADFD : ENODEV;
		goto fail;
	}
	dev->irq_fd = dev->fd;
	dev->irq_last = info.event;
	find_pci_config(index, p);
	if (cfg_fd >= 0) {
		int fl = fcntl(cfg_fd, F_GETFL);
		struct stat st;

		p->cfg_fd = fcntl(cfg_fd, F_DUPFD_CLOEXEC, 3);
		if (p->cfg_fd < 0 || fl < 0 || fstat(p->cfg_fd, &st) < 0)
			goto fail;
		p->cfg_passed = true;
		p->cfg_rw = (fl & O_ACCMODE) == O_RDWR;
		p->cfg_len = st.st_size > 0 ? (uint64_t)st.st_size : 256;
	}
	dev->nregions = info.nmaps;
	for (unsigned i = 0; i < info.nmaps; i++) {
		struct udrv_region *rg = &dev->regions[i];

		rg->info = info.maps[i];
		rg->mmap_offset = (uint64_t)i * (uint64_t)page; /* map i, not position */
		rg->mmap_len = mmap_len[i];
		rg->mappable = info.maps[i].size != 0 && mmap_len[i] != 0;
	}
	return dev;

fail:
	udrv_close(dev); /* keeps errno */
	return NULL;
}

udrv_dev *udrv__uio_open_index(unsigned index)
{
	return udrv__uio_open(index, NULL, -1, -1);
}
