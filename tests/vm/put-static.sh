#!/usr/bin/env bash
# A static binary built on the host, copied in with --put (default and
# explicit guest path), runs in the guest; its output and status come back.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/hello.c" <<'C'
#include <stdio.h>
int main(int argc, char **argv)
{
	printf("hello from %s with %d arg(s):", argv[0], argc - 1);
	for (int i = 1; i < argc; i++)
		printf(" <%s>", argv[i]);
	printf("\n");
	return 42;
}
C
${CC:-cc} -static -O2 -o "$TMP/hello" "$TMP/hello.c"
mkdir -p "$TMP/dir/sub"
printf 'data\n' >"$TMP/dir/sub/file.txt"

vm out st --board "$BOARD" --put "$TMP/hello" --put "$TMP/hello:/opt/x/hi" \
	--put "$TMP/dir:/srv/d" -- \
	sh -c 'hello "one two" three; echo "st=$?"; /opt/x/hi; cat /srv/d/sub/file.txt; exit 5'
expect_eq "static binary output and statuses" \
"hello from hello with 2 arg(s): <one two> <three>
st=42
hello from /opt/x/hi with 0 arg(s):
data" "$out"
expect_eq "exit status 5" 5 "$st"

vm out st --board "$BOARD" --put "$TMP/does-not-exist" -- true
expect_eq "--put of a missing file is a set-up failure" 125 "$st"
grep -q "does-not-exist" "$TMP/stderr" && ok "message names the file" ||
	bad "message does not name the missing file: $(cat "$TMP/stderr")"
finish
