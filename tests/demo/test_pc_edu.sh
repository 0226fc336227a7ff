#!/bin/sh
# test_pc_edu.sh EDU_DRIVER - edu_driver on board pc (QEMU's edu PCI device
# over uio_pci_generic): ident and liveness, factorials with the completion
# interrupt and by polling checked against n! mod 2^32, interrupts raised
# through 0x60 in bursts of 1, 10 and 100 each serviced exactly once with
# the cause it was raised with, SIGTERM, bad input.
set -u
. "$(dirname "$0")/lib.sh"
need_vm
edu=${1:?usage: test_pc_edu.sh PATH/TO/edu_driver}
[ -x "$edu" ] || { echo "not ok - $edu is not an executable"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
guest_run "$out" --board pc --bind uio --timeout 300 --put "$edu:/bin/edu_driver" \
	--put "$SRC/tests/demo/guest/pc_edu.sh:/bin/pc_edu.sh" \
	-- sh /bin/pc_edu.sh

s=$tmp/s
section factorial-irq "$out" "$s"
check "irq: exit 0" [ "$(rc_of "$s")" = 0 ]
check "ident 0x010000ed" has '^\[edu\] .*ident 0x010000ed = edu 1\.0, BAR0 0x[0-9a-f]+ size=0x100000$' "$s"
check "liveness" has '^\[edu\] liveness ok$' "$s"
# n! mod 2^32, as the device's 32-bit register holds it.
for pair in 0:1 1:1 5:120 10:3628800 12:479001600 13:1932053504 20:2192834560; do
	n=${pair%%:*} f=${pair#*:}
	check "irq: $n! = $f" has "^\\[edu\\] $n! = $f \\(interrupt\\)$" "$s"
done

section factorial-poll "$out" "$s"
check "poll: exit 0" [ "$(rc_of "$s")" = 0 ]
check "poll: 10! = 3628800" has '^\[edu\] 10! = 3628800 \(polled\)$' "$s"
check "poll: 12! = 479001600" has '^\[edu\] 12! = 479001600 \(polled\)$' "$s"

for n in 1 10 100; do
	section raise-$n "$out" "$s"
	check "raise $n: exit 0" [ "$(rc_of "$s")" = 0 ]
	check "raise $n: exactly $n delivered, none missed" \
		has "^\\[edu\\] raised $n interrupts, serviced $n, missed 0$" "$s"
done

section pci-spec "$out" "$s"
check "pci:DDDD:BB:DD.F spec ($(sed -n 's/^edu at //p' "$s")): exit 0" [ "$(rc_of "$s")" = 0 ]
check "pci spec: 6! and 10 interrupts" sh -c "grep -q '^\[edu\] 6! = 720 (interrupt)$' $s && grep -q '^\[edu\] raised 10 interrupts, serviced 10, missed 0$' $s"

section serve-sigterm "$out" "$s"
check "serve: SIGTERM stops it, exit 0" sh -c "[ \"\$(sed -n 's/^rc=//p' $s)\" = 0 ] && grep -q '^\[edu\] stopped after 0 interrupts$' $s"

section bad-factorial "$out" "$s"
check "bad factorial: exit 2 naming it" sh -c "[ \"\$(sed -n 's/^rc=//p' $s)\" = 2 ] && grep -q -- \"--factorial: 'x' is not a number\" $s"
section bad-device "$out" "$s"
check "missing device: exit 1 naming it" sh -c "[ \"\$(sed -n 's/^rc=//p' $s)\" = 1 ] && grep -q \"cannot open device 'name:nosuch'\" $s"
section bad-spec "$out" "$s"
check "malformed spec: exit 1 naming it" sh -c "[ \"\$(sed -n 's/^rc=//p' $s)\" = 1 ] && grep -q \"cannot open device 'bogus'\" $s"

section dma-on-uio "$out" "$s"
check "--dma over uio_pci_generic: exit 1 naming vfio-pci" sh -c "[ \"\$(sed -n 's/^rc=//p' $s)\" = 1 ] && grep -q 'which has no DMA mapping: bind it to vfio-pci' $s"

finish
