#!/bin/sh
# Runs inside board rpi3 or pc (busybox sh) for tests/demo/test_unpriv.sh:
# the demo drivers under driver_supervisor as user nobody, with only the
# device fds the supervisor opened for them (Device=), and the same user
# refused every device node it was not given (on pc-uio edu_driver also runs
# with PrivateDevices=yes, PrivatePIDs=yes and PrivateTmp=yes). Sections between "== NAME"
# markers; the host asserts.
#
#   unpriv.sh rpi3 | pc-uio | pc-vfio
set -u
export UDRV_CONTROL=/run/udrv/supervisor.sock
board=$1
mkdir -p /run/udrv /etc/udrv.d
# The guest has no users: nobody as on Debian (the supervisor reads the
# files itself, no NSS).
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >> /etc/group

# unit NAME LINES...: /etc/udrv.d/NAME.driver, run once as nobody
# (Type=simple unless the lines say otherwise: most exit when done).
unit() {
	_n=$1
	shift
	{
		echo "[Driver]"
		echo "User=nobody"
		echo "NoNewPrivileges=yes"
		echo "Restart=no"
		case " $* " in *" Type="*) ;; *) echo "Type=simple" ;; esac
		for l in "$@"; do echo "$l"; done
	} > /etc/udrv.d/$_n.driver
}

# What the same user may open: each node tried read-write, the outcome
# printed. The driver's own node is refused too (only its fd works).
cat > /bin/probe.sh <<'P'
echo "probe uid=$(id -u) gid=$(id -g) groups=$(id -G) names=${LISTEN_FDNAMES:-}"
for f in "$@"; do
	if ( exec 9<>"$f" ) 2>/dev/null; then echo "probe opened $f"
	else echo "probe refused $f: $( ( exec 9<>"$f" ) 2>&1 | sed 's/.*: //')"; fi
done
P

case $board in
rpi3)
	# The demo units' SystemCallFilter= allow-lists (drivers/demo-config).
	gf=$(grep '^SystemCallFilter=' /etc/gpio_driver.driver)
	tf=$(grep '^SystemCallFilter=' /etc/timer_driver.driver)
	unit gpio "ExecStart=/bin/gpio_driver --pin 17 --period-ms 50 --count 20 --verbose" \
		"Device=name:gpiomem" "$gf"
	unit timer "ExecStart=/bin/timer_driver --rate-hz 100 --count 300 --report 300" \
		"Device=name:timer" "$tf"
	# The same list without memfd_create: the fd store's udrv_state_open()
	# breaks it, and the kill names the call.
	unit nomemfd "ExecStart=/bin/gpio_driver --pin 17 --period-ms 50 --count 20" \
		"Device=name:gpiomem" "$(echo "$gf" | sed 's/ memfd_create//')"
	# gpio_driver given the GPIO block, asked for the timer block.
	unit other "ExecStart=/bin/gpio_driver --device name:timer --count 1" "Device=name:gpiomem"
	unit probe "ExecStart=/bin/sh /bin/probe.sh /dev/mem /dev/uio0 /dev/uio1" "Type=simple"
	drivers="gpio timer nomemfd other probe" watch="gpio timer"
	;;
pc-uio | pc-vfio)
	spec=pci:$UDRV_EDU_BDF
	if [ "$board" = pc-uio ]; then
		# and in namespaces of its own (PrivateDevices=, PrivatePIDs=,
		# PrivateTmp=): its /dev holds no device node, its device is only
		# the fds; its /tmp is empty (ours has sup.log).
		unit edu "ExecStart=/bin/edu_driver --factorial 10 --raise 100 --serve" "Device=$spec" \
			"Type=notify" "PrivateDevices=yes" "PrivatePIDs=yes" "PrivateTmp=yes"
		nodes="/dev/mem /dev/uio0 /sys/bus/pci/devices/$UDRV_EDU_BDF/config"
	else
		unit edu "ExecStart=/bin/edu_driver --factorial 10 --raise 100 --dma 4095 --dma-rounds 3 --serve" \
			"Device=$spec" "LimitMEMLOCK=16M" "Type=notify"
		# /dev/vfio/vfio is 0666 (a container grants nothing without a group)
		nodes="/dev/mem /dev/vfio/$UDRV_VFIO_GROUP /sys/bus/pci/devices/$UDRV_EDU_BDF/config"
	fi
	# edu_driver without Device=: it must open the node itself, as nobody.
	unit other "ExecStart=/bin/edu_driver --device $spec --raise 1"
	unit probe "ExecStart=/bin/sh /bin/probe.sh $nodes" "Type=simple"
	drivers="edu other probe" watch=edu
	;;
esac

echo "== uio"
for d in /sys/class/uio/uio*; do [ -e "$d" ] && echo "${d##*/} $(cat "$d/name")"; done

echo "== run"
driver_supervisor --config /etc/udrv.d > /tmp/sup.log 2>&1 &
sup=$!
# Who each driver runs as, seen from outside while it runs.
seen=
for _ in $(seq 600); do
	for n in $drivers; do
		case " $seen " in *" $n "*) continue ;; esac
		pid=$(udrvctl status "$n" --json 2>/dev/null | tr -d '\n' | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
		[ -n "$pid" ] || continue
		uid=$(awk '/^Uid:/ {print $2}' /proc/$pid/status 2>/dev/null)
		[ -n "$uid" ] || continue
		echo "ran $n $(grep -E '^(NoNewPrivs|Seccomp):' /proc/$pid/status | tr -d '\t' | tr '\n' ' ')"
		devs=$(ls -l /proc/$pid/fd 2>/dev/null | sed -n 's/.* -> //p' | grep -E '^/dev/(uio|vfio|mem)|/config$|anon_inode:\[vfio' | sort -u | tr '\n' ' ')
		echo "ran $n uid=$uid fds: $devs"
		# Its namespaces, seen from outside: its pid inside, whether its
		# mount namespace is ours, its /dev (through /proc/PID/root).
		ownmnt=no
		[ "$(readlink /proc/$pid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] || ownmnt=yes
		echo "ran $n nspid=$(awk '/^NSpid:/ {print $NF}' /proc/$pid/status) ownmnt=$ownmnt" \
			"dev: $(ls -A /proc/$pid/root/dev 2>&1 | tr '\n' ' ')" \
			"tmp: $(ls -A /proc/$pid/root/tmp 2>&1 | tr '\n' ' ')end"
		seen="$seen $n"
	done
	# Done: each driver of $watch seen running, every other one finished
	# (edu_driver --serve runs until the supervisor stops it).
	busy=$(udrvctl status 2>/dev/null | awk 'NR > 1 && $1 != "edu" && ($2 == "running" || $2 == "starting" || $2 == "backoff")' | wc -l)
	unseen=0
	for n in $watch; do case " $seen " in *" $n "*) ;; *) unseen=1 ;; esac; done
	# edu_driver is ready (READY=1) once its one-shot work is done.
	ready=$(udrvctl status 2>/dev/null | awk '$1 == "edu" && $2 != "running"' | wc -l)
	[ "$busy" -eq 0 ] && [ "$unseen" -eq 0 ] && [ "$ready" -eq 0 ] &&
		[ -n "$(udrvctl status 2>/dev/null)" ] && break
	sleep 0.1
done
echo "== status"
udrvctl status
for n in $drivers; do
	echo "last_exit $n=$(udrvctl status "$n" --json | tr -d '\n' | sed -n 's/.*"last_exit": "\([^"]*\)".*/\1/p')"
done
kill -TERM $sup
wait $sup
echo "sup_rc=$?"
echo "== log"
cat /tmp/sup.log
echo "== end"
