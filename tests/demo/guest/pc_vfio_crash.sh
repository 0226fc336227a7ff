#!/bin/sh
# Runs inside board pc with edu bound to vfio-pci (vm/run --bind vfio), for
# tests/demo/test_pc_vfio_crash.sh. driver_supervisor runs edu_driver doing
# DMA round trips back to back (/etc/edu_vfio.driver); the driver is killed
# with SIGKILL, then with SIGSEGV, each time right after a round trip has
# started (so a transfer is in flight), and what happens next is printed as
# "key=value" lines in "== NAME" sections; the host asserts on them.
export UDRV_CONTROL=/run/udrv/supervisor.sock
name=edu_vfio
mkdir -p /run/udrv /etc/udrv.d
sed "s/0000:00:03.0/${UDRV_EDU_BDF:-0000:00:03.0}/" /etc/edu_vfio.driver > /etc/udrv.d/$name.driver

now() { cut -d' ' -f1 /proc/uptime; } # seconds, 10 ms resolution
js() { udrvctl status $name --json 2>/dev/null | tr -d '\n'; }
num() { echo "$2" | sed -n "s/.*\"$1\": \([0-9a-z]*\).*/\1/p"; }
str() { echo "$2" | sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p"; }
trips() { str status "$1" | sed -n 's/^dma \([0-9]*\) round trips ok.*/\1/p'; }
# ms A B: milliseconds from uptime A to uptime B.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# wait_trips PID N SEC: until driver PID reports at least N round trips; echoes the JSON.
wait_trips() {
	_end=$(($(cut -d. -f1 /proc/uptime) + $3))
	while [ "$(cut -d. -f1 /proc/uptime)" -lt "$_end" ]; do
		_j=$(js)
		_t=$(trips "$_j")
		if [ "$(num pid "$_j")" = "$1" ] && [ "${_t:-0}" -ge "$2" ]; then
			echo "$_j"
			return 0
		fi
		sleep 0.02
	done
	js
	return 1
}

# Unsupervised first: one-shot round trips at both ends of the sizes, and
# MSI bursts beside DMA.
spec=pci:${UDRV_EDU_BDF:-0000:00:03.0}
echo "== oneshot-1"
edu_driver --device "$spec" --dma 1 --dma-rounds 3; echo "rc=$?"
echo "== oneshot-4095"
edu_driver --device "$spec" --dma 4095 --dma-rounds 3 --raise 10; echo "rc=$?"

echo "== start"
driver_supervisor --config /etc/udrv.d > /tmp/sup.log 2>&1 &
sup=$!
j=
for _ in $(seq 300); do
	j=$(js)
	[ "$(str state "$j")" = running ] && [ "$(num ready "$j")" = true ] && break
	sleep 0.1
done
pid=$(num pid "$j")
# 8 round trips (1.6 s): ready longer than RestartResetSec=1s, so each
# crash restarts at once, without backoff.
j=$(wait_trips "$pid" 8 30)
echo "json=$j"
echo "pid=$pid trips=$(trips "$j")"

for sig in KILL SEGV; do
	echo "== kill-$sig"
	j=$(js)
	pid=$(num pid "$j")
	restarts=$(num restarts "$j")
	# Kill right after a round trip starts: wait until the count moves
	# (STATUS "... ; in flight" is sent just before the first transfer).
	n=$(trips "$j")
	j=$(wait_trips "$pid" $((n + 1)) 10)
	dm=$(dmesg | wc -l)
	kill -$sig "$pid"
	t0=$(now)
	echo "killed=$pid restarts=$restarts"
	echo "status_before=$(str status "$j")"
	# The restarted instance: a new pid, running, ready.
	j=
	for _ in $(seq 500); do
		j=$(js)
		npid=$(num pid "$j")
		[ -n "$npid" ] && [ "$npid" != null ] && [ "$npid" != "$pid" ] &&
			[ "$(num ready "$j")" = true ] && break
		sleep 0.01
	done
	t1=$(now)
	up=$(num uptime_ms "$j")
	echo "json_restarted=$j"
	echo "restarted pid=$npid restarts=$(num restarts "$j") state=$(str state "$j")"
	echo "last_exit=$(str last_exit "$j")"
	# kill -> READY=1 of the new instance: observed minus the time it has been ready.
	echo "restart_to_ready_ms=$(($(ms "$t0" "$t1") - ${up:-0})) (observed after $(ms "$t0" "$t1") ms, uptime ${up:-?} ms)"
	j=$(wait_trips "$npid" 3 20)
	a=$(trips "$j")
	ta=$(now)
	sleep 2
	j=$(js)
	b=$(trips "$j")
	tb=$(now)
	echo "json_after=$j"
	echo "trips_new pid=$(num pid "$j") first=$a later=$b over_ms=$(ms "$ta" "$tb")"
	echo "status_after=$(str status "$j")"
	dmesg | tail -n +$((dm + 1)) > /tmp/dmesg.new
	echo "dmar_faults=$(grep -Eci 'DMAR: \[DMA|fault addr|DMAR: DRHD' /tmp/dmesg.new)"
	grep -Ei 'DMAR|fault' /tmp/dmesg.new | sed 's/^/dmesg: /'
done

echo "== stop"
kill -TERM "$sup"
wait "$sup"
echo "sup_rc=$?"
echo "== sup-log"
cat /tmp/sup.log
echo "== end"
