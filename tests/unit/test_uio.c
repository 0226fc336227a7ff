/* SPDX-License-Identifier: MIT */
/*
 * UIO discovery and opening (lib/sysfs.c, lib/uio.c, lib/dev.c) against
 * sysfs trees: well-formed ones built like the kernel's, malformed ones for
 * every error path. Trees captured from the real guests are exercised in
 * test_fixtures.c. Device nodes are stand-in regular files ($UDRV_DEV_ROOT),
 * which mmap() like a UIO node: map N lives at file offset N * page size.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sysfs.h"
#include "tree.h"
#include "udrv_internal.h"

/*
 * uio0: "gpiomem", map0 0x3f200000/0x1000, and map1 a register window that
 * is not page aligned (0x20 bytes at 0x3f003010), published the way the
 * kernel does it (uio_pdrv_genirq.c probe): addr = its page, offset = the
 * in-page offset, size = offset + length rounded up to a page; the length
 * itself is in the device-tree node's reg (entry 1; #address-cells and
 * #size-cells 1 in the parent, as under /soc on the Pi).
 */
/* A binary attribute from a string literal (its NUL bytes included). */
#define PUT_BIN(root, rel, lit) tree_put_bin(root, rel, lit, sizeof(lit) - 1)

static void add_uio0(const char *sys)
{
	tree_put(sys, "class/uio/uio0/name", "gpiomem\n");
	tree_put(sys, "class/uio/uio0/version", "devicetree\n");
	tree_put(sys, "class/uio/uio0/event", "7\n");
	tree_put(sys, "class/uio/uio0/dev", "240:0\n");
	tree_put(sys, "class/uio/uio0/maps/map0/addr", "0x000000003f200000\n");
	tree_put(sys, "class/uio/uio0/maps/map0/size", "0x0000000000001000\n");
	tree_put(sys, "class/uio/uio0/maps/map0/offset", "0x0\n");
	tree_put(sys, "class/uio/uio0/maps/map0/name", "gpiomem@7e200000\n");
	tree_put(sys, "class/uio/uio0/maps/map1/addr", "0x000000003f003000\n");
	tree_put(sys, "class/uio/uio0/maps/map1/size", "0x0000000000001000\n");
	tree_put(sys, "class/uio/uio0/maps/map1/offset", "0x10\n");
	tree_put(sys, "class/uio/uio0/maps/map1/name", "\n");
	/* reg = <0x7e200000 0x1000 0x7e003010 0x20>, big-endian cells */
	PUT_BIN(sys, "class/uio/uio0/device/of_node/reg", "\x7e\x20\x00\x00\x00\x00\x10\x00\x7e\x00\x30\x10\x00\x00\x00\x20");
	PUT_BIN(sys, "class/uio/uio0/device/#address-cells", "\x00\x00\x00\x01");
	PUT_BIN(sys, "class/uio/uio0/device/#size-cells", "\x00\x00\x00\x01");
}

static int setup(void **state)
{
	struct env *e = env_new(NULL);

	add_uio0(e->sys);
	tree_blank(e->dev, "uio0", 2 * (size_t)sysconf(_SC_PAGESIZE));
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env_free(*state);
	return 0;
}

static void reads_device_info(void **state)
{
	struct env *e = *state;
	struct udrv_uio_info info;
	char node[256];

	assert_int_equal(udrv__uio_read_info(0, &info), 0);
	assert_string_equal(info.name, "gpiomem");
	assert_string_equal(info.version, "devicetree");
	assert_int_equal(info.event, 7);
	assert_int_equal(info.nmaps, 2);
	assert_true(info.maps[0].addr == 0x3f200000);
	assert_true(info.maps[0].size == 0x1000);
	assert_string_equal(info.maps[0].name, "gpiomem@7e200000");
	/* The first register's address and the window's real length. */
	assert_true(info.maps[1].addr == 0x3f003010);
	assert_true(info.maps[1].offset == 0x10);
	assert_true(info.maps[1].size == 0x20);
	assert_string_equal(info.maps[1].name, "");
	snprintf(node, sizeof(node), "%s/uio0", e->dev);
	assert_string_equal(info.devnode, node);
	assert_int_equal(udrv__uio_read_info(1, &info), -ENOENT);
}

