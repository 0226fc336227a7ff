/* SPDX-License-Identifier: MIT */
/*
 * mmio_bench - the software cost of a checked register access, on the host:
 * a fixture UIO device whose node is a regular file (as tests/unit do), so
 * the mapping is ordinary cached memory and only the check is measured.
 * Three sides read 32 bits per access:
 *
 *   raw          a volatile pointer into the same mapping (no check)
 *   udrv_read32  the out-of-line checked call (the ABI path)
 *   udrv_mmio    the inline udrv_mmio_read32() on a struct udrv_mmio
 *                copied into a local (the hot-loop pattern: the compiler
 *                may then hoist the bounds check out of the loop)
 *   udrv_mmio_global  the same on a global struct: the access's barrier
 *                (a compiler barrier on x86) makes it reload size each time
 *
 * each at a constant offset ("const": what driver code does) and at an
 * offset that changes every access ("walk": the check cannot be hoisted).
 * Sides alternate in blocks of 2^20 accesses; one sample per block, in ns
 * per access, as records in bench/README.md's format.
 *
 *   mmio_bench [--quick]            the timed rows
 *   mmio_bench --only SIDE-PATTERN N   run one loop N times (for callgrind:
 *                                   --toggle-collect=loop_SIDE_PATTERN)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tree.h"
#include "udrv.h"

#define OFF 0x20
#define BLOCK (1u << 20)

static udrv_dev *dev;
static struct udrv_mmio m;
static volatile uint8_t *base;
static volatile uint32_t sink;

/* noinline: each is one function to time and for callgrind to count */
#define LOOP(name, expr_off)                                                   \
	__attribute__((noinline)) static void loop_raw_##name(uint32_t n)       \
	{                                                                      \
		uint32_t s = 0;                                                \
		for (uint32_t i = 0; i < n; i++)                               \
			s += *(volatile uint32_t *)(base + (expr_off));        \
		sink = s;                                                      \
	}                                                                      \
	__attribute__((noinline)) static void loop_udrv_read32_##name(uint32_t n) \
	{                                                                      \
		uint32_t s = 0, v = 0;                                         \
		for (uint32_t i = 0; i < n; i++) {                             \
			if (udrv_read32(dev, 0, (expr_off), &v) == 0)          \
				s += v;                                        \
		}                                                              \
		sink = s;                                                      \
	}                                                                      \
	__attribute__((noinline)) static void loop_udrv_mmio_##name(uint32_t n) \
	{                                                                      \
		const struct udrv_mmio lm = m; /* the hot-loop pattern */      \
		uint32_t s = 0, v = 0;                                         \
		for (uint32_t i = 0; i < n; i++) {                             \
			if (udrv_mmio_read32(&lm, (expr_off), &v) == 0)        \
				s += v;                                        \
		}                                                              \
		sink = s;                                                      \
	}                                                                      \
	__attribute__((noinline)) static void loop_udrv_mmio_global_##name(uint32_t n) \
	{                                                                      \
		uint32_t s = 0, v = 0;                                         \
		for (uint32_t i = 0; i < n; i++) {                             \
			if (udrv_mmio_read32(&m, (expr_off), &v) == 0)         \
				s += v;                                        \
		}                                                              \
		sink = s;                                                      \
	}
LOOP(const, OFF)
LOOP(walk, (uint64_t)((i * 4u) & 0xffcu))

static const struct {
	const char *name;
	void (*fn)(uint32_t);
} loops[] = {
	{ "raw-const", loop_raw_const },
	{ "udrv_read32-const", loop_udrv_read32_const },
	{ "udrv_mmio-const", loop_udrv_mmio_const },
	{ "udrv_mmio_global-const", loop_udrv_mmio_global_const },
	{ "raw-walk", loop_raw_walk },
	{ "udrv_read32-walk", loop_udrv_read32_walk },
	{ "udrv_mmio-walk", loop_udrv_mmio_walk },
	{ "udrv_mmio_global-walk", loop_udrv_mmio_global_walk },
};
#define NLOOPS (sizeof(loops) / sizeof(loops[0]))

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	uint32_t n = 0;
	int rounds = 51;
	struct env *e;
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			rounds = 3;
		else if (!strcmp(argv[i], "--only") && i + 2 < argc) {
			only = argv[++i];
			n = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: mmio_bench [--quick] | --only SIDE-PATTERN N\n");
			return 2;
		}
	}
	/* A one-map UIO device; its /dev node is a plain file of two pages. */
	e = env_new(NULL);
	tree_put(e->sys, "class/uio/uio0/name", "bench\n");
	tree_put(e->sys, "class/uio/uio0/version", "1\n");
	tree_put(e->sys, "class/uio/uio0/event", "0\n");
	tree_put(e->sys, "class/uio/uio0/dev", "240:0\n");
	tree_put(e->sys, "class/uio/uio0/maps/map0/addr", "0x10000000\n");
	tree_put(e->sys, "class/uio/uio0/maps/map0/size", "0x1000\n");
	tree_put(e->sys, "class/uio/uio0/maps/map0/offset", "0x0\n");
	tree_blank(e->dev, "uio0", 2 * (size_t)page);
	dev = udrv_open("uio0");
	if (!dev || !(base = udrv_map(dev, 0)) || udrv_mmio_get(dev, 0, &m) < 0) {
		fprintf(stderr, "mmio_bench: fixture device: %s\n", strerror(errno));
		env_free(e);
		return 1;
	}
	if (only) {
		for (size_t k = 0; k < NLOOPS; k++)
			if (!strcmp(loops[k].name, only)) {
				loops[k].fn(n);
				udrv_close(dev);
				env_free(e);
				return 0;
			}
		fprintf(stderr, "mmio_bench: no loop %s\n", only);
		return 2;
	}
	printf("row mmio-const ns/access 32-bit read at a constant offset, cached mapping\n");
	printf("row mmio-walk ns/access 32-bit read at a changing offset, cached mapping\n");
	for (size_t k = 0; k < NLOOPS; k++)
		loops[k].fn(BLOCK); /* warm up: page faults, caches */
	for (int r = 0; r < rounds; r++) {
		for (size_t j = 0; j < NLOOPS; j++) {
			size_t k = (j + (size_t)r) % NLOOPS; /* rotate the order */
			char row[32];
			const char *side = loops[k].name, *dash = strrchr(side, '-');
			double t0 = now_ns();

			loops[k].fn(BLOCK);
			snprintf(row, sizeof(row), "mmio-%s", dash + 1);
			printf("sample %s %.*s %.4f\n", row, (int)(dash - side), side,
			       (now_ns() - t0) / BLOCK);
		}
	}
	printf("target mmio-const udrv_mmio le_ratio 1.10 raw\n");
	printf("target mmio-walk udrv_mmio le_ratio 1.10 raw\n");
	printf("note mmio-const udrv_read32 is the out-of-line ABI call; udrv_mmio the inline "
	       "udrv_mmio_read32() with the same checks on a local struct, udrv_mmio_global on a global one\n");
	udrv_close(dev);
	env_free(e);
	return 0;
}
