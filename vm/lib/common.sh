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

# ---- kernel generations ---------------------------------------------------
# A board boots the kernels of one Debian release, its "kernel generation":
# bookworm (6.1) or trixie (6.12). The host's own release is resolved and
# downloaded through the host's apt configuration, as before. Any other
# release goes through a PRIVATE apt configuration under the cache
# (<cache>/apt/<release>/: sources.list, lists, archives, an empty dpkg
# status), passed to apt-get/apt-cache with -o options: the host's apt
# configuration and package lists are never touched. Its archive URIs are
# the host's own Debian mirrors (from `apt-get indextargets`) with the suite
# replaced, so no mirror is named here; UDRV_DEBIAN_MIRROR overrides.
VM_KERNELS="bookworm trixie"
VM_APT_OPTS=()
VM_APT_LISTS=/var/lib/apt/lists

vm_host_release() {
	(. /etc/os-release 2>/dev/null && printf '%s\n' "${VERSION_CODENAME:-}")
}

# vm_kernel_setup RELEASE ARCH... : select RELEASE's package lists for the
# apt helpers below (sets VM_APT_OPTS, VM_APT_LISTS). For a release other
# than the host's, the private lists are fetched once (apt-get update, no
# root needed) under a lock; ARCH... are the architectures they must cover.
vm_kernel_setup() {
	local rel=$1 dir archive security a arches
	shift
	VM_APT_OPTS=()
	VM_APT_LISTS=/var/lib/apt/lists
	[ "$rel" != "$(vm_host_release)" ] || return 0
	dir=$(vm_cache_root)/apt/$rel
	arches=$(dpkg --print-architecture)
	for a in "$@"; do
		case ",$arches," in *",$a,"*) ;; *) arches="$arches,$a" ;; esac
	done
	VM_APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list"
		-o "Dir::Etc::sourceparts=$dir/sources.list.d"
		-o "Dir::Etc::preferences=$dir/preferences"
		-o "Dir::Etc::preferencesparts=$dir/preferences.d"
		-o "Dir::State::lists=$dir/lists"
		-o "Dir::State::status=$dir/status"
		-o "Dir::Cache=$dir/cache"
		-o "APT::Architecture=$(dpkg --print-architecture)"
		-o "APT::Architectures=$arches"
		-o "Debug::NoLocking=1")
	# Root: fetch as root (the private dirs are not _apt's; avoids a warning).
	[ "$(id -u)" != 0 ] || VM_APT_OPTS+=(-o "APT::Sandbox::User=root")
	VM_APT_LISTS=$dir/lists
	mkdir -p "$dir/sources.list.d" "$dir/preferences.d" "$dir/lists/partial" \
		"$dir/cache/archives/partial" || vm_die "cannot create $dir"
	exec {_vm_aptlock}>"$dir/.lock"
	flock -x "$_vm_aptlock"
	if [ ! -f "$dir/.updated" ] || [ "$(cat "$dir/.updated")" != "$arches" ]; then
		archive=${UDRV_DEBIAN_MIRROR:-}
		security=
		if [ -z "$archive" ]; then
			# The host's Debian archive and security URIs, whatever its release.
			archive=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null |
				awk '$1 !~ /-/ { print $2; exit }')
			security=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null |
				awk '$1 ~ /-security$/ { print $2; exit }')
		fi
		if [ -z "$archive" ]; then
			# Not fatal: a complete cache of this generation still runs.
			vm_say "no Debian archive in the host's apt sources to fetch $rel from (set UDRV_DEBIAN_MIRROR)"
			flock -u "$_vm_aptlock"
			return 0
		fi
		{
			printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
				"$archive" "$rel"
			[ -z "$security" ] ||
				printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s-security main\n' \
					"$security" "$rel"
		} >"$dir/sources.list"
		: >"$dir/status"
		vm_say "fetching the $rel package lists ($arches) into $dir (private apt config, once)"
		if apt-get "${VM_APT_OPTS[@]}" -q update >&2; then
			printf '%s\n' "$arches" >"$dir/.updated"
		else
			vm_say "apt-get update of the private $rel lists failed (network? keyring: debian-archive-keyring)"
		fi
	fi
	flock -u "$_vm_aptlock"
	exec {_vm_aptlock}>&-
}

# vm_resolve_dep METAPKG PATTERN : print the package METAPKG depends on whose
# name matches the extended regex PATTERN (e.g. the versioned kernel image
# behind linux-image-cloud-amd64). Never pins an ABI: old ones leave the
# archive, the metapackage follows the current one.
vm_resolve_dep() {
	local meta=$1 pat=$2 out
	out=$(LC_ALL=C apt-cache ${VM_APT_OPTS[@]+"${VM_APT_OPTS[@]}"} depends "$meta" 2>/dev/null) || return 1
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
	if ! (cd "$dir" && apt-get ${VM_APT_OPTS[@]+"${VM_APT_OPTS[@]}"} download -q "$@" >&2); then
		# A stale package list is the usual cause: say so.
		vm_die "apt-get download $* failed (package lists stale? try: apt-get update)"
	fi
}

# vm_deb_extract DEB DIR : unpack a .deb's data into DIR (no install).
# Merged-/usr packages (trixie) put lib/ under usr/lib: vm_moddir finds it.
vm_deb_extract() {
	mkdir -p "$2"
	dpkg-deb -x "$1" "$2" || vm_die "cannot unpack $1"
}

# vm_moddir ROOT ABI : print the lib/modules/ABI directory of an unpacked
# kernel image package (lib/ on bookworm, usr/lib/ on merged-/usr trixie).
vm_moddir() {
	local d
	for d in "$1/lib/modules/$2" "$1/usr/lib/modules/$2"; do
		[ -d "$d" ] && { printf '%s\n' "$d"; return 0; }
	done
	vm_die "no lib/modules/$2 in the kernel package"
}

# vm_unpack_module SRC DST : copy a module file, decompressing .ko.xz and
# .ko.zst (busybox insmod takes plain .ko). DST is the .ko path.
vm_unpack_module() {
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*) false ;;
	esac || vm_die "cannot unpack module $1"
}

# vm_busybox ROOT : print the busybox binary of an unpacked busybox-static
# package (bin/ on bookworm, usr/bin/ on trixie).
vm_busybox() {
	local f
	for f in "$1/bin/busybox" "$1/usr/bin/busybox"; do
		[ -f "$f" ] && { printf '%s\n' "$f"; return 0; }
	done
	vm_die "busybox-static has no bin/busybox"
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
# A NAME ending in '?' is skipped when the kernel has no such module.
vm_modules_order() {
	local moddir=$1
	shift
	local -A seen=()
	local -a order=()
	_vm_mod_visit() {
		local name=${1//-/_} f deps d opt=0
		# NAME? : optional (built in or merged away in some kernels, e.g.
		# vfio_virqfd is part of vfio.ko from 6.2 on).
		case $name in *\?) name=${name%\?} opt=1 ;; esac
		[ -n "${seen[$name]:-}" ] && return 0
		seen[$name]=1
		f=$(cd "$moddir" && find . -type f \( -name "$name.ko*" -o \
			-name "${name//_/-}.ko*" \) | head -n 1)
		[ -n "$f" ] || [ "$opt" = 0 ] || return 0
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
