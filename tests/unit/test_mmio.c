/* SPDX-License-Identifier: MIT */
/*
 * Bounds and alignment of register access (lib/mmio.c), on a region backed
 * by ordinary memory so that "nothing touched" can be checked byte by byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udrv_internal.h"

static const struct udrv_backend mem_backend = { .name = "mem" };
static _Alignas(8) uint8_t mem[64];
static uint8_t snapshot[64];

static int setup(void **state)
{
	udrv_dev *dev = udrv__dev_new(&mem_backend);

	assert_non_null(dev);
	for (unsigned i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)i;
	dev->nregions = 2;
	dev->regions[0].info.size = sizeof(mem);
	dev->regions[0].regs = mem; /* already "mapped": base stays NULL */
	dev->regions[1].info.size = 2; /* smaller than a 32-bit register */
	dev->regions[1].regs = mem;
	*state = dev;
	return 0;
}

static int teardown(void **state)
{
	udrv_close(*state);
	return 0;
}

static void expect_untouched(void)
{
	memcpy(snapshot, mem, sizeof(mem));
}
static void assert_untouched(void)
{
	assert_memory_equal(snapshot, mem, sizeof(mem));
}

static void in_bounds_roundtrip(void **state)
{
	udrv_dev *dev = *state;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	assert_int_equal(udrv_read32(dev, 0, 60, &v32), 0);
	assert_int_equal(v32, 0x3f3e3d3c); /* little-endian bytes 60..63 */
	assert_int_equal(udrv_write32(dev, 0, 4, 0xdeadbeef), 0);
	assert_int_equal(udrv_read32(dev, 0, 4, &v32), 0);
	assert_int_equal(v32, 0xdeadbeef);
	/* A 8-bit write changes exactly one byte. */
	expect_untouched();
	assert_int_equal(udrv_write8(dev, 0, 9, 0xaa), 0);
	snapshot[9] = 0xaa;
	assert_untouched();
	assert_int_equal(udrv_read8(dev, 0, 9, &v8), 0);
	assert_int_equal(v8, 0xaa);
	assert_int_equal(udrv_write16(dev, 0, 62, 0x1234), 0);
	assert_int_equal(udrv_read16(dev, 0, 62, &v16), 0);
	assert_int_equal(v16, 0x1234);
	assert_int_equal(udrv_write64(dev, 0, 56, 0x0102030405060708ull), 0);
	assert_int_equal(udrv_read64(dev, 0, 56, &v64), 0);
	assert_true(v64 == 0x0102030405060708ull);
}

static void out_of_bounds_is_erange_and_touches_nothing(void **state)
{
	udrv_dev *dev = *state;
	uint32_t v32 = 0x55;
	uint64_t v64;

	expect_untouched();
	assert_int_equal(udrv_write32(dev, 0, 64, 1), -ERANGE);  /* one past the end */
	assert_int_equal(udrv_write32(dev, 0, 62, 1), -ERANGE);  /* straddles the end */
	assert_int_equal(udrv_write64(dev, 0, 60, 1), -ERANGE);
	assert_int_equal(udrv_write8(dev, 0, 64, 1), -ERANGE);
	/* Offsets that would wrap a naive off + width > size check. */
	assert_int_equal(udrv_write32(dev, 0, UINT64_MAX, 1), -ERANGE);
	assert_int_equal(udrv_write32(dev, 0, UINT64_MAX - 3, 1), -ERANGE);
	assert_int_equal(udrv_write64(dev, 0, UINT64_MAX - 7, 1), -ERANGE);
	assert_int_equal(udrv_read32(dev, 0, UINT64_MAX - 2, &v32), -ERANGE);
	assert_int_equal(v32, 0x55); /* output not written on error */
	/* Region smaller than the access. */
	assert_int_equal(udrv_read32(dev, 1, 0, &v32), -ERANGE);
	assert_int_equal(udrv_read64(dev, 1, 0, &v64), -ERANGE);
	/* Region index out of range. */
	assert_int_equal(udrv_write32(dev, 2, 0, 1), -ERANGE);
	assert_int_equal(udrv_write32(dev, UINT32_MAX, 0, 1), -ERANGE);
	assert_untouched();
}

static void misaligned_is_einval(void **state)
{
	udrv_dev *dev = *state;
	uint16_t v16;

	expect_untouched();
	assert_int_equal(udrv_write32(dev, 0, 2, 1), -EINVAL);
	assert_int_equal(udrv_write64(dev, 0, 4, 1), -EINVAL);
	assert_int_equal(udrv_read16(dev, 0, 1, &v16), -EINVAL);
	assert_int_equal(udrv_write8(dev, 0, 63, 1), 0); /* bytes are always aligned */
	snapshot[63] = 1;
	assert_untouched();
}

