#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run-all.py - every comparison of `make bench` in one invocation.

    bench/run-all.py --build BUILD [--quick] [--rows restart,scale,...] [--out DIR]

Each row puts udrv beside the alternatives people run (s6, runit, the raw
kernel interface, a bare fork+exec loop), interleaving the sides so host
noise hits them alike, and checks udrv against the row's targets. Prints
one table, writes every raw sample to OUT/results.csv (and the table to
OUT/table.md, OUT/results.json), histograms to OUT/*.png, and ends with
`bench: K/M targets met`. Never fails on speed: exit 0 unless a row could
not run at all (then its error is printed and the row is reported as such).

A row is a Python function here or an external program (bench/README.md:
"Adding a row"); both produce records in the common format:

    row    ROW UNIT TITLE...          a row: its unit and a title
    sample ROW SIDE VALUE             one measurement (in the row's unit)
    target ROW SIDE le VALUE          median of SIDE <= VALUE
    target ROW SIDE le_ratio X REF[,REF...]   median of SIDE <= X * best median of REFs
    note   ROW TEXT...                printed under the table
"""
import argparse
import csv
import json
import os
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


class Results:
    def __init__(self):
        self.rows = {}      # name -> {"unit", "title", "order"}
        self.samples = {}   # (row, side) -> [values]
        self.sides = {}     # row -> [sides in first-seen order]
        self.targets = []   # (row, side, op, value, refs)
        self.notes = []     # (row, text)

    def row(self, name, unit, title):
        if name not in self.rows:
            self.rows[name] = {"unit": unit, "title": title, "order": len(self.rows)}
            self.sides[name] = []

    def sample(self, row, side, value):
        if side not in self.sides.setdefault(row, []):
            self.sides[row].append(side)
        self.samples.setdefault((row, side), []).append(float(value))

    def target(self, row, side, op, value, refs=()):
        self.targets.append((row, side, op, float(value), tuple(refs)))

    def note(self, row, text):
        self.notes.append((row, text))

    def feed(self, line):
        """One record of the common format (external rows)."""
        w = line.split()
        if not w or w[0].startswith("#"):
            return
        if w[0] == "row" and len(w) >= 3:
            self.row(w[1], w[2], " ".join(w[3:]))
        elif w[0] == "sample" and len(w) == 4:
            self.sample(w[1], w[2], w[3])
        elif w[0] == "target" and len(w) >= 5:
            refs = w[5].split(",") if len(w) > 5 else ()
            self.target(w[1], w[2], w[3], w[4], refs)
        elif w[0] == "note" and len(w) >= 2:
            self.note(w[1], " ".join(w[2:]))


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * (len(v) - 1) + 0.5))]


def fmt(x):
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    if a >= 1:
        return "%.2f" % x
    return "%.3f" % x


def median_of(res, row, side):
    v = res.samples.get((row, side))
    return statistics.median(v) if v else None


def check_targets(res):
    """Per target: (row, side, text, met or None when it cannot be judged)."""
    out = []
    for row, side, op, value, refs in res.targets:
        m = median_of(res, row, side)
        if op == "le":
            text = "<= %s" % fmt(value)
            met = None if m is None else m <= value
        elif op == "le_ratio":
            ref = [median_of(res, row, r) for r in refs]
            ref = [r for r in ref if r is not None]
            text = "<= %gx best of %s" % (value, "/".join(refs))
            met = None if m is None or not ref else m <= value * min(ref)
        else:
            text, met = "?", None
        out.append((row, side, text, met))
    return out


def table(res):
    """The table as markdown lines, and (met, total)."""
    checks = check_targets(res)
    lines = ["| row | side | unit | n | median | p90 | p99 | min | max | ratio | target | met? |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    met = total = 0
    for row in sorted(res.rows, key=lambda r: res.rows[r]["order"]):
        unit = res.rows[row]["unit"]
        meds = {s: median_of(res, row, s) for s in res.sides.get(row, [])}
        for side in res.sides.get(row, []):
            v = res.samples[(row, side)]
            others = [m for s, m in meds.items() if s != side and m is not None and m > 0]
            ratio = "%.2fx" % (meds[side] / min(others)) if others else "-"
            tg = [c for c in checks if c[0] == row and c[1] == side]
            ttext = "; ".join(c[2] for c in tg) or ""
            mtext = ""
            for c in tg:
                total += 1
                met += 1 if c[3] else 0
            if tg:
                mtext = " ".join("yes" if c[3] else ("n/a" if c[3] is None else "NO") for c in tg)
            lines.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                row, side, unit, len(v), fmt(statistics.median(v)), fmt(pct(v, 90)),
                fmt(pct(v, 99)), fmt(min(v)), fmt(max(v)), ratio, ttext, mtext))
    # targets whose side produced nothing still count (as not met)
    for c in checks:
        if (c[0], c[1]) not in res.samples:
            total += 1
            lines.append("| %s | %s | | 0 | | | | | | | %s | n/a |" % (c[0], c[1], c[2]))
    return lines, met, total


# ---------------------------------------------------------------- helpers

class Fifo:
    """The FIFO bench_svc instances report to: "start|ready SIDE PID NS"."""

    def __init__(self, path):
        self.path = path
        os.mkfifo(path, 0o600)
        # O_RDWR: never EOF between writers
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.buf = b""

    def events(self, timeout):
        """Events available within @timeout seconds (possibly none)."""
        r, _, _ = select.select([self.fd], [], [], max(0, timeout))
        if r:
            try:
                self.buf += os.read(self.fd, 1 << 16)
            except BlockingIOError:
                pass
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            w = line.decode(errors="replace").split()
            if len(w) == 4:
                out.append((w[0], w[1], int(w[2]), int(w[3])))
        return out

    def close(self):
        os.close(self.fd)


def descendants(pid):
    """@pid and every process below it (from /proc/*/stat)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
            ppid = int(s[s.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def kill_tree(proc):
    for p in descendants(proc.pid):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def pss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def ctxt_switches(pids):
    total = 0
    for p in pids:
        try:
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/status" % (p, t)) as f:
                    for line in f:
                        if "ctxt_switches" in line:
                            total += int(line.split()[1])
        except OSError:
            pass
    return total


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


class Sides:
    """Builds and starts one supervisor per side over N bench_svc services."""

    SUPERVISOR_COMMS = {"udrv": ("driver_supervis",), "s6": ("s6-svscan", "s6-supervise"),
                        "runit": ("runsvdir", "runsv")}

    def __init__(self, build, tmp, fifo):
        self.build, self.tmp, self.fifo = build, tmp, fifo
        self.svc = os.path.join(build, "bench", "bench_svc")
        self.sup = os.path.join(build, "supervisor", "driver_supervisor")
        self.floor = os.path.join(build, "bench", "floor_sup")

    def env(self, side):
        e = dict(os.environ)
        e.update(BENCH_FIFO=self.fifo.path, BENCH_SIDE=side)
        for k in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
            e.pop(k, None)
        return e

    def start(self, side, n, nofile=None):
        """Start @side supervising @n services; returns the Popen."""
        d = os.path.join(self.tmp, "%s-%d-%d" % (side, n, time.monotonic_ns()))
        os.makedirs(d)
        env = self.env(side)

        def limits():
            if nofile:
                soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))
        null = subprocess.DEVNULL
        if side.startswith("udrv"):
            conf = os.path.join(d, "conf")
            os.makedirs(conf)
            for i in range(n):
                with open(os.path.join(conf, "s%04d.driver" % i), "w") as f:
                    f.write("[Driver]\nExecStart=%s\nEnvironment=BENCH_FIFO=%s BENCH_SIDE=%s\n"
                            "RestartSec=0\nRestartMaxDelaySec=0\nStartLimitBurst=0\n"
                            "LogPrefix=\n" % (self.svc, self.fifo.path, side))
            env["UDRV_RUNTIME_DIR"] = os.path.join(d, "run")
            return subprocess.Popen([self.sup, "--config", conf, "--control",
                                     os.path.join(d, "control.sock")], env=env,
                                    stdin=null, stdout=null, stderr=null,
                                    start_new_session=True, preexec_fn=limits)
        if side == "s6" or side == "runit":
            for i in range(n):
                s = os.path.join(d, "s%04d" % i)
                os.makedirs(s)
                os.symlink(self.svc, os.path.join(s, "run"))
                if side == "s6":
                    with open(os.path.join(s, "notification-fd"), "w") as f:
                        f.write("3\n")
            if side == "s6":
                env["BENCH_S6_NOTIFY_FD"] = "3"
                cmd = ["s6-svscan", "-c", str(max(n + 10, 500)), d]  # default cap: 500
            else:
                cmd = ["runsvdir", d]
            return subprocess.Popen(cmd, env=env, stdin=null, stdout=null, stderr=null,
                                    start_new_session=True, preexec_fn=limits)
        if side.startswith("floor-"):
            return subprocess.Popen([self.floor, side[6:], self.svc], env=env, stdin=null,
                                    stdout=null, stderr=null, start_new_session=True)
        raise ValueError(side)

    def supervisor_pids(self, side, proc):
        names = self.SUPERVISOR_COMMS.get(side.split("-")[0], ())
        return [p for p in descendants(proc.pid) if comm(p) in names]


