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
echo "== end"
