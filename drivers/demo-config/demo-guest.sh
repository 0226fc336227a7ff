#!/bin/sh
# The guest side of `make demo` (vm/demo.sh), run on board rpi3 as
# /bin/udrv-demo: the brief's transcript, live. The commands are echoed
# with "$ " as a person would type them; driver_supervisor runs in the
# background and writes its own and its drivers' lines to the console.
# DEMO_BLINK_S: seconds of blinking before and after the crash.
blink=${DEMO_BLINK_S:-3}
export UDRV_CONTROL=/run/udrv/supervisor.sock

# The guest's busybox may lack the pgrep applet: find by process name.
if ! command -v pgrep >/dev/null 2>&1; then
	pgrep() {
		for _c in /proc/[0-9]*/comm; do
			read -r _n < "$_c" 2>/dev/null && [ "$_n" = "$1" ] && { _p=${_c#/proc/}; echo "${_p%/comm}"; }
		done
	}
fi
mkdir -p /run/udrv
# The drivers run as nobody (User= in their units); the guest has no users.
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >> /etc/group

echo '$ driver_supervisor --config /etc/udrv.d &'
driver_supervisor --config /etc/udrv.d &
sup=$!
sleep "$blink"

echo '$ udrvctl status'
udrvctl status

# Who the drivers run as, the only device files they hold (the fds the
# supervisor opened for them), and their seccomp filter (mode 2).
echo '$ ps -o pid,user,args | grep _driver'
ps -o pid,user,args | grep '[_]driver'
for d in gpio_driver timer_driver; do
	echo "\$ ls -l /proc/\$(pgrep $d)/fd | grep /dev/"
	ls -l "/proc/$(pgrep $d)/fd" | grep /dev/ | sed 's/.* \([0-9]* -> \)/fd \1/'
	echo "\$ grep -E 'NoNewPrivs|Seccomp:' /proc/\$(pgrep $d)/status"
	grep -E 'NoNewPrivs|Seccomp:' "/proc/$(pgrep $d)/status"
done
sleep 1

echo '$ kill -SEGV $(pgrep gpio_driver)'
kill -SEGV "$(pgrep gpio_driver)"
sleep "$blink"

echo '$ udrvctl status'
udrvctl status
echo '$ ps -o pid,user,args | grep _driver'
ps -o pid,user,args | grep '[_]driver'

echo '$ kill -TERM $(pgrep driver_supervisor)'
kill -TERM "$sup"
wait "$sup"
rc=$?
echo "[demo] driver_supervisor exited with status $rc"
exit "$rc"
