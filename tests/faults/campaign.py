#!/usr/bin/env python3
"""campaign.py - `make faults`: a fault-injection campaign on board pc.

  campaign.py EDU_DRIVER DRIVER_SUPERVISOR UDRVCTL IPC_CLIENT FAULT_CTL
              [--faults N] [--seed S] [--results FILE] [--check]

Boots board pc twice with vm/run: edu bound to uio_pci_generic, then to
vfio-pci behind the emulated IOMMU; half of the N faults each (default
$FAULTS or 1000). In the guest (tests/faults/guest/faults.sh)
driver_supervisor runs edu_driver with IPC=yes and UDRV_FAULTS=1,
`ipc_client storm edu` adds numbers the whole time against its ledger, and
fault_ctl injects the faults (drivers/edu/edu_faults.h) at random. Prints
the table per kind (injected, recovered, not recovered, recovery time p50,
p99 and max: fault -> a call answered by the instance that serves again),
the client's ledger, supervisor crashes, guest kernel warnings and DMAR
faults, and ends with
  faults: N injected, R recovered, S supervisor crashes, L lost, D duplicated
The raw fault lines and guest sections go to FILE (default
build/faults-results.txt). --check (the pc-faults test) exits 1 unless every
fault recovered, 0 lost, 0 duplicated, 0 supervisor crashes, no kernel
warning and a DMAR fault logged for the wild DMAs.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("UDRV_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KINDS = ["sigsegv", "sigbus", "sigkill", "abort", "exit", "hang", "spin", "oob", "dma",
         "ckpt-corrupt", "ckpt-crash", "slow-start", "forkbomb", "memory"]
ORIGIN_FALLBACK = None  # filled from udrv.h below


def origin_codes():
    """enum udrv_ckpt_origin's values, in order, from include/udrv.h."""
    txt = open(os.path.join(SRC, "include", "udrv.h")).read()
    body = re.search(r"enum udrv_ckpt_origin \{(.*?)\};", txt, re.S).group(1)
    names = re.findall(r"^\s*(UDRV_CKPT_[A-Z_]+)", body, re.M)
    return {n: i for i, n in enumerate(names)}


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def sections(out):
    sec, cur = {}, None
    for line in out.splitlines():
        if line.startswith("== "):
            cur = line[3:].strip()
            sec.setdefault(cur, [])
        elif cur:
            sec[cur].append(line)
    return sec


def kv(lines):
    d = {}
    for line in lines:
        for m in re.finditer(r"(?:^| )([a-z_0-9]+)=(\S*)", line):
            d.setdefault(m.group(1), m.group(2))
    return d


