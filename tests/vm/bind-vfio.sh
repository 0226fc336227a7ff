#!/usr/bin/env bash
# --bind vfio: edu is bound to vfio-pci behind intel-iommu and its group's
# /dev/vfio/<group> character device exists.
. "$(dirname "$0")/lib.sh"

vm out st --board pc --bind vfio -- sh -c '
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] && break
	done
	g=$(basename $(readlink $d/iommu_group))
	[ -c /dev/vfio/$g ] && echo "group chr"
	[ -c /dev/vfio/vfio ] && echo "container chr"
	basename $(readlink $d/driver)
	[ -e /dev/uio0 ] || echo "no uio0"'
expect_eq "status" 0 "$st"
expect_eq "/dev/vfio/<group>, driver vfio-pci" "group chr
container chr
vfio-pci
no uio0" "$out"
finish
