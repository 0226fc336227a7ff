#!/bin/bash
# test-deb.sh - `make deb`, then the packages unpacked into a scratch root
# (dpkg-deb -x, as dpkg -i would lay them out): a driver built against the
# installed libudrv-dev (its udrv.pc, header and libudrv.so) runs under the
# installed driver_supervisor, is crashed with SIGSEGV and comes back with
# its udrv_state_open() memory; the installed udrvctl, man pages and
# completion are where they belong. lintian (errors fail) runs in make deb.
set -u
src=${UDRV_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
sup_pid=
trap '[ -n "$sup_pid" ] && kill $sup_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
passes=0 fails=0
check() {
	local d=$1
	shift
	if "$@"; then passes=$((passes + 1)); echo "ok - $d"; else fails=$((fails + 1)); echo "not ok - $d"; fi
}
arch=$(dpkg --print-architecture)
multi=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
make -C "$src" --no-print-directory deb >"$tmp/deb.log" 2>&1
rc=$?
tail -n 20 "$tmp/deb.log"
check "make deb (dpkg-buildpackage + lintian --fail-on error) exit 0 (got $rc)" [ "$rc" = 0 ]
root=$tmp/root
for p in libudrv0 libudrv-dev udrv udrv-demo-drivers; do
	deb=$(ls "$src/build-deb/$arch/${p}_"*"_$arch.deb" 2>/dev/null | head -n 1)
	check "package $p built" [ -n "$deb" ]
	[ -n "$deb" ] && dpkg-deb -x "$deb" "$root"
done
for f in usr/bin/driver_supervisor usr/bin/udrvctl lib/systemd/system/driver_supervisor.service \
	usr/share/man/man1/udrvctl.1.gz usr/share/man/man5/udrv.driver.5.gz \
	usr/share/man/man8/driver_supervisor.8.gz usr/share/man/man3/libudrv.3.gz \
	usr/share/bash-completion/completions/udrvctl usr/include/udrv.h \
	"usr/lib/$multi/libudrv.so.0" "usr/lib/$multi/libudrv.a" "usr/lib/$multi/pkgconfig/udrv.pc" \
	usr/bin/gpio_driver usr/bin/timer_driver usr/bin/edu_driver; do
	check "installed /$f" [ -e "$root/$f" ]
done
check "the unit runs /usr/bin/driver_supervisor" \
	grep -q '^ExecStart=/usr/bin/driver_supervisor' "$root/lib/systemd/system/driver_supervisor.service"
check "man -l renders every page" sh -c "for p in $root/usr/share/man/man*/*.gz; do man -l \"\$p\" >/dev/null 2>&1 || exit 1; done"

# Build against the installed -dev package only (pkg-config in the scratch root).
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/$multi/pkgconfig
check "pkg-config finds the installed udrv.pc ($(pkg-config --cflags --libs udrv | xargs))" pkg-config --exists udrv
cc -Wall -Wextra -Werror -o "$tmp/state_driver" "$src/tests/deb/state_driver.c" $(pkg-config --cflags --libs udrv)
check "driver built against libudrv-dev" [ -x "$tmp/state_driver" ]
export LD_LIBRARY_PATH=$root/usr/lib/$multi
check "the driver uses the installed libudrv.so.0" \
	sh -c "ldd $tmp/state_driver | grep -q '$root/usr/lib/$multi/libudrv.so.0'"

mkdir "$tmp/conf"
printf '[Driver]\nExecStart=%s\nWatchdogSec=5s\n' "$tmp/state_driver" >"$tmp/conf/counter.driver"
ctl() { "$root/usr/bin/udrvctl" --control "$tmp/ctl.sock" "$@"; }
"$root/usr/bin/driver_supervisor" --config "$tmp/conf" --control "$tmp/ctl.sock" >"$tmp/sup.log" 2>&1 &
sup_pid=$!
# pid_running: the running instance's pid (60 s at most)
pid_other() {
	local p
	for _ in $(seq 600); do
		p=$(ctl status counter 2>/dev/null | awk 'NR == 2 && $2 == "running" { print $3 }')
		[ -n "$p" ] && [ "$p" != "$1" ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}
p1=$(pid_other none)
check "installed supervisor runs the driver (pid ${p1:-?})" [ -n "$p1" ]
sleep 0.5
kill -SEGV "$p1" 2>/dev/null
p2=$(pid_other "$p1")
check "crashed with SIGSEGV, back with a new pid (${p2:-?})" [ -n "$p2" ]
for _ in $(seq 100); do grep -q 'start 2, restored' "$tmp/sup.log" && break; sleep 0.1; done
cat "$tmp/sup.log"
check "supervisor logged the crash" grep -q '^\[sup\] counter crashed (SIGSEGV), restarting' "$tmp/sup.log"
check "the new instance got its state back (start 2, restored)" grep -q '^\[counter\] state_driver: start 2, restored$' "$tmp/sup.log"
ctl status counter
check "udrvctl status: 1 restart, last exit crash (SIGSEGV)" \
	sh -c "ctl() { '$root/usr/bin/udrvctl' --control '$tmp/ctl.sock' \"\$@\"; }; ctl status counter | grep -Eq '^counter +running +[0-9]+ +1  crash \(SIGSEGV\)'"
kill "$sup_pid"; wait "$sup_pid"; src_rc=$?; sup_pid=
check "supervisor exits 0 on SIGTERM" [ "$src_rc" = 0 ]
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
