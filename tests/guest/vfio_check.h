/* SPDX-License-Identifier: MIT */
/*
 * vfio_check.h - the few helpers the VFIO guest tests share: one output
 * line per check ("ok N - what" / "not ok N - what: why"), a failure count
 * that becomes the exit status, and locating the edu device in sysfs.
 * Guest binaries are static, so there is no cmocka here.
 */
#ifndef VFIO_CHECK_H
#define VFIO_CHECK_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned vc_run, vc_failed;

/* Record one check; prints the line and returns @ok so callers can bail out. */
static inline bool __attribute__((format(printf, 2, 3)))
vc_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	vc_run++;
	if (!ok)
		vc_failed++;
	printf("%s %u - ", ok ? "ok" : "not ok", vc_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return ok;
}

#define CHECK(cond, ...) vc_check((cond), __VA_ARGS__)

/* Final line and exit status: 0 all passed, 1 otherwise. */
static inline int vc_done(const char *name)
{
	printf("# %s: %u passed, %u failed\n", name, vc_run - vc_failed, vc_failed);
	return vc_failed ? 1 : 0;
}

/* Read a small sysfs attribute as a number; -1 on error. */
static inline long vc_read_hex(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%li", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The PCI address of the first 1234:11e8 (edu) device into @out; false if none. */
static inline bool vc_find_edu(char *out, size_t outlen)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char p[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		if (vc_read_hex(p) != 0x1234)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", de->d_name);
		if (vc_read_hex(p) != 0x11e8)
			continue;
		snprintf(out, outlen, "%s", de->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

#endif /* VFIO_CHECK_H */