# ---------------------------------------------------------------- rows

RESTART_SIDES = ["udrv", "s6", "runit", "floor-fork", "floor-vfork", "floor-posix_spawn",
                 "floor-clone3"]


def row_restart(res, args, tmp):
    """Crash (SIGSEGV after > 1 s up) -> new instance starts / -> READY=1."""
    rounds = 3 if args.quick else args.restart_rounds
    res.row("restart-new", "us", "crash of a program up > 1 s -> new instance runs main()")
    res.row("restart-ready", "us", "crash of a program up > 1 s -> it reports READY=1")
    fifo = Fifo(os.path.join(tmp, "restart.fifo"))
    sides = Sides(args.build, tmp, fifo)
    procs, pid, ready_at = {}, {}, {}
    try:
        for s in RESTART_SIDES:
            procs[s] = sides.start(s, 1)
        deadline = time.monotonic() + 20
        while len(ready_at) < len(RESTART_SIDES) and time.monotonic() < deadline:
            for ev, side, p, ns in fifo.events(0.5):
                if ev == "ready":
                    pid[side], ready_at[side] = p, ns
        missing = [s for s in RESTART_SIDES if s not in ready_at]
        for s in missing:
            res.note("restart-new", "%s never started (not installed?)" % s)
        live = [s for s in RESTART_SIDES if s in ready_at]
        for r in range(rounds):
            k = r % len(live)
            for side in live[k:] + live[:k]:  # rotate: no side always first
                up = (time.monotonic_ns() - ready_at[side]) / 1e9
                if up < 1.05:
                    time.sleep(1.05 - up)
                t0 = time.monotonic_ns()
                os.kill(pid[side], signal.SIGSEGV)
                t_start = t_ready = None
                deadline = time.monotonic() + 10
                while t_ready is None and time.monotonic() < deadline:
                    for ev, s, p, ns in fifo.events(1):
                        if s != side or p == pid[side]:
                            continue
                        if ev == "start":
                            t_start = ns
                        elif ev == "ready":
                            t_ready, newpid = ns, p
                if t_ready is None or t_start is None:
                    res.note("restart-new", "%s: no new instance within 10 s (round %d)" %
                             (side, r))
                    live.remove(side)
                    break
                res.sample("restart-new", side, (t_start - t0) / 1e3)
                res.sample("restart-ready", side, (t_ready - t0) / 1e3)
                pid[side], ready_at[side] = newpid, t_ready
    finally:
        for p in procs.values():
            kill_tree(p)
        fifo.close()
    for r in ("restart-new", "restart-ready"):
        res.target(r, "udrv", "le_ratio", 1.0, ["s6", "runit"])
        res.target(r, "udrv", "le_ratio", 1.05, ["floor-fork"])
    res.note("restart-new", "runit has no readiness protocol: its READY=1 is the program's own "
             "line after start, as for the floors; s6 uses notification-fd; state dirs on tmpfs")


