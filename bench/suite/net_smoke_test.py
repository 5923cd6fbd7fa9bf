#!/usr/bin/python3
# Smoke test of shoal-bench's network section: runs `shoal-bench --net-only` for one short round
# and checks that it exits 0, prints the section with its targets, and writes a JSON file in
# which every row of the section (raw TCP / Unix ping-pong, shoal and libzmq over tcp:// and
# ipc://) has a median and every finding has a value. Asserts no timing (a target may miss).
# Usage: net_smoke_test.py <shoal-bench> <scratch directory>. Single-threaded.
import json
import os
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def main():
    binary, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    path = os.path.join(scratch, f"net-{os.getpid()}.json")
    args = [binary, "--net-only", "--rounds", "1", "--net-rtt-count", "300", "--json", path]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if not check(p.returncode == 0, f"exit {p.returncode}; stderr:\n{p.stderr}\nstdout:\n{p.stdout}"):
        return
    check("-- two processes over the kernel" in p.stdout, "the table has no network section")
    check("[round 1/1] limit: raw tcp RTT 64 B blocking" in p.stderr, "no progress line for the first network row")
    with open(path) as f:
        doc = json.load(f)
    os.unlink(path)
    rows = {r["key"]: r for r in doc["results"]}
    want = []
    for raw in ("tcp", "unix"):
        want += [f"net.limit.{raw}.blocking", f"net.limit.{raw}.blocking.paced", f"net.limit.{raw}.spinning"]
    for t in ("tcp", "ipc"):
        want += [f"net.shoal.{t}.rtt.default", f"net.shoal.{t}.rtt.asleep", f"net.shoal.{t}.rtt.spin"]
        want += [f"net.shoal.{t}.thr.{size}" for size in (64, 1024, 65536)]
    zmq = "net.libzmq.tcp.rtt" in rows
    if zmq:
        for t in ("tcp", "ipc"):
            want += [f"net.libzmq.{t}.rtt"] + [f"net.libzmq.{t}.thr.{size}" for size in (64, 1024, 65536)]
    for key in want:
        if not check(key in rows, f"no row {key}"):
            continue
        r = rows[key]
        check(r["sides"] == "two processes", f"{key}: sides {r['sides']!r}")
        check(r["median"] is not None, f"{key}: no median ({r.get('error', 'no error recorded')})")
    for key, r in rows.items():
        check(key.startswith("net."), f"--net-only ran a row of another section: {key}")
    names = {f["name"]: f for f in doc["findings"]}
    targets = ["tcp RTT p50 default / raw tcp blocking", "tcp RTT p50 spin / raw tcp spinning",
               "ipc RTT p50 default / raw unix blocking", "ipc RTT p50 spin / raw unix spinning"]
    if zmq:
        targets += ["tcp RTT p50 shoal default / libzmq", "tcp msg/s shoal / libzmq at 64 B",
                    "ipc RTT p50 shoal default / libzmq", "ipc msg/s shoal / libzmq at 64 B"]
    for name in targets:
        if check(name in names, f"no finding '{name}'"):
            check(names[name]["rounds"] == 1 and names[name]["value"] > 0, f"'{name}': {names[name]}")
        check(name in p.stdout, f"the table does not list the target '{name}'")


main()
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
