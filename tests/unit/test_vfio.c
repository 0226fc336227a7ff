/* SPDX-License-Identifier: MIT */
/*
 * The VFIO backend's host-testable half: PCI address parsing, the VFIO
 * capability-chain walk and the sparse-mmap decision on hand-built info
 * structs, and udrv_open("pci:...") error paths against sysfs/dev trees
 * (no VFIO on the host: everything up to the first VFIO ioctl). The real
 * ioctls run in tests/guest/vfio_edu.c on board "pc".
 *
 * vfio.c is compiled into this test so its static helpers are reachable;
 * the archive's copy is then not linked (its only entry point is defined here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../../lib/vfio.c"
#include "tree.h"

static const struct udrv__vfio_fds nofds = { -1, -1, -1 };

/* ---- parse_pci_addr ---------------------------------------------------- */

static void test_pci_addr(void **state)
{
	(void)state;
	assert_string_equal(parse_pci_addr("0000:00:03.0"), "0000:00:03.0");
	assert_string_equal(parse_pci_addr("pci:0000:00:1f.7"), "0000:00:1f.7");
	assert_string_equal(parse_pci_addr("ABCD:EF:1F.7"), "ABCD:EF:1F.7");
	assert_null(parse_pci_addr(NULL));
	assert_null(parse_pci_addr(""));
	assert_null(parse_pci_addr("pci:"));
	assert_null(parse_pci_addr("00:03.0"));        /* domain missing */
	assert_null(parse_pci_addr("0000:00:03.0 ")); /* trailing junk */
	assert_null(parse_pci_addr("0000:00:03:0"));
	assert_null(parse_pci_addr("0000:0g:03.0"));  /* not hex */
	assert_null(parse_pci_addr("0000:00:20.0"));  /* device > 0x1f */
	assert_null(parse_pci_addr("0000:00:03.8"));  /* function > 7 */
}

/* ---- capability chain and sparse mmap ----------------------------------- */

/* A region info with one sparse-mmap capability of @n areas after it. */
struct sparse_info {
	struct vfio_region_info info;
	struct vfio_region_info_cap_sparse_mmap cap;
	struct vfio_region_sparse_mmap_area areas[4];
};

static void make_sparse(struct sparse_info *s, uint64_t size, unsigned n,
			const struct vfio_region_sparse_mmap_area *areas)
{
	memset(s, 0, sizeof(*s));
	s->info.argsz = sizeof(*s);
	s->info.flags = VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS |
			VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	s->info.size = size;
	s->info.cap_offset = offsetof(struct sparse_info, cap);
	s->cap.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	s->cap.header.version = 1;
	s->cap.header.next = 0;
	s->cap.nr_areas = n;
	if (n)
		memcpy(s->areas, areas, n * sizeof(*areas));
}

static void test_mappable_plain(void **state)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .size = 0x100000 };

	(void)state;
	assert_false(region_mappable(&info));          /* no MMAP flag: e.g. I/O port BAR */
	info.flags = VFIO_REGION_INFO_FLAG_MMAP;
	assert_true(region_mappable(&info));
	info.size = 0;
	assert_false(region_mappable(&info));          /* empty BAR */
}

static void test_mappable_sparse(void **state)
{
	/* Two areas out of order that cover the region exactly. */
	const struct vfio_region_sparse_mmap_area whole[] = {
		{ .offset = 0x2000, .size = 0x2000 }, { .offset = 0, .size = 0x2000 },
	};
	/* An MSI-X table at 0x1000..0x1fff kept by the kernel: a hole. */
	const struct vfio_region_sparse_mmap_area holed[] = {
		{ .offset = 0, .size = 0x1000 }, { .offset = 0x2000, .size = 0x2000 },
	};
	struct sparse_info s;

	(void)state;
	make_sparse(&s, 0x4000, 2, whole);
	assert_true(region_mappable(&s.info));
	make_sparse(&s, 0x4000, 2, holed);
	assert_false(region_mappable(&s.info));
	make_sparse(&s, 0x4000, 0, NULL);              /* nothing mappable at all */
	assert_false(region_mappable(&s.info));
	/* nr_areas claims more than argsz holds: not trusted. */
	make_sparse(&s, 0x4000, 2, whole);
	s.cap.nr_areas = 1000;
	assert_false(region_mappable(&s.info));
}

