#!/bin/sh
# test_pc_vfio_crash.sh EDU_DRIVER DRIVER_SUPERVISOR UDRVCTL - issue 5's
# crash-mid-DMA test on board pc, edu bound to vfio-pci behind the emulated
# Intel IOMMU. driver_supervisor runs edu_driver doing 4095-byte DMA round
# trips back to back (tests/demo/guest/edu_vfio.driver, Restart=always); the
# guest script (guest/pc_vfio_crash.sh) kills it with SIGKILL and then with
# SIGSEGV right after a round trip started. Asserted for each kill: the kill
# landed mid-DMA (STATUS said "in flight" just before it, and the next
# instance found the device's engine still busy or the DMA completion the
# dead one never acknowledged), the supervisor logged the reason and
# restarted it (restarts + 1, running, last_exit), the new instance's round
# trips succeed with the data checked and keep counting, and no IOMMU
# (DMAR) fault appeared in the kernel log after the kill. Prints the restart
# latency and DMA figures as "# " lines.
set -u
. "$(dirname "$0")/lib.sh"
need_vm
edu=${1:?usage: test_pc_vfio_crash.sh EDU_DRIVER DRIVER_SUPERVISOR UDRVCTL}
sup=${2:?usage: test_pc_vfio_crash.sh EDU_DRIVER DRIVER_SUPERVISOR UDRVCTL}
ctl=${3:?usage: test_pc_vfio_crash.sh EDU_DRIVER DRIVER_SUPERVISOR UDRVCTL}
for b in "$edu" "$sup" "$ctl"; do
	[ -x "$b" ] || { echo "not ok - $b is not an executable"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
guest_run "$out" --board pc --bind vfio --timeout 300 \
	--put "$edu:/bin/edu_driver" --put "$sup:/bin/driver_supervisor" --put "$ctl:/bin/udrvctl" \
	--put "$SRC/tests/demo/guest/edu_vfio.driver:/etc/edu_vfio.driver" \
	--put "$SRC/tests/demo/guest/pc_vfio_crash.sh:/bin/pc_vfio_crash.sh" \
	-- sh /bin/pc_vfio_crash.sh

# val KEY FILE: the value of the first "KEY=value" line.
val() { sed -n "s/^$1=//p" "$2" | head -n 1; }
# word KEY LINE: the value of " KEY=value" inside a line.
word() { echo "$2" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

s=$tmp/s log=$tmp/log
section sup-log "$out" "$log"
section oneshot-1 "$out" "$s"
check "--dma 1: 3 one-byte round trips checked, exit 0" sh -c "[ \"\$(sed -n 's/^rc=//p' $s)\" = 0 ] && grep -Eq '^\[edu\] dma: 3 round trips of 1 B ok \(data checked\)' $s"
section oneshot-4095 "$out" "$s"
check "--dma 4095: 3 full-size round trips checked, 10 MSIs each serviced once, exit 0" \
	sh -c "[ \"\$(sed -n 's/^rc=//p' $s)\" = 0 ] && grep -Eq '^\[edu\] dma: 3 round trips of 4095 B ok \(data checked\)' $s && grep -q '^\[edu\] raised 10 interrupts, serviced 10, missed 0$' $s"
section start "$out" "$s"
pid0=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$s")
check "edu_driver running under the supervisor over vfio, DMA going (pid ${pid0:-?})" \
	sh -c "grep -q '\"state\": \"running\"' $s && grep -Eq '^pid=[0-9]+ trips=([89]|[1-9][0-9]+)$' $s"
check "first instance opened edu through vfio-pci" \
	has '^\[edu_vfio\] \[edu\] [0-9a-f:.]+ \(vfio\): ident 0x010000ed' "$log"
check "first instance found the DMA engine idle" has '^\[edu_vfio\] \[edu\] dma engine idle at start$' "$log"

# inst N: the supervisor log from the Nth launch to the next one.
inst() { awk -v n="$1" '/^\[sup\] launching edu_vfio$/ {k++} k == n' "$log"; }
n=1 prev=0
for sig in KILL SEGV; do
	n=$((n + 1))
	section kill-$sig "$out" "$s"
	inst "$n" > "$tmp/inst"
	killed=$(val killed "$s" | cut -d' ' -f1)
	restarted=$(sed -n 's/^restarted //p' "$s")
	npid=$(word pid " $restarted")
	nrest=$(word restarts " $restarted")
	before=$(val status_before "$s")
	trips=$(sed -n 's/^trips_new //p' "$s")
	first=$(word first " $trips") later=$(word later " $trips") tpid=$(word pid " $trips")
	check "$sig: killed right after a round trip started (STATUS: '$before')" \
		sh -c "echo '$before' | grep -q '; in flight$'"
	if grep -q 'dma engine busy at start' "$tmp/inst"; then
		how="the device's engine was still busy when the new instance opened it (drained in $(sed -n 's/.*: drained in //p' "$tmp/inst"))"
	elif grep -q 'acknowledged (a DMA completed after the previous instance died)$' "$tmp/inst"; then
		how="the engine had finished, its completion (cause 0x100) unacknowledged by the dead instance"
	else
		how=
	fi
	check "$sig: the kill landed mid-DMA, seen on the device: ${how:-no busy engine nor stale DMA completion}" [ -n "$how" ]
	check "$sig: supervisor logged the reason" \
		has "^\\[sup\\] edu_vfio (was killed \\(SIGKILL\\)|crashed \\(SIGSEGV\\)), restarting \\(restart $((prev + 1)), delay" "$log"
	check "$sig: restarted (pid $killed -> ${npid:-?}, restarts ${nrest:-?}, $(word state " $restarted"))" \
		sh -c "[ -n '$npid' ] && [ '$npid' != '$killed' ] && [ '$nrest' = $((prev + 1)) ] && [ '$(word state " $restarted")' = running ]"
	case $sig in
	KILL) want='killed (SIGKILL)' ;;
	SEGV) want='crash (SIGSEGV)' ;;
	esac
	check "$sig: last_exit is '$want' (got '$(val last_exit "$s")')" [ "$(val last_exit "$s")" = "$want" ]
	check "$sig: new instance's round trips succeed with the data checked, counting up (${first:-?} -> ${later:-?})" \
		sh -c "[ '$tpid' = '$npid' ] && [ '${first:-0}' -ge 3 ] && [ '${later:-0}' -gt '${first:-0}' ]"
	check "$sig: new instance logged checked round trips" \
		has '^\[edu_vfio\] \[edu\] dma: 10 round trips of 4095 B ok \(data checked\)' "$tmp/inst"
	check "$sig: no IOMMU (DMAR) fault in the kernel log after the kill" [ "$(val dmar_faults "$s")" = 0 ]
	echo "# $sig: kill -> READY=1 of the new instance: $(val restart_to_ready_ms "$s")"
	echo "# $sig: new instance: round trips $first -> $later in $(word over_ms " $trips") ms; $(val status_after "$s")"
	prev=$((prev + 1))
done

check "no driver error in the log (data mismatch, timeout...)" sh -c "! grep -q 'edu_driver:' $log"
check "launched exactly 3 times" [ "$(count '^\[sup\] launching edu_vfio$' "$log")" -eq 3 ]
section stop "$out" "$s"
check "SIGTERM: supervisor exits 0" [ "$(val sup_rc "$s")" = 0 ]
check "SIGTERM: driver stops cleanly after its round trips" \
	has '^\[edu_vfio\] \[edu\] stopped after [0-9]+ interrupts and [1-9][0-9]* dma round trips$' "$log"

finish
