#!/usr/bin/python3
# Smoke test of shoal-bench's socket-pattern section: runs `shoal-bench --patterns-only` with
# short runs (one round, 20 ms each, 1000 topics) and checks that it exits 0, prints the section
# and its ratios, and writes a JSON file whose every pattern row has a median and rounds whose
# counts are consistent (no subscriber got more timed messages than were sent to it). Asserts
# no timing. Usage: smoke_test.py <shoal-bench> <scratch directory>. Single-threaded.
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
    path = os.path.join(scratch, f"patterns-{os.getpid()}.json")
    args = [binary, "--patterns-only", "--rounds", "1", "--pattern-ms", "20", "--topics", "1000", "--json", path]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if not check(p.returncode == 0, f"exit {p.returncode}; stderr:\n{p.stderr}\nstdout:\n{p.stdout}"):
        return
    check("-- socket patterns" in p.stdout, "the table has no socket-pattern section")
    check("socket patterns (informational, no targets):" in p.stdout, "the table lists no pattern ratios")
    check("[round 1/1] shoal inproc PUB 64 B -> 1 SUB" in p.stderr, "no progress line for the first pattern row")
    with open(path) as f:
        doc = json.load(f)
    os.unlink(path)
    rows = doc["results"]
    keys = {r["key"] for r in rows}
    for key in ("shoal.inproc.pubsub.4", "shoal.shm.pubsub.1", "shoal.inproc.dealer_router.w32",
                "shoal.shm.req_rep", "shoal.inproc.topics.1000"):
        check(key in keys, f"no row {key}")
    for r in rows:
        label = r["key"]
        check(r["metric"] == "pattern", f"{label}: metric {r['metric']}")
        if not check(r["median"] is not None, f"{label}: no median ({r.get('error', 'no error recorded')})"):
            continue
        for rnd in r["rounds"]:
            if not check(rnd is not None, f"{label}: a round failed"):
                continue
            if r["pattern"] in ("DEALER/ROUTER", "REQ/REP"):
                check(rnd["requests"] >= 1, f"{label}: no request was answered")
                continue
            check(rnd["sent"] >= 1, f"{label}: nothing was sent")
            want = r.get("subscribers", 1)
            check(len(rnd["delivered"]) == want, f"{label}: {len(rnd['delivered'])} subscribers, expected {want}")
            for d in rnd["delivered"]:
                check(d <= rnd["expected_per_subscriber"],
                      f"{label}: a subscriber counted {d} of {rnd['expected_per_subscriber']} messages")
    if "libzmq.inproc.pubsub.1" in keys:
        check(any(f["name"].startswith("inproc PUB 64 B -> 1 SUB") for f in doc["findings"]),
              "no shoal/libzmq finding for the fan-out")


main()
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
