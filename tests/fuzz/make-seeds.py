#!/usr/bin/env python3
"""Write the seed corpora of tests/fuzz/corpus/ from the project's real inputs.

Run from anywhere: python3 tests/fuzz/make-seeds.py. The seeds are kept in
the tree (with the regression inputs of past crashes, named crash-*); this
script is how the seeds were made, rerun it when the fixtures change.
  sysfs_attr, sysfs_tree  the guests' sysfs captures (tests/fixtures/sysfs-*)
  unit                    every unit file of the tree, and one with every key
  notify                  what the drivers and libudrv send (edu_driver's
                          STATUS, fd store messages with fds)
  control, udrvctl        the requests udrvctl sends, the answers it reads
  ipc                     IPC requests as udrv_client_call sends them, and
                          malformed ones (several per input)
  checkpoint              real checkpoint files, written by the built
                          fuzz_checkpoint (UDRV_FUZZ_CKPT_SEEDS=DIR), when
                          build-fuzz/ has it
"""
import glob
import hashlib
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def tree_records(root):
    """A fixture tree as fuzz_sysfs_tree records, rooted at sys/."""
    recs = []
    for dirpath, dirs, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        base = "sys" if rel == "." else "sys/" + rel
        for d in sorted(dirs):
            p = os.path.join(dirpath, d)
            if os.path.islink(p):
                recs.append(f"L {base}/{d} {os.readlink(p)}")
            else:
                recs.append(f"D {base}/{d}")
        for fn in sorted(files):
            p = os.path.join(dirpath, fn)
            if os.path.islink(p):
                recs.append(f"L {base}/{fn} {os.readlink(p)}")
                continue
            data = open(p, "rb").read()
            if fn == "config" or b"\0" in data:
                continue  # binary PCI config space: not an attribute the parsers read
            text = data.decode(errors="replace").rstrip("\n").replace("\n", "\\n")
            recs.append(f"F {base}/{fn} {text}")
    return recs


def ipc_seeds():
    """Requests as udrv_client_call sends them (lib/ipc_wire.h), and the
    shapes the server must refuse; several per input split by FF FE FD FC."""
    import struct

    def hdr(typ, flags, client, seq, status, err, op_len, ln):
        return struct.pack("<IBBHQQIIHHI", 0x56524455, 1, typ, flags, client, seq, status,
                           err, op_len, 0, ln)

    def req(op, payload=b"", client=5, seq=1, flags=0, cap=64):
        op = op.encode()
        return hdr(1, flags, client, seq, 0, cap, len(op), len(payload)) + op + payload

    m = b"\xff\xfe\xfd\xfc"
    five = struct.pack("<I", 5)
    seeds = {
        "echo": req("echo", b"hello"),
        "add": req("add", five),
        "add_resend": req("add", five, flags=1),
        "add_twice_same_seq": req("add", five) + m + req("add", five, flags=1),
        "add_then_stale": req("add", five, seq=3) + m + req("add", five, seq=2),
        "dev": req("dev", b"\x01\x02"),
        "unknown_op": req("nope"),
        "reply_as_request": hdr(2, 0, 5, 1, 0, 0, 0, 0),
        "len_lies": req("echo", b"abc")[:-1],
        "bad_op_chars": req("ec/o"),
        "small_cap": req("add", five, cap=4),
        "three": req("echo", b"a", seq=1) + m + req("add", b"\0\0\0\1", seq=2) + m +
                 req("dev", b"x", seq=3),
    }
    for name, data in seeds.items():
        put("ipc", name, data)


