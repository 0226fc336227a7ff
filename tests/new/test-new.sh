#!/bin/sh
# test-new.sh DRIVER_SUPERVISOR_STATIC UDRVCTL_STATIC - `udrvctl new`
# end to end: install udrv into a temporary prefix (make install), generate
# a skeleton for QEMU's edu with the installed udrvctl, build it with its
# own Makefile against the installed libudrv (pkg-config, static for the
# busybox guest), run it on board pc under driver_supervisor, crash it
# with SIGSEGV, and see it come back with its checkpoint.
set -u
. "$(dirname "$0")/../demo/lib.sh"
need_vm
sup=${1:?usage: test-new.sh DRIVER_SUPERVISOR_STATIC UDRVCTL_STATIC}
ctl=${2:?usage: test-new.sh DRIVER_SUPERVISOR_STATIC UDRVCTL_STATIC}
sup=$(cd "$(dirname "$sup")" && pwd)/${sup##*/}
ctl=$(cd "$(dirname "$ctl")" && pwd)/${ctl##*/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -C "$SRC" --no-print-directory install BUILD="$tmp/build" PREFIX="$tmp/prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "not ok - make install"; exit 1; }
cd "$tmp" || exit 1
"$tmp/prefix/bin/udrvctl" new myedu --pci 0000:00:03.0 || { echo "not ok - udrvctl new"; exit 1; }
check "skeleton has myedu.c, registers.h, Makefile, myedu.driver" \
	sh -c "cd myedu && [ -s myedu.c ] && [ -s registers.h ] && [ -s Makefile ] && [ -s myedu.driver ]"
check "unit names the device and the binary" \
	sh -c "grep -qx 'Device=pci:0000:00:03.0' myedu/myedu.driver && grep -qx 'ExecStart=./myedu' myedu/myedu.driver"
check "a second 'new' refuses to overwrite" sh -c "! '$tmp/prefix/bin/udrvctl' new myedu --pci 0000:00:03.0 >/dev/null 2>&1"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
check "builds with its Makefile against the installed copy, -Wall -Wextra -Werror" \
	make -C myedu CFLAGS="-O2 -Wall -Wextra -Werror"
check "builds static for the guest" sh -c "make -C myedu clean >/dev/null && make -C myedu LDFLAGS=-static >/dev/null"

out=$tmp/out s=$tmp/s log=$tmp/log
guest_run "$out" --board pc --timeout 300 \
	--put "$tmp/myedu/myedu:/drv/myedu" --put "$tmp/myedu/myedu.driver:/drv/myedu.driver" \
	--put "$sup:/bin/driver_supervisor" --put "$ctl:/bin/udrvctl" \
	--put "$SRC/tests/new/guest-skeleton.sh:/bin/guest-skeleton.sh" \
	-- sh /bin/guest-skeleton.sh myedu
val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }
section sup-log "$out" "$log"
check "opened edu through uio_pci_generic and read its ident register (0x010000ed)" \
	has '^\[myedu\] myedu: [^ ]+ \(uio\): register 0x0 reads 0x010000ed$' "$log"
check "ready, waiting for interrupts" has '^\[myedu\] myedu: ready, start 1, waiting for interrupts$' "$log"
section start "$out" "$s"
check "running under the supervisor, loop turning ($(cat "$s"))" has 'state=running' "$s"
section crash "$out" "$s"
sed 's/^/ /' "$s" > "$s.w"
check "SIGSEGV: supervisor logged the crash and restarted it" \
	has '^\[sup\] myedu crashed \(SIGSEGV\), restarting \(restart 1, delay' "$log"
check "SIGSEGV: running again, restarts=1 ($(cat "$s"))" \
	sh -c "[ '$(val restarts "$s.w")' = 1 ] && [ '$(val state "$s.w")' = running ]"
check "SIGSEGV: the new instance restored its checkpoint (start 2)" \
	has '^\[myedu\] myedu: restored state: 1 starts, [1-9][0-9]* loops, 0 interrupts$' "$log"
check "SIGSEGV: it counts on from the checkpoint, not from 0" \
	sh -c "[ '$(val loops "$s.w")' -ge 3 ] && [ '$(sed -n 's/^later_loops=//p' "$s")' -gt '$(val loops "$s.w")' ]"
section stop "$out" "$s"
check "stopped cleanly (udrvctl stop, SIGTERM to the supervisor)" \
	sh -c "grep -qx stop_rc=0 $s && grep -qx sup_rc=0 $s"
check "the driver's own stop line" has '^\[myedu\] myedu: stopping after [0-9]+ loops, 0 interrupts$' "$log"
finish
