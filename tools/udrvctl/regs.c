/* SPDX-License-Identifier: MIT */
/*
 * regs.c - udrvctl dump/read/write: registers of a device through libudrv,
 * so every access is bounds-checked and of exactly the width asked for
 * (what devmem2 and pcimem users do, without poking outside the device).
 *
 *   udrvctl dump SPEC [MAP [OFF [LEN]]] [--width 8|16|32|64]
 *   udrvctl read SPEC MAP OFF [--width 8|16|32|64]
 *   udrvctl write SPEC MAP OFF VALUE [--width 8|16|32|64]
 *
 * SPEC is anything udrv_open() takes. Numbers are C-style (0x.. hex).
 * Exit status: 0 done, 1 the device refused (open, range, access), 2 usage.
 * Reading a register can have side effects (a FIFO pops, a status clears):
 * dump reads every register it shows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udrv.h"
#include "udrvctl.h"

struct args {
	const char *pos[5];
	int npos;
	unsigned width; /* bits */
};

/* Positional arguments and --width; 0 or 2 (usage, said on stderr). */
static int parse(const char *cmd, int argc, char **argv, struct args *a, unsigned width)
{
	a->npos = 0;
	a->width = width;
	for (int i = 1; i < argc; i++) {
		const char *w = NULL;

		if (!strcmp(argv[i], "--width") && i + 1 < argc)
			w = argv[++i];
		else if (!strncmp(argv[i], "--width=", 8))
			w = argv[i] + 8;
		else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "udrvctl %s: unknown option '%s'\n", cmd, argv[i]);
			return 2;
		} else if (a->npos < 5) {
			a->pos[a->npos++] = argv[i];
			continue;
		} else {
			fprintf(stderr, "udrvctl %s: too many arguments\n", cmd);
			return 2;
		}
		if (strcmp(w, "8") && strcmp(w, "16") && strcmp(w, "32") && strcmp(w, "64")) {
			fprintf(stderr, "udrvctl %s: --width must be 8, 16, 32 or 64, not '%s'\n", cmd, w);
			return 2;
		}
		a->width = (unsigned)atoi(w);
	}
	return 0;
}

static int number(const char *cmd, const char *what, const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "udrvctl %s: %s '%s' is not a number\n", cmd, what, s);
		return 2;
	}
	return 0;
}

static udrv_dev *open_map(const char *cmd, const char *spec, uint64_t map, struct udrv_map_info *mi)
{
	udrv_dev *d = udrv_open(spec);
	int r;

	if (!d) {
		fprintf(stderr, "udrvctl %s: cannot open %s: %s\n", cmd, spec, strerror(errno));
		return NULL;
	}
	if (map > 64 || (r = udrv_map_info(d, (unsigned)map, mi)) < 0 || mi->size == 0) {
		fprintf(stderr, "udrvctl %s: %s has no map %" PRIu64 " (it has %d)\n", cmd, spec, map,
			udrv_map_count(d));
		udrv_close(d);
		return NULL;
	}
	return d;
}

static int access_reg(udrv_dev *d, unsigned map, uint64_t off, unsigned width, uint64_t *v,
		      bool write)
{
	int r = -EINVAL;

	switch (width) {
	case 8: {
		uint8_t x = (uint8_t)*v;
		r = write ? udrv_write8(d, map, off, x) : udrv_read8(d, map, off, &x);
		*v = x;
		break;
	}
	case 16: {
		uint16_t x = (uint16_t)*v;
		r = write ? udrv_write16(d, map, off, x) : udrv_read16(d, map, off, &x);
		*v = x;
		break;
	}
	case 32: {
		uint32_t x = (uint32_t)*v;
		r = write ? udrv_write32(d, map, off, x) : udrv_read32(d, map, off, &x);
		*v = x;
		break;
	}
	case 64:
		r = write ? udrv_write64(d, map, off, *v) : udrv_read64(d, map, off, v);
		break;
	}
	return r;
}

static void say_access_error(const char *cmd, int r, uint64_t off, unsigned width,
			     const struct udrv_map_info *mi)
{
	if (r == -ERANGE)
		fprintf(stderr,
			"udrvctl %s: [0x%" PRIx64 ", +%u) is outside the map (size 0x%" PRIx64 ")\n",
			cmd, off, width / 8, mi->size);
	else if (r == -EINVAL)
		fprintf(stderr, "udrvctl %s: offset 0x%" PRIx64 " is not a multiple of %u\n", cmd, off,
			width / 8);
	else
		fprintf(stderr, "udrvctl %s: access at 0x%" PRIx64 ": %s\n", cmd, off, strerror(-r));
}

