#!/bin/sh
# Issue 10, in board pc (cgroup2 at the root): TasksMax= and MemoryMax= are
# the driver cgroup's pids.max and memory.max. A driver whose helper shell
# forks ten sleeps under TasksMax=4 gets two (main, helper and two sleeps
# make four; busybox sh gives up at the first refused fork); one that fills 64 MiB under
# MemoryMax=16M is ended by the kernel's OOM killer (a crash in last_exit).
#   sup_limits.sh   (driver_supervisor and udrvctl in /bin)
set -u
fail=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fail=1; }
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
ctl() { udrvctl --control /tmp/ctl.sock "$@"; }

grep -q cgroup2 /proc/mounts || { echo "not ok - cgroup2 is not mounted in the guest"; exit 1; }
mkdir -p /tmp/conf
cat >/tmp/conf/forks.driver <<'UNIT'
[Driver]
ExecStart=/bin/sh -c 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 7100 & done"; exec sleep 7101'
Type=simple
TasksMax=4
UNIT
cat >/tmp/conf/big.driver <<'UNIT'
[Driver]
ExecStart=/bin/sh -c 'echo filling; exec dd if=/dev/zero of=/dev/null bs=64M count=1'
Type=simple
Restart=no
MemoryMax=16M
UNIT
driver_supervisor --config /tmp/conf --control /tmp/ctl.sock --runtime-dir /tmp/run >/tmp/out 2>&1 &
sup=$!
wait_for 60 ctl status forks >/dev/null 2>&1
cg=$(cat /tmp/run/cgroup)

[ "$(cat "$cg/forks.driver/pids.max" 2>/dev/null)" = 4 ] && ok "pids.max 4" || bad "pids.max: $(cat "$cg/forks.driver/pids.max" 2>&1)"
procs() { wc -l <"$cg/forks.driver/cgroup.procs"; }
settled() {
	for p in $(cat "$cg/forks.driver/cgroup.procs"); do
		[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "sleep 7101 " ] && return 0
	done
	return 1
}
wait_for 30 settled || bad "forks did not reach its exec"
[ "$(procs)" = 3 ] && ok "forks has 3 processes (2 of 10 sleeps forked)" || bad "forks: $(procs) processes"
grep -q "\[forks\].*fork" /tmp/out && ok "the refused forks are in its log" || bad "no fork error logged"

[ "$(cat "$cg/big.driver/memory.max" 2>/dev/null)" = 16777216 ] && ok "memory.max 16M" || bad "memory.max: $(cat "$cg/big.driver/memory.max" 2>&1)"
failed() { ctl status big | grep -q failed; }
if wait_for 60 failed; then ok "big failed"; else bad "big did not fail: $(ctl status big)"; fi
ctl status big | grep -q "SIGKILL" && ok "killed by the OOM killer: $(ctl status big | grep SIGKILL)" || bad "status: $(ctl status big)"
grep -q "oom_kill [1-9]" "$cg/big.driver/memory.events" && ok "memory.events counts the OOM kill" || bad "memory.events: $(cat "$cg/big.driver/memory.events")"
grep -q "records out" /tmp/out && bad "big survived its limit"
grep -q "not applied" /tmp/out && bad "a limit was not applied"
kill $sup
wait $sup
[ $fail = 0 ] || { echo "--- supervisor output"; cat /tmp/out; }
exit $fail
