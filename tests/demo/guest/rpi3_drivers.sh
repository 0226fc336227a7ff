#!/bin/sh
# Runs inside board rpi3 (busybox sh). Each section is printed between
# "== NAME" markers with the exit status as "rc=N"; the host asserts.

# CPU time (user+sys, clock ticks) of PID so far, from /proc/PID/stat.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "== uio"
for d in /sys/class/uio/uio*; do echo "$(basename "$d") $(cat "$d/name") $(cat "$d/maps/map0/addr")"; done

echo "== gpio-blink"
gpio_driver --pin 17 --period-ms 50 --count 20 --verbose; echo "rc=$?"

echo "== gpio-rmw"
# Pin 18 shares GPFSEL1 with pin 17: setting it up must keep pin 17 an output.
gpio_driver --pin 18 --period-ms 10 --count 2 --report 0; echo "rc=$?"
gpio_driver --pin 17 --dump; echo "rc=$?"
gpio_driver --pin 18 --dump; echo "rc=$?"

echo "== gpio-sigterm"
gpio_driver --pin 17 --period-ms 100 --report 0 &
pid=$!
sleep 1
gpio_driver --pin 17 --dump | grep 'pin 17'
sleep 1
echo "cpu_ticks=$(cpu_ticks $pid) over 2s, CLK_TCK=100"
kill -TERM $pid
wait $pid; echo "rc=$?"

echo "== gpio-after"
gpio_driver --pin 17 --dump; echo "rc=$?"

echo "== gpio-bad-pin"
gpio_driver --pin 54; echo "rc=$?"
echo "== gpio-bad-period"
gpio_driver --period-ms 10x; echo "rc=$?"
echo "== gpio-bad-device"
gpio_driver --device name:nosuch; echo "rc=$?"
echo "== gpio-wrong-device"
gpio_driver --device name:timer --count 1; echo "rc=$?"

for r in 10 100 1000; do
	echo "== timer-$r"
	timer_driver --rate-hz $r --count $((r * 3)) --report $((r * 3)); echo "rc=$?"
done

echo "== timer-sigterm"
timer_driver --rate-hz 100 &
pid=$!
sleep 2
echo "cpu_ticks=$(cpu_ticks $pid) over 2s, CLK_TCK=100"
kill -TERM $pid
wait $pid; echo "rc=$?"

