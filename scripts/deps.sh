#!/bin/sh
# scripts/deps.sh - install the Debian packages udrv needs, non-interactively
# and idempotently: nothing is installed (and apt-get update is not run)
# when everything is already there.
#
#   scripts/deps.sh [GROUP...]     GROUP: build fuzz pc rpi3 bench armhf deb all (default: all)
#   scripts/deps.sh --list [GROUP...]   print the packages, install nothing
#
# Runs apt-get as root, through sudo otherwise. Add new packages to the
# group lists below (never install anything by hand).

set -eu

# Build and host tests.
# scdoc builds the man pages, mandoc lints them (tests/man), bash-completion
# gives the completions directory (pkg-config) and the test's helpers.
# libseccomp-dev: driver_supervisor's SystemCallFilter= (libudrv never links it).
PKGS_build="meson ninja-build pkg-config gcc libc6-dev libcmocka-dev valgrind python3 scdoc mandoc bash-completion libseccomp-dev"
# Fuzzing (tests/fuzz, make fuzz): clang with libFuzzer's runtime and the
# sanitizers' (-fsanitize=fuzzer,address,undefined).
PKGS_fuzz="clang libfuzzer-14-dev libclang-rt-14-dev"
# Board pc (vm/boards/pc.sh): QEMU, initramfs tools; the kernel and busybox
# for the guest are fetched by vm/run with apt-get download (not installed).
PKGS_pc="qemu-system-x86 busybox-static cpio gzip xz-utils util-linux debian-archive-keyring"
# Board rpi3 (vm/boards/rpi3.sh): QEMU, the aarch64 cross toolchain for the
# guest binaries and the out-of-tree module, dtc for the device tree; the
# arm64 kernel, headers and busybox are apt-get downloaded (needs the arm64
# architecture in dpkg, added here).
# libseccomp-dev:arm64: the static aarch64 driver_supervisor's SystemCallFilter=.
PKGS_rpi3="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross device-tree-compiler make xz-utils cpio gzip libseccomp-dev:arm64"
# `make bench`: the supervisors compared against (s6-supervise, runit's runsv),
# gnuplot for the histograms, valgrind (callgrind) for instruction counts.
PKGS_bench="s6 runit gnuplot-nox valgrind"
# 32-bit Raspberry Pi OS binaries (make cross ARCH=armhf), run on board rpi3.
PKGS_armhf="gcc-arm-linux-gnueabihf libc6-dev-armhf-cross libseccomp-dev:armhf"
# Debian packages (make deb): debhelper, lintian; the cross builds use the
# aarch64 and armhf toolchains above, and the target's real libc6 (its
# shlibs give the packages their libc6 dependency: dpkg-shlibdeps), and
# libseccomp-dev for each (driver_supervisor's SystemCallFilter=).
PKGS_deb="debhelper dpkg-dev fakeroot lintian scdoc bash-completion libc6:arm64 libc6:armhf libseccomp-dev libseccomp-dev:arm64 libseccomp-dev:armhf"
ARCH_deb="arm64 armhf"
# Groups whose packages need a foreign dpkg architecture.
ARCH_rpi3=arm64
ARCH_armhf=armhf

usage() {
	echo "usage: scripts/deps.sh [--list] [build|fuzz|pc|rpi3|bench|armhf|deb|all]..." >&2
	exit 2
}

list_only=0
groups=
for a in "$@"; do
	case $a in
	--list) list_only=1 ;;
	build|fuzz|pc|rpi3|bench|armhf|deb) groups="$groups $a" ;;
	all) groups="$groups build fuzz pc rpi3 bench armhf deb" ;;
	-h|--help) usage ;;
	*) echo "scripts/deps.sh: unknown group '$a' (groups: build fuzz pc rpi3 bench armhf deb all)" >&2; exit 2 ;;
	esac
done
[ -n "$groups" ] || groups="build fuzz pc rpi3 bench armhf deb"

pkgs= archs=
for g in $groups; do
	eval "pkgs=\"\$pkgs \$PKGS_$g\""
	eval "a=\${ARCH_$g:-}"
	[ -z "$a" ] || archs="$archs $a"
done
# De-duplicate, keep it stable.
pkgs=$(printf '%s\n' $pkgs | awk '!seen[$0]++' | tr '\n' ' ')

if [ "$list_only" = 1 ]; then
	printf '%s\n' $pkgs
	exit 0
fi

if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	SUDO=
fi
as_root() {
	if [ "$(id -u)" != 0 ] && [ -z "$SUDO" ]; then
		echo "scripts/deps.sh: need root (or sudo) to run: $*" >&2
		exit 1
	fi
	$SUDO "$@"
}

need_update=0
# Foreign architectures (for apt-get download of arm64 kernels and busybox).
for a in $archs; do
	if [ "$(dpkg --print-architecture)" != "$a" ] &&
	   ! dpkg --print-foreign-architectures | grep -qx "$a"; then
		echo "scripts/deps.sh: adding dpkg architecture $a"
		as_root dpkg --add-architecture "$a"
		need_update=1
	fi
done

# vm/run resolves and downloads kernels from the package lists, so the boards
# need lists for their architectures even when every package is installed
# (container images ship with none).
have_lists() {
	ls /var/lib/apt/lists/ 2>/dev/null | grep -q "_binary-$1_Packages"
}
for g in $groups; do
	case $g in
	pc) need_arch=$(dpkg --print-architecture) ;;
	rpi3) need_arch=arm64 ;;
	*) continue ;;
	esac
	have_lists "$need_arch" || need_update=1
done

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ] && [ "$need_update" = 0 ]; then
	echo "scripts/deps.sh: all packages present ($(echo $groups | tr ' ' ','))"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "scripts/deps.sh: apt-get update"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
if [ -n "$missing" ]; then
	echo "scripts/deps.sh: installing:$missing"
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		--no-install-recommends $missing
fi
echo "scripts/deps.sh: done"
