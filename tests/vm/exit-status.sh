#!/usr/bin/env bash
# vm/run passes CMD's exit status through and keeps argv exactly (spaces,
# quotes, no trailing newline on the last output line).
. "$(dirname "$0")/lib.sh"

vm out st --board "$BOARD" -- sh -c 'exit 3'
expect_eq "sh -c 'exit 3' exits 3" 3 "$st"
expect_eq "sh -c 'exit 3' prints nothing" "" "$out"

vm out st --board "$BOARD" -- sh -c 'printf "[%s]" "$@"; echo >&2 err; exit 200' \
	argv0 'a b' "it's" '$HOME' ''
expect_eq "argv preserved, stderr merged" "[a b][it's][\$HOME][]err" "$(printf '%s' "$out" | tr -d '\n')"
expect_eq "status 200 passed through" 200 "$st"
finish
