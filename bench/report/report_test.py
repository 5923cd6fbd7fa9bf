#!/usr/bin/python3
# Test of the suite's output end to end: runs a short shoal-bench (one round, small counts, every
# section), checks the JSON (machine description, placement, the new rows, a CDF for every RTT
# row), renders it with make_report.py and checks the HTML (embedded PNG plots, every row), then
# runs compare.py on the file against itself and against doctored copies (a slower shoal RTT, a
# lower shoal rate, a change within the tolerance, a slower libzmq, a failed row, garbage).
# Asserts no timing. Usage: report_test.py <shoal-bench> <scratch dir>. Single-threaded.
import base64
import copy
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def row(doc, key):
    for r in doc["results"]:
        if r["key"] == key:
            return r
    return None


def run_suite(binary, path):
    args = [binary, "--rounds", "1", "--rtt-count", "2000", "--slow-rtt-count", "200", "--thr-count", "20000",
            "--idle-count", "5", "--pattern-ms", "10", "--topics", "100", "--json", path]
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, f"shoal-bench exit {p.returncode}: {p.stderr[-3000:]}")
    check("[round 1/1] limit: SPSC ring, 64 B slots" in p.stderr, "no progress line for the ring limit")
    check("-- idle gaps" in p.stdout, "the table has no idle-gap section")
    return p.returncode == 0


def check_pyzmq_missing(binary, path):
    """With an interpreter that cannot import zmq, the pyzmq section is skipped, saying why."""
    env = dict(os.environ, SHOAL_BENCH_PYTHON="/nonexistent/python3")
    args = [binary, "--rounds", "1", "--rtt-count", "200", "--thr-count", "2000", "--no-procs", "--no-patterns",
            "--no-idle", "--no-libzmq", "--json", path]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
    check(p.returncode == 0, f"without pyzmq: exit {p.returncode}: {p.stderr[-2000:]}")
    check("the pyzmq section is skipped: /nonexistent/python3 cannot import zmq (install Debian's python3-zmq)"
          in p.stderr, f"without pyzmq: no clear message in {p.stderr[-2000:]!r}")
    if p.returncode == 0:
        with open(path) as f:
            keys = [r["key"] for r in json.load(f)["results"]]
        check(not any(k.startswith("pyzmq.") for k in keys), f"without pyzmq: rows {keys}")


def check_json(doc):
    m = doc.get("machine", {})
    for k in ("cpu_model", "cores", "pus", "numa_nodes", "packages", "kernel"):
        check(k in m, f"machine has no {k}: {m}")
    check(m.get("cores", 0) >= 1 and m.get("numa_nodes", 0) >= 1 and m.get("kernel"), f"machine: {m}")
    p = doc.get("placement", {})
    check(len(p.get("cpus", [])) == 2 and "timing_side_cpu" in p and "peer_cpu" in p, f"placement: {p}")
    keys = {r["key"] for r in doc["results"]}
    want = ["limit.spsc_ring", "limit.cache_line", "limit.cache_line.two_lines", "shoal.inproc.thr.128", "shoal.inproc.thr.512", "shoal.inproc.thr.10240",
            "shoal.inproc.rtt.idle", "shoal.inproc.rtt.idle.block", "libzmq.inproc.rtt.idle"]
    pyzmq = ["pyzmq.inproc.rtt", "pyzmq.ipc.rtt", "pyzmq.tcp.rtt", "pyzmq.inproc.thr.64", "pyzmq.ipc.thr.64",
             "pyzmq.tcp.thr.64"]
    for k in want + pyzmq:
        check(k in keys, f"no row {k}")
    for r in doc["results"]:
        if not check(r.get("median") is not None, f"{r['key']}: no result ({r.get('error')})"):
            continue
        if r["metric"] == "rtt":
            cdf = r.get("cdf")
            if not check(cdf and len(cdf["percentiles"]) == len(cdf["ns"]) >= 10, f"{r['key']}: no CDF: {cdf}"):
                continue
            check(cdf["ns"] == sorted(cdf["ns"]), f"{r['key']}: CDF not monotonic: {cdf['ns']}")
            check(cdf["percentiles"][0] == 0 and cdf["percentiles"][-1] == 100, f"{r['key']}: CDF ends")
    ring = row(doc, "limit.spsc_ring")
    if ring and ring.get("median"):
        check(ring["median"]["msgs_per_s"] > 0 and ring["size"] == 64, f"ring row: {ring}")
    idle = row(doc, "shoal.inproc.rtt.idle")
    if idle:
        check(idle.get("gap_ns") == 10_000_000, f"idle row gap: {idle.get('gap_ns')}")
    # Steal time: a summary over all the runs' ticks, in 0..1; the runs long enough for a fraction
    # of their own carry it, in 0..1, and the summary's count and worst agree with them.
    st = doc.get("steal")
    stolen = [rnd["steal"] for r in doc["results"] for rnd in r["rounds"] if isinstance(rnd, dict) and "steal" in rnd]
    if check(st and st["ticks"] > 0 and 0 <= st["overall"] <= 1, f"no steal summary: {st}"):
        check(all(0 <= x <= 1 for x in stolen), f"steal outside 0..1: {stolen}")
        check(st["runs"] == len(stolen), f"steal summary {st} vs rounds {stolen}")
        if stolen:
            check(abs(st["max"] - max(stolen)) < 1e-9, f"steal summary {st} vs rounds {stolen}")
    names = {f["name"] for f in doc["findings"]}
    for n in ("shoal RTT p50 / two-line RTT p50", "two-line RTT p50 / cache-line RTT p50",
              "shoal msg/s / SPSC ring msg/s at 64 B", "idle gaps: libzmq RTT p50 / shoal RTT p50"):
        check(n in names, f"no finding '{n}'")


