/* SPDX-License-Identifier: MIT */
/*
 * test_iova.c - the IOVA allocator: width limit, IOMMU windows, alignment,
 * reuse of freed holes, and every error path.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iova.h"

#define PG 4096u

static int setup(void **state)
{
	static struct udrv_iova a;

	assert_int_equal(udrv_iova_init(&a, PG), 0);
	*state = &a;
	return 0;
}

static int teardown(void **state)
{
	udrv_iova_fini(*state);
	return 0;
}

static void test_init_rejects_bad_granule(void **state)
{
	struct udrv_iova a;

	(void)state;
	assert_int_equal(udrv_iova_init(NULL, PG), -EINVAL);
	assert_int_equal(udrv_iova_init(&a, 0), -EINVAL);
	assert_int_equal(udrv_iova_init(&a, 3000), -EINVAL); /* not a power of two */
	udrv_iova_fini(NULL);
}

/* IOVA 0 is never handed out; sizes round up to the page; no overlap. */
static void test_alloc_rounds_and_skips_zero(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x, y, z;

	assert_int_equal(udrv_iova_alloc(a, 1, &x), 0);
	assert_int_equal(x, PG);
	assert_int_equal(udrv_iova_alloc(a, PG + 1, &y), 0);
	assert_int_equal(y, 2 * PG);            /* x took one page */
	assert_int_equal(udrv_iova_alloc(a, PG, &z), 0);
	assert_int_equal(z, 4 * PG);            /* y took two pages */
	assert_int_equal(udrv_iova_count(a), 3);
}

static void test_alloc_bad_args(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x;

	assert_int_equal(udrv_iova_alloc(a, 0, &x), -EINVAL);
	assert_int_equal(udrv_iova_alloc(a, PG, NULL), -EINVAL);
	assert_int_equal(udrv_iova_alloc(NULL, PG, &x), -EINVAL);
	/* Rounding UINT64_MAX up to the page overflows: no space, not a wrap. */
	assert_int_equal(udrv_iova_alloc(a, UINT64_MAX, &x), -ENOMEM);
	assert_int_equal(udrv_iova_count(a), 0);
}

/* A freed hole is reused by first fit; freeing twice is -ENOENT. */
static void test_free_and_reuse(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x, y, z, w;

	assert_int_equal(udrv_iova_alloc(a, PG, &x), 0);
	assert_int_equal(udrv_iova_alloc(a, 2 * PG, &y), 0);
	assert_int_equal(udrv_iova_alloc(a, PG, &z), 0);
	assert_int_equal(udrv_iova_free(a, y), 0);
	assert_int_equal(udrv_iova_free(a, y), -ENOENT);
	assert_int_equal(udrv_iova_free(a, y + PG), -ENOENT); /* not a start */
	/* Three pages do not fit the two-page hole: placed after z. */
	assert_int_equal(udrv_iova_alloc(a, 3 * PG, &w), 0);
	assert_int_equal(w, z + PG);
	/* Two pages do. */
	assert_int_equal(udrv_iova_alloc(a, 2 * PG, &w), 0);
	assert_int_equal(w, y);
	assert_int_equal(udrv_iova_count(a), 4);
}

/* edu decodes 28 bits: everything must end below 0x10000000. */
static void test_width_limit(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x, total = 0;

	assert_int_equal(udrv_iova_set_width(a, 28), 0);
	/* Fill the space with 1 MiB blocks: all below 2^28, then -ENOMEM. */
	for (;;) {
		int r = udrv_iova_alloc(a, 1 << 20, &x);

		if (r == -ENOMEM)
			break;
		assert_int_equal(r, 0);
		assert_true(x + (1 << 20) - 1 <= 0x0fffffff);
		total += 1 << 20;
	}
	/* 256 MiB minus the page kept free at 0, rounded down to whole MiB. */
	assert_int_equal(total, 255u << 20);
	/* The tail left over (1 MiB - 4 KiB) is still usable in pages. */
	assert_int_equal(udrv_iova_alloc(a, PG, &x), 0);
	assert_true(x < 0x10000000);
}

static void test_width_errors(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x;

	assert_int_equal(udrv_iova_set_width(a, 11), -EINVAL);
	assert_int_equal(udrv_iova_set_width(a, 65), -EINVAL);
	assert_int_equal(udrv_iova_set_width(NULL, 32), -EINVAL);
	assert_int_equal(udrv_iova_set_width(a, 64), 0);
	assert_int_equal(udrv_iova_set_windows(a, &(struct udrv_iova_range){ 0x100000000ull, UINT64_MAX }, 1), 0);
	assert_int_equal(udrv_iova_alloc(a, PG, &x), 0);
	assert_int_equal(x, 0x100000000ull);
	/* A live buffer above 4 GiB: narrowing to 32 bits would strand it. */
	assert_int_equal(udrv_iova_set_width(a, 32), -EBUSY);
	assert_int_equal(udrv_iova_free(a, x), 0);
	assert_int_equal(udrv_iova_set_width(a, 32), 0);
	/* Now the only window lies wholly above the limit. */
	assert_int_equal(udrv_iova_alloc(a, PG, &x), -ENOMEM);
}

