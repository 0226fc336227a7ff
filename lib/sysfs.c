/* SPDX-License-Identifier: MIT */
/*
 * sysfs.c - reading UIO device metadata from sysfs.
 *
 * Layout read (Documentation/driver-api/uio-howto.rst, "Sysfs attributes"):
 *   /sys/class/uio/uioN/{name,version,event,dev}
 *   /sys/class/uio/uioN/maps/mapM/{name,addr,size,offset}
 *   /sys/class/uio/uioN/portio/portM/...
 * M is parsed from the directory name, never taken from readdir() order.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sysfs.h"
#include "udrv_internal.h"

static const char *env_or(const char *var, const char *def)
{
	const char *v = getenv(var);
	return (v && *v) ? v : def;
}

const char *udrv__sysfs_root(void) { return env_or("UDRV_SYSFS_ROOT", "/sys"); }
const char *udrv__dev_root(void) { return env_or("UDRV_DEV_ROOT", "/dev"); }

int udrv__sysfs_read(const char *path, char *buf, size_t len)
{
	int fd, saved;
	ssize_t n;

	if (!path || !buf || len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (n < 0)
		return -saved;
	if ((size_t)n == len)
		return -EOVERFLOW; /* no room for the NUL: never truncate silently */
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return (int)n;
}

int udrv__sysfs_read_trunc(const char *path, char *buf, size_t len)
{
	char big[4096];
	int r = udrv__sysfs_read(path, big, sizeof(big));

	if (r < 0)
		return r;
	if ((size_t)r >= len) { /* cut at the last whole byte that fits */
		r = (int)len - 1;
		big[r] = '\0';
	}
	memcpy(buf, big, (size_t)r + 1);
	return r;
}