def check_report(json_path, html_path, doc):
    p = subprocess.run([sys.executable, os.path.join(HERE, "make_report.py"), json_path, html_path],
                       capture_output=True, text=True, timeout=300)
    if not check(p.returncode == 0, f"make_report exit {p.returncode}: {p.stderr}"):
        return
    with open(html_path) as f:
        text = f.read()
    imgs = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    check(len(imgs) >= 6, f"{len(imgs)} plots in the report")
    for b in imgs:
        check(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n", "an embedded image is not a PNG")
    for title in ("Latency CDF: two threads of one process", "Latency CDF: idle gaps", "Latency CDF: pyzmq",
                  "Throughput by message size", "Ratios to the physical limits", "Ratios to libzmq",
                  "Socket patterns", "host steal", "AMD" if "AMD" in doc["machine"]["cpu_model"] else "CPU"):
        check(title in text, f"the report has no '{title}'")
    for r in doc["results"]:
        check(r["label"].replace("&", "&amp;").replace(">", "&gt;") in text, f"the report lacks row {r['label']}")


def compare(*args):
    p = subprocess.run([sys.executable, os.path.join(HERE, "compare.py"), *args], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def check_compare(json_path, scratch, doc):
    def doctored(name, change):
        d = copy.deepcopy(doc)
        change(d)
        path = os.path.join(scratch, name)
        with open(path, "w") as f:
            json.dump(d, f)
        return path

    rc, out = compare(json_path, json_path)
    check(rc == 0 and "0 regression(s)" in out, f"compare with itself: exit {rc}\n{out}")

    def scale(key, field, factor):
        def f(d):
            row(d, key)["median"][field] *= factor
        return f

    slower = doctored("slower.json", scale("shoal.inproc.rtt", "p50_ns", 2.0))
    rc, out = compare(json_path, slower)
    check(rc == 1 and "REGRESSION: shoal.inproc.rtt" in out, f"2x slower RTT: exit {rc}\n{out}")
    fewer = doctored("fewer.json", scale("shoal.inproc.thr.64", "msgs_per_s", 0.5))
    rc, out = compare(json_path, fewer)
    check(rc == 1 and "REGRESSION: shoal.inproc.thr.64" in out, f"half the rate: exit {rc}\n{out}")
    noise = doctored("noise.json", scale("shoal.inproc.thr.64", "msgs_per_s", 0.8))
    rc, out = compare(json_path, noise)
    check(rc == 0, f"20% lower, within 30%: exit {rc}\n{out}")
    rc, out = compare(json_path, noise, "--tolerance", "0.1")
    check(rc == 1, f"20% lower, tolerance 10%: exit {rc}\n{out}")
    zmq = doctored("zmq.json", scale("libzmq.inproc.rtt", "p50_ns", 10.0))
    rc, out = compare(json_path, zmq)
    check(rc == 0 and "worse (not shoal)" in out, f"slower libzmq: exit {rc}\n{out}")

    def fail_row(d):
        r = row(d, "shoal.inproc.thr.1024")
        r["median"] = None
        r["error"] = "timed out"
    failed = doctored("failed.json", fail_row)
    rc, out = compare(json_path, failed)
    check(rc == 1 and "no result now: timed out" in out, f"failed row: exit {rc}\n{out}")
    garbage = os.path.join(scratch, "garbage.json")
    with open(garbage, "w") as f:
        f.write("{not json")
    rc, out = compare(json_path, garbage)
    check(rc == 2, f"garbage file: exit {rc}\n{out}")
    rc, out = compare(json_path)
    check(rc == 2, f"one argument: exit {rc}\n{out}")


def main():
    binary, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    json_path = os.path.join(scratch, f"results-{os.getpid()}.json")
    passed = failed = 0
    if run_suite(binary, json_path):
        with open(json_path) as f:
            doc = json.load(f)
        html_path = os.path.join(scratch, f"report-{os.getpid()}.html")
        for name, step in (("json", lambda: check_json(doc)),
                           ("report", lambda: check_report(json_path, html_path, doc)),
                           ("compare", lambda: check_compare(json_path, scratch, doc)),
                           ("pyzmq missing", lambda: check_pyzmq_missing(binary, json_path + ".nopy"))):
            before = len(failures)
            step()
            ok = len(failures) == before
            passed, failed = passed + ok, failed + (not ok)
            print(("ok   " if ok else "FAIL ") + name, flush=True)
    else:
        failed = 1
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {failed} failed")
    return 1 if failures else 0


sys.exit(main())
