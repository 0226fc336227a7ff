/* SPDX-License-Identifier: MIT */
/*
 * devices.c - Device=: the supervisor (root) opens a driver's device itself
 * and passes it as named fds, so the driver can run as a user that owns no
 * device node and can open no other device (issue 10, "device access by fd
 * only"). The names are the ones libudrv's udrv_open() looks for when
 * $UDRV_DEVICE names the same device (lib/dev.c):
 *
 *   UIO (uioN, name:NAME, a /dev path, pci:ADDR on uio_pci_generic):
 *     "udrv-uio"            /dev/uioN, O_RDWR
 *     "udrv-uio-config"     the PCI config file in sysfs, O_RDWR, when the
 *                           device is on uio_pci_generic (re-arming INTx
 *                           writes it; only root may open it for writing)
 *   VFIO (pci:ADDR on vfio-pci):
 *     "udrv-vfio-container" /dev/vfio/vfio, the group attached, IOMMU set
 *     "udrv-vfio-group"     /dev/vfio/N
 *     "udrv-vfio-device"    the device fd (VFIO_GROUP_GET_DEVICE_FD)
 *
 * Opened at every launch, in the parent, close-on-exec; spawn.c puts them
 * after the Listen= and IPC sockets and closes its copies once the child
 * has exec'd. A VFIO group opens once system-wide, so a second instance on
 * the same device (an orphan of a dead supervisor) shows as EBUSY here,
 * never as two drivers on one device.
 *
 * $UDRV_SYSFS_ROOT and $UDRV_DEV_ROOT move /sys and /dev for tests, as in
 * libudrv; under $UDRV_DEV_ROOT a regular file stands in for a node.
 */
#include "sup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#if __has_include(<linux/vfio.h>)
#include <linux/vfio.h>
#define HAVE_VFIO 1
#endif

/* snprintf() into a message buffer, cut quietly when it is too long. */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static const char *root(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && *v ? v : def;
}

static const char *sysfs(void) { return root("UDRV_SYSFS_ROOT", "/sys"); }
static const char *devdir(void) { return root("UDRV_DEV_ROOT", "/dev"); }

/* Read a one-line attribute into @buf without its newline. 0 or -errno. */
static int read_attr(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The basename of symlink @path's target. 0 or -errno. */
static int link_base(const char *path, char *buf, size_t len)
{
	char t[PATH_MAX];
	ssize_t n = readlink(path, t, sizeof(t) - 1);
	const char *b;

	if (n < 0)
		return -errno;
	t[n] = '\0';
	b = strrchr(t, '/');
	say(buf, len, "%s", b ? b + 1 : t);
	return 0;
}

/* "uio12" -> 12. */
static bool uio_index(const char *s, unsigned *index)
{
	char *end;
	unsigned long v;

	if (strncmp(s, "uio", 3) != 0 || s[3] < '0' || s[3] > '9')
		return false;
	errno = 0;
	v = strtoul(s + 3, &end, 10);
	if (*end || errno || v > 1000000)
		return false;
	*index = (unsigned)v;
	return true;
}

/* Each uioN in sysfs whose attribute @attr is @want: its N. -ENOENT when none. */
static int uio_find(const char *attr, const char *want, unsigned *index)
{
	char path[PATH_MAX], val[256];
	struct dirent *de;
	int r = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/class/uio", sysfs());
	dir = opendir(path);
	if (!dir)
		return -ENOENT;
	while (r == -ENOENT && (de = readdir(dir))) {
		unsigned n;

		if (!uio_index(de->d_name, &n))
			continue;
		snprintf(path, sizeof(path), "%s/class/uio/%s/%s", sysfs(), de->d_name, attr);
		if (read_attr(path, val, sizeof(val)) == 0 && strcmp(val, want) == 0) {
			*index = n;
			r = 0;
		}
	}
	closedir(dir);
	return r;
}

static void add(struct devfds *df, int fd, const char *name)
{
	df->fd[df->n] = fd;
	df->name[df->n] = name;
	df->n++;
}

/* The config fd of a uioN whose parent is a PCI device on uio_pci_generic. */
static int open_uio_config(unsigned index, struct devfds *df, char *why, size_t wlen)
{
	char path[PATH_MAX], drv[64];
	int fd;

	snprintf(path, sizeof(path), "%s/class/uio/uio%u/device/driver", sysfs(), index);
	if (link_base(path, drv, sizeof(drv)) < 0 || strcmp(drv, "uio_pci_generic") != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/class/uio/uio%u/device/config", sysfs(), index);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		say(why, wlen, "%s: %s", path, strerror(errno));
		return e;
	}
	add(df, fd, "udrv-uio-config");
	return 0;
}

/* uioN: its node (from sysfs's major:minor, so udev names do not matter). */
static int open_uio(unsigned index, const char *node, struct devfds *df, char *why, size_t wlen)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (node)
		snprintf(path, sizeof(path), "%s", node);
	else
		snprintf(path, sizeof(path), "%s/uio%u", devdir(), index);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = -errno;
		say(why, wlen, "%s: %s", path, strerror(errno));
		return e;
	}
	if (fstat(fd, &st) < 0 ||
	    !(S_ISCHR(st.st_mode) || (S_ISREG(st.st_mode) && getenv("UDRV_DEV_ROOT")))) {
		close(fd);
		say(why, wlen, "%s is not a device node", path);
		return -ENODEV;
	}
	add(df, fd, "udrv-uio");
	return open_uio_config(index, df, why, wlen);
}