def wait_ready(fifo, side, n, timeout, seen=None):
    """Wait until @n distinct @side instances reported ready; returns (count, last ns)."""
    seen = set() if seen is None else seen
    last = None
    deadline = time.monotonic() + timeout
    while len(seen) < n and time.monotonic() < deadline:
        for ev, s, p, ns in fifo.events(0.5):
            if ev == "ready" and s == side and p not in seen:
                seen.add(p)
                last = ns
    return len(seen), last


def row_scale(res, args, tmp):
    """Start time and supervisor PSS for N services."""
    ns = [1, 20] if args.quick else [1, 100, 1000]
    reps = 1 if args.quick else args.scale_reps
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    fifo = Fifo(os.path.join(tmp, "scale.fifo"))
    os.set_blocking(fifo.fd, False)
    sides = Sides(args.build, tmp, fifo)
    # a big pipe buffer: 1000 services report at once
    try:
        import fcntl
        fcntl.fcntl(fifo.fd, 1031, 1 << 20)  # F_SETPIPE_SZ
    except OSError:
        pass
    try:
        for n in ns:
            rs, rp = "scale-start-%d" % n, "scale-pss-%d" % n
            res.row(rs, "ms", "start %d services until all report ready" % n)
            res.row(rp, "KiB", "PSS of all supervisor processes for %d services" % n)
            order = ["udrv", "s6", "runit"]
            for rep in range(reps if n < 1000 else min(reps, 2)):
                for side in order[rep % 3:] + order[:rep % 3]:
                    t0 = time.monotonic_ns()
                    p = sides.start(side, n, nofile=hard)
                    got, last = wait_ready(fifo, side, n, 30 + n * 0.05)
                    if got == n:
                        res.sample(rs, side, (last - t0) / 1e6)
                        time.sleep(0.3)  # let the supervisors settle
                        res.sample(rp, side, pss_kib(sides.supervisor_pids(side, p)))
                    else:
                        res.note(rs, "%s: only %d of %d started" % (side, got, n))
                    kill_tree(p)
                    fifo.events(0.1)  # drain
            res.target(rs, "udrv", "le_ratio", 0.8, ["s6", "runit"])
            if n >= 100:  # <= 16 KiB per driver
                res.target(rp, "udrv", "le", 16 * n)
        # 1000 (or the quick N) under the default 1024-fd soft limit
        n = ns[-1]
        side = "udrv-nofile1024"
        p = sides.start(side, n, nofile=1024)
        got, last = wait_ready(fifo, side, n, 30 + n * 0.05)
        res.row("scale-nofile1024", "drivers", "drivers of %d running under RLIMIT_NOFILE soft 1024" % n)
        res.sample("scale-nofile1024", "udrv", got)
        res.note("scale-nofile1024", "driver_supervisor started %d of %d drivers under a "
                 "1024-fd soft limit (branch harden raises the limit)" % (got, n))
        kill_tree(p)
    finally:
        fifo.close()