def main():
    for fx in sorted(glob.glob(os.path.join(TOP, "tests/fixtures/sysfs-*"))):
        board = os.path.basename(fx)
        recs = tree_records(fx)
        dev = [f"F dev/uio{i} node" for i in range(2)]
        opens = ["O uio0", "O /dev/uio1", "O name:uio_pci_generic", "O name:timer",
                 "O pci:0000:00:03.0", "O uio7"]
        put("sysfs_tree", board, "\n".join(recs + dev + opens) + "\n")
        for dirpath, _, files in os.walk(fx):
            for fn in files:
                p = os.path.join(dirpath, fn)
                if os.path.islink(p) or fn == "config":
                    continue
                data = open(p, "rb").read()
                rel = os.path.relpath(p, fx).replace("/", "_")
                put("sysfs_attr", f"{board}-{rel}", data)
    for s in ["uio0", "uio12", "map3", "port0", "0000:00:03.0", "0x1000\n", "4096\n",
              "250:0\n", "0xfed0000000000000\n", "", "\n\n"]:
        put("sysfs_attr", "str-" + hashlib.sha1(s.encode()).hexdigest()[:10], s)

    units = glob.glob(os.path.join(TOP, "**/*.driver"), recursive=True)
    for u in sorted(units):
        if "/build" in u or "/tests/fuzz/" in u:
            continue
        put("unit", os.path.relpath(u, TOP).replace("/", "_"), open(u).read())
    put("unit", "every-key", """# every key of supervisor/config.c
[Driver]
Description=all keys
ExecStart="/usr/local/bin/my driver" --opt 'a b' \\"x\\"
Device=pci:0000:00:03.0
Type=simple
Restart=on-failure
RestartSec=500ms
RestartMaxDelaySec=1min 30s
RestartResetSec=infinity
StartLimitBurst=5
StartLimitIntervalSec=30s
WatchdogSec=1.5s
TimeoutStartSec=infinity
TimeoutStopSec=2s
Environment=A=1 "B=two words" C=
LogPrefix=[%n %%] 
Listen=/run/udrv/x.sock
FileDescriptorStoreMax=16
""")
    for t in ["500ms", "1min 30s", "1.5s", "250us", "2h", "infinity", "18446744073709551615us"]:
        put("unit", "time-" + t.replace(" ", "_"), t)

    def notify(name, payload, nfds=0, creds=True, split=False, store_max=8):
        flags = (1 if creds else 0) | (2 if split else 0)
        put("notify", name, bytes([flags, nfds, store_max]) + payload.encode())
    notify("ready", "READY=1")
    notify("watchdog", "WATCHDOG=1")
    notify("edu-status", "WATCHDOG=1\nSTATUS=dma 42 round trips ok, 3 interrupts; idle")
    notify("wd-usec", "WATCHDOG_USEC=2000000\nREADY=1\nSTATUS=up")
    notify("trigger", "WATCHDOG=trigger")
    notify("stopping", "STOPPING=1\nSTATUS=bye\nERRNO=5")
    notify("fdstore", "FDSTORE=1\nFDNAME=state", nfds=1)
    notify("fdstore-many", "FDSTORE=1\nFDNAME=ring", nfds=20, split=True)
    notify("fdstore-full", "FDSTORE=1", nfds=5, store_max=2)
    notify("fdstore-remove", "FDSTOREREMOVE=1\nFDNAME=state")
    notify("fds-no-store", "READY=1", nfds=3)
    notify("no-creds", "READY=1", creds=False, nfds=2)
    notify("big", "STATUS=" + "x" * 5000)

    for line in ["status", "status --json", "status gpio", "status gpio --json",
                 "start gpio", "start gpio --no-block", "stop edu --no-block", "restart edu",
                 "reset-failed timer", "log edu", "log edu 20", "log edu 99999999999999999999"]:
        put("control", line.replace(" ", "_"), line + "\n")

    for args, reply in [
        ("list", None), ("list\n-v", None), ("status", "OK\nedu is running (pid 42)\n"),
        ("status\nedu\n--json", 'OK\n[{"name":"edu","state":"running"}]\n'),
        ("start\nedu", "ERR edu failed: exit 1\n"), ("stop\nedu\n--no-block", "OK\nedu is stopped\n"),
        ("restart\nedu", "OK\n"), ("reset-failed\nedu", "OK\nedu is not failed (running)\n"),
        ("log\nedu\n-n\n5", "OK\n[edu] line\n"), ("--control\n/nonexistent\nstatus", None),
        ("--help", None), ("bogus", None), ("status", "garbage"), ("status", ""),
    ]:
        data = args + ("\n--reply--\n" + reply if reply is not None else "")
        put("udrvctl", hashlib.sha1(data.encode()).hexdigest()[:12], data)

    exe = os.path.join(TOP, "build-fuzz/tests/fuzz/fuzz_checkpoint")
    if os.path.exists(exe):
        d = os.path.join(OUT, "checkpoint")
        os.makedirs(d, exist_ok=True)
        subprocess.run([exe], env=dict(os.environ, UDRV_FUZZ_CKPT_SEEDS=d), check=True)
        put("checkpoint", "empty-file", bytes([99, 0, 1]))


if __name__ == "__main__":
    main()
    ipc_seeds()
