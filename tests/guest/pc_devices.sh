#!/bin/sh
# tests/guest/pc_devices.sh uio|vfio - runs in board pc (vm/run --bind
# uio|vfio) with /bin/t = pc_devices and /bin/fdlaunch: fork, a passed fd
# that is not the device, not-root opens with and without passed fds (user
# 1000 owns no device node), and last the device's removal while a driver
# waits. Exit 0 when every part passed.
set -u
rc=0
run() { "$@" || rc=1; }
B=$UDRV_EDU_BDF
case $1 in
uio)
	run t fork badfd
	# The owner of /dev/uio0, not root, nothing passed.
	chown 1000:1000 /dev/uio0
	UDRV_SPEC=/dev/uio0 run fdlaunch 1000 -- t nonroot
	chown 0:0 /dev/uio0
	# A user owning no node, the fds passed as a manager would.
	UDRV_SPEC=/dev/uio0 UDRV_DEVICE=/dev/uio0 UDRV_NODE=/dev/uio0 run fdlaunch 1000 \
		udrv-uio=/dev/uio0 udrv-uio-config=/sys/bus/pci/devices/$B/config -- t passfd
	;;
vfio)
	G=/dev/vfio/$UDRV_VFIO_GROUP
	UDRV_BADFD_NAME=udrv-vfio-group run t fork badfd
	UDRV_DEVICE=pci:$B UDRV_NODE=$G run fdlaunch 1000 \
		udrv-vfio-container=/dev/vfio/vfio udrv-vfio-group=$G -- t passfd
	;;
esac
run t unplug
exit $rc
