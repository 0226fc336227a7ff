#!/bin/sh
# Runs inside board pc (busybox sh, edu bound to uio_pci_generic). Sections
# between "== NAME" markers, exit status as "rc=N"; the host asserts.

echo "== factorial-irq"
edu_driver --factorial 0 --factorial 1 --factorial 5 --factorial 10 \
	--factorial 12 --factorial 13 --factorial 20; echo "rc=$?"
echo "== factorial-poll"
edu_driver --poll --factorial 10 --factorial 12; echo "rc=$?"
for n in 1 10 100; do
	echo "== raise-$n"
	edu_driver --raise $n; echo "rc=$?"
done
echo "== pci-spec"
# The edu's PCI address depends on the board's other devices: find it.
addr=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && addr=${d##*/}
done
echo "edu at $addr"
edu_driver --device "pci:$addr" --factorial 6 --raise 10; echo "rc=$?"
echo "== serve-sigterm"
edu_driver --serve &
pid=$!
sleep 1
kill -TERM $pid
wait $pid; echo "rc=$?"
echo "== bad-factorial"
edu_driver --factorial x; echo "rc=$?"
echo "== bad-device"
edu_driver --device name:nosuch; echo "rc=$?"
echo "== bad-spec"
edu_driver --device bogus; echo "rc=$?"
echo "== dma-on-uio"
edu_driver --dma 16; echo "rc=$?"
echo "== end"
