#!/bin/sh
# udrvctl-regs.sh UDRVCTL - `udrvctl list|read|write|dump` on board pc over
# VFIO (issue 9): edu's BAR0 mmapped, pci-testdev's I/O port BAR1 through
# pread/pwrite on the device fd, bounds and usage errors with their exit
# status. The guest half is udrvctl_regs.sh.
set -u
. "$(dirname "$0")/../demo/lib.sh"
need_vm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out s=$tmp/s
guest_run "$out" --board pc --bind vfio --put "$1:/bin/udrvctl" \
	--put "$SRC/tests/guest/udrvctl_regs.sh:/bin/udrvctl_regs.sh" -- sh /bin/udrvctl_regs.sh
edu_bar=$(sed -n 's/^edu [^ ]* 0x0*\([0-9a-f]*\) .*/\1/p' "$out")
io_bar=$(sed -n 's/^testdev [^ ]* 0x0*\([0-9a-f]*\) .*/\1/p' "$out")
section list "$out" "$s"
check "list: edu on vfio-pci with its group" has '^pci:0000:00:03\.0: driver=vfio-pci, id=1234:11e8, iommu_group=[0-9]+, node=/dev/vfio/[0-9]+$' "$s"
check "list: edu BAR0 1 MiB memory" has "^	BAR0: addr=0x$edu_bar, size=0x100000, mem$" "$s"
check "list: pci-testdev BAR1 is I/O" has "^	BAR1: addr=0x$io_bar, size=0x100, io$" "$s"
section ident "$out" "$s"
check "read: edu ident 0x010000ed" has '^0x010000ed$' "$s"
section liveness-r "$out" "$s"
check "write then read: liveness gives the inverse" has '^0xedcba987$' "$s"
section dump-edu "$out" "$s"
check "dump: rows start at BAR0's physical address" has "^0*$edu_bar  \\+000000: 010000ed edcba987 " "$s"
check "dump: second row" has "^0*$(printf '%x' $((0x$edu_bar + 16)))  \\+000010:" "$s"
section io-select "$out" "$s"
check "I/O BAR write8 (pwrite on the VFIO fd)" [ "$(rc_of "$s")" = 0 ]
section io-dump "$out" "$s"
# The selected test's header: test 3 (portio no-eventfd), width 1, and its
# name at 0x10 ("portio-no-eventfd", hw/misc/pci-testdev.c).
check "I/O BAR dump: header test=3 width=1" has "^0*$io_bar  \\+000000: 03 01 " "$s"
check "I/O BAR dump: name bytes 'portio-n'" has '\+000010: 70 6f 72 74 69 6f 2d 6e ' "$s"
section io-read "$out" "$s"
check "I/O BAR read8 at 0x10 is 'p'" has '^0x70$' "$s"
for c in end straddle misaligned io-past; do
	section $c "$out" "$s"
	check "$c: refused with status 1" [ "$(rc_of "$s")" = 1 ]
done
section end "$out" "$s"
check "end: says it is outside the map" has 'outside the map \(size 0x100000\)' "$s"
section last "$out" "$s"
check "last word of BAR0 readable" [ "$(rc_of "$s")" = 0 ]
for c in toobig badwidth; do
	section $c "$out" "$s"
	check "$c: usage error, status 2" [ "$(rc_of "$s")" = 2 ]
done
finish
