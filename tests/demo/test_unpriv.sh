#!/bin/sh
# test_unpriv.sh rpi3 | pc-uio EDU SUP CTL | pc-vfio EDU SUP CTL - issue 10's
# "device access by fd only": the demo drivers run under driver_supervisor
# as user nobody (User=, NoNewPrivileges=) with only the fds of their own
# device, opened by the supervisor (Device=, supervisor/devices.c), and work,
# interrupts included: gpio_driver and timer_driver on board rpi3, edu_driver
# on board pc over uio_pci_generic and over vfio-pci (DMA too). The same
# driver asked for a device it was not given, and a shell of the same user,
# are refused every node (/dev/mem, /dev/uioN, /dev/vfio/*, the PCI config
# file; /dev/vfio/vfio is 0666, a container is nothing without a group)
# with EACCES. On pc-uio edu_driver runs with PrivateDevices=yes,
# PrivatePIDs=yes and PrivateTmp=yes too: PID 1 of its own namespace, a
# /dev without device nodes, an empty /tmp, and it works through its fds
# all the same. On rpi3 the drivers run under the demo units' seccomp
# allow-lists (SystemCallFilter=), and one list without memfd_create gets
# gpio_driver killed with SIGSYS, last_exit naming the call. The guest side is guest/unpriv.sh.
set -u
. "$(dirname "$0")/lib.sh"
need_vm
board=${1:?usage: test_unpriv.sh rpi3 | pc-uio|pc-vfio EDU SUP CTL}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
case $board in
rpi3)
	build=$(aarch64_build) || { echo "not ok - aarch64 cross build failed"; exit 1; }
	guest_run "$out" --board rpi3 --timeout 600 \
		--put "$build/supervisor/driver_supervisor" --put "$build/tools/udrvctl" \
		--put "$build/drivers/gpio_driver" --put "$build/drivers/timer_driver" \
		--put "$SRC/drivers/demo-config/gpio_driver.driver:/etc/gpio_driver.driver" \
		--put "$SRC/drivers/demo-config/timer_driver.driver:/etc/timer_driver.driver" \
		--put "$SRC/tests/demo/guest/unpriv.sh:/bin/unpriv.sh" -- sh /bin/unpriv.sh rpi3
	;;
pc-uio | pc-vfio)
	edu=${2:?EDU} sup=${3:?SUP} ctl=${4:?CTL}
	guest_run "$out" --board pc --bind "${board#pc-}" --timeout 300 \
		--put "$edu:/bin/edu_driver" --put "$sup:/bin/driver_supervisor" --put "$ctl:/bin/udrvctl" \
		--put "$SRC/tests/demo/guest/unpriv.sh:/bin/unpriv.sh" -- sh /bin/unpriv.sh "$board"
	;;
*)
	echo "test_unpriv.sh: unknown board '$board'" >&2
	exit 2
	;;
esac

r=$tmp/run st=$tmp/status log=$tmp/log
section run "$out" "$r"
section status "$out" "$st"
section log "$out" "$log"
# last NAME: the driver's last_exit.
last() { sed -n "s/^last_exit $1=//p" "$st"; }