static void null_arguments(void **state)
{
	udrv_dev *dev = *state;
	struct udrv_map_info mi;

	assert_int_equal(udrv_read32(NULL, 0, 0, &(uint32_t){ 0 }), -EINVAL);
	assert_int_equal(udrv_read32(dev, 0, 0, NULL), -EINVAL);
	assert_int_equal(udrv_write32(NULL, 0, 0, 0), -EINVAL);
	assert_int_equal(udrv_map_count(NULL), -EINVAL);
	assert_int_equal(udrv_map_info(NULL, 0, &mi), -EINVAL);
	assert_int_equal(udrv_map_info(dev, 0, NULL), -EINVAL);
	errno = 0;
	assert_null(udrv_map(NULL, 0));
	assert_int_equal(errno, EINVAL);
	udrv_close(NULL); /* must be harmless */
}

static void map_index_checks(void **state)
{
	udrv_dev *dev = *state;
	struct udrv_map_info mi;

	assert_int_equal(udrv_map_count(dev), 2);
	assert_int_equal(udrv_map_info(dev, 0, &mi), 0);
	assert_int_equal(mi.size, 64);
	assert_int_equal(udrv_map_info(dev, 2, &mi), -ERANGE);
	assert_ptr_equal(udrv_map(dev, 0), mem);
	errno = 0;
	assert_null(udrv_map(dev, 2));
	assert_int_equal(errno, ERANGE);
}

static void unsupported_ops_are_enotsup(void **state)
{
	udrv_dev *dev = *state;
	struct udrv_dma dma = { 0 };
	uint32_t c;

	assert_int_equal(udrv_irq_enable(dev), -ENOTSUP);
	assert_int_equal(udrv_irq_wait(dev, 0, &c), -ENOTSUP);
	assert_int_equal(udrv_irq_fd(dev), -ENOTSUP);
	assert_int_equal(udrv_dma_alloc(dev, 4096, &dma), -ENOTSUP);
	assert_int_equal(udrv_dma_set_width(dev, 28), -ENOTSUP);
	assert_int_equal(udrv_pci_cfg_read(dev, 0, &c, 4), -ENOTSUP);
	udrv_dma_free(dev, &dma); /* empty buffer: nothing to do */
}

/* A backend reaching a non-mmappable region another way (VFIO: pread/pwrite). */
static unsigned rw_calls, rw_width;
static uint64_t rw_off;
static int fake_region_rw(udrv_dev *dev, unsigned idx, uint64_t off, void *val, unsigned width,
			  bool write)
{
	(void)dev;
	(void)idx;
	rw_calls++;
	rw_off = off;
	rw_width = width;
	if (write)
		memcpy(mem + off, val, width);
	else
		memcpy(val, mem + off, width);
	return 0;
}

static void unmappable_region_goes_through_the_backend(void **state)
{
	static const struct udrv_backend rw_backend = { .name = "rw", .region_rw = fake_region_rw };
	udrv_dev *dev = udrv__dev_new(&rw_backend);
	uint16_t v16 = 0;
	uint8_t v8 = 0;

	(void)state;
	assert_non_null(dev);
	for (unsigned i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)i;
	dev->nregions = 1;
	dev->regions[0].info.size = 16; /* an I/O port BAR: not mappable */
	rw_calls = 0;
	assert_int_equal(udrv_read16(dev, 0, 6, &v16), 0);
	assert_int_equal(v16, 0x0706);
	assert_true(rw_calls == 1 && rw_off == 6 && rw_width == 2);
	assert_int_equal(udrv_write8(dev, 0, 15, 0xaa), 0);
	assert_int_equal(mem[15], 0xaa);
	/* Checked first, as for a mapping: nothing reaches the backend. */
	rw_calls = 0;
	assert_int_equal(udrv_read8(dev, 0, 16, &v8), -ERANGE);
	assert_int_equal(udrv_read16(dev, 0, 3, &v16), -EINVAL);
	assert_int_equal(rw_calls, 0);
	errno = 0;
	assert_null(udrv_map(dev, 0));
	assert_int_equal(errno, ENOTSUP);
	udrv_close(dev);
}

/*
 * The inline fast path (udrv_mmio_get + udrv_mmio_readN/writeN in udrv.h):
 * the same answers as the out-of-line calls, for every width and edge.
 */
static void inline_get_describes_the_region(void **state)
{
	udrv_dev *dev = *state;
	struct udrv_mmio m = { 0 };

	assert_int_equal(udrv_mmio_get(dev, 0, &m), 0);
	assert_ptr_equal(m.base, mem);
	assert_int_equal(m.size, sizeof(mem));
	assert_int_equal(udrv_mmio_get(dev, 1, &m), 0);
	assert_int_equal(m.size, 2);
	assert_int_equal(udrv_mmio_get(dev, 2, &m), -ERANGE);
	assert_int_equal(udrv_mmio_get(dev, UINT32_MAX, &m), -ERANGE);
	assert_int_equal(udrv_mmio_get(NULL, 0, &m), -EINVAL);
	assert_int_equal(udrv_mmio_get(dev, 0, NULL), -EINVAL);
}

