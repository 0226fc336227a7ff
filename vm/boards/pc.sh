# vm/boards/pc.sh - board "pc": x86_64 q35 + QEMU's edu PCI device (1234:11e8).
# Sourced by vm/run; interface in vm/README.md. Recipe: shared/VM-RECIPE.md.

BOARD_ARCH=amd64
BOARD_DEPS=pc
BOARD_HOST_CMDS="qemu-system-x86_64 cpio gzip xz apt-get apt-cache dpkg-deb"
BOARD_CACHE_REV=1
BOARD_EXITS_ON_POWEROFF=1

# The cloud flavour is small and has uio, uio_pci_generic and the vfio stack
# as uncompressed modules (busybox insmod loads them).
PC_KERNEL_META=linux-image-cloud-amd64

# Modules per binding, load order as in the recipe (irqbypass before
# vfio-pci-core); vm_modules_order adds any hard dependency missing here.
PC_MODS_UIO="uio uio_pci_generic"
# vfio_virqfd is a module on 6.1 only (part of vfio.ko from 6.2 on).
PC_MODS_VFIO="irqbypass vfio vfio_iommu_type1 vfio_virqfd? vfio-pci-core vfio-pci"

board_abi() {
	local pkg
	pkg=$(vm_resolve_dep "$PC_KERNEL_META" '^linux-image-[0-9]') || return 1
	printf '%s\n' "${pkg#linux-image-}"
}

board_prepare() {
	local abi=$1 out=$2 w=$2/work m list
	mkdir -p "$w/deb" "$w/x" "$out/rootfs/bin" "$out/rootfs/lib/modules/udrv"
	vm_apt_download "$w/deb" "linux-image-$abi:amd64" busybox-static:amd64
	for m in "$w"/deb/*.deb; do
		vm_deb_extract "$m" "$w/x"
	done
	cp "$w/x/boot/vmlinuz-$abi" "$out/kernel" ||
		vm_die "linux-image-$abi has no /boot/vmlinuz-$abi"
	cp "$(vm_busybox "$w/x")" "$out/rootfs/bin/busybox" ||
		vm_die "busybox-static has no /bin/busybox"

	# Flat module dir plus one load list per stack: the guest fragment only
	# needs insmod (no modules.dep, no modprobe).
	local moddir
	moddir=$(vm_moddir "$w/x" "$abi")
	for list in uio vfio; do
		local names
		[ "$list" = uio ] && names=$PC_MODS_UIO || names=$PC_MODS_VFIO
		vm_modules_order "$moddir" $names >"$w/$list.order"
		: >"$out/rootfs/lib/modules/udrv/$list.list"
		while read -r m; do
			local base=${m##*/}
			base=${base%.xz} base=${base%.zst}
			vm_unpack_module "$moddir/$m" "$out/rootfs/lib/modules/udrv/$base"
			echo "$base" >>"$out/rootfs/lib/modules/udrv/$list.list"
		done <"$w/$list.order"
	done
}

board_qemu() {
	# no_timer_check: the kernel's IO-APIC timer test times a loop; a TCG
	# guest on a busy host fails it, which with interrupt remapping
	# (intel-iommu) is a panic in setup_IO_APIC (seen in a CI-like run).
	local boot=$1 append="console=ttyS0 quiet panic=-1 no_timer_check"
	local -a a=(qemu-system-x86_64 -M q35,kernel-irqchip=split -m 512
		-nic none -kernel "$boot/kernel" -initrd "$boot/initrd" -device edu,addr=03.0)
	# QEMU's PCI test device (1b36:0005, hw/misc/pci-testdev.c): BAR1 is an
	# I/O port BAR, which VFIO cannot mmap: the pread/pwrite path's device.
	# Nothing binds it unless a test does.
	a+=(-device pci-testdev,addr=04.0)
	# VFIO needs an IOMMU for a viable group; UIO runs without one, as on
	# most real machines that use uio_pci_generic.
	if [ "$VM_BIND" = vfio ]; then
		a+=(-device intel-iommu,intremap=on)
		append="$append intel_iommu=on"
	fi
	# Optional devices (--with), each behind its own pcie-root-port, so it
	# has its own slot (hot-pluggable) and its own IOMMU group.
	local x
	for x in ${VM_WITH//,/ }; do
		case $x in
		nic)	# e1000e (8086:10d3, QEMU hw/net/e1000e.c): BAR0 128 KiB MMIO,
			# MSI-X with 5 vectors (table in BAR3); a write to ICS raises
			# a cause, IVAR maps causes to vectors.
			a+=(-device pcie-root-port,id=udrv_rp1,chassis=1,slot=1
				-device e1000e,id=udrv_nic,bus=udrv_rp1) ;;
		shmem)	# ivshmem-plain (1af4:1110, QEMU docs/specs/ivshmem-spec.rst):
			# BAR0 256 B registers, BAR2 64-bit prefetchable = 1 MiB of
			# shared memory (a memfd on the host).
			a+=(-object memory-backend-memfd,id=udrv_shm,size=1M,share=on
				-device pcie-root-port,id=udrv_rp2,chassis=2,slot=2
				-device ivshmem-plain,id=udrv_ivshmem,memdev=udrv_shm,bus=udrv_rp2) ;;
		'') ;;
		*) vm_die "board pc: unknown --with '$x' (known: nic, shmem)" ;;
		esac
	done
	a+=(-append "$append")
	printf '%s\n' "${a[@]}"
}

