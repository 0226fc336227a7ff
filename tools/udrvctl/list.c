/* SPDX-License-Identifier: MIT */
/* udrvctl list - UIO devices from sysfs (the library's discovery), lsuio-style. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int udrvctl_list(int argc, char **argv)
{
	int verbose = 0, r;

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
	if (r == 0)
		printf("no UIO devices (is a UIO driver bound? see /sys/class/uio)\n");
	return 0;
}
