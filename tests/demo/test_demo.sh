#!/bin/sh
# test_demo.sh - `make demo` (vm/demo.sh) asserted: on board rpi3 the
# supervisor launches gpio_driver and timer_driver, the GPIO block is mapped
# at 0x3f200000 size 0x1000 and the LED blinks with levels read back; after
# `kill -SEGV` the supervisor reports the crash and restarts gpio_driver,
# which maps and blinks again; timer_driver keeps ticking across the crash
# (never restarted, same pid); `udrvctl status` shows the restart; the
# supervisor stops everything cleanly with the pin left low. Both drivers run
# as nobody with only their own device fd (Device=, passed by the supervisor). gpio_driver
# keeps its toggle count in the supervisor's fd store (udrv_state_open): the
# restarted instance says what it restored and counts on from there.
set -u
. "$(dirname "$0")/lib.sh"
need_vm

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
"$SRC/vm/demo.sh" --blink 3 > "$out" 2>&1
rc=$?
cat "$out"
echo "---"
check "demo exited 0 (got $rc)" [ "$rc" -eq 0 ]

# Split the run at the kill: before, after.
awk '/^\$ kill -SEGV/ {exit} {print}' "$out" > "$tmp/before"
awk 'f {print} /^\$ kill -SEGV/ {f = 1}' "$out" > "$tmp/after"
awk 'f {print} /^\[sup\] gpio_driver crashed/ {f = 1}' "$out" > "$tmp/restarted"

b=$tmp/before a=$tmp/after r=$tmp/restarted
check "supervisor launched gpio_driver" has '^\[sup\] launching gpio_driver$' "$b"
check "supervisor launched timer_driver" has '^\[sup\] launching timer_driver$' "$b"
check "mapped line before the crash" has '^\[driver\] mapped 0x3f200000 size=0x1000$' "$b"
check "blinking before the crash" has '^\[driver\] LED on pin 17 blinking$' "$b"
check "levels read back before the crash" has '^\[driver\] pin 17 level=[01] \(toggle [0-9]+\)$' "$b"
check "timer ticking before the crash" has '^\[timer\] ticks=[0-9]+ missed=[0-9]+ rate=' "$b"
check "status before: both running, no restarts" sh -c "grep -Eq '^gpio_driver +running +[0-9]+ +0 ' $b && grep -Eq '^timer_driver +running +[0-9]+ +0 ' $b"

# Least privilege (issue 10): both drivers run as nobody (User=), and the
# only device files they hold are their own UIO node, passed by the
# supervisor (Device=), besides stdin (/dev/null).
for d in gpio_driver timer_driver; do
	check "$d runs as nobody" grep -Eq "^ *[0-9]+ +(nobody|65534) +/bin/$d " "$b"
	awk -v d="$d" '$0 ~ "^\\$ ls -l /proc/.*pgrep " d "\\)" {on = 1; next} /^\$/ {on = 0} on' "$b" > "$tmp/fds-$d"
	devs=$(sed -n 's/^fd [0-9]* -> //p' "$tmp/fds-$d" | grep -v '^/dev/null$' | sort -u | tr '\n' ' ')
	check "$d holds only its own UIO node (${devs:-none})" sh -c "echo '$devs' | grep -Eq '^/dev/uio[0-9]+ \$'"
done
check "both run with no_new_privs and a seccomp filter (SystemCallFilter=)" \
	sh -c "[ \$(grep -Ec '^NoNewPrivs:[[:space:]]+1$' $b) = 2 ] && [ \$(grep -Ec '^Seccomp:[[:space:]]+2$' $b) = 2 ]"
check "gpio_driver and timer_driver hold different nodes" \
	sh -c "! cmp -s '$tmp/fds-gpio_driver' '$tmp/fds-timer_driver'"
check "restarted gpio_driver runs as nobody" grep -Eq "^ *[0-9]+ +(nobody|65534) +/bin/gpio_driver " "$a"

