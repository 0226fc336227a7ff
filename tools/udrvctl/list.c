/* SPDX-License-Identifier: MIT */
/*
 * udrvctl list - UIO devices from sysfs (the library's discovery), lsuio-style,
 * then PCI devices bound to vfio-pci with their IOMMU group and BARs (from
 * /sys/bus/pci/devices/ADDR/{driver,iommu_group,resource}).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udrv.h"
#include "udrvctl.h"

static int print_one(const struct udrv_uio_info *d, void *arg)
{
	int verbose = *(int *)arg;

	printf("uio%u: name=%s, version=%s, events=%u, node=%s\n", d->index, d->name,
	       d->version, d->event, d->devnode[0] ? d->devnode : "(none)");
	for (unsigned i = 0; i < d->nmaps; i++) {
		const struct udrv_map_info *m = &d->maps[i];

		if (!m->size)
			continue;
		printf("\tmap[%u]: addr=0x%llx, size=0x%llx", i, (unsigned long long)m->addr,
		       (unsigned long long)m->size);
		if (verbose || m->offset)
			printf(", offset=0x%llx", (unsigned long long)m->offset);
		if (m->name[0])
			printf(", name=%s", m->name);
		printf("\n");
	}
	if (d->nports)
		printf("\tportio regions: %u (not mappable)\n", d->nports);
	return 0;
}

/* Basename of symlink @dir/@name, or "" */
static void link_base(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	if (strlen(base) < len)
		memcpy(out, base, strlen(base) + 1);
}

/* BARs from sysfs `resource` (start end flags per line; linux/ioport.h flags). */
static void print_bars(const char *dir)
{
	char path[PATH_MAX], line[128];
	unsigned long long start, end, flags;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/resource", dir) >= (int)sizeof(path) ||
	    !(f = fopen(path, "re")))
		return;
	for (unsigned bar = 0; bar < 6 && fgets(line, sizeof(line), f); bar++) {
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 || end <= start)
			continue;
		printf("\tBAR%u: addr=0x%llx, size=0x%llx, %s%s%s\n", bar, start, end - start + 1,
		       flags & 0x100 ? "io" : "mem",          /* IORESOURCE_IO */
		       flags & 0x100000 ? ", 64-bit" : "",    /* IORESOURCE_MEM_64 */
		       flags & 0x2000 ? ", prefetchable" : ""); /* IORESOURCE_PREFETCH */
	}
	fclose(f);
}

/* Devices bound to vfio-pci; returns how many. */
static int list_vfio(void)
{
	const char *root = getenv("UDRV_SYSFS_ROOT");
	char devs[PATH_MAX], dir[PATH_MAX + 256], drv[64], group[32], id[2][16];
	struct dirent **names;
	int n, seen = 0;

	snprintf(devs, sizeof(devs), "%s/bus/pci/devices", root && *root ? root : "/sys");
	n = scandir(devs, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(dir, sizeof(dir), "%s/%s", devs, names[i]->d_name);
			link_base(dir, "driver", drv, sizeof(drv));
			if (strcmp(drv, "vfio-pci") == 0) {
				const char *attr[2] = { "vendor", "device" };

				for (int k = 0; k < 2; k++) {
					char p[PATH_MAX + 300];
					FILE *f;

					snprintf(p, sizeof(p), "%s/%s", dir, attr[k]);
					id[k][0] = '\0';
					if ((f = fopen(p, "re"))) {
						if (fscanf(f, "0x%15s", id[k]) != 1)
							id[k][0] = '\0';
						fclose(f);
					}
				}
				link_base(dir, "iommu_group", group, sizeof(group));
				printf("pci:%s: driver=vfio-pci, id=%s:%s, iommu_group=%s, node=/dev/vfio/%s\n",
				       names[i]->d_name, id[0], id[1], group[0] ? group : "(none)",
				       group[0] ? group : "(none)");
				print_bars(dir);
				seen++;
			}
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return seen;
}

int udrvctl_list(int argc, char **argv)
{
	int verbose = 0, r, nvfio;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose = 1;
		} else {
			fprintf(stderr, "udrvctl list: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	r = udrv_uio_scan(print_one, &verbose);
	if (r < 0) {
		fprintf(stderr, "udrvctl list: reading sysfs: %s\n", strerror(-r));
		return 1;
	}
	nvfio = list_vfio();
	if (r == 0)
		printf("no UIO devices (is a UIO driver bound? see /sys/class/uio)\n");
	if (nvfio == 0 && verbose)
		printf("no PCI devices bound to vfio-pci\n");
	return 0;
}
