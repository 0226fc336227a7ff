#!/bin/sh
# Runs inside board pc with edu bound to uio_pci_generic, for
# tests/demo/test_pc_ipc.sh (issue 8). driver_supervisor runs edu_driver
# with IPC=yes (/etc/edu_ipc.driver); then, in "== NAME" sections:
#   call     udrvctl call: add, factorial, mark, status, and bad input
#   storm    a client adds without pause while the driver is killed with
#            SIGSEGV and SIGKILL every few hundred ms; ledger vs total
#   upgrade  the same client while the driver is upgraded to a new binary
#   hostile  random and malformed messages against the live driver
#   ckpt     a driver killed at every byte offset of a checkpoint commit
export UDRV_CONTROL=/run/udrv/supervisor.sock
KILLS=${KILLS:-24}
mkdir -p /run/udrv /etc/udrv.d
cp /etc/edu_ipc.driver /etc/udrv.d/edu.driver

js() { udrvctl status edu --json 2>/dev/null | tr -d '\n'; }
num() { echo "$2" | sed -n "s/.*\"$1\": \([0-9a-z]*\).*/\1/p"; }
str() { echo "$2" | sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p"; }
# running_other PID: wait (up to 60 s) until edu runs as another pid than PID.
running_other() {
	for _ in $(seq 600); do
		_j=$(js)
		_p=$(num pid "$_j")
		if [ "$(str state "$_j")" = running ] && [ -n "$_p" ] && [ "$_p" != null ] &&
			[ "$_p" != "$1" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# wait_line FILE REGEX: until FILE has a matching line (up to 60 s).
wait_line() {
	for _ in $(seq 600); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

driver_supervisor --config /etc/udrv.d > /tmp/sup.log 2>&1 &
sup=$!
running_other none || echo "error=edu never ran"

echo "== call"
j=$(js)
echo "restarts_before=$(num restarts "$j")"
echo "add5a=$(udrvctl call edu add 5)"
echo "add5b=$(udrvctl call edu add 5)"
echo "fact10=$(udrvctl call edu factorial 10)"
echo "mark=$(udrvctl call edu mark 0x1234)"
echo "status=$(udrvctl call edu status)"
udrvctl call edu nope > /tmp/e 2>&1; echo "nope_rc=$? nope=$(cat /tmp/e)"
udrvctl call edu add notanumber > /tmp/e 2>&1; echo "badarg_rc=$? badarg=$(cat /tmp/e)"
udrvctl call edu add u8:1 > /tmp/e 2>&1; echo "short_rc=$? short=$(cat /tmp/e)"
udrvctl call nosuch add 5 > /tmp/e 2>&1; echo "nosuch_rc=$? nosuch=$(cat /tmp/e)"

echo "== storm"
ipc_client storm edu > /tmp/storm.out 2>&1 &
cpid=$!
wait_line /tmp/storm.out '^ready' || echo "error=client never ready"
kills=0 failed=0
i=0
while [ $i -lt "$KILLS" ]; do
	i=$((i + 1))
	sleep 0.3
	pid=$(num pid "$(js)")
	if [ $((i % 2)) = 1 ]; then sig=SEGV; else sig=KILL; fi
	kill -$sig "$pid" && kills=$((kills + 1))
	running_other "$pid" || failed=$((failed + 1))
done
sleep 0.5
kill -USR1 $cpid
wait $cpid
echo "client_rc=$?"
cat /tmp/storm.out
echo "kills=$kills restart_failures=$failed"
j=$(js)
echo "restarts=$(num restarts "$j") state=$(str state "$j") last_exit=$(str last_exit "$j")"

echo "== upgrade"
cp /bin/edu_driver /bin/edu_driver2
ipc_client storm edu > /tmp/up.out 2>&1 &
cpid=$!
wait_line /tmp/up.out '^ready' || echo "error=client never ready"
r0=$(num restarts "$(js)")
ups=0
for i in 1 2 3 4 5 6; do
	sleep 0.3
	if [ $((i % 2)) = 1 ]; then p=/bin/edu_driver2; else p=/bin/edu_driver; fi
	udrvctl upgrade edu --exec $p > /tmp/upg 2>&1 && ups=$((ups + 1))
	echo "switch=$(tail -n 1 /tmp/upg)"
done
sleep 0.5
kill -USR1 $cpid
wait $cpid
echo "client_rc=$?"
cat /tmp/up.out
j=$(js)
echo "upgrades=$ups restarts_after=$(num restarts "$j") state=$(str state "$j")"

echo "== hostile"
j=$(js)
p0=$(num pid "$j") r0=$(num restarts "$j")
ipc_client hostile edu
echo "client_rc=$?"
j=$(js)
echo "same_pid=$([ "$(num pid "$j")" = "$p0" ] && echo yes || echo no) restarts_delta=$(($(num restarts "$j") - r0))"
echo "total=$(udrvctl call edu total)"

echo "== ckpt"
cp /etc/ckpt_storm.driver /etc/udrv.d/ckpt_storm.driver
kill -HUP $sup
st=
for _ in $(seq 1200); do
	j=$(udrvctl status ckpt_storm --json 2>/dev/null | tr -d '\n')
	st=$(str state "$j")
	[ "$st" = stopped ] || [ "$st" = failed ] && [ "$(num restarts "$j")" != 0 ] && break
	sleep 0.1
done
echo "ckpt_state=$st restarts=$(num restarts "$j") last_exit=$(str last_exit "$j")"

echo "== stop"
kill -TERM $sup
wait $sup
echo "sup_rc=$?"
echo "== sup-log"
cat /tmp/sup.log
echo "== end"