static void map_number_comes_from_the_name(void **state)
{
	struct env *e = *state;
	struct udrv_uio_info info;

	/* Only map2 exists: it is map 2, not map 0; maps 0-1 are empty. */
	tree_put(e->sys, "class/uio/uio3/name", "x\n");
	tree_put(e->sys, "class/uio/uio3/version", "1\n");
	tree_put(e->sys, "class/uio/uio3/event", "0\n");
	tree_put(e->sys, "class/uio/uio3/dev", "240:3\n");
	tree_put(e->sys, "class/uio/uio3/maps/map2/addr", "0x1000\n");
	tree_put(e->sys, "class/uio/uio3/maps/map2/size", "0x100\n");
	tree_put(e->sys, "class/uio/uio3/maps/junk/addr", "0x1\n"); /* ignored */
	assert_int_equal(udrv__uio_read_info(3, &info), 0);
	assert_int_equal(info.nmaps, 3);
	assert_true(info.maps[0].size == 0 && info.maps[1].size == 0);
	assert_true(info.maps[2].addr == 0x1000 && info.maps[2].size == 0x100);
	assert_true(info.maps[2].offset == 0); /* no "offset" attribute: 0 */
	/* A map number beyond what we can hold is an error, not a truncation. */
	tree_put(e->sys, "class/uio/uio3/maps/map9/addr", "0x1000\n");
	tree_put(e->sys, "class/uio/uio3/maps/map9/size", "0x100\n");
	assert_int_equal(udrv__uio_read_info(3, &info), -E2BIG);
}

static void malformed_attributes_are_einval(void **state)
{
	struct env *e = *state;
	struct udrv_uio_info info;
	static const char *bad_numbers[] = { "0xZZ\n", "\n", "-1\n", "12abc\n", " 5\n",
					     "0x10000000000000000\n" };

	for (size_t i = 0; i < sizeof(bad_numbers) / sizeof(*bad_numbers); i++) {
		tree_put(e->sys, "class/uio/uio0/maps/map0/size", bad_numbers[i]);
		assert_int_equal(udrv__uio_read_info(0, &info), -EINVAL);
	}
	tree_put(e->sys, "class/uio/uio0/maps/map0/size", "0x1000\n");
	tree_put(e->sys, "class/uio/uio0/event", "lots\n");
	assert_int_equal(udrv__uio_read_info(0, &info), -EINVAL);
	tree_put(e->sys, "class/uio/uio0/event", "0\n");
	tree_put(e->sys, "class/uio/uio0/dev", "240\n");
	assert_int_equal(udrv__uio_read_info(0, &info), -EINVAL);
	tree_put(e->sys, "class/uio/uio0/dev", "240:0:1\n");
	assert_int_equal(udrv__uio_read_info(0, &info), -EINVAL);
	tree_put(e->sys, "class/uio/uio0/dev", "240:0\n");
	unlink(strcat(strcpy((char[512]){ 0 }, e->sys), "/class/uio/uio0/maps/map1/addr"));
	assert_int_equal(udrv__uio_read_info(0, &info), -ENOENT);
}

static int collect(const struct udrv_uio_info *info, void *arg);

