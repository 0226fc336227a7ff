# shellcheck shell=sh
# lib.sh - helpers shared by the guest tests in tests/demo/ (sourced).
#
# Each test boots a virtual board with vm/run, captures what the guest
# printed, then asserts on it here on the host. Results are printed as
# "ok - ..." / "not ok - ..." lines and a final "N passed, N failed".

SRC=${UDRV_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
VMRUN=${UDRV_VMRUN:-$SRC/vm/run}
passes=0
fails=0

ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: pass when COMMAND succeeds.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# has REGEX FILE: FILE has a line matching the extended regex.
has() { grep -Eq -- "$1" "$2"; }
# count REGEX FILE: number of matching lines.
count() { grep -Ec -- "$1" "$2" || true; }

# section NAME FILE OUT: the guest output between "== NAME" and the next
# "== " marker, into OUT.
section() { awk -v s="== $1" '/^== /{on = ($0 == s); next} on' "$2" > "$3"; }

# rc_of FILE: the exit status the guest script recorded as "rc=N".
rc_of() { sed -n 's/^rc=\([0-9]*\)$/\1/p' "$1" | tail -n 1; }

# guest_run OUT VMRUN-ARGS...: boot a board with vm/run, keep its output in
# OUT and show it, then check that it exited 0 and that the guest script
# reached its "== end" line.
guest_run() {
	local out=$1 rc=0
	shift
	"$VMRUN" "$@" > "$out" 2>&1 || rc=$?
	cat "$out"
	echo "---"
	check "vm/run exited 0 (got $rc)" [ "$rc" -eq 0 ]
	check "guest script ran to the end" has '^== end$' "$out"
}

finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}

need_vm() {
	if [ ! -x "$VMRUN" ]; then
		echo "SKIP: $VMRUN is not there (board harness not built)"
		exit 77
	fi
}

# aarch64_build: configure (once) and build the aarch64 cross tree for board
# rpi3 (static binaries), print its directory. Serialised with flock, as
# several tests may ask at once. With UDRV_RPI3_ARCH=armhf the same tests
# take the 32-bit tree instead (armhf binaries on the arm64 kernel, as
# 32-bit Raspberry Pi OS runs them).
aarch64_build() {
	case ${UDRV_RPI3_ARCH:-aarch64} in
	aarch64) cross_build aarch64 "${UDRV_AARCH64_BUILD:-$SRC/build-aarch64}" meson/aarch64-linux-gnu.ini ;;
	armhf) cross_build armhf "${UDRV_ARMHF_BUILD:-$SRC/build-armhf}" meson/arm-linux-gnueabihf.ini ;;
	*) echo "UDRV_RPI3_ARCH must be aarch64 or armhf" >&2; return 1 ;;
	esac
}

# cross_build ARCH DIR CROSS_FILE: configure (once) and build DIR, print it.
cross_build() {
	_dir=$2
	mkdir -p "$_dir"
	(
		flock 9
		if [ ! -f "$_dir/build.ninja" ]; then
			meson setup "$_dir" "$SRC" --cross-file "$SRC/$3" -Ddefault_library=static >&2 || exit 1
		fi
		ninja -C "$_dir" -j2 >&2
	) 9>"$_dir.lock" || return 1
	echo "$_dir"
}