def row_idle(res, args, tmp):
    """Context switches of idle supervisors with 10 services each, same window."""
    secs = 2 if args.quick else 10
    res.row("idle-wakeups", "switches", "supervisor context switches in %d s, 10 idle services" % secs)
    fifo = Fifo(os.path.join(tmp, "idle.fifo"))
    sides = Sides(args.build, tmp, fifo)
    procs = {}
    try:
        for side in ["udrv", "s6", "runit"]:
            procs[side] = sides.start(side, 10)
            wait_ready(fifo, side, 10, 30)
        time.sleep(1)
        pids = {s: sides.supervisor_pids(s, p) for s, p in procs.items()}
        before = {s: ctxt_switches(p) for s, p in pids.items()}
        time.sleep(secs)
        for s in procs:
            res.sample("idle-wakeups", s, ctxt_switches(pids[s]) - before[s])
    finally:
        for p in procs.values():
            kill_tree(p)
        fifo.close()
    res.target("idle-wakeups", "udrv", "le", 0)


def run_external(res, name, cmd, timeout):
    """A row program: its stdout is records in the common format."""
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        res.note(name, "did not run: %s" % e)
        return
    for line in r.stdout.splitlines():
        res.feed(line)
    if r.returncode != 0:
        res.note(name, "exit %d: %s" % (r.returncode, r.stderr.strip().splitlines()[-1:]))


