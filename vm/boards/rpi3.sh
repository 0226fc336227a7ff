# vm/boards/rpi3.sh - board "rpi3": Raspberry Pi 3B (qemu-system-aarch64
# -M raspi3b) with the Linux platform UIO driver on two device-tree nodes:
# uio0 = timer @0x3f003000 (BCM2835 system timer, compare channel 1 IRQ),
# uio1 = gpiomem @0x3f200000 size 0x1000 (GPIO block),
# uio2 = serial @0x3f215040 size 0x40 (the AUX mini UART: a register window
# that is not page aligned, as real boards have; no interrupt).
# Sourced by vm/run; interface in vm/README.md. Recipe: shared/VM-RECIPE.md.
#
# Debian's arm64 kernel has uio.ko but not uio_pdrv_genirq, so board_prepare
# builds that module out of tree from the Debian kernel source package,
# cross-compiled against Debian's own headers for the same ABI. Everything
# is fetched with `apt-get download` (no install) into the cache; nothing of
# it is committed.

BOARD_ARCH=arm64
BOARD_DEPS=rpi3
BOARD_HOST_CMDS="qemu-system-aarch64 aarch64-linux-gnu-gcc aarch64-linux-gnu-strip make dtc fdtget fdtput cpio gzip tar xz objdump getconf apt-get apt-cache dpkg dpkg-deb"
BOARD_CACHE_REV=3
# The raspi3b machine neither exits on poweroff nor on reboot: vm/run stops
# QEMU once it has seen the end marker.
BOARD_EXITS_ON_POWEROFF=0

RPI3_KERNEL_META=linux-image-arm64:arm64
RPI3_DTB=broadcom/bcm2837-rpi-3-b.dtb	# in the image's /usr/lib/linux-image-ABI
RPI3_MOD_SRC=drivers/uio/uio_pdrv_genirq.c

# The arm64 package lists must be known to apt before the ABI can be
# resolved. scripts/deps.sh rpi3 does this; when it has not run yet and we
# are root, do the same here once (the `dpkg --add-architecture` of the
# recipe). Not root: fail naming the fix.
rpi3_ensure_arm64() {
	dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 && return 0
	[ "$(id -u)" = 0 ] ||
		{ vm_say "arm64 packages not enabled (run: scripts/deps.sh rpi3)"; return 1; }
	vm_say "enabling arm64 packages: dpkg --add-architecture arm64 && apt-get update"
	dpkg --add-architecture arm64 >&2 && apt-get update -q >&2
}

board_abi() {
	local pkg
	# Private package lists (another kernel generation) cover arm64 already.
	[ -n "${VM_APT_OPTS[*]}" ] || rpi3_ensure_arm64 || return 1
	if ! pkg=$(vm_resolve_dep "$RPI3_KERNEL_META" '^linux-image-[0-9]'); then
		# arm64 enabled, but its lists never fetched (added without an update).
		[ "$(id -u)" = 0 ] ||
			{ vm_say "cannot resolve $RPI3_KERNEL_META (run: apt-get update)"; return 1; }
		vm_say "no arm64 package lists yet: apt-get update"
		apt-get update -q >&2 || return 1
		pkg=$(vm_resolve_dep "$RPI3_KERNEL_META" '^linux-image-[0-9]') || return 1
	fi
	printf '%s\n' "${pkg#linux-image-}"
}

