/* SPDX-License-Identifier: MIT */
/*
 * vfio_check.h - what the VFIO guest tests share beyond gtest.h (the TAP
 * harness): locating the edu device in sysfs by its IDs.
 */
#ifndef VFIO_CHECK_H
#define VFIO_CHECK_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gtest.h"

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
		if (strlen(de->d_name) >= outlen)
			continue; /* not a PCI address ("DDDD:BB:DD.F" is 12 characters) */
		memcpy(out, de->d_name, strlen(de->d_name) + 1);
		found = true;
	}
	closedir(d);
	return found;
}

#endif /* VFIO_CHECK_H */
