#!/bin/sh
# Runs inside board pc (edu bound to uio_pci_generic) for test-new.sh: the
# `udrvctl new` skeleton in /drv (binary + unit) under driver_supervisor,
# crashed with SIGSEGV, back with its checkpoint. Prints "== NAME"
# sections of key=value lines; the host asserts on them.
name=${1:-myedu}
export UDRV_CONTROL=/run/udrv/supervisor.sock
mkdir -p /run/udrv
# The skeleton was generated for pci:0000:00:03.0; point it at edu's real slot.
sed -i "s/^Device=.*/Device=pci:$UDRV_EDU_BDF/" /drv/$name.driver
js() { udrvctl status $name --json 2>/dev/null | tr -d '\n'; }
num() { echo "$2" | sed -n "s/.*\"$1\": \([0-9a-z]*\).*/\1/p"; }
str() { echo "$2" | sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p"; }
loops() { str status "$1" | sed -n 's/^loops \([0-9]*\),.*/\1/p'; }
# wait_loops PID N: until driver PID is running and reports N loops or more (60 s at most)
wait_loops() {
	for _ in $(seq 600); do
		_j=$(js)
		if [ "$(num pid "$_j")" = "$1" ] && [ "$(str state "$_j")" = running ] &&
		   [ "$(loops "$_j")" -ge "$2" ] 2>/dev/null; then
			echo "$_j"
			return 0
		fi
		sleep 0.1
	done
	js
	return 1
}
# new_pid OLD: until a running instance with another pid (60 s at most)
new_pid() {
	for _ in $(seq 600); do
		_p=$(num pid "$(js)")
		[ -n "$_p" ] && [ "$_p" != null ] && [ "$_p" != "$1" ] && { echo "$_p"; return 0; }
		sleep 0.1
	done
	return 1
}

echo "== start"
driver_supervisor --config /drv > /tmp/sup.log 2>&1 &
sup=$!
pid1=$(new_pid none)
j=$(wait_loops "$pid1" 3)
echo "pid=$pid1 loops=$(loops "$j") state=$(str state "$j")"
echo "== crash"
kill -SEGV "$pid1"
pid2=$(new_pid "$pid1")
j=$(wait_loops "$pid2" 1)
l1=$(loops "$j")
echo "pid=$pid2 restarts=$(num restarts "$j") state=$(str state "$j") last_exit=$(str last_exit "$j") loops=$l1"
j=$(wait_loops "$pid2" $((l1 + 2)))
echo "later_loops=$(loops "$j")"
echo "== stop"
udrvctl stop $name; echo "stop_rc=$?"
kill -TERM $sup; wait $sup; echo "sup_rc=$?"
echo "== sup-log"
cat /tmp/sup.log
echo "== end"
