#!/bin/sh
# run-fuzz.sh - run one libFuzzer target of tests/fuzz (meson test suite
# 'fuzz', make fuzz).
#
#   run-fuzz.sh corpus EXE CORPUS_DIR          every corpus file once (regressions)
#   run-fuzz.sh run EXE CORPUS_DIR SECONDS     fuzz for SECONDS, seeded by CORPUS_DIR
#
# New inputs found go to a scratch corpus next to EXE (corpus-NAME/), never
# into the tree; crashes to artifacts/NAME-*. On a crash it prints how to
# reproduce and what to do with the input.
set -u
mode=$1 exe=$2 corpus=$3
name=$(basename "$exe" | sed 's/^fuzz_//')
dir=$(cd "$(dirname "$exe")" && pwd)
art="$dir/artifacts"
mkdir -p "$art"
opts="-timeout=20 -rss_limit_mb=2048 -artifact_prefix=$art/$name- -print_final_stats=1"
case $name in
notify) opts="$opts -max_len=8300" ;;
sysfs_tree) opts="$opts -max_len=8192" ;;
udrvctl) opts="$opts -close_fd_mask=3" ;;
esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
log="$dir/fuzz-$name-$mode.log"
stamp="$dir/.fuzz-$name-$mode.start"
touch "$stamp"

crashed() {
	echo "fuzz $name: FAILED (exit $1); last lines of $log:"
	tail -n 40 "$log"
	for f in $(find "$art" -name "$name-*" -newer "$stamp" 2>/dev/null | head -n 3); do
		echo "  crash input: $f"
		echo "  reproduce:   $exe $f"
		echo "  minimize:    $exe -minimize_crash=1 -runs=100000 $f"
	done
	echo "  after the fix: copy the input into tests/fuzz/corpus/$name/ (a regression input)"
	exit 1
}

case $mode in
corpus)
	[ -d "$corpus" ] || { echo "fuzz $name: no corpus at $corpus"; exit 1; }
	n=$(find "$corpus" -type f | wc -l)
	# shellcheck disable=SC2086
	find "$corpus" -type f -print0 | xargs -0 "$exe" $opts >"$log" 2>&1 || crashed $?
	echo "fuzz $name: $n corpus inputs, all clean"
	;;
run)
	secs=${4:-12}
	scratch="$dir/corpus-$name"
	mkdir -p "$scratch"
	# shellcheck disable=SC2086
	"$exe" $opts -max_total_time="$secs" "$scratch" "$corpus" >"$log" 2>&1 || crashed $?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	echo "fuzz $name: ${runs:-?} execs in ${secs} s (${rate:-?}/s), $cov, no crash"
	;;
*)
	echo "usage: run-fuzz.sh corpus|run EXE CORPUS_DIR [SECONDS]" >&2
	exit 2
	;;
esac