int udrv__sysfs_read_u64(const char *path, uint64_t *out)
{
	char buf[64], *end;
	unsigned long long v;
	int r = udrv__sysfs_read(path, buf, sizeof(buf));

	if (r < 0)
		return r;
	if (r == 0 || buf[0] == '-' || buf[0] == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int udrv__parse_index(const char *s, const char *prefix, unsigned *out)
{
	size_t plen = strlen(prefix);
	unsigned long v;
	char *end;

	if (strncmp(s, prefix, plen) != 0)
		return -EINVAL;
	s += plen;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL; /* digits only, no sign, no leading zero */
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > INT_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int udrv__sysfs_link_base(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -EOVERFLOW;
	strcpy(buf, base);
	return 0;
}

int udrv__sysfs_driver(const char *devdir, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/driver", devdir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return udrv__sysfs_link_base(path, buf, len);
}

bool udrv__valid_pci_addr(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	}
	/* device number below 0x20, function below 8 (PCI Local Bus spec 3.0, 3.2.2.3.1) */
	return s[8] >= '0' && s[8] <= '1' && s[11] >= '0' && s[11] <= '7';
}

/*
 * Find the device node for char device @rdev: $DEV_ROOT/@hint first, then
 * any char device in $DEV_ROOT with that number (udev may name it otherwise).
 * A regular file named @hint is accepted only when $UDRV_DEV_ROOT is set:
 * host tests use it as a stand-in node for fixture trees.
 */
static int find_devnode(dev_t rdev, const char *hint, char *out, size_t len)
{
	const char *root = udrv__dev_root();
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (snprintf(out, len, "%s/%s", root, hint) >= (int)len)
		return -ENAMETOOLONG;
	if (stat(out, &st) == 0) {
		if (S_ISCHR(st.st_mode) && st.st_rdev == rdev)
			return 0;
		if (S_ISREG(st.st_mode) && getenv("UDRV_DEV_ROOT"))
			return 0;
	}
	d = opendir(root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(out, len, "%s/%s", root, de->d_name) >= (int)len)
			continue;
		if (stat(out, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == rdev) {
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	out[0] = '\0';
	return -ENOENT;
}

static int parse_devnum(const char *s, dev_t *out)
{
	unsigned maj, min;
	char tail;

	if (sscanf(s, "%u:%u%c", &maj, &min, &tail) != 2)
		return -EINVAL;
	*out = makedev(maj, min);
	return 0;
}

/* Big-endian cells @cells of @buf (each 4 bytes) as one number. */
static uint64_t be_cells(const unsigned char *buf, unsigned cells)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < cells * 4; i++)
		v = v << 8 | buf[i];
	return v;
}

/* A device-tree cell count (#address-cells, #size-cells) of @dir, or @def. */
static unsigned dt_cells(const char *dir, const char *name, unsigned def)
{
	char path[PATH_MAX];
	unsigned char b[4];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return def;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return def;
	n = read(fd, b, sizeof(b));
	close(fd);
	return n == (ssize_t)sizeof(b) && be_cells(b, 1) <= 2 ? (unsigned)be_cells(b, 1) : def;
}

/*
 * Length of the registers behind map @n of UIO device @dir, whose first
 * register is at physical @start, at most @max bytes; @max when the device
 * does not say. The UIO attributes do not carry it (their size is rounded
 * up to pages), the device's own resources do:
 *  - PCI (uio_pci_generic): the line of device/resource starting at @start;
 *  - device tree (uio_pdrv_genirq): entry @n of device/of_node/reg (map n is
 *    the n-th memory resource, i.e. reg entry), its cell counts from the
 *    parent node (Devicetree Specification 0.4, 2.3.5/2.3.6; defaults 2, 1);
 *    its in-page offset must agree with @start's (reg holds bus addresses).
 */
static uint64_t window_len(const char *dir, unsigned n, uint64_t start, uint64_t max, long page)
{
	char path[PATH_MAX], line[128];
	unsigned long long s, e, f;
	unsigned char reg[16 * 8 * 4];
	uint64_t len = 0;
	FILE *fp;
	int fd;

	if (snprintf(path, sizeof(path), "%s/device/resource", dir) >= (int)sizeof(path))
		return max;
	if ((fp = fopen(path, "re"))) {
		while (!len && fgets(line, sizeof(line), fp))
			if (sscanf(line, "%llx %llx %llx", &s, &e, &f) == 3 && s == start && e >= s)
				len = e - s + 1;
		fclose(fp);
	} else if (snprintf(path, sizeof(path), "%s/device/of_node/reg", dir) < (int)sizeof(path) &&
		   (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		ssize_t got = read(fd, reg, sizeof(reg));
		char parent[PATH_MAX];
		unsigned ac, sc, entry;

		close(fd);
		if (snprintf(parent, sizeof(parent), "%s/device/of_node/..", dir) >= (int)sizeof(parent))
			return max;
		ac = dt_cells(parent, "#address-cells", 2);
		sc = dt_cells(parent, "#size-cells", 1);
		entry = (ac + sc) * 4;
		if (sc && got > 0 && (size_t)got >= (size_t)(n + 1) * entry) {
			const unsigned char *p = reg + (size_t)n * entry;
			uint64_t a = be_cells(p, ac);

			if ((a & (uint64_t)(page - 1)) == (start & (uint64_t)(page - 1)))
				len = be_cells(p + ac * 4, sc);
		}
	}
	return len && len <= max ? len : max;
}

/*
 * What the kernel publishes for a map (drivers/uio/uio.c map_*_show;
 * uio_pdrv_genirq.c and uio_pci_generic.c probe, Linux 5.x on): addr = the
 * page holding the first register, offset = its in-page offset, size =
 * offset + length rounded up to whole pages. uio_mmap_physical() refuses an
 * addr with in-page bits (ENODEV) and a mapping longer than size (EINVAL).
 * Turned into udrv_map_info terms: addr = the first register's physical
 * address, size = the register window's real length, offset kept; and
 * *mmap_len = what mmap() may ask for (size in whole pages; 0 = cannot).
 */
static void kernel_map_to_window(const char *dir, unsigned n, struct udrv_map_info *m,
				 uint64_t *mmap_len)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pmask = (uint64_t)page - 1, ksize = m->size, max;

	if ((m->addr & pmask) || m->offset >= (uint64_t)page || ksize <= m->offset) {
		/* Old-style or odd layout: addr is the register itself, size its
		 * length; the kernel will not mmap it. */
		*mmap_len = 0;
		m->offset = m->addr & pmask;
		return;
	}
	m->addr += m->offset;
	max = ksize - m->offset;
	m->size = window_len(dir, n, m->addr, max, page);
	*mmap_len = ksize & ~pmask;
	if (*mmap_len < m->offset + m->size)
		*mmap_len = 0; /* size not in whole pages: uio_mmap refuses any length */
}

/* Read maps/mapM of @dir into info->maps[M]; nmaps = highest M + 1. */
static int read_maps(const char *dir, struct udrv_uio_info *info, uint64_t *mmap_len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (snprintf(path, sizeof(path), "%s/maps", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno; /* a device may have no memory */
	while ((de = readdir(d))) {
		struct udrv_map_info *m;
		char attr[PATH_MAX];
		uint64_t ml;
		unsigned n;

		if (udrv__parse_index(de->d_name, "map", &n) < 0)
			continue; /* ".", "..", anything else */
		if (n >= sizeof(info->maps) / sizeof(info->maps[0])) {
			r = -E2BIG;
			break;
		}
		m = &info->maps[n];
#define ATTR(a) (snprintf(attr, sizeof(attr), "%s/%s/" a, path, de->d_name) < (int)sizeof(attr) ? attr : "")
		if ((r = udrv__sysfs_read_u64(ATTR("addr"), &m->addr)) < 0 ||
		    (r = udrv__sysfs_read_u64(ATTR("size"), &m->size)) < 0)
			break;
		/* "offset" appeared in Linux 3.x; older kernels imply 0. */
		r = udrv__sysfs_read_u64(ATTR("offset"), &m->offset);
		if (r == -ENOENT)
			m->offset = 0;
		else if (r < 0)
			break;
		r = udrv__sysfs_read_trunc(ATTR("name"), m->name, sizeof(m->name));
		if (r == -ENOENT)
			m->name[0] = '\0';
		else if (r < 0)
			break;
#undef ATTR
		r = 0;
		if (m->size)
			kernel_map_to_window(dir, n, m, &ml);
		else
			ml = 0;
		if (mmap_len)
			mmap_len[n] = ml;
		if (n + 1 > info->nmaps)
			info->nmaps = n + 1;
	}
	closedir(d);
	return r;
}

static unsigned count_ports(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned n = 0, idx;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/portio", dir) >= (int)sizeof(path))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (udrv__parse_index(de->d_name, "port", &idx) == 0)
			n++;
	closedir(d);
	return n;
}

int udrv__uio_read_info(unsigned index, struct udrv_uio_info *info)
{
	return udrv__uio_read_info_ex(index, info, NULL);
}

int udrv__uio_read_info_ex(unsigned index, struct udrv_uio_info *info, uint64_t *mmap_len)
{
	char dir[PATH_MAX], path[PATH_MAX], buf[64], hint[32];
	uint64_t ev;
	dev_t rdev;
	int r;

	memset(info, 0, sizeof(*info));
	info->index = index;
	if (snprintf(dir, sizeof(dir), "%s/class/uio/uio%u", udrv__sysfs_root(), index) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
#define P(a) (snprintf(path, sizeof(path), "%s/" a, dir) < (int)sizeof(path) ? path : "")
	/* Names longer than the struct's field are cut, not an error: one odd
	 * device must not hide the others from a scan. */
	if ((r = udrv__sysfs_read_trunc(P("name"), info->name, sizeof(info->name))) < 0)
		return r;
	if ((r = udrv__sysfs_read_trunc(P("version"), info->version, sizeof(info->version))) < 0)
		return r;
	if ((r = udrv__sysfs_read_u64(P("event"), &ev)) < 0)
		return r;
	info->event = (uint32_t)ev;
	if ((r = udrv__sysfs_read(P("dev"), buf, sizeof(buf))) < 0)
		return r;
#undef P
	if ((r = parse_devnum(buf, &rdev)) < 0)
		return r;
	snprintf(hint, sizeof(hint), "uio%u", index);
	/* A missing node is not fatal for listing; udrv_open() reports it. */
	find_devnode(rdev, hint, info->devnode, sizeof(info->devnode));
	if (mmap_len)
		memset(mmap_len, 0, sizeof(info->maps) / sizeof(info->maps[0]) * sizeof(*mmap_len));
	if ((r = read_maps(dir, info, mmap_len)) < 0)
		return r;
	info->nports = count_ports(dir);
	return 0;
}

int udrv__uio_rdev(unsigned index, dev_t *rdev)
{
	char path[PATH_MAX], buf[64];
	int r;

	if (snprintf(path, sizeof(path), "%s/class/uio/uio%u/dev", udrv__sysfs_root(), index) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((r = udrv__sysfs_read(path, buf, sizeof(buf))) < 0)
		return r;
	return parse_devnum(buf, rdev);
}

int udrv__uio_index_of_rdev(dev_t rdev, unsigned *index)
{
	char path[PATH_MAX];
	struct dirent *de;
	int r = -ENODEV;
	DIR *d;

	snprintf(path, sizeof(path), "%s/class/uio", udrv__sysfs_root());
	d = opendir(path);
	if (!d)
		return -ENODEV; /* no UIO core: the node is something else */
	while ((de = readdir(d))) {
		unsigned i;
		dev_t cur;

		if (udrv__parse_index(de->d_name, "uio", &i) == 0 && udrv__uio_rdev(i, &cur) == 0 &&
		    cur == rdev) {
			*index = i;
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

int udrv_uio_scan(int (*cb)(const struct udrv_uio_info *info, void *arg), void *arg)
{
	char path[PATH_MAX];
	unsigned *idx = NULL, n = 0, cap = 0, seen = 0;
	struct udrv_uio_info info;
	struct dirent *de;
	int r = 0;
	DIR *d;

	if (!cb)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/class/uio", udrv__sysfs_root());
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno; /* no UIO core loaded: no devices */
	while ((de = readdir(d))) {
		unsigned i;

		if (udrv__parse_index(de->d_name, "uio", &i) < 0)
			continue;
		if (n == cap) {
			unsigned *p = realloc(idx, (cap = cap ? cap * 2 : 8) * sizeof(*idx));
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			idx = p;
		}
		idx[n++] = i;
	}
	if (n) /* idx is NULL when there is none: qsort() wants a valid pointer */
		qsort(idx, n, sizeof(*idx), cmp_unsigned);
	for (unsigned k = 0; k < n; k++) {
		r = udrv__uio_read_info(idx[k], &info);
		if (r == -ENOENT)
			continue; /* unbound between readdir() and now: not there any more */
		if (r < 0)
			goto out;
		if ((r = cb(&info, arg)) != 0)
			goto out;
		seen++;
	}
	r = (int)seen;
out:
	closedir(d);
	free(idx);
	return r;
}
