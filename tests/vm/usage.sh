#!/usr/bin/env bash
# Bad input to vm/run is refused with 125 and a message naming the problem,
# before anything boots.
. "$(dirname "$0")/lib.sh"

check() {	# check WHAT PATTERN ARGS...
	local what=$1 pat=$2
	shift 2
	vm out st "$@"
	expect_eq "$what: status" 125 "$st"
	grep -q -- "$pat" "$TMP/stderr" && ok "$what: message names '$pat'" ||
		bad "$what: message lacks '$pat': $(cat "$TMP/stderr")"
}
check "no board" "--board is required" -- true
check "unknown board" "unknown board 'nosuch'" --board nosuch -- true
check "bad bind" "not 'usb'" --board pc --bind usb -- true
check "bad timeout" "not '1x'" --board pc --timeout 1x -- true
check "no command" "no command" --board pc
check "unknown option" "unknown option '--frob'" --board pc --frob -- true
finish
