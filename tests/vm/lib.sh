# tests/vm/lib.sh - shared by the vm/run self-tests (sourced, bash).
# Each test boots board pc once (or not at all) and checks real outcomes:
# exit status, exact output. Board via $VM_TEST_BOARD (default pc).
set -euo pipefail
TOP=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
VMRUN=$TOP/vm/run
BOARD=${VM_TEST_BOARD:-pc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/udrv-vmtest.XXXXXX")
trap 'rm -rf -- "$TMP"' EXIT
fails=0

# vm OUT_VAR STATUS_VAR [vm/run args...]: run vm/run, keep stdout and status.
vm() {
	local -n _out=$1 _st=$2
	shift 2
	_st=0
	_out=$("$VMRUN" "$@" 2>"$TMP/stderr") || _st=$?
}
ok() { printf 'ok: %s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		bad "$1: expected [$2], got [$3]"
		[ ! -s "$TMP/stderr" ] || sed 's/^/  stderr| /' "$TMP/stderr"
	fi
}
finish() {
	[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
	exit 0
}
