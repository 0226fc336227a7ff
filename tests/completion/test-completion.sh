#!/bin/bash
# SPDX-License-Identifier: MIT
# bash completion of udrvctl against a running driver_supervisor:
#   test-completion.sh COMPLETION_FILE DRIVER_SUPERVISOR UDRVCTL FIXTURE_SYSFS
# Sources the completion, fills COMP_WORDS/COMP_CWORD as bash would and
# checks COMPREPLY: commands (udrvctl's table), driver names (from the
# supervisor's status), device specs (udrvctl list over a fixture sysfs).
set -u
comp=$1 sup=$2 ctl=$3 sysfs=$4
tmp=$(mktemp -d)
trap 'kill $sup_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/conf"
for n in alpha beta gamma-1; do
	printf '[Driver]\nType=simple\nExecStart=/bin/sleep 1000\n' >"$tmp/conf/$n.driver"
done
"$sup" --config "$tmp/conf" --control "$tmp/ctl.sock" >"$tmp/sup.log" 2>&1 &
sup_pid=$!
for _ in $(seq 100); do
	"$ctl" --control "$tmp/ctl.sock" status 2>/dev/null | grep -q gamma-1 && break
	sleep 0.1
done
export UDRV_SYSFS_ROOT=$sysfs UDRV_DEV_ROOT=$tmp/dev

# shellcheck disable=SC1090
. "$comp"
fails=0 n=0
# expect "LINE" "EXPECTED WORDS": the completion of the last word of LINE
# (a trailing space means a new empty word) is exactly EXPECTED (sorted).
expect() {
	local line=$1 want=$2 got
	read -r -a COMP_WORDS <<<"$line"
	COMP_WORDS[0]=$ctl
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_udrvctl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/^ *//; s/ *$//')
	want=$(printf '%s\n' $want | sort | tr '\n' ' ' | sed 's/^ *//; s/ *$//')
	n=$((n + 1))
	if [[ $got != "$want" ]]; then
		echo "FAIL: '$line' completed to '$got', expected '$want'"
		fails=$((fails + 1))
	else
		echo "ok: '$line' -> $got"
	fi
}
C="--control $tmp/ctl.sock"
expect "udrvctl " "$("$ctl" --list-commands | xargs) --control --help"
expect "udrvctl st" "status start stop"
expect "udrvctl re" "read restart reset-failed"
expect "udrvctl $C restart " "alpha beta gamma-1"
expect "udrvctl $C stop g" "gamma-1"
expect "udrvctl $C log a" "alpha"
expect "udrvctl $C log alpha -" "-n"
expect "udrvctl $C start --no-block b" "beta"
expect "udrvctl $C status --j" "--json"
expect "udrvctl $C status " "alpha beta gamma-1"
expect "udrvctl $C upgrade --" "--exec --no-block"
expect "udrvctl $C upgrade b" "beta"
expect "udrvctl $C call b" "beta"
expect "udrvctl $C call alpha --" "--timeout --raw --runtime-dir"
expect "udrvctl $C call --timeout 500 g" "gamma-1"
expect "udrvctl dump u" "uio0 uio1 uio2"
expect "udrvctl $C restart alpha " ""
expect "udrvctl $C log -n 5 " "alpha beta gamma-1"
# --control after the command
expect "udrvctl stop $C " "alpha beta gamma-1"
# without a reachable supervisor: no names, no error output
expect "udrvctl --control $tmp/none.sock stop " ""
# device specs from udrvctl list (UIO names for new --uio)
if "$ctl" --list-commands | grep -qx new; then
	expect "udrvctl new mydrv --uio " "timer gpiomem serial"
	expect "udrvctl new mydrv --uio g" "gpiomem"
	expect "udrvctl new mydrv --" "--uio --pci --dir"
fi
echo "$((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