# rpi3_build_module ABI SERIES WORK OUT: build uio_pdrv_genirq.ko for kernel
# ABI into OUT/rootfs/lib/modules/udrv/ from the debs downloaded in WORK/deb
# (linux-kbuild-SERIES, linux-source-SERIES).
rpi3_build_module() {
	local abi=$1 ver=$2 w=$3 out=$4 kroot=$3/kroot mod=$3/mod src
	local hdr=$kroot/usr/src/linux-headers-$abi common=linux-headers-${abi%-arm64}-common
	local series=${abi%%-*}
	# linux-source-X is named by the series: 6.1 (abi 6.1.0-NN-arm64) or
	# 6.12 (abi 6.12.NNN+deb13-arm64).
	series=$(printf '%s\n' "$series" | cut -d. -f1,2)
	# One root for the three header/kbuild debs: the arm64 headers' `scripts`
	# symlink is relative (../../lib/linux-kbuild-X/scripts) and finds the
	# host-arch kbuild tools there.
	vm_deb_extract "$w"/deb/linux-headers-"$abi"_*.deb "$kroot"
	vm_deb_extract "$w"/deb/"$common"_*.deb "$kroot"
	vm_deb_extract "$w"/deb/linux-kbuild-"$ver"_*.deb "$kroot"
	[ -f "$hdr/Makefile" ] || vm_die "linux-headers-$abi has no usr/src/linux-headers-$abi/Makefile"
	# Its Makefile includes the common headers by absolute path
	# (include /usr/src/...): point it into our root.
	sed -i "s|^include /usr/src/|include $kroot/usr/src/|" "$hdr/Makefile"
	grep -q "^include $kroot/usr/src/$common/Makefile" "$hdr/Makefile" ||
		vm_die "unexpected $hdr/Makefile (no include of $common): $(head -n 3 "$hdr/Makefile")"

	# The one source file, straight out of the tarball in linux-source-X.
	# tar stops reading at the first match (--occurrence), so the writers
	# upstream of it may die of SIGPIPE: judge by the extracted file.
	mkdir -p "$mod"
	src=linux-source-$series
	(set +o pipefail
	 dpkg-deb --fsys-tarfile "$w"/deb/"$src"_*.deb 2>/dev/null |
		tar -xOf - "./usr/src/$src.tar.xz" 2>/dev/null |
		tar -xJf - -C "$w" --occurrence=1 "$src/$RPI3_MOD_SRC" 2>/dev/null) || true
	[ -s "$w/$src/$RPI3_MOD_SRC" ] ||
		vm_die "$RPI3_MOD_SRC not found in $src (usr/src/$src.tar.xz)"
	cp "$w/$src/$RPI3_MOD_SRC" "$VM_ROOT/boards/rpi3/Kbuild" "$mod/"

	rpi3_kbuild_glibc "$kroot/usr/lib/linux-kbuild-$ver" "$w"

	vm_log "building uio_pdrv_genirq.ko for $abi (arm64 cross)"
	# The headers name the compiler the kernel was built with (gcc-12 on
	# bookworm, gcc-14 on trixie: .kernelvariables). When the host has no
	# such cross compiler, build with its default one (same target ABI) and
	# drop what only the newer one understands: -fmin-function-alignment
	# (gcc 14; kbuild then uses -falign-functions with the same alignment).
	local -a mk=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	local kcc
	kcc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$hdr/.config")
	if [ -n "$kcc" ] && ! command -v "$kcc" >/dev/null 2>&1; then
		vm_say "rpi3: no $kcc on the host: building the module with aarch64-linux-gnu-gcc ($(aarch64-linux-gnu-gcc -dumpversion))"
		mk+=(CC=aarch64-linux-gnu-gcc)
		echo 'int x;' | aarch64-linux-gnu-gcc -fmin-function-alignment=8 -x c -c -o /dev/null - 2>/dev/null ||
			mk+=(CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
	fi
	# BTF for modules (6.12: CONFIG_DEBUG_INFO_BTF_MODULES) needs pahole;
	# the guest has no use for it, so skip it when pahole is missing.
	command -v pahole >/dev/null 2>&1 || mk+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
	if ! env -u KBUILD_OUTPUT -u O make -s -C "$hdr" M="$mod" "${mk[@]}" \
		modules >"$w/make.log" 2>&1; then
		cat "$w/make.log" >&2
		vm_die "building uio_pdrv_genirq.ko against linux-headers-$abi failed"
	fi
	[ -f "$mod/uio_pdrv_genirq.ko" ] || vm_die "make produced no uio_pdrv_genirq.ko"
	[ ! -s "$w/make.log" ] || { vm_log "module build said:"; [ "${VM_VERBOSE:-0}" != 1 ] || cat "$w/make.log" >&2; }

	# insmod refuses a module whose vermagic differs from the kernel's; catch
	# it here with a clear message rather than in the guest.
	local want got
	want=$(rpi3_vermagic "$out/rootfs/lib/modules/udrv/uio.ko")
	got=$(rpi3_vermagic "$mod/uio_pdrv_genirq.ko")
	[ -n "$want" ] && [ "$want" = "$got" ] ||
		vm_die "uio_pdrv_genirq.ko vermagic '$got' != kernel's '$want'"
	# Debug info is 90% of the file and useless in the guest.
	aarch64-linux-gnu-strip --strip-debug -o "$out/rootfs/lib/modules/udrv/uio_pdrv_genirq.ko" \
		"$mod/uio_pdrv_genirq.ko" || vm_die "cannot strip uio_pdrv_genirq.ko"
}

# rpi3_kbuild_glibc KBUILD WORK: the kbuild host tools of a newer Debian
# release than the host's may need a newer glibc (trixie's modpost wants
# GLIBC_2.38 for __isoc23_strtoul; bookworm has 2.36). Each such binary is
# wrapped to run under that release's own dynamic loader and libc6, fetched
# with apt-get download (WORK/deb/libc6_*) into WORK/libc. Nothing is
# installed on the host.
rpi3_kbuild_glibc() {
	local kb=$1 w=$2 host need f libdir ld
	host=$(getconf GNU_LIBC_VERSION | awk '{ print $2 }')
	libdir=
	while IFS= read -r f; do
		head -c 4 "$f" | grep -q 'ELF' || continue
		need=$(LC_ALL=C objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' |
			sed 's/GLIBC_//' | sort -uV | tail -n 1)
		[ -n "$need" ] || continue
		# Nothing to do when the host's glibc is at least as new.
		[ "$(printf '%s\n%s\n' "$need" "$host" | sort -V | tail -n 1)" = "$host" ] && continue
		if [ -z "$libdir" ]; then
			vm_say "rpi3: kbuild tools need glibc $need (host $host): running them with the guest release's libc6"
			chmod 0777 "$w/deb" 2>/dev/null || true
			vm_apt_download "$w/deb" "libc6:$(dpkg --print-architecture)"
			vm_deb_extract "$w"/deb/libc6_*_"$(dpkg --print-architecture)".deb "$w/libc"
			libdir=$(dirname "$(find "$w/libc/usr/lib" -name 'libc.so.6' | head -n 1)")
			ld=$(find "$libdir" -name 'ld-linux*.so.*' | head -n 1)
			[ -n "$ld" ] || vm_die "libc6 package has no dynamic loader"
		fi
		mv "$f" "$f.bin"
		printf '#!/bin/sh\nexec "%s" --library-path "%s" --argv0 "$0" "$0.bin" "$@"\n' \
			"$ld" "$libdir" >"$f"
		chmod 755 "$f"
		vm_log "wrapped $f (needs glibc $need)"
	done < <(find "$kb" -type f -perm -u+x)
	return 0
}

rpi3_vermagic() {
	tr '\0' '\n' <"$1" | sed -n 's/^vermagic=//p' | head -n 1
}

# rpi3_patch_dtb IN OUT: the stock Pi 3B tree plus the two generic-uio nodes
# (vm/boards/rpi3/patch-dts.awk), checked after compiling it back.
rpi3_patch_dtb() {
	local in=$1 out=$2 dts=${2%.dtb}.dts
	dtc -q -I dtb -O dts -o "$dts.orig" "$in" || vm_die "dtc cannot read $in"
	awk -f "$VM_ROOT/boards/rpi3/patch-dts.awk" "$dts.orig" >"$dts" ||
		vm_die "cannot patch the device tree $in"
	rm -f "$dts.orig"
	dtc -q -I dts -O dtb -o "$out" "$dts" || vm_die "dtc cannot compile $dts"
	[ "$(fdtget "$out" /soc/timer@7e003000 compatible)" = generic-uio ] &&
		[ "$(fdtget "$out" /soc/timer@7e003000 interrupts)" = "1 1" ] &&
		[ "$(fdtget -tx "$out" /soc/gpiomem@7e200000 reg)" = "7e200000 1000" ] &&
		[ "$(fdtget "$out" /soc/gpiomem@7e200000 compatible)" = generic-uio ] &&
		[ "$(fdtget "$out" /soc/timer@7e003000 linux,uio-name)" = timer ] &&
		[ "$(fdtget "$out" /soc/gpiomem@7e200000 linux,uio-name)" = gpiomem ] ||
		vm_die "patched device tree $out lacks the generic-uio nodes"
}

board_prepare() {
	local abi=$1 out=$2 w=$2/work f
	# The kbuild/source series (6.1 on bookworm) from the headers' own
	# dependency, so nothing here names a kernel version.
	local kb ver
	kb=$(vm_resolve_dep "linux-headers-$abi:arm64" '^linux-kbuild-[0-9]') ||
		vm_die "cannot resolve the linux-kbuild package of linux-headers-$abi:arm64"
	ver=${kb#linux-kbuild-}
	# linux-source-X by the series (6.1, 6.12): the ABI's major.minor.
	local series
	series=$(printf '%s\n' "${abi%%-*}" | cut -d. -f1,2)
	mkdir -p "$w/deb" "$w/img" "$w/bb" "$out/rootfs/bin" "$out/rootfs/lib/modules/udrv"
	vm_say "rpi3: fetching kernel $abi, headers, linux-source-$series, busybox (~250 MB, once)"
	# apt-get download runs as _apt when it can write the directory.
	chmod 0777 "$w/deb" 2>/dev/null || true
	vm_apt_download "$w/deb" "linux-image-$abi:arm64" "linux-headers-$abi:arm64" \
		"linux-headers-${abi%-arm64}-common" "linux-kbuild-$ver" "linux-source-$series" \
		busybox-static:arm64

	vm_deb_extract "$w"/deb/linux-image-"$abi"_*.deb "$w/img"
	vm_deb_extract "$w"/deb/busybox-static_*_arm64.deb "$w/bb"

	# Kernel: QEMU's raspi3b boots a raw arm64 Image. Debian's vmlinuz is
	# either that (EFI stub, "MZ") or gzip'd: unpack the latter.
	f=$w/img/boot/vmlinuz-$abi
	[ -f "$f" ] || vm_die "linux-image-$abi has no /boot/vmlinuz-$abi"
	if [ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
		gzip -dc "$f" >"$out/Image" || vm_die "cannot gunzip $f"
	else
		cp "$f" "$out/Image"
	fi

	f=$w/img/usr/lib/linux-image-$abi/$RPI3_DTB
	[ -f "$f" ] || vm_die "linux-image-$abi has no $RPI3_DTB"
	rpi3_patch_dtb "$f" "$out/rpi3b-uio.dtb"

	cp "$(vm_busybox "$w/bb")" "$out/rootfs/bin/busybox" ||
		vm_die "busybox-static:arm64 has no /bin/busybox"
	f=$(vm_moddir "$w/img" "$abi")/kernel/drivers/uio/uio.ko
	for f in "$f" "$f.xz" "$f.zst" ""; do
		[ -z "$f" ] || [ -f "$f" ] && break
	done
	[ -n "$f" ] || vm_die "linux-image-$abi has no drivers/uio/uio.ko"
	vm_unpack_module "$f" "$out/rootfs/lib/modules/udrv/uio.ko"
	rpi3_build_module "$abi" "$ver" "$w" "$out"
}

# rpi3_run_dtb BOOT: the per-run device tree, the cached one plus the AUX
# mini UART (BCM2835 ARM Peripherals, 2.1-2.2: 0x7e215040, 0x40 bytes) handed
# to generic-uio without its interrupt, named "serial" on every kernel
# (6.2+ would say serial@7e215040). Done per run with fdtput (a few ms)
# on a copy, so the shared cache stays the same for every worktree.
rpi3_run_dtb() {
	local boot=$1 node=/soc/serial@7e215040
	cp "$boot/rpi3b-uio.dtb" "$boot/rpi3b-run.dtb" &&
		fdtput -t s "$boot/rpi3b-run.dtb" "$node" compatible generic-uio &&
		fdtput -d "$boot/rpi3b-run.dtb" "$node" interrupts &&
		fdtput -t s "$boot/rpi3b-run.dtb" "$node" linux,uio-name serial &&
		[ "$(fdtget -tx "$boot/rpi3b-run.dtb" "$node" reg)" = "7e215040 40" ] ||
		vm_die "cannot add the generic-uio mini UART to the device tree"
}

board_qemu() {
	local boot=$1
	rpi3_run_dtb "$boot" >&2
	# raspi3b: 4 Cortex-A53, exactly 1 GiB; the PL011 UART (ttyAMA0) is
	# serial0, which -nographic puts on the console vm/run captures.
	# thread=single runs the 4 vCPUs round-robin on one host thread: on a
	# busy 2-core host, multi-threaded TCG spent 15-22 s per boot (vCPUs
	# spinning on locks held by descheduled ones), single-threaded 3.5-4.7 s.
	printf '%s\n' qemu-system-aarch64 -M raspi3b -m 1G -accel tcg,thread=single \
		-kernel "$boot/Image" -dtb "$boot/rpi3b-run.dtb" -initrd "$boot/initrd" \
		-append "console=ttyAMA0 quiet panic=-1"
}

board_guest_setup() {
	cat <<'EOF'
# board rpi3: the platform UIO driver on the device tree's generic-uio nodes.
insmod /lib/modules/udrv/uio.ko || udrv_fail "insmod uio.ko failed"
insmod /lib/modules/udrv/uio_pdrv_genirq.ko of_id=generic-uio ||
	udrv_fail "insmod uio_pdrv_genirq.ko of_id=generic-uio failed"
# Both nodes must be bound, and their /dev nodes present (devtmpfs creates
# them asynchronously). Export which uioN is which for tests.
rpi3_i=0
UDRV_UIO_TIMER= UDRV_UIO_GPIOMEM= UDRV_UIO_AUX=
while :; do
	for rpi3_d in /sys/class/uio/uio*; do
		[ -e "/dev/${rpi3_d##*/}" ] || continue
		# The UIO name is the node name: "timer" on 6.1, the full name
		# "timer@7e003000" on 6.12 (uio_pdrv_genirq uses %pOF since 6.2ish).
		case $(cat "$rpi3_d/name" 2>/dev/null) in
		timer|timer@*) UDRV_UIO_TIMER=${rpi3_d##*/} ;;
		gpiomem|gpiomem@*) UDRV_UIO_GPIOMEM=${rpi3_d##*/} ;;
		serial|serial@*) UDRV_UIO_AUX=${rpi3_d##*/} ;;
		esac
	done
	[ -n "$UDRV_UIO_TIMER" ] && [ -n "$UDRV_UIO_GPIOMEM" ] && [ -n "$UDRV_UIO_AUX" ] && break
	rpi3_i=$((rpi3_i + 1))
	[ $rpi3_i -gt 250 ] && { dmesg | grep -i -E 'uio|genirq|generic-uio' | tail -n 8; } &&
		udrv_fail "uio_pdrv_genirq did not bind the generic-uio nodes (timer='$UDRV_UIO_TIMER' gpiomem='$UDRV_UIO_GPIOMEM' serial='$UDRV_UIO_AUX')"
	sleep 0.02
done
export UDRV_UIO_TIMER UDRV_UIO_GPIOMEM UDRV_UIO_AUX
unset rpi3_i rpi3_d
EOF
}