/* Without the device's reg, the window runs to the end of the kernel's size. */
static void window_without_reg_is_size_minus_offset(void **state)
{
	struct env *e = *state;
	struct udrv_uio_info info;
	char path[512];

	snprintf(path, sizeof(path), "%s/class/uio/uio0/device/of_node/reg", e->sys);
	unlink(path);
	assert_int_equal(udrv__uio_read_info(0, &info), 0);
	assert_true(info.maps[1].addr == 0x3f003010 && info.maps[1].size == 0xff0);
	/* A reg whose in-page offset disagrees is not this map's: ignored too. */
	PUT_BIN(e->sys, "class/uio/uio0/device/of_node/reg", "\x7e\x20\x00\x00\x00\x00\x10\x00\x7e\x00\x30\x20\x00\x00\x00\x20");
	assert_int_equal(udrv__uio_read_info(0, &info), 0);
	assert_true(info.maps[1].size == 0xff0);
	/* A size that is not whole pages: the kernel will not mmap it. */
	tree_put(e->sys, "class/uio/uio0/maps/map1/size", "0x30\n");
	udrv_dev *dev = udrv_open("uio0");
	assert_non_null(dev);
	uint32_t v;
	assert_int_equal(udrv_read32(dev, 1, 0, &v), -ENOTSUP);
	assert_int_equal(udrv_read32(dev, 1, 0x20, &v), -ERANGE); /* window 0x30 - 0x10 */
	udrv_close(dev);
}

