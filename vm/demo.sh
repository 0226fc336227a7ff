#!/bin/sh
# vm/demo.sh - `make demo`: the brief's "real world outcome" on a virtual
# Raspberry Pi 3. Builds the aarch64 binaries (static, meson cross file),
# boots board rpi3 (real kernel, uio_pdrv_genirq, GPIO block and system
# timer as generic-uio device-tree nodes), starts driver_supervisor with
# gpio_driver (LED on pin 17) and timer_driver (100 Hz), lets the LED blink,
# crashes gpio_driver with SIGSEGV, shows the restart and the blinking
# resume while the timer keeps ticking, prints `udrvctl status`, stops.
#
#   vm/demo.sh [--blink SEC]
# Environment: UDRV_AARCH64_BUILD (default <source>/build-aarch64),
# UDRV_VMRUN (default <source>/vm/run).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${UDRV_AARCH64_BUILD:-$src/build-aarch64}
vmrun=${UDRV_VMRUN:-$src/vm/run}
blink=3

while [ $# -gt 0 ]; do
	case $1 in
	--blink)
		[ $# -ge 2 ] || { echo "demo.sh: --blink needs seconds" >&2; exit 2; }
		case $2 in
		'' | *[!0-9]*) echo "demo.sh: --blink: '$2' is not a whole number of seconds" >&2; exit 2 ;;
		esac
		blink=$2
		shift 2
		;;
	-h | --help)
		sed -n '2,13p' "$0"
		exit 0
		;;
	*)
		echo "demo.sh: unknown argument '$1' (see --help)" >&2
		exit 2
		;;
	esac
done

[ -x "$vmrun" ] || { echo "demo.sh: $vmrun is missing: the board harness is needed" >&2; exit 1; }

echo "== building the aarch64 binaries ($build)" >&2
mkdir -p "$build"
(
	flock 9
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$src" --cross-file "$src/meson/aarch64-linux-gnu.ini" >/dev/null
	fi
	ninja -C "$build" -j2 >/dev/null
) 9>"$build.lock"
for b in supervisor/driver_supervisor tools/udrvctl drivers/gpio_driver drivers/timer_driver; do
	[ -x "$build/$b" ] || { echo "demo.sh: $build/$b was not built" >&2; exit 1; }
	# The guest's initramfs has no libc.so: a dynamic binary would fail
	# there with a puzzling "not found".
	if command -v aarch64-linux-gnu-readelf >/dev/null &&
		aarch64-linux-gnu-readelf -l "$build/$b" | grep -q 'Requesting program interpreter'; then
		echo "demo.sh: $build/$b is dynamically linked; the guest needs static binaries (link it with -static in cross builds)" >&2
		exit 1
	fi
done

echo "== booting the virtual Raspberry Pi 3 (qemu raspi3b, TCG: a few seconds)" >&2
exec "$vmrun" --board rpi3 --timeout 300 \
	--put "$build/supervisor/driver_supervisor" \
	--put "$build/tools/udrvctl" \
	--put "$build/drivers/gpio_driver" \
	--put "$build/drivers/timer_driver" \
	--put "$src/drivers/demo-config/gpio_driver.driver:/etc/udrv.d/gpio_driver.driver" \
	--put "$src/drivers/demo-config/timer_driver.driver:/etc/udrv.d/timer_driver.driver" \
	--put "$src/drivers/demo-config/demo-guest.sh:/bin/udrv-demo" \
	-- env DEMO_BLINK_S="$blink" sh /bin/udrv-demo
