#!/bin/sh
# Guest side of udrvctl-regs.sh (board pc, --bind vfio): udrvctl list, read,
# write and dump on edu (BAR0, mmapped) and on QEMU's pci-testdev (BAR1, an
# I/O port BAR: VFIO pread/pwrite), each section "== NAME" then "rc=N".
set -u
E=$UDRV_EDU_BDF T=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1b36 ] && [ "$(cat $d/device)" = 0x0005 ] && T=${d##*/}
done
echo "1b36 0005" >/sys/bus/pci/drivers/vfio-pci/new_id
G=$(readlink /sys/bus/pci/devices/$T/iommu_group)
i=0
while [ ! -e /dev/vfio/${G##*/} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sec() { echo "== $1"; shift; "$@"; echo "rc=$?"; }
echo "== sysfs"; echo "edu $E $(head -n 1 /sys/bus/pci/devices/$E/resource)"
echo "testdev $T $(sed -n 2p /sys/bus/pci/devices/$T/resource)"
sec list udrvctl list
sec ident udrvctl read pci:$E 0 0
sec liveness-w udrvctl write pci:$E 0 4 0x12345678
sec liveness-r udrvctl read pci:$E 0 4
sec dump-edu udrvctl dump pci:$E 0 0 0x20
sec io-select udrvctl write pci:$T 1 0 0 --width 8
sec io-dump udrvctl dump pci:$T 1 0 0x30 --width 8
sec io-read udrvctl read pci:$T 1 0x10 --width 8
sec end udrvctl read pci:$E 0 0x100000
sec last udrvctl read pci:$E 0 0xffffc
sec straddle udrvctl read pci:$E 0 0xffffc --width 64
sec misaligned udrvctl read pci:$E 0 2
sec toobig udrvctl write pci:$E 0 4 0x100000000
sec io-past udrvctl dump pci:$T 1 0xf0 0x20 --width 8
sec badwidth udrvctl read pci:$E 0 0 --width 12
echo "== end"