/* A name of 64+ bytes is cut, and the scan goes on to later devices. */
static void overlong_name_is_cut_and_scan_goes_on(void **state)
{
	struct env *e = *state;
	struct udrv_uio_info info;
	char name[200], seen[64] = "";

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	tree_put(e->sys, "class/uio/uio0/name", name);
	tree_put(e->sys, "class/uio/uio1/name", "later\n");
	tree_put(e->sys, "class/uio/uio1/version", "1\n");
	tree_put(e->sys, "class/uio/uio1/event", "0\n");
	tree_put(e->sys, "class/uio/uio1/dev", "240:1\n");
	tree_blank(e->dev, "uio1", (size_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(udrv__uio_read_info(0, &info), 0);
	assert_int_equal(strlen(info.name), UDRV_NAME_MAX - 1);
	assert_int_equal(udrv_uio_scan(collect, seen), 2);
	assert_string_equal(seen, "0,1,");
	udrv_dev *dev = udrv_open("name:later");
	assert_non_null(dev);
	udrv_close(dev);
	errno = 0;
	name[UDRV_NAME_MAX] = '\0'; /* longer than any kept name: cannot match */
	assert_null(udrv_open(strcat(strcpy((char[300]){ 0 }, "name:"), name)));
	assert_int_equal(errno, EINVAL);
}

static void parse_index_is_strict(void **state)
{
	unsigned n;

	(void)state;
	assert_int_equal(udrv__parse_index("uio12", "uio", &n), 0);
	assert_int_equal(n, 12);
	assert_int_equal(udrv__parse_index("uio0", "uio", &n), 0);
	assert_int_equal(n, 0);
	static const char *bad[] = { "uio", "uio01", "uio1x", "uio-1", "uio+1", "uio 1",
				     "uio99999999999", "map1", "UIO1", "uio1\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(udrv__parse_index(bad[i], "uio", &n), -EINVAL);
}

static int collect(const struct udrv_uio_info *info, void *arg)
{
	char *seen = arg;
	char one[16];

	snprintf(one, sizeof(one), "%u,", info->index);
	strcat(seen, one);
	return 0;
}

static void scan_in_index_order_and_ignores_strays(void **state)
{
	struct env *e = *state;
	char seen[64] = "";

	for (int i = 10; i >= 2; i -= 8) { /* uio10 then uio2: readdir order is arbitrary */
		char rel[64];
		snprintf(rel, sizeof(rel), "class/uio/uio%d/name", i);
		tree_put(e->sys, rel, "t\n");
		snprintf(rel, sizeof(rel), "class/uio/uio%d/version", i);
		tree_put(e->sys, rel, "1\n");
		snprintf(rel, sizeof(rel), "class/uio/uio%d/event", i);
		tree_put(e->sys, rel, "0\n");
		snprintf(rel, sizeof(rel), "class/uio/uio%d/dev", i);
		tree_put(e->sys, rel, "240:9\n");
	}
	/* A device that went away after readdir(): a directory with no attributes. */
	tree_put(e->sys, "class/uio/uio5/.gone", "");
	tree_put(e->sys, "class/uio/uio01/name", "stray\n");
	tree_put(e->sys, "class/uio/notuio/name", "stray\n");
	assert_int_equal(udrv_uio_scan(collect, seen), 3);
	assert_string_equal(seen, "0,2,10,");
	assert_int_equal(udrv_uio_scan(NULL, NULL), -EINVAL);
	setenv("UDRV_SYSFS_ROOT", "/nonexistent-udrv", 1);
	assert_int_equal(udrv_uio_scan(collect, seen), 0); /* no UIO core: no devices */
}

/* The UIO core loaded but no device bound: class/uio exists and is empty. */
static void scan_of_empty_class_is_zero(void **state)
{
	struct env *e = *state;
	char dir[512], seen[64] = "";

	snprintf(dir, sizeof(dir), "%s/class/uio", e->sys);
	assert_int_equal(system(strcat(strcpy((char[600]){ 0 }, "rm -rf "), dir)), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(udrv_uio_scan(collect, seen), 0);
	assert_string_equal(seen, "");
	errno = 0;
	assert_null(udrv_open("name:gpiomem"));
	assert_int_equal(errno, ENOENT);
}

static void open_specs(void **state)
{
	struct env *e = *state;
	char spec[512];
	udrv_dev *dev;

	static const char *invalid[] = { "", "uio", "uio01", "uio1x", "name:",
					 "/dev/", "pci:0000:00:3.0", "pci:0000:00:20.0",
					 "pci:0000:00:03.8", "pci:zzzz:00:03.0", "eth0" };
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		errno = 0;
		assert_null(udrv_open(invalid[i]));
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_null(udrv_open(NULL));
	assert_int_equal(errno, EINVAL);
	static const char *absent[] = { "uio7", "/dev/uio7", "name:nosuch", "pci:0000:00:03.0",
					"/dev/uio0x", "/dev/uio-missing", "/any/dir/uio0" };
	for (size_t i = 0; i < sizeof(absent) / sizeof(*absent); i++) {
		errno = 0;
		assert_null(udrv_open(absent[i]));
		assert_int_equal(errno, ENOENT);
	}
	/* The same device by every spelling, a udev-style symlink included. */
	snprintf(spec, sizeof(spec), "%s/uio0", e->dev);
	tree_link(e->dev, "myfpga", "uio0");
	const char *good[] = { "uio0", "/dev/uio0", spec, "name:gpiomem", "/dev/myfpga" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		dev = udrv_open(good[i]);
		assert_non_null(dev);
		assert_string_equal(udrv_name(dev), "gpiomem");
		assert_string_equal(udrv_backend(dev), "uio");
		assert_int_equal(udrv_map_count(dev), 2);
		udrv_close(dev);
	}
	/* In sysfs but no node with its number. */
	unlink(spec);
	errno = 0;
	assert_null(udrv_open("uio0"));
	assert_int_equal(errno, ENOENT);
}

static void map_n_is_at_n_pages_and_offset_applied(void **state)
{
	struct env *e = *state;
	long page = sysconf(_SC_PAGESIZE);
	char node[512];
	uint32_t v = 0, raw = 0;
	volatile uint32_t *r1;
	udrv_dev *dev = udrv_open("uio0");
	int fd;

	assert_non_null(dev);
	assert_int_equal(udrv_write32(dev, 0, 0xffc, 0x11223344), 0);
	assert_int_equal(udrv_write32(dev, 1, 0x4, 0xcafef00d), 0);
	assert_int_equal(udrv_read32(dev, 1, 0x4, &v), 0);
	assert_true(v == 0xcafef00d);
	r1 = udrv_map(dev, 1);
	assert_non_null(r1);
	assert_true(r1[1] == 0xcafef00d);
	assert_ptr_equal(udrv_map(dev, 1), r1); /* mapped once */
	/* Map 1 is mmap offset 1 page; its registers start 0x10 into it. */
	snprintf(node, sizeof(node), "%s/uio0", e->dev);
	fd = open(node, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &raw, 4, page + 0x10 + 0x4), 4);
	assert_true(raw == 0xcafef00d);
	assert_int_equal(pread(fd, &raw, 4, 0xffc), 4);
	assert_true(raw == 0x11223344);
	close(fd);
	/* Bounds on a real mapping: map1 is 0x20 bytes. */
	assert_int_equal(udrv_write32(dev, 1, 0x20, 1), -ERANGE);
	assert_int_equal(udrv_write32(dev, 1, 0x1c, 1), 0);
	udrv_close(dev);
}

static void irq_enable_on_genirq_writes_one(void **state)
{
	struct env *e = *state;
	char node[512];
	uint32_t v = 0;
	udrv_dev *dev;
	int fd;

	dev = udrv_open("uio0");
	assert_non_null(dev);
	assert_int_equal(udrv_irq_enable(dev), 0);
	udrv_close(dev);
	/* uio_pdrv_genirq's irqcontrol takes a 32-bit 1 at the node. */
	snprintf(node, sizeof(node), "%s/uio0", e->dev);
	fd = open(node, O_RDONLY);
	assert_int_equal(pread(fd, &v, 4, 0), 4);
	close(fd);
	assert_int_equal(v, 1);
}

/* Passed fds: used only for the device $UDRV_DEVICE names, and checked. */
static void passed_fd_is_checked_and_used_for_its_device_only(void **state)
{
	struct env *e = *state;
	char pid[16], node[512];
	udrv_dev *dev;
	int fd, saved3 = dup(3);

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", "udrv-uio", 1);
	/* A char device that is not uio0's node: refused, not silently used. */
	fd = open("/dev/null", O_RDWR);
	assert_true(fd >= 0 && dup2(fd, 3) == 3);
	if (fd != 3)
		close(fd);
	setenv("UDRV_DEVICE", "/dev/uio0", 1);
	errno = 0;
	assert_null(udrv_open("uio0"));
	assert_int_equal(errno, EBADFD);
	/* $UDRV_DEVICE names another device: the fds are not for this one. */
	setenv("UDRV_DEVICE", "uio7", 1);
	dev = udrv_open("uio0");
	assert_non_null(dev);
	udrv_close(dev);
	/* The stand-in node itself passed: used (the node path is never opened). */
	snprintf(node, sizeof(node), "%s/uio0", e->dev);
	fd = open(node, O_RDWR);
	assert_true(fd >= 0 && dup2(fd, 3) == 3);
	if (fd != 3)
		close(fd);
	unlink(node);
	setenv("UDRV_DEVICE", "name:gpiomem", 1);
	dev = udrv_open("uio0");
	assert_non_null(dev);
	assert_int_equal(udrv_write32(dev, 0, 0, 0x1234), 0);
	udrv_close(dev);
	assert_true(fcntl(3, F_GETFD) >= 0); /* the passed fd stays open */
	unsetenv("UDRV_DEVICE");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (saved3 >= 0) {
		dup2(saved3, 3);
		close(saved3);
	} else {
		close(3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reads_device_info, setup, teardown),
		cmocka_unit_test_setup_teardown(map_number_comes_from_the_name, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_attributes_are_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(overlong_name_is_cut_and_scan_goes_on, setup, teardown),
		cmocka_unit_test_setup_teardown(window_without_reg_is_size_minus_offset, setup, teardown),
		cmocka_unit_test(parse_index_is_strict),
		cmocka_unit_test_setup_teardown(scan_in_index_order_and_ignores_strays, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_of_empty_class_is_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(open_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(map_n_is_at_n_pages_and_offset_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(irq_enable_on_genirq_writes_one, setup, teardown),
		cmocka_unit_test_setup_teardown(passed_fd_is_checked_and_used_for_its_device_only, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
