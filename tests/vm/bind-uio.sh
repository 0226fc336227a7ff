#!/usr/bin/env bash
# --bind uio (the default): edu is bound to uio_pci_generic, /dev/uio0 is a
# character device and its sysfs name is uio_pci_generic.
. "$(dirname "$0")/lib.sh"

vm out st --board pc --bind uio -- sh -c \
	'[ -c /dev/uio0 ] && echo chr; cat /sys/class/uio/uio0/name;
	 basename $(readlink /sys/class/uio/uio0/device/driver)'
expect_eq "status" 0 "$st"
expect_eq "/dev/uio0, name, driver" "chr
uio_pci_generic
uio_pci_generic" "$out"
finish
