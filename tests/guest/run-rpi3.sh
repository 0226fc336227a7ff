#!/usr/bin/env bash
# tests/guest/run-rpi3.sh TEST.c [ARGS...] - build a guest test (gtest.h)
# and libudrv static for aarch64 with the cross compiler, run it in board
# rpi3, exit with its status (77 = skipped: no cross compiler).
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
src=$1
shift
cc=${CROSS_CC:-aarch64-linux-gnu-gcc}
command -v "$cc" >/dev/null || { echo "SKIP: $cc not installed (scripts/deps.sh rpi3)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udrv-rpi3.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
"$cc" -static -O2 -g0 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -DUDRV_HAVE_VFIO \
	-I"$top/include" -I"$top/lib" -I"$top/tests/guest" -o "$tmp/t" \
	"$src" "$top"/lib/*.c
exec "$top/vm/run" --board rpi3 --timeout 600 --put "$tmp/t:/bin/t" -- /bin/t "$@"