/* Width 12 leaves exactly one page (0..4095), which is the floor page 0: none. */
static void test_width_12_has_no_room(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x;

	assert_int_equal(udrv_iova_set_width(a, 12), 0);
	assert_int_equal(udrv_iova_alloc(a, 1, &x), -ENOMEM);
	assert_int_equal(udrv_iova_set_width(a, 13), 0);
	assert_int_equal(udrv_iova_alloc(a, 1, &x), 0);
	assert_int_equal(x, PG);
	assert_int_equal(udrv_iova_alloc(a, 1, &x), -ENOMEM);
}

/* The x86 MSI window 0xfee00000-0xfeefffff is a hole between two windows. */
static void test_windows_skip_hole(void **state)
{
	struct udrv_iova *a = *state;
	const struct udrv_iova_range w[] = {
		{ 0xfef00000, UINT64_MAX }, /* out of order on purpose */
		{ 0, 0xfedfffff },
	};
	uint64_t x, y;

	assert_int_equal(udrv_iova_set_windows(a, w, 2), 0);
	/* Occupy everything up to the hole but one page. */
	assert_int_equal(udrv_iova_alloc(a, 0xfedfffffull + 1 - 2 * PG, &x), 0);
	assert_int_equal(x, PG);
	/* 2 pages do not fit below the hole: they land above it. */
	assert_int_equal(udrv_iova_alloc(a, 2 * PG, &y), 0);
	assert_int_equal(y, 0xfef00000);
	/* One page still fits below. */
	assert_int_equal(udrv_iova_alloc(a, PG, &y), 0);
	assert_int_equal(y, 0xfedff000);
}

static void test_windows_merge_and_errors(void **state)
{
	struct udrv_iova *a = *state;
	const struct udrv_iova_range touching[] = {
		{ 0x3000, 0x3fff }, { 0x1000, 0x2fff }, { 0x2000, 0x2800 },
	};
	uint64_t x;

	assert_int_equal(udrv_iova_set_windows(a, touching, 0), -EINVAL);
	assert_int_equal(udrv_iova_set_windows(a, NULL, 1), -EINVAL);
	assert_int_equal(udrv_iova_set_windows(a, &(struct udrv_iova_range){ 5, 4 }, 1), -EINVAL);
	assert_int_equal(udrv_iova_set_windows(a, touching, 3), 0);
	assert_int_equal(a->nwin, 1);
	/* Merged into one 3-page window: 3 pages fit at once. */
	assert_int_equal(udrv_iova_alloc(a, 3 * PG, &x), 0);
	assert_int_equal(x, 0x1000);
	assert_int_equal(udrv_iova_alloc(a, 1, &x), -ENOMEM);
}

/* A window whose start is not page-aligned is rounded up, never down. */
static void test_unaligned_window(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x;

	assert_int_equal(udrv_iova_set_windows(a, &(struct udrv_iova_range){ 0x1001, 0x3fff }, 1), 0);
	assert_int_equal(udrv_iova_alloc(a, PG, &x), 0);
	assert_int_equal(x, 0x2000);
	assert_int_equal(udrv_iova_alloc(a, PG, &x), 0);
	assert_int_equal(x, 0x3000);
	assert_int_equal(udrv_iova_alloc(a, PG, &x), -ENOMEM);
}

/* The top of a 64-bit space: no wrap-around at 2^64. */
static void test_top_of_space(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t x;

	assert_int_equal(udrv_iova_set_width(a, 64), 0);
	assert_int_equal(udrv_iova_set_windows(a, &(struct udrv_iova_range){ UINT64_MAX - 2 * PG + 1, UINT64_MAX }, 1), 0);
	assert_int_equal(udrv_iova_alloc(a, PG, &x), 0);
	assert_int_equal(x, UINT64_MAX - 2 * PG + 1);
	assert_int_equal(udrv_iova_alloc(a, PG, &x), 0);
	assert_int_equal(x, UINT64_MAX - PG + 1);
	assert_int_equal(udrv_iova_alloc(a, PG, &x), -ENOMEM);
	assert_int_equal(udrv_iova_set_width(a, 63), -EBUSY);
}

/* Many allocations and frees in a mixed order keep the array sorted and disjoint. */
static void test_many_disjoint(void **state)
{
	struct udrv_iova *a = *state;
	uint64_t addr[64];
	size_t i;

	for (i = 0; i < 64; i++)
		assert_int_equal(udrv_iova_alloc(a, (i % 3 + 1) * PG, &addr[i]), 0);
	for (i = 0; i < 64; i += 2)
		assert_int_equal(udrv_iova_free(a, addr[i]), 0);
	for (i = 0; i < 32; i++)
		assert_int_equal(udrv_iova_alloc(a, PG, &addr[2 * i]), 0);
	assert_int_equal(udrv_iova_count(a), 64);
	for (i = 1; i < a->nused; i++)
		assert_true(a->used[i - 1].last < a->used[i].start);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_granule),
		cmocka_unit_test_setup_teardown(test_alloc_rounds_and_skips_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_width_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_width_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_width_12_has_no_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows_skip_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows_merge_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_of_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_disjoint, setup, teardown),
	};

	return cmocka_run_group_tests_name("iova", tests, NULL, NULL);
}
