/* SPDX-License-Identifier: MIT */
/*
 * sysfs.h - tiny format-path / read / parse helpers for sysfs attributes,
 * and the UIO discovery built on them. Private to libudrv.
 */
#ifndef UDRV_SYSFS_H
#define UDRV_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "udrv.h"

/*
 * Read attribute @path into @buf (NUL-terminated, trailing newline removed).
 * Returns the length (>= 0) or -errno; -EOVERFLOW when it does not fit.
 */
int udrv__sysfs_read(const char *path, char *buf, size_t len);

/* Like udrv__sysfs_read, but an attribute longer than @len - 1 is cut there. */
int udrv__sysfs_read_trunc(const char *path, char *buf, size_t len);

/* Parse a whole attribute as an unsigned number (0x.. hex or decimal). -EINVAL on junk. */
int udrv__sysfs_read_u64(const char *path, uint64_t *out);

/* Parse "uioN"-style "<prefix><digits>" strictly: 0 or -EINVAL. */
int udrv__parse_index(const char *s, const char *prefix, unsigned *out);

/* Fill @info for /sys/class/uio/uio@index. 0 or -errno (-ENOENT: no such device). */
int udrv__uio_read_info(unsigned index, struct udrv_uio_info *info);
/* The same, and @mmap_len[M] (8 entries, may be NULL): the length mmap() of
 * map M may ask for, whole pages from its start; 0 = the kernel refuses. */
int udrv__uio_read_info_ex(unsigned index, struct udrv_uio_info *info, uint64_t *mmap_len);

/* The char device number in /sys/class/uio/uio@index/dev. 0 or -errno. */
int udrv__uio_rdev(unsigned index, dev_t *rdev);

/* The N of the uioN whose device number is @rdev: 0, or -ENODEV (not UIO). */
int udrv__uio_index_of_rdev(dev_t rdev, unsigned *index);

/* Basename of the target of symlink @path, or -errno. */
int udrv__sysfs_link_base(const char *path, char *buf, size_t len);

/* "DDDD:BB:DD.F" exactly (hex; device < 0x20, function < 8). */
bool udrv__valid_pci_addr(const char *s);

/* Basename of the driver bound to a device directory's "driver" link, or -errno. */
int udrv__sysfs_driver(const char *devdir, char *buf, size_t len);

#endif
