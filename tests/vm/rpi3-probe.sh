#!/usr/bin/env bash
# Board rpi3 proven from inside the guest: tests/vm/rpi3_probe.c, built
# static for aarch64, finds uio "gpiomem" @0x3f200000 and "timer"
# @0x3f003000, drives GPIO17 with GPLEV0 read-back and takes 10 system timer
# compare-1 interrupts through /dev/uioN. Also checks the guest fragment's
# UDRV_UIO_TIMER / UDRV_UIO_GPIOMEM name the same devices.
. "$(dirname "$0")/lib.sh"

${CROSS_CC:-aarch64-linux-gnu-gcc} -static -O2 -Wall -Wextra -std=gnu11 \
	-o "$TMP/rpi3_probe" "$TOP/tests/vm/rpi3_probe.c"

vm out st --board rpi3 --put "$TMP/rpi3_probe" -- sh -c \
	'echo "env $UDRV_UIO_TIMER $UDRV_UIO_GPIOMEM"; rpi3_probe'
printf '%s\n' "$out" | sed 's/^/  guest| /'
expect_eq "rpi3_probe exit status" 0 "$st"
timer=$(printf '%s\n' "$out" | sed -n 's/^\(uio[0-9]*\) name=timer map0 addr=0x3f003000 size=0x1000$/\1/p')
gpio=$(printf '%s\n' "$out" | sed -n 's/^\(uio[0-9]*\) name=gpiomem map0 addr=0x3f200000 size=0x1000$/\1/p')
expect_eq "guest env names the probed devices" "env $timer $gpio" \
	"$(printf '%s\n' "$out" | grep '^env ')"
expect_eq "GPIO17 level read back 3x high, 3x low" 6 \
	"$(printf '%s\n' "$out" | grep -cE '^gpio: (set   -> .*pin 17 = 1\)|clear -> .*pin 17 = 0\))$')"
expect_eq "10 timer interrupts, counts 1..10" "1 2 3 4 5 6 7 8 9 10" \
	"$(printf '%s\n' "$out" | sed -n 's/^timer: irq *[0-9]*: count=\([0-9]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
finish
