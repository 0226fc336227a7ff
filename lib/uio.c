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
#include <unistd.h>

#include "sysfs.h"
#include "udrv_internal.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_INTX_DISABLE 0x400

struct uio_priv {
	int cfg_fd;       /* PCI config space (uio_pci_generic), else -1 */
	uint64_t cfg_len; /* its size: 256 or 4096 */
};

static int uio_cfg_read(udrv_dev *dev, uint64_t off, void *buf, size_t len)
{
	struct uio_priv *p = dev->priv;

	if (p->cfg_fd < 0)
		return -ENOTSUP;
	return udrv__cfg_rw(p->cfg_fd, 0, p->cfg_len, off, buf, len, false);
}

static int uio_cfg_write(udrv_dev *dev, uint64_t off, const void *buf, size_t len)
{
	struct uio_priv *p = dev->priv;

	if (p->cfg_fd < 0)
		return -ENOTSUP;
	return udrv__cfg_rw(p->cfg_fd, 0, p->cfg_len, off, (void *)buf, len, true);
}

static int uio_irq_enable(udrv_dev *dev)
{
	struct uio_priv *p = dev->priv;
	uint32_t one = 1;
	uint16_t cmd;
	int r;

	if (p->cfg_fd >= 0) {
		/* Read-modify-write of the command register: keep memory space
		 * and bus master enables as they are. */
		if ((r = uio_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd))) < 0)
			return r;
		if (r != sizeof(cmd))
			return -EIO;
		if (!(cmd & PCI_COMMAND_INTX_DISABLE))
			return 0;
		cmd &= (uint16_t)~PCI_COMMAND_INTX_DISABLE;
		r = uio_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
		return r < 0 ? r : (r == sizeof(cmd) ? 0 : -EIO);
	}
	if (write(dev->fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		return 0;
	/* uio_write() answers EIO when the driver has no irqcontrol, ENOSYS in
	 * older kernels: this device cannot be (re-)armed from user space. */
	return (errno == EIO || errno == ENOSYS) ? -ENOTSUP : -errno;
}

static int uio_irq_read(udrv_dev *dev, uint32_t *count)
{
	ssize_t n = read(dev->fd, count, sizeof(*count));

	if (n == (ssize_t)sizeof(*count))
		return 0;
	if (n < 0)
		return errno == EIO ? -ENOTSUP : -errno; /* EIO: no IRQ on this device */
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

/* uio_pci_generic devices: open their config space for INTx re-arming. */
static int open_pci_config(unsigned index, struct uio_priv *p)
{
	char devdir[PATH_MAX], path[PATH_MAX + 8], drv[64];
	struct stat st;

	snprintf(devdir, sizeof(devdir), "%s/class/uio/uio%u/device", udrv__sysfs_root(), index);
	if (udrv__sysfs_driver(devdir, drv, sizeof(drv)) < 0 || strcmp(drv, "uio_pci_generic") != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/config", devdir);
	p->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->cfg_fd < 0)
		return -errno;
	if (fstat(p->cfg_fd, &st) < 0)
		return -errno;
	p->cfg_len = st.st_size > 0 ? (uint64_t)st.st_size : 256;
	return 0;
}

udrv_dev *udrv__uio_open_index(unsigned index)
{
	struct udrv_uio_info info;
	long page = sysconf(_SC_PAGESIZE);
	struct uio_priv *p;
	udrv_dev *dev;
	int r;

	if ((r = udrv__uio_read_info(index, &info)) < 0) {
		errno = -r;
		return NULL;
	}
	if (!info.devnode[0]) {
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
	dev->priv = p;
	snprintf(dev->name, sizeof(dev->name), "%s", info.name);

	dev->fd = open(info.devnode, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0)
		goto fail;
	dev->irq_fd = dev->fd;
	dev->irq_last = info.event;
	if ((r = open_pci_config(index, p)) < 0) {
		errno = -r;
		goto fail;
	}
	dev->nregions = info.nmaps;
	for (unsigned i = 0; i < info.nmaps; i++) {
		struct udrv_region *rg = &dev->regions[i];

		rg->info = info.maps[i];
		rg->mmap_offset = (uint64_t)i * (uint64_t)page; /* map i, not position */
		rg->mappable = info.maps[i].size != 0;
	}
	return dev;

fail:
	udrv_close(dev); /* keeps errno */
	return NULL;
}
