#!/bin/sh
# Runs inside board pc for tests/faults/campaign.py (make faults):
#   faults.sh BIND N SEED KINDS
# driver_supervisor runs edu_driver --serve with IPC=yes and UDRV_FAULTS=1
# (over uio_pci_generic, or vfio-pci with Device=); `ipc_client storm edu`
# makes add calls the whole time while fault_ctl injects N faults of the
# KINDS (comma list) at random. Prints "== NAME" sections of "key=value"
# lines and fault_ctl's "fault ..." lines for the host.
export UDRV_CONTROL=/run/udrv/supervisor.sock
bind=$1 n=$2 seed=$3 kinds=$4
mkdir -p /run/udrv /etc/udrv.d
# The kernel log stays in the buffer (counted below), off the serial console:
# OOM reports would otherwise slow the guest down.
dmesg -n 1
if [ "$bind" = vfio ]; then
	dev="Device=pci:${UDRV_EDU_BDF:-0000:00:03.0}"
else
	dev=
fi
cat > /etc/udrv.d/edu.driver <<UNIT
[Driver]
Description=edu under fault injection (make faults)
ExecStart=/bin/edu_driver --serve
$dev
Type=notify
IPC=yes
Environment=UDRV_FAULTS=1
Restart=always
RestartSec=1ms
RestartMinDelaySec=1ms
RestartMaxDelaySec=1ms
StartLimitBurst=0
WatchdogSec=500ms
TimeoutStartSec=1s
TimeoutStopSec=1s
TasksMax=64
MemoryMax=32M
UNIT

js() { udrvctl status edu --json 2>/dev/null | tr -d '\n'; }
num() { echo "$2" | sed -n "s/.*\"$1\": \([0-9a-z]*\).*/\1/p"; }
str() { echo "$2" | sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p"; }
wait_line() {
	for _ in $(seq 600); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
kmsg() { dmesg | tail -n +$((base + 1)); }

base=$(dmesg | wc -l)
# The supervisor's log through awk: the fault lines counted, the last 40
# others kept, so a long run (FAULTS=1000000) does not fill the guest's RAM.
mkfifo /tmp/sup.fifo
awk '/edu_driver: fault: wild dma/ && d < 5 { dma[d++] = $0 }
	/edu_driver: fault: / { k = $0; sub(/.*edu_driver: fault: /, "", k); sub(/[^a-z -].*/, "", k); if (!c[k]++) first[k] = $0; next }
	{ t[m++ % 40] = $0 }
	END {
		for (i = (m > 40 ? m - 40 : 0); i < m; i++) print t[i % 40]
		print "sup_log_lines=" NR
		for (i = 0; i < d; i++) print "dma_log: " dma[i]
		for (k in c) print "fault_log: " c[k] " " k "; first: " first[k]
	}' < /tmp/sup.fifo > /tmp/sup.log &
apid=$!
driver_supervisor --config /etc/udrv.d > /tmp/sup.fifo 2>&1 &
sup=$!
for _ in $(seq 600); do
	[ "$(str state "$(js)")" = running ] && break
	sleep 0.1
done
# The supervisor's memory and fds, before and after: a leak per restart shows.
res() { echo "rss_kb=$(awk '/^VmRSS/ { print $2 }' /proc/$sup/status) fds=$(ls /proc/$sup/fd | wc -l)"; }
echo "== start"
echo "sup_pid=$sup state=$(str state "$(js)")"

ipc_client storm edu > /tmp/storm.out 2>&1 &
cpid=$!
wait_line /tmp/storm.out '^ready' || echo "error=client never ready"
sleep 1
echo "sup_before $(res)" # the supervisor after a second of client calls
echo "== faults"
fault_ctl edu "$n" "$seed" "$sup" "$kinds"
echo "ctl_rc=$?"
sleep 0.5
kill -USR1 $cpid
wait $cpid
echo "== client"
echo "client_rc=$?"
cat /tmp/storm.out

echo "== summary"
j=$(js)
alive=no
kill -0 "$sup" 2>/dev/null && alive=yes
echo "sup_alive=$alive sup_pid=$sup state=$(str state "$j") restarts=$(num restarts "$j")"
echo "sup_after $(res)"
echo "drivers_left=$(grep -l '^edu_driver$' /proc/[0-9]*/comm 2>/dev/null | wc -l)"
echo "dmar_faults=$(kmsg | grep -Eci 'DMAR: \[DMA')"
echo "kernel_warnings=$(kmsg | grep -Ec 'WARNING:|BUG:|Oops|general protection fault|Kernel panic')"
kmsg | grep -E 'WARNING:|BUG:|Oops|general protection fault' | head -n 20 | sed 's/^/warning: /'
kmsg | grep -Ei 'DMAR' | head -n 10 | sed 's/^/dmesg: /'
echo "oom_kills=$(kmsg | grep -ci 'Killed process')"
echo "fork_rejected=$(kmsg | grep -ci 'fork rejected by pids controller')"
echo "== stop"
kill -TERM "$sup"
wait "$sup"
echo "sup_rc=$?"
wait $apid
echo "== sup-log"
cat /tmp/sup.log
echo "== end"
