/* SPDX-License-Identifier: MIT */
/*
 * examples/edu_irq.c - a minimal udrv program written from the README only:
 * open QEMU's edu device, check its ident, raise 5 interrupts and count them.
 *
 *   cc -static -o edu_irq edu_irq.c $(pkg-config --cflags --libs udrv)
 *   vm/run --board pc --put edu_irq -- edu_irq
 */
#include <stdio.h>
#include <string.h>
#include <udrv.h>

int main(int argc, char **argv)
{
	const char *spec = argc > 1 ? argv[1] : "pci:0000:00:03.0";
	udrv_dev *dev = udrv_open(spec);
	uint32_t ident, status, count = 0;
	int got = 0;

	if (!dev) {
		perror(spec);
		return 1;
	}
	if (udrv_read32(dev, 0, 0x00, &ident) < 0 || (ident & 0xff) != 0xed) {
		fprintf(stderr, "%s: not an edu device (ident 0x%08x)\n", spec, ident);
		udrv_close(dev);
		return 1;
	}
	printf("edu ident 0x%08x on %s\n", ident, udrv_name(dev));
	udrv_irq_enable(dev);
	for (int i = 0; i < 5; i++) {
		udrv_write32(dev, 0, 0x60, 1);             /* raise */
		if (udrv_irq_wait(dev, 1000, &count) != 1)
			break;
		udrv_read32(dev, 0, 0x24, &status);
		udrv_write32(dev, 0, 0x64, status);        /* acknowledge */
		udrv_irq_enable(dev);                      /* re-arm */
		got++;
	}
	printf("%d of 5 interrupts, kernel count %u\n", got, count);
	udrv_close(dev);
	return got == 5 ? 0 : 1;
}
