#!/usr/bin/env bash
# A command that outlives --timeout gives 124 and a message, not a hang;
# output printed before the timeout is still shown.
. "$(dirname "$0")/lib.sh"

t0=$SECONDS
vm out st --board "$BOARD" --timeout 8 -- sh -c 'echo started; sleep 1000'
expect_eq "timeout status" 124 "$st"
expect_eq "output before the timeout" started "$out"
grep -q timeout "$TMP/stderr" && ok "timeout message" || bad "no timeout message: $(cat "$TMP/stderr")"
[ $((SECONDS - t0)) -lt 60 ] && ok "returned after $((SECONDS - t0)) s" ||
	bad "took $((SECONDS - t0)) s for an 8 s timeout"
finish