def run_board(a, bind, n, seed, kinds):
    vmrun = os.environ.get("UDRV_VMRUN", os.path.join(SRC, "vm", "run"))
    cmd = [vmrun, "--board", "pc", "--bind", bind, "--timeout", str(600 + n * 3),
           "--put", a.edu + ":/bin/edu_driver", "--put", a.sup + ":/bin/driver_supervisor",
           "--put", a.ctl + ":/bin/udrvctl", "--put", a.cli + ":/bin/ipc_client",
           "--put", a.fctl + ":/bin/fault_ctl",
           "--put", os.path.join(SRC, "tests/faults/guest/faults.sh") + ":/bin/faults.sh",
           "--", "sh", "/bin/faults.sh", bind, str(n), str(seed), ",".join(kinds)]
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    return p.returncode, p.stdout, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    for x in ("edu", "sup", "ctl", "cli", "fctl"):
        ap.add_argument(x)
    ap.add_argument("--faults", type=int, default=int(os.environ.get("FAULTS", "1000")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FAULTS_SEED", "1")))
    ap.add_argument("--results", default=os.environ.get("FAULTS_RESULTS"))
    ap.add_argument("--kinds", help="comma list: only these kinds (default all)")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    if not os.access(os.path.join(SRC, "vm", "run"), os.X_OK) and "UDRV_VMRUN" not in os.environ:
        print("SKIP: vm/run is not there")
        return 77
    for b in (a.edu, a.sup, a.ctl, a.cli, a.fctl):
        if not os.access(b, os.X_OK):
            print(f"not ok - {b} is not an executable")
            return 1
    origins = origin_codes()
    fallback = origins.get("UDRV_CKPT_FALLBACK")

    rows = {k: {"inj": 0, "rec": 0, "ms": []} for k in KINDS}
    raw, problems = [], []
    tot = {"calls": 0, "errors": 0, "mismatches": 0, "lost": 0, "dup": 0, "resends": 0,
           "sup_crashes": 0, "warnings": 0, "dmar": 0, "restarts": 0, "fallback": 0,
           "corrupt": 0, "oob_refused": 0, "oob": 0,
           "kmsg_lost": 0, "dmesg_warnings": 0, "sup_res": []}
    only = a.kinds.split(",") if a.kinds else KINDS
    for k in only:
        if k not in KINDS:
            print(f"campaign.py: unknown kind '{k}' (kinds: {', '.join(KINDS)})")
            return 2
    half = a.faults // 2
    uio = [k for k in only if k != "dma"]  # uio_pci_generic: no IOMMU, no DMA
    if not uio:
        half = 0
    plan = [("uio", half, uio), ("vfio", a.faults - half, only)]
    wall = 0.0
    for bind, n, kinds in plan:
        if n <= 0:
            continue
        rc, out, dt = run_board(a, bind, n, a.seed * 2 + (bind == "vfio"), kinds)
        wall += dt
        raw.append(f"### board pc, {bind}: {n} faults, vm/run rc {rc}, {dt:.0f} s\n{out}")
        sec = sections(out)
        if rc != 0 or "end" not in sec:
            problems.append(f"{bind}: vm/run exited {rc}" + ("" if "end" in sec else ", the guest script did not run to the end"))
        flines = [l for l in sec.get("faults", []) if l.startswith("fault ")]
        errs = [l for l in sec.get("faults", []) if l.startswith("error=")]
        problems += [f"{bind}: {e}" for e in errs]
        if len(flines) != n:
            problems.append(f"{bind}: {len(flines)} of {n} faults reported")
        for l in flines:
            d = kv([l])
            k = d["kind"]
            r = rows[k]
            r["inj"] += 1
            if d["recovered"] == "1":
                r["rec"] += 1
                r["ms"].append(float(d["ms"]))
            tot["warnings"] += int(d.get("warn", 0))
            tot["dmar"] += int(d.get("dmar", 0))
            if d["sup"] != "alive":
                tot["sup_crashes"] += 1
            if k == "ckpt-corrupt":
                tot["corrupt"] += 1
                if d["recovered"] == "1" and int(d["origin"]) == fallback:
                    tot["fallback"] += 1
            if k == "oob":
                tot["oob"] += 1
                if int(d["detail"]) == -34:  # -ERANGE
                    tot["oob_refused"] += 1
        km = kv([l for l in sec.get("faults", []) if l.startswith("kmsg ")])
        tot["warnings"] += int(km.get("warn", 0) or 0)
        tot["dmar"] += int(km.get("dmar", 0) or 0)
        tot["kmsg_lost"] += int(km.get("lost", 0) or 0)
        c = kv(sec.get("client", []))
        s = kv(sec.get("summary", []))
        st0 = kv([l for l in sec.get("start", []) if l.startswith("sup_before ")])
        st1 = kv([l for l in sec.get("summary", []) if l.startswith("sup_after ")])
        tot["sup_res"].append(f"{bind}: RSS {st0.get('rss_kb', '?')} -> {st1.get('rss_kb', '?')} kB, "
                              f"fds {st0.get('fds', '?')} -> {st1.get('fds', '?')}")
        if st0.get("fds") != st1.get("fds"):
            problems.append(f"{bind}: the supervisor's open fds went from {st0.get('fds')} to {st1.get('fds')}")
        for key in ("calls", "errors", "mismatches", "resends"):
            tot[key] += int(c.get(key, 0) or 0)
        if "ledger" not in c:
            problems.append(f"{bind}: the client printed no ledger ({' '.join(sec.get('client', [])[:3])})")
        else:
            diff = int(c["ledger"]) - int(c["total"])
            # lost: calls the client was told about that the total lacks, and
            # calls never answered; duplicated: the total has more than told
            tot["lost"] += max(diff, 0) + int(c.get("errors", 0))
            tot["dup"] += max(-diff, 0)
        if s.get("sup_alive") != "yes":
            tot["sup_crashes"] += 1
        st = kv(sec.get("stop", []))
        if st.get("sup_rc") != "0":
            problems.append(f"{bind}: the supervisor exited {st.get('sup_rc')} on SIGTERM")
        # the guest's dmesg at the end, a cross-check of fault_ctl's /dev/kmsg count
        tot["dmesg_warnings"] += int(s.get("kernel_warnings", 0) or 0)
        tot["restarts"] += int(s.get("restarts", 0) or 0)
        if s.get("drivers_left") not in ("0", "1"):
            problems.append(f"{bind}: {s.get('drivers_left')} edu_driver processes at the end (one expected)")

    n_inj = sum(r["inj"] for r in rows.values())
    n_rec = sum(r["rec"] for r in rows.values())
    lines = [f"board pc, edu over UIO and VFIO, seed {a.seed}, {wall:.0f} s (two boots)", "",
             f"{'kind':<14} {'injected':>8} {'recovered':>9} {'not rec.':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for k in KINDS:
        r = rows[k]
        if not r["inj"]:
            continue
        lines.append(f"{k:<14} {r['inj']:>8} {r['rec']:>9} {r['inj'] - r['rec']:>8} "
                     f"{pct(r['ms'], 50):>8.1f} {pct(r['ms'], 99):>8.1f} {max(r['ms'] or [0]):>8.1f}")
    allms = [x for r in rows.values() for x in r["ms"]]
    lines.append(f"{'all':<14} {n_inj:>8} {n_rec:>9} {n_inj - n_rec:>8} {pct(allms, 50):>8.1f} "
                 f"{pct(allms, 99):>8.1f} {max(allms or [0]):>8.1f}")
    lines += ["",
              f"client: {tot['calls']} add calls, {tot['errors']} errors, {tot['mismatches']} mismatches, "
              f"{tot['resends']} resends; ledger vs driver total: {tot['lost']} lost, {tot['dup']} duplicated",
              f"supervisor crashes: {tot['sup_crashes']}; driver restarts: {tot['restarts']}",
              "supervisor before -> after: " + "; ".join(tot["sup_res"]),
              f"guest kernel warnings (WARNING/BUG/Oops): {tot['warnings']}; DMAR faults logged: {tot['dmar']} "
              f"(wild DMAs: {rows['dma']['inj']}); kernel log records lost: {tot['kmsg_lost']}",
              f"checkpoint corruption detected, fallback copy restored: {tot['fallback']} of {tot['corrupt']}; "
              f"oob register read refused (-ERANGE): {tot['oob_refused']} of {tot['oob']}"]
    for p in problems:
        lines.append("problem: " + p)
    lines.append(f"faults: {n_inj} injected, {n_rec} recovered, {tot['sup_crashes']} supervisor crashes, "
                 f"{tot['lost']} lost, {tot['dup']} duplicated")
    table = "\n".join(lines)
    print(table)
    res = a.results or os.path.join(SRC, "build", "faults-results.txt")
    with open(res, "w") as f:
        f.write(table + "\n\n# raw: guest output per board\n" + "\n".join(raw))
    print(f"raw results: {res}")
    if not a.check:
        return 0 if (not problems and n_rec == n_inj and not tot["sup_crashes"] and not tot["lost"]
                     and not tot["dup"] and not tot["warnings"]) else 1
    checks = [
        (f"{n_inj} faults injected of {a.faults}", n_inj == a.faults),
        (f"every kind injected ({sum(1 for k in only if rows[k]['inj'])} of {len(only)})",
         all(rows[k]["inj"] for k in only)),
        (f"every fault recovered ({n_rec} of {n_inj})", n_rec == n_inj),
        (f"0 supervisor crashes ({tot['sup_crashes']})", tot["sup_crashes"] == 0),
        (f"0 lost calls ({tot['lost']}), {tot['calls']} made", tot["lost"] == 0 and tot["calls"] > 0),
        (f"0 duplicated calls ({tot['dup']}), 0 mismatched replies ({tot['mismatches']})",
         tot["dup"] == 0 and tot["mismatches"] == 0),
        (f"no guest kernel warning ({tot['warnings']} from /dev/kmsg, {tot['dmesg_warnings']} in dmesg)",
         tot["warnings"] == 0 and tot["dmesg_warnings"] == 0),
        (f"a DMAR fault logged for the wild DMAs ({tot['dmar']} for {rows['dma']['inj']})",
         rows["dma"]["inj"] == 0 or tot["dmar"] > 0),
        (f"each corrupted checkpoint detected, the fallback restored ({tot['fallback']} of {tot['corrupt']})",
         tot["fallback"] == tot["corrupt"]),
        (f"each register read past the BAR refused with -ERANGE ({tot['oob_refused']} of {tot['oob']})",
         tot["oob_refused"] == tot["oob"]),
        (f"no other problem ({'; '.join(problems) or 'none'})", not problems),
    ]
    bad = 0
    for text, ok in checks:
        print(("ok - " if ok else "not ok - ") + text)
        bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