/* A path: a char device that sysfs lists as some uioN (a udev symlink is fine). */
static int open_path(const char *spec, struct devfds *df, char *why, size_t wlen)
{
	char node[PATH_MAX], path[PATH_MAX], dev[32], base[64];
	struct stat st;
	unsigned index;

	if (getenv("UDRV_DEV_ROOT") && strncmp(spec, "/dev/", 5) == 0)
		snprintf(node, sizeof(node), "%s/%s", devdir(), spec + 5);
	else
		snprintf(node, sizeof(node), "%s", spec);
	if (stat(node, &st) < 0) {
		int e = -errno;
		say(why, wlen, "%s: %s", node, strerror(errno));
		return e;
	}
	if (S_ISREG(st.st_mode) && getenv("UDRV_DEV_ROOT")) { /* a test tree's stand-in */
		const char *b = strrchr(node, '/');
		if (uio_index(b ? b + 1 : node, &index))
			return open_uio(index, node, df, why, wlen);
	}
	if (!S_ISCHR(st.st_mode)) {
		say(why, wlen, "%s is not a character device", node);
		return -ENODEV;
	}
	snprintf(dev, sizeof(dev), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	snprintf(path, sizeof(path), "%s/dev/char/%s", sysfs(), dev);
	if (link_base(path, base, sizeof(base)) < 0 || !uio_index(base, &index)) {
		say(why, wlen, "%s (%s) is not a UIO device", node, dev);
		return -ENODEV;
	}
	return open_uio(index, node, df, why, wlen);
}

#ifdef HAVE_VFIO
/* vfio-pci: container and group (attached, IOMMU type set), then the device. */
static int open_vfio(const char *addr, const char *pcidir, struct devfds *df, char *why,
		     size_t wlen)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[PATH_MAX], grp[32];
	int c, g, fd, type;

	say(path, sizeof(path), "%s/iommu_group", pcidir);
	if (link_base(path, grp, sizeof(grp)) < 0) {
		say(why, wlen, "pci:%s has no IOMMU group", addr);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/vfio/vfio", devdir());
	c = open(path, O_RDWR | O_CLOEXEC);
	if (c < 0) {
		int e = -errno;
		say(why, wlen, "%s: %s", path, strerror(errno));
		return e;
	}
	add(df, c, "udrv-vfio-container");
	snprintf(path, sizeof(path), "%s/vfio/%s", devdir(), grp);
	g = open(path, O_RDWR | O_CLOEXEC);
	if (g < 0) {
		int e = -errno;
		/* EBUSY: the group is open elsewhere, e.g. an instance still alive */
		say(why, wlen, "%s: %s", path,
			 e == -EBUSY ? "in use by another process" : strerror(errno));
		return e;
	}
	add(df, g, "udrv-vfio-group");
	if (ioctl(g, VFIO_GROUP_GET_STATUS, &gs) < 0 || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		say(why, wlen, "IOMMU group %s is not viable (another device of it is "
			 "bound to a host driver)", grp);
		return -EBUSY;
	}
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) < 0) {
		int e = -errno;
		say(why, wlen, "IOMMU group %s: cannot attach to a container: %s", grp,
			 strerror(errno));
		return e;
	}
	if (ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else
		type = VFIO_TYPE1_IOMMU;
	if (ioctl(c, VFIO_SET_IOMMU, type) < 0) {
		int e = -errno;
		say(why, wlen, "IOMMU group %s: VFIO_SET_IOMMU: %s", grp, strerror(errno));
		return e;
	}
	fd = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, addr);
	if (fd < 0) {
		int e = -errno;
		say(why, wlen, "pci:%s: VFIO_GROUP_GET_DEVICE_FD: %s", addr, strerror(errno));
		return e;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	add(df, fd, "udrv-vfio-device");
	return 0;
}
#endif

