#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""switch_latency - planned restarts of an IPC=yes driver under client load.

    switch_latency.py SUPERVISOR UDRVCTL TEST_DRIVER [-n SWITCHES]

Runs driver_supervisor with one test_driver (--serve-ipc --graceful: it
answers each connection on its held `ipc` socket and exits 0 on SIGTERM
once the connection in hand is answered), two clients connecting without
pause (SWITCH_CLIENTS=N for another count), and N `udrvctl restart`
(every other one an `upgrade`). Prints the
switch time the supervisor reports (SIGTERM to the new READY=1, split into
the old instance's exit and the new one's start) and the clients' view:
connections, errors, and their latency. A benchmark: it never fails on
speed, only when a client saw an error.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "min": 60e3}


def ms(text):
    """'45.0ms', '849us', '2s' (format_time) -> milliseconds."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|min)?", text)
    return 0.0 if text == "0" else float(m.group(1)) * UNITS[m.group(2) or "s"]


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def main():
    sup, ctl, drv = (os.path.abspath(p) for p in sys.argv[1:4])
    n = int(sys.argv[sys.argv.index("-n") + 1]) if "-n" in sys.argv else 50
    d = tempfile.mkdtemp(prefix="udrv-switch-")
    conf, run, ctlsock = os.path.join(d, "conf"), os.path.join(d, "run"), os.path.join(d, "ctl")
    os.mkdir(conf)
    with open(os.path.join(conf, "x.driver"), "w") as f:
        f.write(f"[Driver]\nExecStart={drv} --serve-ipc --graceful --state counter\nIPC=yes\n")
    out = open(os.path.join(d, "out.txt"), "w")
    p = subprocess.Popen([sup, "--config", conf, "--control", ctlsock, "--runtime-dir", run],
                         stdout=out, stderr=subprocess.STDOUT)
    path = os.path.join(run, "x.sock")
    stop = threading.Event()
    lat, errors = [], []

    def client():
        while not stop.is_set():
            t0 = time.monotonic()
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                c.settimeout(30)
                c.connect(path)
                if not c.recv(100).startswith(b"hello from "):
                    raise OSError("no answer")
                lat.append((time.monotonic() - t0) * 1e3)
            except OSError as e:
                errors.append(repr(e))
            finally:
                c.close()

    try:
        for _ in range(3000):
            r = subprocess.run([ctl, "--control", ctlsock, "status", "x"], capture_output=True, text=True)
            if "running" in r.stdout:
                break
            time.sleep(0.01)
        threads = [threading.Thread(target=client, daemon=True) for _ in range(int(os.environ.get("SWITCH_CLIENTS", "2")))]
        for t in threads:
            t.start()
        total, stopping, starting = [], [], []
        for i in range(n):
            cmd = ["restart", "x"] if i % 2 == 0 else ["upgrade", "x", "--exec", drv]
            r = subprocess.run([ctl, "--control", ctlsock] + cmd, capture_output=True, text=True)
            m = re.search(r"switch took (\S+) \(old instance gone after (\S+), new one ready (\S+) later\)",
                          r.stdout)
            if r.returncode != 0 or not m:
                print(f"switch_latency: {' '.join(cmd)}: rc {r.returncode}: {r.stdout}{r.stderr}")
                return 1
            total.append(ms(m.group(1)))
            stopping.append(ms(m.group(2)))
            starting.append(ms(m.group(3)))
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        out.close()
        shutil.rmtree(d, ignore_errors=True)

    def row(name, v):
        if not v:
            return
        print(f"  {name:<28} p50 {pct(v, 50):7.2f}  p90 {pct(v, 90):7.2f}  p99 {pct(v, 99):7.2f}"
              f"  max {max(v):7.2f} ms")

    print(f"planned switches (restart/upgrade) of an IPC=yes driver: {n}, {len(threads)} clients "
          "connecting without pause")
    row("switch (SIGTERM -> READY=1)", total)
    row("  old instance exits", stopping)
    row("  new instance ready", starting)
    row("client connection", lat)
    print(f"  client connections: {len(lat) + len(errors)}, errors: {len(errors)}")
    if errors:
        print("  first errors:", errors[:5])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