def row_mmio(res, args, tmp):
    exe = os.path.join(args.build, "bench", "mmio_bench")
    run_external(res, "mmio", [exe] + (["--quick"] if args.quick else []), 300)
    # instructions per access: callgrind (the host has no PMU counters)
    if not shutil.which("valgrind"):
        res.note("mmio-instr", "valgrind missing: no instruction counts")
        return
    n = 100000
    for pattern in ["const", "walk"]:
        row = "mmio-instr-" + pattern
        res.row(row, "instr/access", "instructions per 32-bit read (callgrind, loop included)")
        for side in ["raw", "udrv_read32", "udrv_mmio", "udrv_mmio_global"]:
            name = "%s-%s" % (side, pattern)
            out = os.path.join(tmp, "callgrind.%s" % name)
            r = subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=loop_%s_%s" % (
                side, pattern), "--callgrind-out-file=" + out, exe, "--only", name, str(n)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ir = None
            if r.returncode == 0 and os.path.exists(out):
                with open(out) as f:
                    for line in f:
                        if line.startswith("totals:") or line.startswith("summary:"):
                            ir = int(line.split()[1])
            if ir is None:
                res.note("mmio-instr", "callgrind failed for %s" % name)
                continue
            res.sample(row, side, ir / n)
        res.target(row, "udrv_mmio", "le_ratio", 1.10, ["raw"])


def row_ipc(res, args, tmp):
    exe = os.path.join(args.build, "bench", "ipc_bench")
    sup = os.path.join(args.build, "supervisor", "driver_supervisor")
    run_external(res, "ipc", [exe, "--supervisor", sup] + (["--quick"] if args.quick else []), 600)


def row_irq(res, args, tmp):
    exe = os.path.join(args.build, "bench", "irq_latency")
    if not os.path.exists(exe):
        res.note("irq", "not built (guest_tests off)")
        return
    n = "200" if args.quick else "2000"
    for bind in ["uio", "vfio"]:
        run_external(res, "irq-" + bind,
                     [os.path.join(SRC, "vm", "run"), "--board", "pc", "--bind", bind, "--put",
                      exe, "--", "irq_latency", "--records", "--tag", bind, "-n", n, "--idle", "2" if args.quick else "10"], 1800)


