#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The man pages against the code, so the docs cannot drift.

  check-man.py MANDIR DRIVER_SUPERVISOR UDRVCTL UDRV_H

- every page renders without a warning (mandoc -Tlint -Wwarning);
- udrv.driver(5) documents every key of `driver_supervisor --list-keys`
  (the parser's table) with its default, and no key the parser lacks;
- udrvctl(1) documents every command of `udrvctl --list-commands`, and
  no command udrvctl lacks;
- libudrv(3) names every function declared in include/udrv.h.
"""
import os
import re
import subprocess
import sys

mandir, sup, ctl, header = sys.argv[1:5]
pages = ["udrvctl.1", "driver_supervisor.8", "udrv.driver.5", "libudrv.3"]
errors = []


def render(page):
    """The page as mandoc's plain text (no overstrike)."""
    out = subprocess.run(["mandoc", "-Tutf8", "-Owidth=200", os.path.join(mandir, page)],
                         check=True, capture_output=True, text=True).stdout
    return re.sub(r".\x08", "", out)


def section(text, name):
    """Lines of one top-level section (NAME in capitals at column 0)."""
    m = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ()-]+\n|\Z)" % re.escape(name), text, re.S | re.M)
    return m.group(1) if m else ""


for page in pages:
    path = os.path.join(mandir, page)
    if not os.path.exists(path):
        errors.append("%s: not generated" % page)
        continue
    r = subprocess.run(["mandoc", "-Tlint", "-Wwarning", path], capture_output=True, text=True)
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        errors.append("%s: mandoc -Tlint:\n%s%s" % (page, r.stdout, r.stderr))
if errors:
    print("\n".join(errors))
    sys.exit(1)

# Unit keys: "KEY=<tab>DEFAULT" per line from the parser's table.
keys = {}
for line in subprocess.run([sup, "--list-keys"], check=True, capture_output=True,
                           text=True).stdout.splitlines():
    k, _, d = line.partition("=\t")
    keys[k] = d
if len(keys) < 10:
    errors.append("driver_supervisor --list-keys gave only %d keys" % len(keys))
opts = section(render("udrv.driver.5"), "OPTIONS")
# An entry: the key at the entry indent, its text indented deeper, ending
# with "Default: ...".
documented = {}
for m in re.finditer(r"^ {0,8}([A-Za-z]+)=\n(.*?)(?=^ {0,8}[A-Za-z]+=\n|\Z)", opts, re.S | re.M):
    documented[m.group(1)] = " ".join(m.group(2).split())
for k, d in keys.items():
    if k not in documented:
        errors.append("udrv.driver(5): key %s= accepted by the parser is not documented" % k)
        continue
    dm = re.search(r"Default: (.*)$", documented[k])
    if not dm:
        errors.append("udrv.driver(5): %s= has no 'Default:' line" % k)
    elif d.strip() and d.strip() not in dm.group(1):
        errors.append("udrv.driver(5): %s= default is '%s' in the parser, the page says '%s'"
                      % (k, d, dm.group(1)))
    elif not d.strip() and not re.match(r"none", dm.group(1)):
        errors.append("udrv.driver(5): %s= has no default in the parser, the page says '%s'"
                      % (k, dm.group(1)))
for k in documented:
    if k not in keys:
        errors.append("udrv.driver(5): documents %s=, which the parser does not accept" % k)

# udrvctl commands.
cmds = subprocess.run([ctl, "--list-commands"], check=True, capture_output=True,
                      text=True).stdout.split()
if len(cmds) < 5:
    errors.append("udrvctl --list-commands gave only %d commands" % len(cmds))
text = section(render("udrvctl.1"), "COMMANDS")
doc_cmds = set(re.findall(r"^ {0,8}([a-z][a-z-]*)(?: |$)", text, re.M))
for c in cmds:
    if c not in doc_cmds:
        errors.append("udrvctl(1): command '%s' is not documented under COMMANDS" % c)
for c in doc_cmds:
    if c not in cmds:
        errors.append("udrvctl(1): documents command '%s', which udrvctl does not have" % c)

# libudrv functions.
decl = set(re.findall(r"\b(udrv_[a-z0-9][a-z0-9_]*)\s*\(", open(header).read()))  # not udrv__ (internal)
lib = render("libudrv.3")
for f in sorted(decl):
    if not re.search(r"\b%s\(" % f, lib):
        errors.append("libudrv(3): %s() from udrv.h is not documented" % f)

if errors:
    print("\n".join(errors))
    sys.exit(1)
print("man pages: %d keys, %d commands, %d functions documented; mandoc -Tlint clean"
      % (len(keys), len(cmds), len(decl)))