board_guest_setup() {
	cat <<'EOF'
# board pc: load the UIO/VFIO modules, find edu (1234:11e8), bind it.
pc_load() {
	local m
	for m in $(cat /lib/modules/udrv/$1.list); do
		# Already loaded (a dependency shared by both lists) is fine.
		[ -d "/sys/module/$(echo "${m%.ko}" | tr - _)" ] && continue
		insmod /lib/modules/udrv/$m || udrv_fail "insmod $m failed"
	done
}
pc_wait() {	# pc_wait PATH: devtmpfs nodes appear asynchronously
	local i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && udrv_fail "$1 did not appear"
		sleep 0.02
	done
}
pc_find() {	# pc_find VENDOR DEVICE: print the first such PCI address
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat $d/vendor)" = "0x$1" ] && [ "$(cat $d/device)" = "0x$2" ]; then
			echo "${d##*/}"
			return 0
		fi
	done
}
# pc_extra_bind VENDOR DEVICE BDF: bind a --with device like edu.
pc_extra_bind() {
	case $UDRV_BIND in
	uio) echo "$1 $2" >/sys/bus/pci/drivers/uio_pci_generic/new_id ||
		udrv_fail "binding $3 ($1:$2) to uio_pci_generic failed" ;;
	vfio) echo "$1 $2" >/sys/bus/pci/drivers/vfio-pci/new_id ||
		udrv_fail "binding $3 ($1:$2) to vfio-pci failed" ;;
	esac
}
PC_EDU=$(pc_find 1234 11e8)
[ -n "$PC_EDU" ] || udrv_fail "edu PCI device 1234:11e8 not found"
export UDRV_EDU_BDF=$PC_EDU
case $UDRV_BIND in
uio)
	pc_load uio
	echo "1234 11e8" >/sys/bus/pci/drivers/uio_pci_generic/new_id ||
		udrv_fail "binding edu to uio_pci_generic failed"
	pc_wait /dev/uio0
	;;
vfio)
	pc_load vfio
	[ -e /sys/bus/pci/devices/$PC_EDU/iommu_group ] ||
		udrv_fail "edu $PC_EDU has no iommu_group (intel-iommu missing?)"
	echo "1234 11e8" >/sys/bus/pci/drivers/vfio-pci/new_id ||
		udrv_fail "binding edu to vfio-pci failed"
	PC_GROUP=$(readlink /sys/bus/pci/devices/$PC_EDU/iommu_group)
	export UDRV_VFIO_GROUP=${PC_GROUP##*/}
	pc_wait /dev/vfio/$UDRV_VFIO_GROUP
	;;
none)
	pc_load uio
	pc_load vfio
	;;
esac
# --with devices: their addresses for tests, bound like edu.
for pc_x in $(echo "$UDRV_WITH" | tr , ' '); do
	case $pc_x in
	nic) UDRV_NIC_BDF=$(pc_find 8086 10d3)
		[ -n "$UDRV_NIC_BDF" ] || udrv_fail "e1000e 8086:10d3 not found"
		export UDRV_NIC_BDF
		pc_extra_bind 8086 10d3 "$UDRV_NIC_BDF" ;;
	shmem) UDRV_SHMEM_BDF=$(pc_find 1af4 1110)
		[ -n "$UDRV_SHMEM_BDF" ] || udrv_fail "ivshmem 1af4:1110 not found"
		export UDRV_SHMEM_BDF
		pc_extra_bind 1af4 1110 "$UDRV_SHMEM_BDF" ;;
	esac
done
unset pc_x
EOF
}
