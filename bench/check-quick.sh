#!/bin/sh
# check-quick.sh RUN_ALL BUILD - run `make bench`'s quick mode (host rows,
# a few samples each, output in BUILD/bench-quick) and check it printed its
# table and summary line. Speed is never judged: K/M may be anything.
set -u
out=$(python3 "$1" --quick --build "$2" --out "$2/bench-quick" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" = 0 ] || { echo "check-quick: run-all.py exited $rc"; exit 1; }
printf '%s\n' "$out" | grep -q '^| restart-new | udrv |' || { echo "check-quick: no restart row"; exit 1; }
printf '%s\n' "$out" | grep -q '^| mmio-const | udrv_mmio |' || { echo "check-quick: no mmio row"; exit 1; }
printf '%s\n' "$out" | grep -q '^| ipc-rtt | udrv-pure |' || { echo "check-quick: no ipc row"; exit 1; }
printf '%s\n' "$out" | grep -Eq '^bench: [0-9]+/[0-9]+ targets met$' || { echo "check-quick: no summary line"; exit 1; }
echo "check-quick: ok"