def row_serve(res, args, tmp):
    """edu_driver killed under driver_supervisor in board pc: kill -> READY=1,
    kill -> first call answered, and the parts (serve_latency.c)."""
    exe = os.path.join(args.build, "bench", "serve_latency")
    edu = os.path.join(args.build, "drivers", "edu_driver")
    sup = os.path.join(args.build, "supervisor", "driver_supervisor-static")
    missing = [p for p in (exe, edu, sup) if not os.path.exists(p)]
    if missing:
        res.note("serve", "not built (guest_tests off or sanitizers on): %s" % ", ".join(missing))
        return
    n = "20" if args.quick else "100"
    # uio-fdm: the same as uio with cgroup2 remounted favordynmods (the
    # supervisor's move of its child into the driver's cgroup gets cheap)
    for tag, bind, extra in [("uio", "uio", []), ("vfio", "vfio", []),
                             ("uio-fdm", "uio", ["--favordynmods"]),
                             ("vfio-fdm", "vfio", ["--favordynmods"])]:
        run_external(res, "serve-" + tag,
                     [os.path.join(SRC, "vm", "run"), "--board", "pc", "--bind", bind,
                      "--timeout", "1500", "--put", exe, "--put", edu + ":/bin/edu_driver",
                      "--put", sup + ":/bin/driver_supervisor", "--",
                      "serve_latency", "--tag", tag, "--bind", bind, "-n", n] + extra, 1800)


