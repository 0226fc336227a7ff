/* SPDX-License-Identifier: MIT */
/*
 * pci.c - PCI helpers common to the VFIO and uio_pci_generic backends: the
 * capability walker and BARs by number.
 *
 * Capabilities (PCI Local Bus Spec 3.0, 6.7): Status bit 4 says a list
 * exists; its head is the byte at 0x34; each entry is [ID, next] with the
 * low two bits of a pointer reserved. Extended capabilities (PCIe Base Spec
 * 7.6) start at 0x100 with a 32-bit header: ID in bits 15:0, version 19:16,
 * next offset 31:20 (0 ends the list).
 *
 * BARs by number: over uio_pci_generic the UIO maps are the exported memory
 * BARs in order, so "map N" is not "BAR N" and 64-bit prefetchable BARs may
 * have no map. The PCI core's sysfs file resourceN
 * (drivers/pci/pci-sysfs.c, pci_mmap_resource) maps exactly BAR N, as DPDK's
 * pci_uio.c does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "udrv_internal.h"

#define PCI_STATUS_REG 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34
#define PCI_EXT_CAP_BASE 0x100
#define IORESOURCE_IO 0x100 /* include/linux/ioport.h */

int udrv_pci_find_cap(udrv_dev *dev, uint8_t cap_id, unsigned start)
{
	uint16_t status;
	uint8_t pos, hdr[2];
	int r, hops;

	if (!dev)
		return -EINVAL;
	r = udrv_pci_cfg_read(dev, PCI_STATUS_REG, &status, sizeof(status));
	if (r < 0)
		return r;
	if (!(status & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	if (start) {
		/* Continue after the capability at @start: its next pointer. */
		if (start < 0x40 || start > 0xfc || (start & 3))
			return -EINVAL;
		r = udrv_pci_cfg_read(dev, start + 1, &pos, 1);
	} else {
		r = udrv_pci_cfg_read(dev, PCI_CAP_PTR, &pos, 1);
	}
	if (r < 0)
		return r;
	/* At most (256 - 64) / 4 entries fit: more means a loop. */
	for (hops = 0; hops < 48; hops++) {
		pos &= 0xfc;
		if (pos < 0x40)
			return -ENOENT; /* 0 ends the list; below 0x40 is the header */
		r = udrv_pci_cfg_read(dev, pos, hdr, sizeof(hdr));
		if (r < 0)
			return r;
		if (hdr[0] == 0xff)
			return -ENOENT; /* device gone: config reads all ones */
		if (hdr[0] == cap_id)
			return pos;
		pos = hdr[1];
	}
	return -ELOOP;
}

int udrv_pci_find_ext_cap(udrv_dev *dev, uint16_t cap_id, unsigned start)
{
	unsigned pos = PCI_EXT_CAP_BASE;
	uint32_t h;
	int r, hops;

	if (!dev)
		return -EINVAL;
	if (start) {
		if (start < PCI_EXT_CAP_BASE || start > 0xffc || (start & 3))
			return -EINVAL;
		r = udrv_pci_cfg_read(dev, start, &h, sizeof(h));
		if (r < 0)
			return r;
		pos = h >> 20;
	}
	/* At most (4096 - 256) / 4 entries fit. */
	for (hops = 0; hops < 960; hops++) {
		if (pos < PCI_EXT_CAP_BASE)
			return -ENOENT;
		r = udrv_pci_cfg_read(dev, pos & ~3u, &h, sizeof(h));
		if (r == -ERANGE)
			return -ENOENT; /* only 256 bytes of config space */
		if (r < 0)
			return r;
		if (h == 0 || h == 0xffffffff)
			return -ENOENT; /* no extended capabilities / device gone */
		if ((h & 0xffff) == cap_id)
			return (int)(pos & ~3u);
		pos = h >> 20;
	}
	return -ELOOP;
}

/* The PCI device directory behind a UIO device's /dev node, via /sys/dev/char. */
static int uio_pci_devdir(udrv_dev *dev, char *out, size_t len)
{
	char link[PATH_MAX], drv[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (dev->fd < 0 || fstat(dev->fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return -ENOTSUP;
	if (snprintf(out, len, "%s/dev/char/%u:%u/device", udrv__sysfs_root(),
		     major(st.st_rdev), minor(st.st_rdev)) >= (int)len)
		return -ENAMETOOLONG;
	/* A PCI device has a `resource` file; a platform device has none. */
	if (snprintf(link, sizeof(link), "%s/resource", out) >= (int)sizeof(link))
		return -ENAMETOOLONG;
	if (access(link, R_OK) < 0)
		return -ENOTSUP;
	snprintf(drv, sizeof(drv), "%s/subsystem", out);
	n = readlink(drv, link, sizeof(link) - 1);
	if (n < 0)
		return -ENOTSUP;
	link[n] = '\0';
	if (!strstr(link, "/pci"))
		return -ENOTSUP;
	return 0;
}

/* Start, end, flags of resource line @bar of DEVDIR/resource. */
static int bar_resource(const char *devdir, unsigned bar, unsigned long long *start,
			unsigned long long *end, unsigned long long *flags)
{
	char path[PATH_MAX], line[128];
	unsigned i = 0;
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resource", devdir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (i++ != bar)
			continue;
		if (sscanf(line, "%llx %llx %llx", start, end, flags) == 3)
			r = 0;
		break;
	}
	fclose(f);
	return r;
}

static volatile void *uio_bar(udrv_dev *dev, unsigned bar, size_t *size)
{
	char devdir[PATH_MAX / 2], path[PATH_MAX];
	unsigned long long start, end, flags;
	struct udrv_ext *x;
	struct stat st;
	void *p;
	int r, fd;

	r = uio_pci_devdir(dev, devdir, sizeof(devdir));
	if (r == 0)
		r = bar_resource(devdir, bar, &start, &end, &flags);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	if (start == 0 && end == 0) {
		errno = ENOENT; /* no such BAR (or the upper half of a 64-bit one) */
		return NULL;
	}
	if (flags & IORESOURCE_IO) {
		errno = ENOTSUP; /* I/O ports: no resourceN mmap on x86 */
		return NULL;
	}
	x = udrv__ext(dev);
	if (!x)
		return NULL;
	if (x->bar_base[bar])
		goto out;
	snprintf(path, sizeof(path), "%s/resource%u", devdir, bar);
	fd = open(path, O_RDWR | O_CLOEXEC | O_SYNC);
	if (fd < 0)
		return NULL;
	/* The file's size is the BAR's size (pci_create_attr: resource length). */
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		r = errno ? errno : ENOENT;
		if (r == 0 || st.st_size <= 0)
			r = ENOENT;
		close(fd);
		errno = r;
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	r = errno;
	close(fd); /* the mapping keeps the BAR */
	if (p == MAP_FAILED) {
		errno = r;
		return NULL;
	}
	x->bar_base[bar] = p;
	x->bar_len[bar] = (size_t)st.st_size;
out:
	if (size)
		*size = x->bar_len[bar];
	return x->bar_base[bar];
}

volatile void *udrv_pci_bar(udrv_dev *dev, unsigned bar, size_t *size)
{
	volatile void *p;

	if (!dev || bar > 5) {
		errno = EINVAL;
		return NULL;
	}
	if (strcmp(dev->be->name, "vfio") != 0)
		return uio_bar(dev, bar, size);
	/* VFIO: region index == BAR number (VFIO_PCI_BAR0_REGION_INDEX + n). */
	if (bar >= dev->nregions || dev->regions[bar].info.size == 0) {
		errno = ENOENT;
		return NULL;
	}
	p = udrv_map(dev, bar);
	if (p && size)
		*size = dev->regions[bar].info.size;
	return p;
}
