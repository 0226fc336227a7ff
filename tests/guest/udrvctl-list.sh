#!/usr/bin/env bash
# `udrvctl list` in board pc shows what the kernel made of edu under
# uio_pci_generic: the device, its node and BAR0 from sysfs.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
udrvctl=$1
out=$("$top/vm/run" --board pc --bind uio --put "$udrvctl:/bin/udrvctl" -- udrvctl list)
echo "$out"
fail=0
expect() {
	if grep -qF -- "$1" <<<"$out"; then echo "ok - $1"; else echo "not ok - missing: $1"; fail=1; fi
}
expect "uio0: name=uio_pci_generic, version=0.01.0, events=0, node=/dev/uio0"
expect "map[0]: addr=0xfea00000, size=0x100000, name=0000:00:03.0"
# Nothing bound: an empty list, said in words, exit 0.
out=$("$top/vm/run" --board pc --bind none --put "$udrvctl:/bin/udrvctl" -- udrvctl list)
expect "no UIO devices"
exit $fail