/* read and write share everything but the direction. */
static int read_or_write(const char *cmd, int argc, char **argv, bool write)
{
	struct udrv_map_info mi;
	uint64_t map, off, v = 0;
	struct args a;
	udrv_dev *d;
	int r;

	if ((r = parse(cmd, argc, argv, &a, 32)))
		return r;
	if (a.npos != (write ? 4 : 3)) {
		fprintf(stderr, "usage: udrvctl %s SPEC MAP OFF%s [--width 8|16|32|64]\n", cmd,
			write ? " VALUE" : "");
		return 2;
	}
	if (number(cmd, "MAP", a.pos[1], &map) || number(cmd, "OFF", a.pos[2], &off) ||
	    (write && number(cmd, "VALUE", a.pos[3], &v)))
		return 2;
	if (write && a.width < 64 && v >> a.width) {
		fprintf(stderr, "udrvctl %s: VALUE 0x%" PRIx64 " does not fit in %u bits\n", cmd, v,
			a.width);
		return 2;
	}
	if (!(d = open_map(cmd, a.pos[0], map, &mi)))
		return 1;
	r = access_reg(d, (unsigned)map, off, a.width, &v, write);
	if (r < 0)
		say_access_error(cmd, r, off, a.width, &mi);
	else if (!write)
		printf("0x%0*" PRIx64 "\n", (int)a.width / 4, v);
	udrv_close(d);
	return r < 0 ? 1 : 0;
}

int udrvctl_read(int argc, char **argv)
{
	return read_or_write("read", argc, argv, false);
}

int udrvctl_write(int argc, char **argv)
{
	return read_or_write("write", argc, argv, true);
}

int udrvctl_dump(int argc, char **argv)
{
	struct udrv_map_info mi;
	uint64_t map = 0, off = 0, len = 0, step;
	struct args a;
	udrv_dev *d;
	int r;

	if ((r = parse("dump", argc, argv, &a, 32)))
		return r;
	if (a.npos < 1 || a.npos > 4) {
		fprintf(stderr, "usage: udrvctl dump SPEC [MAP [OFF [LEN]]] [--width 8|16|32|64]\n");
		return 2;
	}
	if ((a.npos > 1 && number("dump", "MAP", a.pos[1], &map)) ||
	    (a.npos > 2 && number("dump", "OFF", a.pos[2], &off)) ||
	    (a.npos > 3 && number("dump", "LEN", a.pos[3], &len)))
		return 2;
	if (!(d = open_map("dump", a.pos[0], map, &mi)))
		return 1;
	step = a.width / 8;
	if (off >= mi.size) {
		say_access_error("dump", -ERANGE, off, a.width, &mi);
		udrv_close(d);
		return 1;
	}
	if (a.npos < 4)
		len = mi.size - off < 256 ? mi.size - off : 256;
	if (len > mi.size - off) {
		fprintf(stderr, "udrvctl dump: [0x%" PRIx64 ", +0x%" PRIx64
				") runs past the map's end (size 0x%" PRIx64 ")\n",
			off, len, mi.size);
		udrv_close(d);
		return 1;
	}
	printf("# %s map %" PRIu64 " (%s%s%s): phys 0x%" PRIx64 ", size 0x%" PRIx64 ", %u-bit reads\n",
	       a.pos[0], map, udrv_backend(d), mi.name[0] ? ", " : "", mi.name, mi.addr, mi.size,
	       a.width);
	r = 0;
	for (uint64_t row = off - off % 16; row < off + len && !r; row += 16) {
		printf("%016" PRIx64 "  +%06" PRIx64 ":", mi.addr + row, row);
		for (uint64_t o = row; o < row + 16; o += step) {
			uint64_t v = 0;

			if (o < off || o >= off + len) {
				printf(" %*s", (int)step * 2, "");
				continue;
			}
			if ((r = access_reg(d, (unsigned)map, o, a.width, &v, false)) < 0) {
				printf("\n");
				say_access_error("dump", r, o, a.width, &mi);
				break;
			}
			printf(" %0*" PRIx64, (int)step * 2, v);
		}
		if (!r)
			printf("\n");
	}
	udrv_close(d);
	return r < 0 ? 1 : 0;
}