static void test_find_cap_malformed(void **state)
{
	struct sparse_info s;
	const struct vfio_region_sparse_mmap_area a = { 0, 0x1000 };

	(void)state;
	make_sparse(&s, 0x1000, 1, &a);
	assert_non_null(find_cap(&s, sizeof(s), s.info.cap_offset, VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	assert_null(find_cap(&s, sizeof(s), s.info.cap_offset, VFIO_REGION_INFO_CAP_TYPE));
	assert_null(find_cap(&s, sizeof(s), 0, VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	/* Offset past the end, or a header that does not fit. */
	assert_null(find_cap(&s, sizeof(s), sizeof(s) + 8, VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	assert_null(find_cap(&s, sizeof(s), sizeof(s) - 2, VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	/* A chain that points at itself ends after a bounded walk. */
	s.cap.header.id = VFIO_REGION_INFO_CAP_TYPE;
	s.cap.header.next = s.info.cap_offset;
	assert_null(find_cap(&s, sizeof(s), s.info.cap_offset, VFIO_REGION_INFO_CAP_SPARSE_MMAP));
}

/* ---- open error paths against trees ------------------------------------- */

#define EDU "devices/pci0000:00/0000:00:03.0"
#define ADDR "0000:00:03.0"

/* An edu device in sysfs, bound to @driver, in IOMMU group @group (NULL: none). */
static void add_pci(const char *sys, const char *driver, const char *group)
{
	char target[128];

	tree_put(sys, EDU "/vendor", "0x1234\n");
	tree_put(sys, EDU "/device", "0x11e8\n");
	tree_put(sys, EDU "/resource",
		 "0x00000000fea00000 0x00000000feafffff 0x0000000000040200\n");
	tree_link(sys, "bus/pci/devices/" ADDR, "../../../" EDU);
	if (driver) {
		tree_put(sys, "bus/pci/drivers/vfio-pci/new_id", "");
		tree_put(sys, "bus/pci/drivers/uio_pci_generic/new_id", "");
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		tree_link(sys, EDU "/driver", target);
	}
	if (group) {
		tree_put(sys, "kernel/iommu_groups/3/type", "DMA\n");
		snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%s", group);
		tree_link(sys, EDU "/iommu_group", target);
	}
}

static int setup(void **state)
{
	*state = env_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	env_free(*state);
	return 0;
}

static void expect_open_errno(const char *spec, int err)
{
	udrv_dev *d;

	errno = 0;
	d = udrv_open(spec);
	assert_null(d);
	assert_int_equal(errno, err);
}

static void test_open_missing_device(void **state)
{
	(void)state;
	expect_open_errno("pci:" ADDR, ENOENT);
	errno = 0;
	assert_null(udrv__vfio_open(ADDR, &nofds));
	assert_int_equal(errno, ENOENT);
	assert_null(udrv__vfio_open("pci:0000:00:03", &nofds));
	assert_int_equal(errno, EINVAL);
}

static void test_open_other_driver(void **state)
{
	struct env *e = *state;

	add_pci(e->sys, "e1000", "3");
	expect_open_errno("pci:" ADDR, ENODEV);
	/* The backend checks on its own too, whoever calls it. */
	assert_null(udrv__vfio_open(ADDR, &nofds));
	assert_int_equal(errno, ENODEV);
}

static void test_open_no_iommu_group(void **state)
{
	struct env *e = *state;

	add_pci(e->sys, "vfio-pci", NULL);
	expect_open_errno("pci:" ADDR, ENODEV);
}

static void test_open_bad_group_name(void **state)
{
	struct env *e = *state;

	add_pci(e->sys, "vfio-pci", "x3");
	expect_open_errno("pci:" ADDR, ENODEV);
}

/* No /dev/vfio/vfio: VFIO modules not loaded. The half-built handle is freed. */
static void test_open_no_container_node(void **state)
{
	struct env *e = *state;

	add_pci(e->sys, "vfio-pci", "3");
	expect_open_errno("pci:" ADDR, ENOENT);
}

/* /dev/vfio/vfio that is not VFIO (a plain file: the ioctl fails). */
static void test_open_container_not_vfio(void **state)
{
	struct env *e = *state;

	add_pci(e->sys, "vfio-pci", "3");
	tree_blank(e->dev, "vfio/vfio", 0);
	tree_blank(e->dev, "vfio/3", 0);
	expect_open_errno("pci:" ADDR, ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_addr),
		cmocka_unit_test(test_mappable_plain),
		cmocka_unit_test(test_mappable_sparse),
		cmocka_unit_test(test_find_cap_malformed),
		cmocka_unit_test_setup_teardown(test_open_missing_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_other_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_no_iommu_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_bad_group_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_no_container_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_container_not_vfio, setup, teardown),
	};

	return cmocka_run_group_tests_name("vfio", tests, NULL, NULL);
}