check "supervisor exits 0" has '^sup_rc=0$' "$st"
case $board in
rpi3)
	section uio "$out" "$tmp/uio"
	g=$(awk '$2 == "gpiomem" {print $1}' "$tmp/uio") t=$(awk '$2 == "timer" {print $1}' "$tmp/uio")
	check "gpio_driver ran as nobody with only /dev/${g:-?} (gpiomem)" \
		has "^ran gpio uid=65534 fds: /dev/$g \$" "$r"
	check "timer_driver ran as nobody with only /dev/${t:-?} (timer)" \
		has "^ran timer uid=65534 fds: /dev/$t \$" "$r"
	check "gpio: mapped the GPIO block through its fd" has '^\[gpio\] \[driver\] mapped 0x3f200000 size=0x1000$' "$log"
	check "gpio: 20 levels read back, alternating 1/0" awk '
		/^\[gpio\] \[driver\] pin 17 level=/ {
			n++; lvl = substr($5, 7); t = $7 + 0
			if (t != n || lvl != t % 2) bad = 1
		}
		END { exit !(n == 20 && !bad) }' "$log"
	check "gpio: stopped with pin low, exit 0 ($(last gpio))" \
		sh -c "grep -q '^\[gpio\] \[driver\] stopped after 20 toggles, pin 17 low$' $log && [ '$(last gpio)' = 'clean exit' ]"
	check "timer: 300 ticks from its interrupt as nobody, exit 0 ($(last timer))" \
		sh -c "grep -q '^\[timer\] \[timer\] stopped: ticks=300 ' $log && [ '$(last timer)' = 'clean exit' ]"
	check "gpio_driver and timer_driver ran with no_new_privs and a seccomp filter" \
		sh -c "grep -q '^ran gpio NoNewPrivs:1 Seccomp:2 ' $r && grep -q '^ran timer NoNewPrivs:1 Seccomp:2 ' $r"
	check "gpio_driver without memfd_create in its filter: killed, the call named ($(last nomemfd))" \
		sh -c "[ '$(last nomemfd)' = 'killed by SIGSYS (seccomp: system call 279 (memfd_create) not allowed)' ]"
	check "...and the supervisor logged it so" \
		has '^\[sup\] nomemfd was killed by SIGSYS \(seccomp: system call 279 \(memfd_create\) not allowed\), not restarting' "$log"
	check "gpio_driver asked for the timer block (not given): EACCES" \
		has "^\\[other\\] gpio_driver: cannot open device 'name:timer': Permission denied" "$log"
	check "...and it failed ($(last other))" [ "$(last other)" = "failure exit (code 1)" ]
	nodes="/dev/mem /dev/uio0 /dev/uio1"
	;;
pc-*)
	if [ "$board" = pc-uio ]; then
		check "edu_driver ran as nobody with only /dev/uio0 and the config file" \
			has '^ran edu uid=65534 fds: /dev/uio0 /sys/devices/.*/config $' "$r"
		check "edu_driver ran as PID 1 of its own PID namespace, in its own mount namespace" \
			has '^ran edu nspid=1 ownmnt=yes ' "$r"
		check "...with a /dev of the basics only (PrivateDevices=yes): no device node to name, an empty /tmp (PrivateTmp=yes)" \
			has '^ran edu nspid=1 ownmnt=yes dev: fd full null random shm stderr stdin stdout tty urandom zero  tmp: end$' "$r"
		nodes="/dev/mem /dev/uio0 /sys/bus/pci/devices/[0-9a-f:.]+/config"
		denied=/dev/uio0
	else
		check "edu_driver ran as nobody with only the VFIO container, group and device" \
			has '^ran edu uid=65534 fds: /dev/vfio/[0-9]+ /dev/vfio/vfio anon_inode:\[vfio-device\] $' "$r"
		check "edu: 3 DMA round trips of 4095 bytes as nobody" \
			has '^\[edu\] \[edu\] dma: 3 round trips of 4095 B ok \(data checked\)' "$log"
		nodes="/dev/mem /dev/vfio/[0-9]+ /sys/bus/pci/devices/[0-9a-f:.]+/config"
		denied="/dev/vfio/[0-9]+"
	fi
	check "edu: 10! by its completion interrupt" has '^\[edu\] \[edu\] 10! = 3628800 \(interrupt\)$' "$log"
	check "edu: 100 interrupts raised, each serviced once" \
		has '^\[edu\] \[edu\] raised 100 interrupts, serviced 100, missed 0$' "$log"
	check "edu: running as nobody, ready, until the supervisor stops it" \
		sh -c "grep -Eq '^edu +running ' $st && grep -Eq '^\[edu\] \[edu\] stopped after [0-9]+ interrupts' $log"
	check "edu_driver without Device= cannot open the device itself: EACCES" \
		has "^\\[other\\] edu_driver: cannot open device 'pci:[0-9a-f:.]+': Permission denied" "$log"
	check "...and it failed ($(last other))" [ "$(last other)" = "failure exit (code 1)" ]
	;;
esac
check "probe: a shell as nobody, no groups, nothing passed" has '^\[probe\] probe uid=65534 gid=65534 groups=65534 names=$' "$log"
for n in $nodes; do
	check "probe: $n refused (EACCES)" has "^\\[probe\\] probe refused $n: Permission denied$" "$log"
done
check "probe: nothing opened" sh -c "! grep -q '^\[probe\] probe opened' $log"
finish
