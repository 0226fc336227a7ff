#!/bin/sh
# test_pc_ipc.sh EDU_DRIVER DRIVER_SUPERVISOR UDRVCTL IPC_CLIENT CKPT_STORM - issue 8 on
# board pc, against the real kernel: edu_driver --serve with IPC=yes under
# driver_supervisor (tests/demo/guest/edu_ipc.driver, pc_ipc.sh in the guest).
# Asserts: `udrvctl call edu add 5` and friends render their replies; a
# client's add calls through 24 kills (SIGSEGV and SIGKILL alternately) are
# all answered, each with the running total its ledger expects, and the
# driver's final total equals the ledger (zero lost, zero duplicated);
# six upgrades to a new binary under the same load cost no client error
# and no restart; 500 random/malformed messages never crash the driver and
# it goes on answering; a driver killed at every byte offset of a
# checkpoint commit (its memfd in the supervisor's fd store) always
# restores a whole state, old or new, and a stray write is detected. Figures (call latency, calls spanning a crash, the
# longest call during an upgrade) are printed as "# " lines.
set -u
. "$(dirname "$0")/lib.sh"
need_vm
usage="usage: test_pc_ipc.sh EDU_DRIVER DRIVER_SUPERVISOR UDRVCTL IPC_CLIENT CKPT_STORM"
edu=${1:?$usage} sup=${2:?$usage} ctl=${3:?$usage} cli=${4:?$usage} ck=${5:?$usage}
for b in "$edu" "$sup" "$ctl" "$cli" "$ck"; do
	[ -x "$b" ] || { echo "not ok - $b is not an executable"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
guest_run "$out" --board pc --bind uio --timeout 600 \
	--put "$edu:/bin/edu_driver" --put "$sup:/bin/driver_supervisor" --put "$ctl:/bin/udrvctl" \
	--put "$cli:/bin/ipc_client" --put "$ck:/bin/ckpt_storm" \
	--put "$SRC/tests/demo/guest/ckpt_storm.driver:/etc/ckpt_storm.driver" \
	--put "$SRC/tests/demo/guest/edu_ipc.driver:/etc/edu_ipc.driver" \
	--put "$SRC/tests/demo/guest/pc_ipc.sh:/bin/pc_ipc.sh" \
	-- sh /bin/pc_ipc.sh

val() { sed -n "s/^$1=//p" "$2" | head -n 1; }
word() { echo "$2" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
s=$tmp/s log=$tmp/log
section sup-log "$out" "$log"

section call "$out" "$s"
check "udrvctl call edu add 5: 5, then 10 (got '$(val add5a "$s")', '$(val add5b "$s")')" \
	sh -c "[ '$(val add5a "$s")' = '5 (0x0000000000000005)' ] && [ '$(val add5b "$s")' = '10 (0x000000000000000a)' ]"
check "udrvctl call edu factorial 10: 3628800 computed by the device (got '$(val fact10 "$s")')" \
	[ "$(val fact10 "$s")" = "3628800 (0x00375f00)" ]
check "udrvctl call edu mark 0x1234: the liveness register reads back ~0x1234 (got '$(val mark "$s")')" \
	[ "$(val mark "$s")" = "4294962635 (0xffffedcb)" ]
check "udrvctl call edu status: text with the total and mark" \
	has '^status=total=10 adds=2 interrupts=[0-9]+ mark=0x00001234$' "$s"
check "an unknown operation is named as such, exit 1" \
	has '^nope_rc=1 nope=udrvctl call: edu nope: the driver has no such operation$' "$s"
check "a bad argument is refused before sending, exit 2" \
	has "^badarg_rc=2 badarg=udrvctl call: 'notanumber' is not a number" "$s"
check "a short request gets the handler's error (EINVAL), exit 1" \
	has "^short_rc=1 short=udrvctl call: edu add: the driver's handler failed: Invalid argument$" "$s"
check "an unknown driver is explained, exit 1" \
	has "^nosuch_rc=1 nosuch=udrvctl call: nosuch: no driver socket" "$s"

section storm "$out" "$s"
l=$(grep '^calls=' "$s") k=$(grep '^kills=' "$s") led=$(grep '^ledger=' "$s")
calls=$(word calls " $l") kills=$(word kills " $k")
check "crash storm: $kills kills (SIGSEGV/SIGKILL), each restarted ($(word restart_failures " $k") failures)" \
	sh -c "[ '$kills' = 24 ] && [ '$(word restart_failures " $k")' = 0 ]"
check "crash storm: the client ran to the end (rc $(val client_rc "$s"))" [ "$(val client_rc "$s")" = 0 ]
check "crash storm: $calls add calls, every one answered ($(word errors " $l") errors), each reply equal to the ledger ($(word mismatches " $l") mismatches)" \
	sh -c "[ '${calls:-0}' -ge 100 ] && [ '$(word errors " $l")' = 0 ] && [ '$(word mismatches " $l")' = 0 ]"
check "crash storm: driver's total = client's ledger ($led): zero lost, zero duplicated" \
	sh -c "[ -n '$(word total " $led")' ] && [ '$(word total " $led")' = '$(val ledger "$s" | cut -d' ' -f1)' ] && [ '$(word lost " $led")' = 0 ]"
check "crash storm: calls went through crashes (resends $(word resends " $l"))" \
	sh -c "[ '$(word resends " $l")' -ge 1 ]"
check "crash storm: the supervisor restarted it each time (restarts $(word restarts " $(grep '^restarts=' "$s")"))" \
	sh -c "[ '$(word restarts " $(grep '^restarts=' "$s")")' -ge 24 ]"
echo "# storm: $l"
echo "# storm: $(grep '^latency_ms' "$s")"
echo "# storm: $(grep '^crash_spanning' "$s")"

section upgrade "$out" "$s"
l=$(grep '^calls=' "$s") u=$(grep '^upgrades=' "$s") led=$(grep '^ledger=' "$s")
check "upgrade: 6 upgrades under load ($(word upgrades " $u")), no crash counted (restarts $(word restarts_after " $u"): a planned switch resets the count), running" \
	sh -c "[ '$(word upgrades " $u")' = 6 ] && [ '$(word restarts_after " $u")' = 0 ] && [ '$(word state " $u")' = running ]"
check "upgrade: $(word calls " $l") calls, no client error ($(word errors " $l")), no mismatch ($(word mismatches " $l")), total = ledger" \
	sh -c "[ '$(val client_rc "$s")' = 0 ] && [ '$(word errors " $l")' = 0 ] && [ '$(word mismatches " $l")' = 0 ] && [ '$(word lost " $led")' = 0 ]"
check "upgrade: the supervisor launched the new binary" has '^\[sup\] .*edu_driver2' "$log"
echo "# upgrade: longest call during 6 upgrades: $(sed -n 's/^latency_ms .*max=//p' "$s") ms; $(grep '^latency_ms' "$s")"
grep '^switch=' "$s" | tail -n 1 | sed 's/^/# upgrade: /'

section hostile "$out" "$s"
h=$(grep '^hostile' "$s") d=$(grep '^same_pid' "$s")
check "hostile: 500 malformed messages, each connection closed, the driver answers after ($h)" \
	sh -c "[ '$(val client_rc "$s")' = 0 ]"
check "hostile: no crash, no restart ($d)" \
	sh -c "[ '$(word same_pid " $d")' = yes ] && [ '$(word restarts_delta " $d")' = 0 ]"

section ckpt "$out" "$s"
grep '^\[ckpt_storm\] ' "$log" | sed 's/^\[ckpt_storm\] //' > "$tmp/ck"
nres=$(count '^restored ' "$tmp/ck") torn=$(count ' TORN$' "$tmp/ck")
nold=$(count ' old$' "$tmp/ck") nnew=$(count ' new$' "$tmp/ck")
done_off=$(sed -n 's/^done offsets=\([0-9]*\) .*/\1/p' "$tmp/ck")
check "checkpoint: killed at every byte offset of a commit (0..$((${done_off:-1} - 1)), $nres restores under the supervisor), each restored state whole and the last committed one: $nold old, $nnew new, $torn torn" \
	sh -c "[ -n '$done_off' ] && [ '$done_off' -ge 100 ] && [ '$nres' = $((${done_off:-0} + 1)) ] && [ '$torn' = 0 ] && [ '$nold' = '$nres' ]"
check "checkpoint: a stray write into the stored copy is detected (verify: EBADMSG)" \
	has '^stray write: hits=1 verify=EBADMSG \(detected\)$' "$tmp/ck"
check "checkpoint: the next instance falls back to the intact copy" \
	has '^fallback: origin=restored from the fallback copy \(the newer copy was damaged\) damaged=1 whole=yes gen=1$' "$tmp/ck"
check "checkpoint: the storm driver ended by itself ($(grep '^ckpt_state=' "$s"))" has '^ckpt_state=stopped ' "$s"

section stop "$out" "$s"
check "SIGTERM: supervisor exits 0" [ "$(val sup_rc "$s")" = 0 ]
check "no driver error in the log" sh -c "! grep -q 'edu_driver: ' $log"
finish