static void inline_roundtrip(void **state)
{
	struct udrv_mmio m;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	assert_int_equal(udrv_mmio_get(*state, 0, &m), 0);
	assert_int_equal(udrv_mmio_read32(&m, 60, &v32), 0);
	assert_int_equal(v32, 0x3f3e3d3c);
	expect_untouched();
	assert_int_equal(udrv_mmio_write8(&m, 9, 0xaa), 0);
	snapshot[9] = 0xaa;
	assert_untouched();
	assert_int_equal(udrv_mmio_read8(&m, 9, &v8), 0);
	assert_int_equal(v8, 0xaa);
	assert_int_equal(udrv_mmio_write16(&m, 62, 0x1234), 0);
	assert_int_equal(udrv_mmio_read16(&m, 62, &v16), 0);
	assert_int_equal(v16, 0x1234);
	assert_int_equal(udrv_mmio_write32(&m, 4, 0xdeadbeef), 0);
	assert_int_equal(udrv_read32(*state, 0, 4, &v32), 0); /* both paths see one region */
	assert_int_equal(v32, 0xdeadbeef);
	assert_int_equal(udrv_mmio_write64(&m, 56, 0x0102030405060708ull), 0);
	assert_int_equal(udrv_mmio_read64(&m, 56, &v64), 0);
	assert_true(v64 == 0x0102030405060708ull);
}

static void inline_checks_match_the_calls(void **state)
{
	udrv_dev *dev = *state;
	struct udrv_mmio m, small, zero = { 0 };
	uint32_t v32 = 0x55, w32 = 0x55;
	uint64_t v64 = 0;
	/* offsets around the edges, and ones that would wrap a naive check */
	const uint64_t offs[] = { 0, 1, 2, 3, 4, 56, 60, 61, 62, 63, 64, 65, 4096,
				  UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 3, UINT64_MAX - 7 };

	assert_int_equal(udrv_mmio_get(dev, 0, &m), 0);
	assert_int_equal(udrv_mmio_get(dev, 1, &small), 0);
	expect_untouched();
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint64_t o = offs[i];
		uint8_t a8 = 0, b8 = 0;
		uint16_t a16 = 0, b16 = 0;

		assert_int_equal(udrv_mmio_read8(&m, o, &a8), udrv_read8(dev, 0, o, &b8));
		assert_int_equal(udrv_mmio_read16(&m, o, &a16), udrv_read16(dev, 0, o, &b16));
		assert_int_equal(udrv_mmio_read32(&m, o, &v32), udrv_read32(dev, 0, o, &w32));
		assert_int_equal(udrv_mmio_read64(&m, o, &v64), udrv_read64(dev, 0, o, &v64));
		assert_int_equal(a8, b8);
		assert_int_equal(a16, b16);
		assert_int_equal(v32, w32);
		/* writes that must fail touch nothing */
		if (udrv_write32(dev, 0, o, 0) < 0)
			assert_int_equal(udrv_mmio_write32(&m, o, 1), udrv_write32(dev, 0, o, 1));
		if (udrv_write64(dev, 0, o, 0) < 0)
			assert_int_equal(udrv_mmio_write64(&m, o, 1), udrv_write64(dev, 0, o, 1));
		if (udrv_write16(dev, 0, o, 0) < 0)
			assert_int_equal(udrv_mmio_write16(&m, o, 1), udrv_write16(dev, 0, o, 1));
		if (udrv_write8(dev, 0, o, 0) < 0)
			assert_int_equal(udrv_mmio_write8(&m, o, 1), udrv_write8(dev, 0, o, 1));
	}
	memcpy(snapshot, mem, sizeof(mem)); /* the in-range zero writes above */
	v32 = 0x55;
	assert_int_equal(udrv_mmio_write32(&m, 64, 1), -ERANGE);
	assert_int_equal(udrv_mmio_write32(&m, 62, 1), -ERANGE);
	assert_int_equal(udrv_mmio_write32(&m, UINT64_MAX - 3, 1), -ERANGE);
	assert_int_equal(udrv_mmio_read32(&m, UINT64_MAX - 2, &v32), -ERANGE);
	assert_int_equal(v32, 0x55); /* output not written on error */
	assert_int_equal(udrv_mmio_write32(&m, 2, 1), -EINVAL);
	assert_int_equal(udrv_mmio_write64(&m, 4, 1), -EINVAL);
	assert_int_equal(udrv_mmio_read32(&small, 0, &v32), -ERANGE); /* region < width */
	assert_int_equal(udrv_mmio_read16(&small, 0, &(uint16_t){ 0 }), 0);
	assert_int_equal(udrv_mmio_write8(&zero, 0, 1), -ERANGE);     /* never filled */
	assert_int_equal(udrv_mmio_read32(&m, 0, NULL), -EINVAL);
	assert_int_equal(udrv_mmio_read32(NULL, 0, &v32), -EINVAL);
	assert_int_equal(udrv_mmio_write32(NULL, 0, 1), -EINVAL);
	assert_untouched();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(in_bounds_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_bounds_is_erange_and_touches_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(misaligned_is_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(null_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(map_index_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(unsupported_ops_are_enotsup, setup, teardown),
		cmocka_unit_test(unmappable_region_goes_through_the_backend),
		cmocka_unit_test_setup_teardown(inline_get_describes_the_region, setup, teardown),
		cmocka_unit_test_setup_teardown(inline_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(inline_checks_match_the_calls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
