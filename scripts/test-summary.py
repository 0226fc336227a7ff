#!/usr/bin/env python3
"""Print one closing line for CI from Meson test logs: 'N passed, N failed, N skipped'.

Each argument is a Meson testlog*.json (one JSON object per line); a missing
file counts as nothing run. Test names are prefixed with the setup so that a
unit test run plain and under valgrind counts twice, as two checks.
"""
import json
import sys

passed = failed = skipped = 0
bad = []
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            lines = [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        continue
    for t in lines:
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            bad.append(f"{t.get('name')} ({r})")
for b in bad:
    print(f"FAILED: {b}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
