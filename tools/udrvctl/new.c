/* SPDX-License-Identifier: MIT */
/*
 * new.c - `udrvctl new NAME [--uio NAME | --pci ADDR] [--dir DIR]`: write
 * the skeleton of a driver (NAME.c, registers.h, Makefile, NAME.driver)
 * into DIR (default ./NAME), ready to build against the installed libudrv
 * and run under driver_supervisor. The templates are tools/udrvctl/skel/.
 */
#include "udrvctl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skel.h"

/* NAME: used in file names, the unit name and C strings. */
static bool valid_driver_name(const char *s)
{
	if (!*s || strlen(s) > 48 || !isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* DDDD:BB:DD.F, or BB:DD.F (domain 0000). */
static bool valid_pci(const char *s, char *out, size_t len)
{
	unsigned d, b, dev, f;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &f, &tail) == 4 && strlen(s) == 12) {
		snprintf(out, len, "%s", s);
	} else if (sscanf(s, "%2x:%2x.%1x%c", &b, &dev, &f, &tail) == 3 && strlen(s) == 7) {
		snprintf(out, len, "0000:%s", s);
	} else {
		return false;
	}
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return dev < 32 && f < 8;
}

/* Write @tmpl with @NAME@, @DEVICE@ and @GUARD@ replaced into DIR/FILE. */
static int write_file(const char *dir, const char *file, const char *tmpl,
		      const char *name, const char *device, const char *guard)
{
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "udrvctl new: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "@NAME@", 6) == 0) {
			fputs(name, f);
			p += 6;
		} else if (strncmp(p, "@DEVICE@", 8) == 0) {
			fputs(device, f);
			p += 8;
		} else if (strncmp(p, "@GUARD@", 7) == 0) {
			fputs(guard, f);
			p += 7;
		} else {
			fputc(*p++, f);
		}
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "udrvctl new: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("  %s\n", path);
	return 0;
}

int udrvctl_new(int argc, char **argv)
{
	const char *name = NULL, *uio = NULL, *pci = NULL, *dir = NULL;
	char device[128], guard[64], file[80], bdf[16];
	int r = 0;

	for (int i = 1; i < argc; i++) {
		const char **opt = strcmp(argv[i], "--uio") == 0 ? &uio :
				   strcmp(argv[i], "--pci") == 0 ? &pci :
				   strcmp(argv[i], "--dir") == 0 ? &dir : NULL;
		if (opt) {
			if (i + 1 >= argc) {
				fprintf(stderr, "udrvctl new: %s needs a value\n", argv[i]);
				return 2;
			}
			*opt = argv[++i];
		} else if (argv[i][0] == '-' || name) {
			fprintf(stderr, "udrvctl new: unexpected argument '%s'\n", argv[i]);
			return 2;
		} else {
			name = argv[i];
		}
	}
	if (!name) {
		fprintf(stderr, "udrvctl new: usage: udrvctl new NAME [--uio NAME | --pci ADDR] [--dir DIR]\n");
		return 2;
	}
	if (!valid_driver_name(name)) {
		fprintf(stderr, "udrvctl new: '%s' is not a driver name (a letter, then letters, digits, _ -)\n", name);
		return 2;
	}
	if (uio && pci) {
		fprintf(stderr, "udrvctl new: --uio or --pci, not both\n");
		return 2;
	}
	if (pci) {
		if (!valid_pci(pci, bdf, sizeof(bdf))) {
			fprintf(stderr, "udrvctl new: '%s' is not a PCI address (DDDD:BB:DD.F)\n", pci);
			return 2;
		}
		snprintf(device, sizeof(device), "pci:%s", bdf);
	} else if (uio) {
		if (!*uio || strlen(uio) >= 64 || strpbrk(uio, " \t\n\"\\")) {
			fprintf(stderr, "udrvctl new: '%s' is not a UIO device name\n", uio);
			return 2;
		}
		snprintf(device, sizeof(device), "name:%s", uio);
	} else {
		snprintf(device, sizeof(device), "uio0");
	}
	size_t g = 0;
	for (const char *p = name; *p && g + 1 < sizeof(guard); p++)
		guard[g++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
	guard[g] = '\0';
	if (!dir)
		dir = name;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "udrvctl new: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	printf("udrvctl new: driver %s for %s in %s:\n", name, device, dir);
	snprintf(file, sizeof(file), "%s.c", name);
	r |= write_file(dir, file, skel_driver_c_in, name, device, guard);
	r |= write_file(dir, "registers.h", skel_registers_h_in, name, device, guard);
	r |= write_file(dir, "Makefile", skel_Makefile_in, name, device, guard);
	snprintf(file, sizeof(file), "%s.driver", name);
	r |= write_file(dir, file, skel_unit_driver_in, name, device, guard);
	if (r)
		return 1;
	printf("next: cd %s && make && driver_supervisor --config .\n", dir);
	return 0;
}