/* pci:ADDR: by the driver it is bound to. */
static int open_pci(const char *addr, struct devfds *df, char *why, size_t wlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], drv[64];
	struct dirent *de;
	int r = -ENODEV;
	DIR *d;

	if (!*addr || strchr(addr, '/') || strlen(addr) > 16) {
		say(why, wlen, "'%s' is not a PCI address (DDDD:BB:DD.F)", addr);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/%s", sysfs(), addr);
	if (access(dir, F_OK) < 0) {
		say(why, wlen, "no PCI device %s", addr);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/driver", dir);
	if (link_base(path, drv, sizeof(drv)) < 0) {
		say(why, wlen, "PCI device %s is bound to no driver (bind it to "
			 "uio_pci_generic or vfio-pci)", addr);
		return -ENODEV;
	}
	if (strcmp(drv, "vfio-pci") == 0) {
#ifdef HAVE_VFIO
		return open_vfio(addr, dir, df, why, wlen);
#else
		say(why, wlen, "PCI device %s is on vfio-pci: this supervisor was built "
			 "without VFIO", addr);
		return -ENOTSUP;
#endif
	}
	if (strcmp(drv, "uio_pci_generic") != 0) {
		say(why, wlen, "PCI device %s is bound to %s, not uio_pci_generic or vfio-pci",
			 addr, drv);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/uio", dir);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		unsigned index;

		if (uio_index(de->d_name, &index)) {
			closedir(d);
			return open_uio(index, NULL, df, why, wlen);
		}
	}
	if (d)
		closedir(d);
	say(why, wlen, "PCI device %s on uio_pci_generic has no uioN", addr);
	return r;
}

int devices_open(const char *spec, struct devfds *df, char *err, size_t errlen)
{
	char why[SUP_ERR_MAX] = "";
	unsigned index;
	int r;

	memset(df, 0, sizeof(*df));
	if (!spec)
		return 0;
	if (strncmp(spec, "pci:", 4) == 0) {
		r = open_pci(spec + 4, df, why, sizeof(why));
	} else if (strncmp(spec, "name:", 5) == 0) {
		r = uio_find("name", spec + 5, &index);
		if (r < 0)
			say(why, sizeof(why), "no UIO device named '%s'", spec + 5);
		else
			r = open_uio(index, NULL, df, why, sizeof(why));
	} else if (strchr(spec, '/')) {
		r = open_path(spec, df, why, sizeof(why));
	} else if (uio_index(spec, &index)) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/class/uio/%s", sysfs(), spec);
		if (access(p, F_OK) < 0) {
			r = -ENOENT;
			say(why, sizeof(why), "no UIO device %s", spec);
		} else {
			r = open_uio(index, NULL, df, why, sizeof(why));
		}
	} else {
		r = -EINVAL;
		say(why, sizeof(why), "not a device spec (uioN, name:NAME, /dev/PATH or "
			 "pci:DDDD:BB:DD.F)");
	}
	if (r < 0) {
		say(err, errlen, "cannot open device %s: %s", spec, why);
		devices_close(df);
	}
	return r;
}

void devices_close(struct devfds *df)
{
	for (unsigned i = 0; i < df->n; i++)
		if (df->fd[i] >= 0)
			close(df->fd[i]);
	memset(df, 0, sizeof(*df));
}

int devices_names(const struct devfds *df, char *buf, size_t len, size_t off)
{
	for (unsigned i = 0; i < df->n; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", off ? ":" : "", df->name[i]);

		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return (int)off;
}