def aarch64_build(name):
    """Build target bench/@name in the aarch64 cross tree ($UDRV_AARCH64_BUILD,
    default <source>/build-aarch64, as tests/demo/lib.sh); its path or None."""
    d = os.environ.get("UDRV_AARCH64_BUILD", os.path.join(SRC, "build-aarch64"))
    os.makedirs(d, exist_ok=True)
    script = ('[ -f "$1/build.ninja" ] || meson setup "$1" "$2" --cross-file '
              '"$2/meson/aarch64-linux-gnu.ini" -Ddefault_library=static >&2 || exit 1; '
              'ninja -C "$1" -j2 "bench/$3" >&2')
    r = subprocess.run(["flock", d + ".lock", "sh", "-c", script, "sh", d, SRC, name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    exe = os.path.join(d, "bench", name)
    if r.returncode != 0 or not os.path.exists(exe):
        return None, (r.stderr.strip().splitlines() or ["?"])[-1]
    return exe, None


def row_irq_rpi3(res, args, tmp):
    """The BCM2835 system timer's interrupt on board rpi3, udrv vs raw (irq_timer.c)."""
    exe, err = aarch64_build("irq_timer")
    if not exe:
        res.note("irq-rpi3-timer-ratio", "aarch64 cross build failed: %s" % err)
        return
    n = "200" if args.quick else "2000"
    run_external(res, "irq-rpi3-timer", [os.path.join(SRC, "vm", "run"), "--board", "rpi3",
                                         "--timeout", "1500", "--put", exe, "--",
                                         "irq_timer", "-n", n], 1800)


# Rows that boot a virtual board (left out of the quick mode that `make test` runs).
GUEST_ROWS = ("irq", "serve", "irq-rpi3")

ROWS = {
    "mmio": row_mmio,
    "restart": row_restart,
    "scale": row_scale,
    "idle": row_idle,
    "ipc": row_ipc,
    "irq": row_irq,
    "serve": row_serve,
    "irq-rpi3": row_irq_rpi3,
}


def plots(res, out):
    """Histograms of the rows worth a picture, with gnuplot."""
    if not shutil.which("gnuplot"):
        return []
    made = []
    pick = {"restart-new": ["udrv", "s6", "runit", "floor-fork", "floor-posix_spawn"]}
    for row, title in [("restart-new", "crash -> new instance (us)"),
                       ("restart-ready", "crash -> READY=1 (us)"),
                       ("irq-uio-cycle", "UIO interrupt round trip (us)"),
                       ("irq-vfio-cycle", "VFIO interrupt round trip (us)")]:
        sides = [s for s in res.sides.get(row, []) if (row, s) in res.samples and
                 s in pick.get(row.replace("ready", "new"), [s])]
        if not sides:
            continue
        allv = [x for s in sides for x in res.samples[(row, s)]]
        hi = pct(allv, 98)
        lo = min(allv)
        width = max((hi - lo) / 40.0, 1e-9)
        dat = os.path.join(out, row + ".dat")
        with open(dat, "w") as f:
            for s in sides:
                f.write("# %s\n" % s)
                bins = {}
                for x in res.samples[(row, s)]:
                    if x <= hi:
                        b = lo + width * int((x - lo) / width)
                        bins[b] = bins.get(b, 0) + 1
                for b in sorted(bins):
                    f.write("%g %g\n" % (b, bins[b] / len(res.samples[(row, s)])))
                f.write("\n\n")
        png = os.path.join(out, row + ".png")
        plot = ", ".join("'%s' index %d with steps title '%s' lw 2" % (dat, i, s)
                         for i, s in enumerate(sides))
        script = ("set terminal pngcairo size 900,500\nset output '%s'\nset title '%s'\n"
                  "set xlabel '%s'\nset ylabel 'share of samples'\nset key top right\n"
                  "plot %s\n" % (png, row, title, plot))
        if subprocess.run(["gnuplot"], input=script, text=True, stderr=subprocess.DEVNULL).returncode == 0:
            made.append(png)
        else:  # gnuplot-nox without cairo: fall back to the plain png terminal
            script = script.replace("pngcairo", "png")
            if subprocess.run(["gnuplot"], input=script, text=True).returncode == 0:
                made.append(png)
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default=None)
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("BENCH_QUICK", "") not in ("", "0"))
    ap.add_argument("--rows", default=os.environ.get("BENCH_ROWS", ",".join(ROWS)))
    ap.add_argument("--restart-rounds", type=int, default=100)
    ap.add_argument("--scale-reps", type=int, default=3)
    args = ap.parse_args()
    if args.quick and "BENCH_ROWS" not in os.environ and "--rows" not in " ".join(sys.argv):
        # the quick mode (make test) boots no guest
        args.rows = ",".join(r for r in ROWS if r not in GUEST_ROWS)
    args.build = os.path.abspath(args.build)
    out = os.path.abspath(args.out or os.path.join(args.build, "bench"))
    os.makedirs(out, exist_ok=True)
    # no core files from the crashes (core_pattern may be a plain file name)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    res = Results()
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None  # tmpfs, as /run is
    tmp = tempfile.mkdtemp(prefix="udrv-bench-", dir=base)
    t_start = time.monotonic()
    try:
        for name in [r for r in args.rows.split(",") if r]:
            if name not in ROWS:
                print("run-all: unknown row %s (rows: %s)" % (name, ",".join(ROWS)), file=sys.stderr)
                return 2
            t = time.monotonic()
            print("bench: %s ..." % name, file=sys.stderr, flush=True)
            try:
                ROWS[name](res, args, tmp)
            except Exception as e:  # a broken row must not hide the others
                res.note(name, "failed: %r" % e)
            print("bench: %s done in %.0f s" % (name, time.monotonic() - t), file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "unit", "side", "index", "value"])
        for (row, side), v in res.samples.items():
            for i, x in enumerate(v):
                w.writerow([row, res.rows.get(row, {}).get("unit", ""), side, i, x])
    lines, met, total = table(res)
    pngs = plots(res, out)
    uname = os.uname()
    head = "machine: %s %s, %d CPUs, %s; %s run, %.0f s" % (
        uname.sysname, uname.release, os.cpu_count(), uname.machine,
        "quick" if args.quick else "full", time.monotonic() - t_start)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": head, "rows": res.rows,
                   "samples": [{"row": r, "side": s, "values": v} for (r, s), v in res.samples.items()],
                   "targets": [list(t) for t in res.targets], "notes": res.notes}, f, indent=1)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(head + "\n\n" + "\n".join(lines) + "\n\n")
        for row, text in res.notes:
            f.write("- %s: %s\n" % (row, text))
    print(head)
    print("\n".join(lines))
    for row, text in res.notes:
        print("note %s: %s" % (row, text))
    print("raw samples: %s" % os.path.join(out, "results.csv"))
    for p in pngs:
        print("plot: %s" % p)
    print("bench: %d/%d targets met" % (met, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