check "crash reported as SIGSEGV, restarting" has '^\[sup\] gpio_driver crashed \(SIGSEGV\), restarting' "$a"
check "relaunched after the crash" has '^\[sup\] launching gpio_driver$' "$r"
check "mapped again after the restart" has '^\[driver\] mapped 0x3f200000 size=0x1000$' "$r"
check "blinking again after the restart" has '^\[driver\] LED on pin 17 blinking$' "$r"
check "levels read back again after the restart" has '^\[driver\] pin 17 level=[01] \(toggle [0-9]+\)$' "$r"
check "no state to restore on the first start" sh -c "! grep -q '^\[driver\] restored state' $b"
check "restored state after the restart" has '^\[driver\] restored state: [0-9]+ toggles, pin 17 level=[01]' "$r"

# The count goes on from where the killed instance was: the restored count
# is at least the last toggle reported before the kill (reports come every
# 5), and the first report after the restart is past the restored count.
last_before=$(sed -n 's/^\[driver\] pin 17 level=[01] (toggle \([0-9]*\))$/\1/p' "$b" | tail -n 1)
restored=$(sed -n 's/^\[driver\] restored state: \([0-9]*\) toggles.*/\1/p' "$r" | head -n 1)
first_after=$(sed -n 's/^\[driver\] pin 17 level=[01] (toggle \([0-9]*\))$/\1/p' "$r" | head -n 1)
echo "# toggles: last reported before the kill ${last_before:-?}, restored ${restored:-?}, first reported after ${first_after:-?}"
check "restored count covers the toggles before the kill (${last_before:-?} <= ${restored:-?} <= ${last_before:-?}+5)" \
	[ "${restored:-0}" -ge "${last_before:-1}" -a "${restored:-0}" -le "$((${last_before:-0} + 5))" ]
check "toggles continue from the restored count (${restored:-?} < ${first_after:-?} <= ${restored:-?}+5)" \
	[ "${first_after:-0}" -gt "${restored:-0}" -a "${first_after:-0}" -le "$((${restored:-0} + 5))" ]
check "timer_driver launched once, never restarted" [ "$(count '^\[sup\] launching timer_driver$' "$out")" -eq 1 ]
check "gpio_driver launched exactly twice" [ "$(count '^\[sup\] launching gpio_driver$' "$out")" -eq 2 ]

# Timer ticks continue across the crash: a summary after the restart, with
# more ticks than the last one before the kill.
t_before=$(sed -n 's/^\[timer\] ticks=\([0-9]*\) .*/\1/p' "$b" | tail -n 1)
t_after=$(sed -n 's/^\[timer\] ticks=\([0-9]*\) .*/\1/p' "$r" | tail -n 1)
echo "# timer ticks: ${t_before:-?} before the kill, ${t_after:-?} at the last summary after the restart"
check "timer ticks continue across the crash (${t_before:-?} -> ${t_after:-?})" \
	[ "${t_after:-0}" -gt "${t_before:-0}" ]
pid1=$(awk '$1 == "timer_driver" && $2 == "running" {print $3; exit}' "$b")
pid2=$(awk '$1 == "timer_driver" && $2 == "running" {print $3}' "$a" | tail -n 1)
check "timer_driver kept its pid across the crash (${pid1:-?} = ${pid2:-?})" \
	[ "${pid1:-none}" = "${pid2:-missing}" ]
check "status after: gpio_driver running, 1 restart, crash (SIGSEGV)" \
	grep -Eq '^gpio_driver +running +[0-9]+ +1 +crash \(SIGSEGV\)' "$a"

check "clean stop: pin left low" has '^\[driver\] stopped after [0-9]+ toggles, pin 17 low$' "$a"
check "clean stop: timer summary" has '^\[timer\] stopped: ticks=[0-9]+ ' "$a"
check "clean stop: supervisor exits 0" sh -c "grep -q '^\[sup\] all drivers stopped, exiting$' $a && grep -q '^\[demo\] driver_supervisor exited with status 0$' $a"

finish
