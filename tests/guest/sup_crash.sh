#!/bin/sh
# Issue 10, in board pc (cgroup2 mounted by vm/guest/init): a driver that
# ignores SIGTERM, with a child and a setsid() grandchild whose environment
# is empty (nothing but its cgroup says whose it is). After kill -9 of the
# supervisor all three live on; a new supervisor kills them (found in its
# cgroups) before it starts the driver again, and runs one copy. Then stop
# empties the driver's cgroup, and a normal exit removes the cgroups.
#   sup_crash.sh   (driver_supervisor and udrvctl in /bin)
set -u
fail=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fail=1; }

# pids whose command line is exactly "sleep N"
pids_of() {
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "sleep $1 " ] && echo "${p#/proc/}"
	done
}
count() { pids_of "$1" | wc -l; }
all3() { [ "$(count 7001)" = 1 ] && [ "$(count 7002)" = 1 ] && [ "$(count 7003)" = 1 ]; }
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}

grep -q cgroup2 /proc/mounts || { echo "not ok - cgroup2 is not mounted in the guest"; exit 1; }
mkdir -p /tmp/conf
cat >/tmp/conf/esc.driver <<'UNIT'
[Driver]
ExecStart=/bin/sh -c 'trap "" TERM; setsid env -i sleep 7001 & sh -c "trap \\"\\" TERM; exec sleep 7002" & exec sleep 7003'
Type=simple
TimeoutStopSec=500ms
UNIT
run() {
	driver_supervisor --config /tmp/conf --control /tmp/ctl.sock --runtime-dir /tmp/run >>/tmp/out 2>&1 &
	sup=$!
	wait_for 60 udrvctl --control /tmp/ctl.sock status esc >/dev/null 2>&1
}
run
if wait_for 60 all3; then ok "driver, child and setsid grandchild run"; else bad "three processes"; cat /tmp/out; fi
old="$(pids_of 7001) $(pids_of 7002) $(pids_of 7003)"
cg=$(cat /tmp/run/cgroup)
echo "# cgroup $cg, pids $old"
for p in $old; do
	grep -q "^0::.*/esc.driver$" /proc/$p/cgroup && ok "pid $p in esc.driver" || bad "pid $p: $(cat /proc/$p/cgroup)"
done
kill -9 $sup
wait $sup 2>/dev/null
sleep 1
alive=0
for p in $old; do [ -d /proc/$p ] && alive=$((alive + 1)); done
[ $alive = 3 ] && ok "all three outlive kill -9 of the supervisor" || bad "scenario: $alive of 3 alive"

run
for p in $old; do [ -d /proc/$p ] && bad "pid $p of the dead supervisor still alive"; done
grep -q "killed 3 process(es) left by a previous supervisor of /tmp/run (cgroups)" /tmp/out &&
	ok "leftovers killed through the cgroups" || { bad "no kill logged"; cat /tmp/out; }
if wait_for 60 all3; then ok "one new copy of each"; else bad "copies: $(count 7001) $(count 7002) $(count 7003)"; fi

udrvctl --control /tmp/ctl.sock stop esc | grep -q "esc is stopped" && ok "stopped" || bad "stop"
[ "$(count 7001)$(count 7002)$(count 7003)" = 000 ] && ok "stop killed all three" || bad "alive after stop"
[ -z "$(cat "$cg/esc.driver/cgroup.procs")" ] && ok "its cgroup is empty" || bad "cgroup.procs not empty"
kill $sup
wait $sup
[ ! -d "$cg" ] && ok "cgroups removed at exit" || bad "$cg left"
[ $fail = 0 ] || { echo "--- supervisor output"; cat /tmp/out; }
exit $fail