echo "== timer-bad-rate"
timer_driver --rate-hz 0; echo "rc=$?"
echo "== timer-no-irq"
timer_driver --device name:gpiomem --count 1; echo "rc=$?"
# IPC (issue 8): both drivers under driver_supervisor with IPC=yes
# (/etc/udrv.d/*.driver from tests/demo/guest/rpi3_*_ipc.driver), called
# with `udrvctl call`.
export UDRV_CONTROL=/run/udrv/supervisor.sock
mkdir -p /run/udrv /etc/udrv.d
js() { udrvctl status "$1" --json 2>/dev/null | tr -d '\n'; }
num() { echo "$2" | sed -n "s/.*\"$1\": \([0-9a-z]*\).*/\1/p"; }
str() { echo "$2" | sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p"; }
# running_other UNIT PID: wait (up to 60 s) until UNIT runs as another pid
# than PID and answers calls.
running_other() {
	for _ in $(seq 600); do
		_j=$(js "$1")
		_p=$(num pid "$_j")
		if [ "$(str state "$_j")" = running ] && [ -n "$_p" ] && [ "$_p" != null ] &&
			[ "$_p" != "$2" ] && udrvctl call "$1" status > /dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
call() { udrvctl call "$@" 2>&1; }
# u64 of a reply "N (0xHEX)".
n_of() { echo "$1" | cut -d' ' -f1; }

echo "== ipc"
driver_supervisor --config /etc/udrv.d > /tmp/sup.log 2>&1 &
sup=$!
running_other gpio_driver none || echo "error=gpio_driver never answered"
running_other timer_driver none || echo "error=timer_driver never answered"
echo "status1=$(call gpio_driver status)"
echo "period1=$(call gpio_driver period)"
echo "set100=$(call gpio_driver set-period 100)"
echo "period2=$(call gpio_driver period)"
call gpio_driver set-period 0 > /tmp/e; echo "bad0_rc=$? bad0=$(cat /tmp/e)"
call gpio_driver set-period 3600001 > /tmp/e; echo "badmax_rc=$? badmax=$(cat /tmp/e)"
call gpio_driver set-period u8:1 > /tmp/e; echo "badlen_rc=$? badlen=$(cat /tmp/e)"
echo "period3=$(call gpio_driver period)"
pid=$(num pid "$(js gpio_driver)")
t1=$(call gpio_driver toggles)
c1=$(cpu_ticks "$pid")
sleep 2
t2=$(call gpio_driver toggles)
c2=$(cpu_ticks "$pid")
echo "toggles1=$t1"
echo "toggles2=$t2"
echo "gpio_cpu_ticks=$((c2 - c1)) over 2s at 100 ms, CLK_TCK=100"
echo "status2=$(call gpio_driver status)"

echo "timer_status1=$(call timer_driver status)"
echo "timer_period1=$(call timer_driver period)"
tk1=$(call timer_driver ticks)
sleep 1
tk2=$(call timer_driver ticks)
echo "ticks1=$tk1"
echo "ticks2=$tk2"
echo "setrate=$(call timer_driver set-rate 50)"
echo "timer_rate=$(call timer_driver rate)"
echo "timer_period2=$(call timer_driver period)"
call timer_driver set-rate 10001 > /tmp/e; echo "badrate_rc=$? badrate=$(cat /tmp/e)"
tk3=$(call timer_driver ticks)
sleep 1
tk4=$(call timer_driver ticks)
echo "ticks3=$tk3"
echo "ticks4=$tk4"

# A crash of each: the restarted instance keeps what was set over IPC.
j=$(js gpio_driver)
echo "gpio_restarts_before=$(num restarts "$j")"
kill -SEGV "$(num pid "$j")"
running_other gpio_driver "$(num pid "$j")" || echo "error=gpio_driver not back"
echo "gpio_restarts_after=$(num restarts "$(js gpio_driver)")"
echo "period_after=$(call gpio_driver period)"
t3=$(call gpio_driver toggles)
sleep 1
t4=$(call gpio_driver toggles)
echo "toggles3=$t3"
echo "toggles4=$t4"
echo "status3=$(call gpio_driver status)"
j=$(js timer_driver)
kill -SEGV "$(num pid "$j")"
running_other timer_driver "$(num pid "$j")" || echo "error=timer_driver not back"
echo "timer_restarts_after=$(num restarts "$(js timer_driver)")"
echo "rate_after=$(call timer_driver rate)"
tk5=$(call timer_driver ticks)
sleep 1
tk6=$(call timer_driver ticks)
echo "ticks5=$tk5"
echo "ticks6=$tk6"

# A period longer than the watchdog (2 s): the wait between toggles pings
# it, so no watchdog kill, and still a toggle.
echo "set5000=$(call gpio_driver set-period 5000)"
j=$(js gpio_driver)
t5=$(call gpio_driver toggles)
sleep 7
t6=$(call gpio_driver toggles)
j2=$(js gpio_driver)
echo "long_toggles=$(n_of "$t5") $(n_of "$t6")"
echo "long_pid=$(num pid "$j") $(num pid "$j2") long_restarts=$(num restarts "$j") $(num restarts "$j2") state=$(str state "$j2")"

kill -TERM $sup
wait $sup
echo "sup_rc=$?"
gpio_driver --pin 17 --dump | grep 'pin 17'
echo "== ipc-sup-log"
cat /tmp/sup.log
echo "== end"
