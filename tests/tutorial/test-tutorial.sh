#!/bin/bash
# test-tutorial.sh - run every ```sh block of docs/TUTORIAL.md, in order, in
# one bash (set -e) from a fresh clone of the source tree (its committed
# HEAD), with a scratch $HOME, then assert on what the walk-through says to
# look for. The downloads cache stays shared ($UDRV_CACHE).
set -u
src=${UDRV_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export UDRV_CACHE=${UDRV_CACHE:-$HOME/.cache/udrv}
fails=0 passes=0
check() {
	local d=$1
	shift
	if "$@"; then passes=$((passes + 1)); echo "ok - $d"; else fails=$((fails + 1)); echo "not ok - $d"; fi
}

git clone -q "$src" "$tmp/udrv" || { echo "not ok - git clone"; exit 1; }
# the sh blocks: lines between "```sh" and "```"
awk '/^```sh$/ { on = 1; n++; print "echo \"### block " n "\""; next } /^```$/ { on = 0 } on' \
	"$src/docs/TUTORIAL.md" > "$tmp/tutorial.sh"
nblocks=$(grep -c '^### block\|^echo "### block' "$tmp/tutorial.sh")
check "docs/TUTORIAL.md has its sh blocks ($nblocks)" [ "$nblocks" -ge 5 ]
out=$tmp/out
(cd "$tmp/udrv" && HOME=$tmp/home MAKEFLAGS= bash -e -x "$tmp/tutorial.sh") > "$out" 2>&1
rc=$?
cat "$out"
echo "---"
check "every command of the tutorial ran, exit 0 (got $rc)" [ "$rc" = 0 ]
check "the last block ran" grep -q "^### block $nblocks\$" "$out"
has() { grep -Eq -- "$1" "$out"; }
check "udrvctl new wrote the four files" has '^  /.*/myedu/myedu.driver$'
check "the driver read edu's identification register" \
	has '^\[myedu\] myedu: [^ ]+ \(uio\): register 0x0 reads 0x010000ed$'
check "the supervisor saw the crash and restarted it" \
	has '^\[sup\] myedu crashed \(SIGSEGV\), restarting \(restart 1, delay 100ms\)$'
check "the new instance restored the checkpoint" \
	has 'myedu: restored state: 1 starts, [1-9][0-9]* loops, 0 interrupts$'
check "udrvctl status: running, 1 restart, last exit crash (SIGSEGV)" \
	has '^myedu +running +[0-9]+ +1  crash \(SIGSEGV\)'
check "the client's 100 calls came through the crash, counted once each" \
	has '^client: 100 calls, count 100, [1-9][0-9]* resent after a crash$'
check "udrvctl call after them: the 101st count" has '^101 \(0x0000000000000065\)$'
check "udrvctl call myedu status renders the text" has '^starts=[0-9]+ loops=[0-9]+ interrupts=0$'
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
