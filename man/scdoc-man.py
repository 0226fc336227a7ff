#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scdoc < page.scd, without the empty paragraph macros scdoc emits.

scdoc 1.11 puts a .P after every .SH and before every heading and list;
mandoc -Tlint warns about each ("PP after SH", "PP empty"). The man page
test wants no warnings, so the build drops the .P that start no text: one
right after a heading, or followed by another .P, a heading, the end of a block, or nothing;
and the .P scdoc puts before an .RE goes after it.
"""
import subprocess
import sys

out = subprocess.run([sys.argv[1]], stdin=sys.stdin, capture_output=True, text=True)
if out.returncode != 0:
    sys.stderr.write(out.stderr)
    sys.exit(out.returncode)
lines = out.stdout.split("\n")
# ".P .RE" (scdoc ends each indented block so): the paragraph break belongs
# after the block, where it separates the entries.
for i in range(len(lines) - 1):
    if lines[i] == ".P" and lines[i + 1] == ".RE":
        lines[i], lines[i + 1] = ".RE", ".P"
keep = []
for i, line in enumerate(lines):
    if line == ".P":
        prev = keep[-1] if keep else ""
        nxt = next((l for l in lines[i + 1:] if l and not l.startswith(".\\\"")), "")
        if prev.startswith((".SH", ".SS", ".TH", ".P")) or nxt == "" or \
                nxt.startswith((".P", ".SH", ".SS", ".RE")):
            continue
    keep.append(line)
sys.stdout.write("\n".join(keep))
