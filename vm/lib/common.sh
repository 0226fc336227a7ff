# vm/lib/common.sh - helpers shared by vm/run and the board files.
# Sourced (bash); defines functions only. See vm/README.md for the interface.

# Messages go to stderr so that stdout stays CMD's output.
vm_log() {
	[ "${VM_VERBOSE:-0}" = 1 ] && printf 'vm/run: %s\n' "$*" >&2
	return 0
}
vm_say() { printf 'vm/run: %s\n' "$*" >&2; }

# A set-up failure: message naming the problem, exit 125 (contract).
vm_die() {
	printf 'vm/run: error: %s\n' "$*" >&2
	exit 125
}

# Cache root for every board; the board's part is $VM_CACHE_ROOT/<board>.
vm_cache_root() {
	printf '%s\n' "${UDRV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/udrv}"
}

# vm_need_cmds GROUP CMD... : fail naming each missing host command.
vm_need_cmds() {
	local group=$1 c missing=
	shift
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	[ -z "$missing" ] ||
		vm_die "missing host command(s):$missing (install with: scripts/deps.sh $group)"
}

# vm_resolve_dep METAPKG PATTERN : print the package METAPKG depends on whose
# name matches the extended regex PATTERN (e.g. the versioned kernel image
# behind linux-image-cloud-amd64). Never pins an ABI: old ones leave the
# archive, the metapackage follows the current one.
vm_resolve_dep() {
	local meta=$1 pat=$2 out
	out=$(LC_ALL=C apt-cache depends "$meta" 2>/dev/null) || return 1
	out=$(printf '%s\n' "$out" | sed -n 's/^ *Depends: *//p' |
		sed 's/:.*$//' | grep -E "$pat" | head -n 1) || return 1
	[ -n "$out" ] || return 1
	printf '%s\n' "$out"
}

# vm_apt_download DIR PKG[:ARCH]... : download .deb files into DIR without
# installing them (apt-get download needs no root). Prints nothing on stdout.
vm_apt_download() {
	local dir=$1
	shift
	vm_log "apt-get download $*"
	if ! (cd "$dir" && apt-get download -q "$@" >&2); then
		# A stale package list is the usual cause: say so.
		vm_die "apt-get download $* failed (package lists stale? try: apt-get update)"
	fi
}

# vm_deb_extract DEB DIR : unpack a .deb's data into DIR (no install).
vm_deb_extract() {
	mkdir -p "$2"
	dpkg-deb -x "$1" "$2" || vm_die "cannot unpack $1"
}

# vm_cpio_dir DIR OUT : pack DIR's contents as a newc cpio archive owned by
# root, written to OUT (uncompressed). Entries are relative ("bin/busybox").
vm_cpio_dir() {
	(cd "$1" && find . -mindepth 1 -print | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$2" ||
		vm_die "cpio of $1 failed"
}

# vm_shell_quote ARG... : print each ARG single-quoted for a POSIX shell,
# separated by spaces (the guest re-reads them with `eval set --`).
vm_shell_quote() {
	local a sep=
	for a in "$@"; do
		printf "%s'%s'" "$sep" "${a//\'/\'\\\'\'}"
		sep=' '
	done
}

# vm_modules_order MODDIR NAME... : print, one per line and relative to
# MODDIR (a lib/modules/<kver> tree), the module files needed for NAMEs with
# every dependency before its users, each once. Dependencies come from each
# module's own .modinfo "depends=" string (the .deb ships no modules.dep and
# the host may have no kmod). Only hard dependencies are followed, so list
# request_module()-loaded ones (vfio_iommu_type1) explicitly, in order.
vm_modules_order() {
	local moddir=$1
	shift
	local -A seen=()
	local -a order=()
	_vm_mod_visit() {
		local name=${1//-/_} f deps d
		[ -n "${seen[$name]:-}" ] && return 0
		seen[$name]=1
		f=$(cd "$moddir" && find . -type f \( -name "$name.ko*" -o \
			-name "${name//_/-}.ko*" \) | head -n 1)
		[ -n "$f" ] || vm_die "module $name not found under $moddir"
		f=${f#./}
		deps=$(tr '\0' '\n' <"$moddir/$f" | sed -n 's/^depends=//p' | head -n 1)
		for d in ${deps//,/ }; do
			_vm_mod_visit "$d"
		done
		order+=("$f")
	}
	local m
	for m in "$@"; do
		_vm_mod_visit "$m"
	done
	printf '%s\n' "${order[@]}"
}
