/* SPDX-License-Identifier: MIT */
/*
 * test_pci.c - the PCI capability walker (lib/pci.c) over a fake backend
 * whose config space is a byte array: list order, continuation from a
 * found capability, loops, no list, 256-byte config space for extended
 * capabilities, and the upper half / I/O checks of udrv_pci_bar argument
 * validation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udrv_internal.h"

static uint8_t cfg[4096];
static size_t cfg_len;

static int fake_cfg_read(udrv_dev *dev, uint64_t off, void *buf, size_t len)
{
	(void)dev;
	if (off > cfg_len || len > cfg_len - off)
		return -ERANGE;
	memcpy(buf, cfg + off, len);
	return (int)len;
}

static const struct udrv_backend fake = { .name = "fake", .cfg_read = fake_cfg_read };

/* Status bit 4, list 0x34 -> 0x40 (PM 0x01) -> 0xa0 (MSI-X 0x11) -> 0xe0 (PCIe 0x10) -> 0x50 (MSI-X again). */
static void setup_list(void)
{
	memset(cfg, 0, sizeof(cfg));
	cfg_len = 256;
	cfg[0x06] = 0x10;
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x01, cfg[0x41] = 0xa0;
	cfg[0xa0] = 0x11, cfg[0xa1] = 0xe0;
	cfg[0xe0] = 0x10, cfg[0xe1] = 0x50;
	cfg[0x50] = 0x11, cfg[0x51] = 0x00;
}

static void test_walk(void **state)
{
	udrv_dev *dev = udrv__dev_new(&fake);

	(void)state;
	assert_non_null(dev);
	setup_list();
	assert_int_equal(udrv_pci_find_cap(dev, 0x11, 0), 0xa0);
	assert_int_equal(udrv_pci_find_cap(dev, 0x10, 0), 0xe0);
	assert_int_equal(udrv_pci_find_cap(dev, 0x11, 0xa0), 0x50); /* the next one */
	assert_int_equal(udrv_pci_find_cap(dev, 0x11, 0x50), -ENOENT);
	assert_int_equal(udrv_pci_find_cap(dev, 0x05, 0), -ENOENT);
	assert_int_equal(udrv_pci_find_cap(dev, 0x11, 0x30), -EINVAL);
	cfg[0x51] = 0x40; /* loop back to the head */
	assert_int_equal(udrv_pci_find_cap(dev, 0x05, 0), -ELOOP);
	cfg[0x06] = 0; /* no capability list */
	assert_int_equal(udrv_pci_find_cap(dev, 0x11, 0), -ENOENT);
	assert_int_equal(udrv_pci_find_cap(NULL, 0x11, 0), -EINVAL);
	udrv_close(dev);
}

static void put32(unsigned off, uint32_t v)
{
	memcpy(cfg + off, &v, 4);
}

static void test_ext(void **state)
{
	udrv_dev *dev = udrv__dev_new(&fake);

	(void)state;
	setup_list();
	assert_int_equal(udrv_pci_find_ext_cap(dev, 0x0001, 0), -ENOENT); /* 256 bytes only */
	cfg_len = 4096;
	put32(0x100, 0x0001u | 1u << 16 | 0x148u << 20); /* AER -> 0x148 */
	put32(0x148, 0x0003u | 1u << 16 | 0u << 20);     /* DSN, end */
	assert_int_equal(udrv_pci_find_ext_cap(dev, 0x0001, 0), 0x100);
	assert_int_equal(udrv_pci_find_ext_cap(dev, 0x0003, 0), 0x148);
	assert_int_equal(udrv_pci_find_ext_cap(dev, 0x0003, 0x148), -ENOENT);
	assert_int_equal(udrv_pci_find_ext_cap(dev, 0x000b, 0), -ENOENT);
	put32(0x148, 0x0003u | 0x100u << 20); /* loop */
	assert_int_equal(udrv_pci_find_ext_cap(dev, 0x000b, 0), -ELOOP);
	udrv_close(dev);
}

static void test_bar_args(void **state)
{
	udrv_dev *dev = udrv__dev_new(&fake);
	size_t sz;

	(void)state;
	errno = 0;
	assert_null(udrv_pci_bar(NULL, 0, &sz));
	assert_int_equal(errno, EINVAL);
	assert_null(udrv_pci_bar(dev, 6, &sz));
	assert_int_equal(errno, EINVAL);
	assert_null(udrv_pci_bar(dev, 0, &sz)); /* no device node: not PCI */
	assert_int_equal(errno, ENOTSUP);
	/* Multi-vector API on a backend without routing. */
	assert_int_equal(udrv_irq_set_type(dev, UDRV_IRQ_MSIX, 2), -ENOTSUP);
	assert_int_equal(udrv_irq_set_type(dev, 7, 2), -EINVAL);
	assert_int_equal(udrv_irq_vectors(dev), 0);
	assert_int_equal(udrv_irq_vector_fd(dev, 0), -ENOTSUP);
	udrv_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_ext),
		cmocka_unit_test(test_bar_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
