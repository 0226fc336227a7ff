#!/usr/bin/env bash
# `make install` to a temporary prefix, then build examples/edu_irq.c with
# nothing but pkg-config (as a user would, from the README), and run it in
# board pc against the edu device, interrupts included.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -C "$src" --no-print-directory install BUILD="$tmp/build" PREFIX="$tmp/prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "FAIL: make install"; exit 1; }
for f in include/udrv.h lib/libudrv.so lib/libudrv.a lib/pkgconfig/udrv.pc; do
	[ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
echo "ok - installed header, shared and static library, udrv.pc"
# Installed programs find the installed library (RUNPATH), and the unit
# file names the installed supervisor.
out=$(UDRV_SYSFS_ROOT="$tmp/none" "$tmp/prefix/bin/udrvctl" list 2>&1) || { echo "FAIL: installed udrvctl: $out"; exit 1; }
echo "ok - installed udrvctl runs: $out"
grep -qx "ExecStart=$tmp/prefix/bin/driver_supervisor .*" "$tmp/prefix/lib/systemd/system/driver_supervisor.service" ||
	{ echo "FAIL: unit file does not name $tmp/prefix/bin/driver_supervisor"; exit 1; }
echo "ok - driver_supervisor.service names the installed binary"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# Dynamic build runs on the host (no device: it must fail cleanly, naming it).
cc -Wall -Wextra -Werror -o "$tmp/edu_irq_dyn" "$src/examples/edu_irq.c" $(pkg-config --cflags --libs udrv)
if out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" UDRV_SYSFS_ROOT="$tmp/none" "$tmp/edu_irq_dyn" 2>&1); then
	echo "FAIL: ran without a device: $out"; exit 1
fi
case $out in *"pci:0000:00:03.0: No such file or directory"*) echo "ok - host run without device: $out" ;;
	*) echo "FAIL: unexpected host output: $out"; exit 1 ;; esac
# Static build for the busybox guest.
cc -static -o "$tmp/edu_irq" "$src/examples/edu_irq.c" $(pkg-config --cflags --libs udrv)
out=$("$src/vm/run" --board pc --put "$tmp/edu_irq:/bin/edu_irq" -- edu_irq) || { echo "$out"; echo "FAIL: guest run"; exit 1; }
echo "$out"
case $out in *"5 of 5 interrupts"*) echo "ok - example ran in board pc with 5 of 5 interrupts" ;;
	*) echo "FAIL: guest output"; exit 1 ;; esac
