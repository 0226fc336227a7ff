/* SPDX-License-Identifier: MIT */
/*
 * Board rpi3: a UIO map whose registers do not start on a page, the AUX
 * mini UART (BCM2835 ARM Peripherals, 2.1-2.2: AUX_MU_* at 0x7e215040,
 * CPU address 0x3f215040, 0x40 bytes) bound to uio_pdrv_genirq
 * (vm/boards/rpi3.sh). The kernel publishes addr 0x3f215000, offset 0x40,
 * size 0x1000; the library must map that page and give exactly the 0x40
 * bytes of registers. Values read are QEMU's (hw/char/bcm2835_aux.c):
 * AUX_MU_LSR (0x54 -> window 0x14) has bits 5-6 (transmitter empty/idle),
 * AUX_MU_CNTL (0x60 -> window 0x20) reads 0x3 (receiver, transmitter on).
 * Also device specs against real nodes: udev-style symlinks, missing nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtest.h"
#include "udrv.h"

#define MU_LSR 0x14  /* AUX_MU_LSR_REG 0x7e215054 */
#define MU_CNTL 0x20 /* AUX_MU_CNTL_REG 0x7e215060 */

static void window(udrv_dev *d)
{
	struct udrv_map_info mi;
	uint32_t v = 0;
	uint64_t v64;
	uint8_t b;
	uint16_t h;

	CHECK_EQ(udrv_map_count(d), 1, "one map");
	CHECK(udrv_map_info(d, 0, &mi) == 0 && mi.addr == 0x3f215040 && mi.size == 0x40 &&
		      mi.offset == 0x40,
	      "map0: addr 0x%llx size 0x%llx offset 0x%llx (want 0x3f215040 0x40 0x40)",
	      (unsigned long long)mi.addr, (unsigned long long)mi.size, (unsigned long long)mi.offset);
	int r = udrv_read32(d, 0, MU_LSR, &v);
	CHECK(r == 0 && (v & 0x60) == 0x60, "AUX_MU_LSR 0x%x: transmitter empty and idle (bits 5, 6)", v);
	r = udrv_read32(d, 0, MU_CNTL, &v);
	CHECK(r == 0 && v == 0x3, "AUX_MU_CNTL 0x%x == 0x3", v);
	volatile uint32_t *regs = udrv_map(d, 0);
	CHECK(regs && regs[MU_CNTL / 4] == 0x3, "udrv_map points at 0x3f215040 (CNTL at +0x20)");
	/* The window's real end, not the page's. */
	CHECK_EQ(udrv_read32(d, 0, 0x3c, &v), 0, "read32 at 0x3c (last word)");
	CHECK_EQ(udrv_read8(d, 0, 0x3f, &b), 0, "read8 at 0x3f (last byte)");
	CHECK_EQ(udrv_read32(d, 0, 0x40, &v), -ERANGE, "read32 at 0x40 (window end)");
	CHECK_EQ(udrv_read8(d, 0, 0x40, &b), -ERANGE, "read8 at 0x40");
	CHECK_EQ(udrv_read64(d, 0, 0x3c, &v64), -ERANGE, "read64 across the end");
	CHECK_EQ(udrv_write32(d, 0, 0xfc0, 0), -ERANGE, "write32 at the page's end - 0x40");
	CHECK_EQ(udrv_read16(d, 0, 0x3d, &h), -EINVAL, "misaligned read16");
	/* No interrupt in the tree: read() gives EIO with the device registered. */
	CHECK_EQ(udrv_irq_wait(d, 100, NULL), -ENOTSUP, "irq_wait without an IRQ -> -ENOTSUP");
}

static void expect_fail(const char *spec, int want, const char *what)
{
	udrv_dev *d;
	int e;

	errno = 0;
	d = udrv_open(spec);
	e = errno;
	CHECK(!d && e == want, "udrv_open(\"%s\") (%s) -> %s (got %s)", spec, what, strerror(want),
	      d ? "a handle" : strerror(e));
	udrv_close(d);
}

static void specs(const char *uio)
{
	char node[64], link[] = "/tmp/myaux", devlink[] = "/dev/myfpga";
	udrv_dev *d;
	int fd;

	snprintf(node, sizeof(node), "/dev/%s", uio);
	unlink(link);
	unlink(devlink);
	CHECK(symlink(node, link) == 0 && symlink(uio, devlink) == 0, "symlinks made");
	for (int i = 0; i < 2; i++) {
		const char *spec = i ? devlink : link;

		errno = 0;
		d = udrv_open(spec);
		int e = errno;
		CHECK(d && strcmp(udrv_name(d), "serial") == 0, "udrv_open(\"%s\") -> serial (%s)", spec,
		      d ? udrv_name(d) : strerror(e));
		udrv_close(d);
	}
	expect_fail("/dev/uio-missing", ENOENT, "a missing node");
	snprintf(node, sizeof(node), "/tmp/%s", uio);
	unlink(node);
	expect_fail(node, ENOENT, "absent: not taken for /dev/uioN");
	fd = open(node, O_CREAT | O_WRONLY, 0644);
	close(fd);
	expect_fail(node, ENODEV, "a regular file");
	expect_fail("/dev/null", ENODEV, "a char device that is not UIO");
}

int main(void)
{
	const char *uio = getenv("UDRV_UIO_AUX");
	char spec[64];
	udrv_dev *d;

	if (!uio || !*uio)
		GT_SKIP("UDRV_UIO_AUX not set (board rpi3 fragment)");
	snprintf(spec, sizeof(spec), "/dev/%s", uio);
	d = udrv_open(spec);
	CHECK(d != NULL, "udrv_open(%s) (%s)", spec, d ? "ok" : strerror(errno));
	if (d)
		window(d);
	udrv_close(d);
	specs(uio);
	return gt_done();
}
