/* SPDX-License-Identifier: MIT */
/*
 * Discovery against sysfs trees captured from the real guests
 * (tests/fixtures/capture-sysfs.sh): what the parser sees there is what the
 * kernel printed, not what we imagined it prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sysfs.h"
#include "tree.h"
#include "udrv_internal.h"

static int setup_pc(void **state)
{
	struct env *e = env_new(tree_copy(FIXTURES "/sysfs-pc"));

	tree_blank(e->dev, "uio0", 0x100000);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env_free(*state);
	return 0;
}

static void pc_edu_on_uio_pci_generic(void **state)
{
	struct udrv_uio_info info;

	(void)state;
	assert_int_equal(udrv__uio_read_info(0, &info), 0);
	assert_string_equal(info.name, "uio_pci_generic");
	assert_string_equal(info.version, "0.01.0");
	assert_int_equal(info.nmaps, 1);
	assert_true(info.maps[0].addr == 0xfea00000);
	assert_true(info.maps[0].size == 0x100000);
	assert_true(info.maps[0].offset == 0);
	assert_string_equal(info.maps[0].name, "0000:00:03.0");
}

static uint16_t cfg_command(const char *sys)
{
	char path[PATH_MAX];
	uint16_t cmd = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/class/uio/uio0/device/config", sys);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &cmd, 2, 4), 2);
	close(fd);
	return cmd;
}

/* uio_pci_generic: re-arming = clearing INTx disable, other bits kept. */
static void pc_irq_enable_clears_intx_disable_only(void **state)
{
	struct env *e = *state;
	char path[PATH_MAX];
	uint16_t cmd, captured = cfg_command(e->sys);
	uint8_t id[4];
	udrv_dev *dev;
	int fd;

	assert_int_equal(captured & 0x400, 0); /* as captured: enabled */
	/* What the kernel's handler leaves after an interrupt: bit 10 set. */
	snprintf(path, sizeof(path), "%s/class/uio/uio0/device/config", e->sys);
	fd = open(path, O_WRONLY);
	cmd = captured | 0x400;
	assert_int_equal(pwrite(fd, &cmd, 2, 4), 2);
	close(fd);

	dev = udrv_open("uio0");
	assert_non_null(dev);
	assert_int_equal(udrv_irq_enable(dev), 0);
	assert_int_equal(cfg_command(e->sys), captured);
	/* Config space reads through the same file: vendor 1234, device 11e8. */
	assert_int_equal(udrv_pci_cfg_read(dev, 0, id, 4), 4);
	assert_memory_equal(id, "\x34\x12\xe8\x11", 4);
	assert_int_equal(udrv_pci_cfg_read(dev, 254, id, 4), -ERANGE);
	assert_int_equal(udrv_pci_cfg_read(dev, UINT64_MAX, id, 1), -ERANGE);
	udrv_close(dev);
}

/* "pci:ADDR" finds the uioN under a device bound to uio_pci_generic. */
static void pc_open_by_pci_address(void **state)
{
	struct env *e = *state;
	udrv_dev *dev;

	tree_link(e->sys, "bus/pci/devices/0000:00:03.0", "../../../class/uio/uio0/device");
	tree_put(e->sys, "class/uio/uio0/device/uio/uio0/name", "uio_pci_generic\n");
	dev = udrv_open("pci:0000:00:03.0");
	assert_non_null(dev);
	assert_string_equal(udrv_name(dev), "uio_pci_generic");
	udrv_close(dev);
	/* Unbound: present, but nothing to drive it through. */
	unlink(strcat(strcpy((char[PATH_MAX]){ 0 }, e->sys), "/class/uio/uio0/device/driver"));
	errno = 0;
	assert_null(udrv_open("pci:0000:00:03.0"));
	assert_int_equal(errno, ENODEV);
}

static int setup_rpi3(void **state)
{
	struct env *e = env_new(tree_copy(FIXTURES "/sysfs-rpi3"));

	tree_blank(e->dev, "uio0", 0x1000);
	tree_blank(e->dev, "uio1", 0x1000);
	tree_blank(e->dev, "uio2", 0x1000);
	*state = e;
	return 0;
}

static int collect_names(const struct udrv_uio_info *info, void *arg)
{
	strcat(arg, info->name);
	strcat(arg, info->nmaps == 1 ? "/1map;" : "/?maps;");
	return 0;
}

/* Board rpi3: uio_pdrv_genirq with generic-uio device-tree nodes. */
static void rpi3_timer_and_gpiomem(void **state)
{
	struct udrv_map_info mi;
	char names[128] = "";
	udrv_dev *dev;

	(void)state;
	assert_int_equal(udrv_uio_scan(collect_names, names), 3);
	assert_string_equal(names, "timer/1map;gpiomem/1map;serial/1map;");
	/* The brief's device, found by name, not by number. */
	dev = udrv_open("name:gpiomem");
	assert_non_null(dev);
	assert_int_equal(udrv_map_info(dev, 0, &mi), 0);
	assert_true(mi.addr == 0x3f200000 && mi.size == 0x1000 && mi.offset == 0);
	assert_string_equal(mi.name, "gpiomem@7e200000");
	/* Not a PCI device: no config space, re-arm is write(1) on the node. */
	assert_int_equal(udrv_pci_cfg_read(dev, 0, mi.name, 4), -ENOTSUP);
	assert_int_equal(udrv_irq_enable(dev), 0);
	udrv_close(dev);
	dev = udrv_open("name:timer");
	assert_non_null(dev);
	assert_int_equal(udrv_map_info(dev, 0, &mi), 0);
	assert_true(mi.addr == 0x3f003000 && mi.size == 0x1000);
	udrv_close(dev);
}

/*
 * Board rpi3's AUX mini UART, as the 6.1 kernel published it: map0 addr
 * 0x3f215000 offset 0x40 size 0x1000; the node's reg <0x7e215040 0x40>.
 * The window is the 0x40 bytes at 0x3f215040, inside the one page mapped.
 */
static void rpi3_unaligned_mini_uart(void **state)
{
	struct udrv_map_info mi;
	uint32_t v;
	udrv_dev *dev;

	(void)state;
	dev = udrv_open("name:serial");
	assert_non_null(dev);
	assert_int_equal(udrv_map_info(dev, 0, &mi), 0);
	assert_true(mi.addr == 0x3f215040 && mi.size == 0x40 && mi.offset == 0x40);
	assert_string_equal(mi.name, "serial@7e215040");
	assert_int_equal(udrv_read32(dev, 0, 0x3c, &v), 0);
	assert_int_equal(udrv_read32(dev, 0, 0x40, &v), -ERANGE);
	udrv_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pc_edu_on_uio_pci_generic, setup_pc, teardown),
		cmocka_unit_test_setup_teardown(pc_irq_enable_clears_intx_disable_only, setup_pc, teardown),
		cmocka_unit_test_setup_teardown(pc_open_by_pci_address, setup_pc, teardown),
		cmocka_unit_test_setup_teardown(rpi3_timer_and_gpiomem, setup_rpi3, teardown),
		cmocka_unit_test_setup_teardown(rpi3_unaligned_mini_uart, setup_rpi3, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
