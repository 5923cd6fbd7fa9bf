#!/usr/bin/python3
# CLI test for the `shoal` tool: lat/thr --json print one valid JSON object with sane values,
# between two threads (inproc://, tcp://, ipc://) and between two processes (--procs over shm://,
# tcp:// with a port the kernel picks, ipc:// abstract names and socket files); version/help
# work; every bad argument exits non-zero with a usage message on stderr.
# Single-threaded; runs the binary given as argv[1] as a subprocess. Asserts no timings.
# shm:// names are machine-wide (abstract Unix sockets): they carry this test's pid, so runs of
# the test in parallel (other build trees, other presets) never collide.
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

failures = []


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=240)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def one_json_object(label, rc, out, err):
    if not check(rc == 0, f"{label}: exit {rc}, stderr: {err.strip()}"):
        return None
    lines = [line for line in out.splitlines() if line.strip()]
    if not check(len(lines) == 1, f"{label}: expected one line of JSON on stdout, got {out!r}"):
        return None
    try:
        obj = json.loads(lines[0])
    except json.JSONDecodeError as e:
        check(False, f"{label}: invalid JSON ({e}): {lines[0]!r}")
        return None
    check(isinstance(obj, dict), f"{label}: JSON is not an object")
    return obj if isinstance(obj, dict) else None


def has_fields(label, obj, fields):
    missing = [f for f in fields if f not in obj]
    return check(not missing, f"{label}: missing fields {missing} in {obj}")


def test_lat(binary):
    label = "lat --json"
    obj = one_json_object(label, *run(binary, ["lat", "inproc://t", "--count", "2000", "--json"]))
    if obj is None:
        return
    pcts = ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"]
    if not has_fields(label, obj, pcts + ["mean_ns", "endpoint", "size", "count", "warmup", "cpus", "wait"]):
        return
    check(obj["endpoint"] == "inproc://t", f"{label}: endpoint {obj['endpoint']!r}")
    check(obj["size"] == 64, f"{label}: size {obj['size']!r}")
    check(obj["count"] == 2000, f"{label}: count {obj['count']!r}")
    check(obj["wait"] == "spin", f"{label}: wait {obj['wait']!r}")
    check(isinstance(obj["cpus"], list) and len(obj["cpus"]) == 2, f"{label}: cpus {obj['cpus']!r}")
    values = [obj[k] for k in pcts]
    check(all(isinstance(v, (int, float)) and v > 0 for v in values + [obj["mean_ns"]]),
          f"{label}: non-positive statistic in {obj}")
    check(values == sorted(values), f"{label}: percentiles not ordered p50 <= p90 <= p99 <= p99.9 <= max: {values}")
    check(obj["mean_ns"] <= obj["max_ns"], f"{label}: mean above max")


def test_thr(binary):
    label = "thr --json"
    obj = one_json_object(label, *run(binary, ["thr", "inproc://t", "--count", "20000", "--json"]))
    if obj is None:
        return
    if not has_fields(label, obj, ["msgs_per_s", "mb_per_s", "endpoint", "size", "count"]):
        return
    check(obj["endpoint"] == "inproc://t", f"{label}: endpoint {obj['endpoint']!r}")
    check(obj["size"] == 64 and obj["count"] == 20000, f"{label}: size/count {obj['size']}/{obj['count']}")
    check(obj["msgs_per_s"] > 0, f"{label}: msgs_per_s {obj['msgs_per_s']}")
    expect_mb = obj["msgs_per_s"] * obj["size"] / 1e6
    check(abs(obj["mb_per_s"] - expect_mb) <= 1e-6 * expect_mb, f"{label}: mb_per_s {obj['mb_per_s']} != {expect_mb}")


def test_thr_apis(binary):
    for api in ("message", "bytes", "zero-copy"):
        for size in ("64", "100000"):
            label = f"thr --api {api} --size {size}"
            obj = one_json_object(label, *run(binary, ["thr", "inproc://t", "--count", "5000", "--size", size,
                                                       "--api", api, "--json"]))
            if obj is None or not has_fields(label, obj, ["msgs_per_s", "api"]):
                continue
            check(obj["api"] == api, f"{label}: api {obj['api']!r}")
            check(obj["msgs_per_s"] > 0, f"{label}: msgs_per_s {obj['msgs_per_s']}")


def shm_endpoint(what):
    return f"shm://shoal-cli-test-{os.getpid()}-{what}"


def test_lat_procs(binary):
    label = "lat --procs --json"
    endpoint = shm_endpoint("lat")
    obj = one_json_object(label, *run(binary, ["lat", endpoint, "--procs", "--count", "2000", "--json"]))
    if obj is None:
        return
    pcts = ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"]
    if not has_fields(label, obj, pcts + ["mean_ns", "endpoint", "size", "count", "warmup", "cpus", "procs"]):
        return
    check(obj["endpoint"] == endpoint, f"{label}: endpoint {obj['endpoint']!r}")
    check(obj["procs"] is True, f"{label}: procs {obj['procs']!r}")
    check(obj["size"] == 64 and obj["count"] == 2000, f"{label}: size/count {obj['size']}/{obj['count']}")
    values = [obj[k] for k in pcts]
    check(all(isinstance(v, (int, float)) and v > 0 for v in values + [obj["mean_ns"]]),
          f"{label}: non-positive statistic in {obj}")
    check(values == sorted(values), f"{label}: percentiles not ordered p50 <= p90 <= p99 <= p99.9 <= max: {values}")
    check(obj["mean_ns"] <= obj["max_ns"], f"{label}: mean above max")
    # Both sides sleeping between messages, in text mode.
    rc, out, err = run(binary, ["lat", shm_endpoint("block"), "--procs", "--count", "500", "--wait", "block"])
    check(rc == 0 and "p50" in out and "two processes" in out,
          f"lat --procs (text, block): exit {rc}, stdout {out!r}, stderr {err!r}")


def test_thr_procs(binary):
    for size, count in ((64, 20000), (65536, 2000)):
        label = f"thr --procs --json --size {size}"
        endpoint = shm_endpoint(f"thr{size}")
        args = ["thr", endpoint, "--procs", "--size", str(size), "--count", str(count), "--json"]
        obj = one_json_object(label, *run(binary, args))
        if obj is None:
            continue
        if not has_fields(label, obj, ["msgs_per_s", "mb_per_s", "seconds", "endpoint", "size", "count", "procs"]):
            continue
        check(obj["endpoint"] == endpoint and obj["procs"] is True, f"{label}: endpoint/procs in {obj}")
        check(obj["size"] == size and obj["count"] == count, f"{label}: size/count {obj['size']}/{obj['count']}")
        check(obj["msgs_per_s"] > 0 and obj["seconds"] > 0, f"{label}: msgs_per_s {obj['msgs_per_s']}")
        expect_mb = obj["msgs_per_s"] * size / 1e6
        check(abs(obj["mb_per_s"] - expect_mb) <= 1e-6 * expect_mb, f"{label}: mb_per_s {obj['mb_per_s']} != {expect_mb}")


def test_zero_copy_hwm(binary):
    # A 1 MiB loan over shm:// needs the large ring that --hwm 0 gives; with the default HWM the
    # ring is 256 KiB and the loan is refused with a message that says what to do.
    size = 1048576
    label = "thr --procs --api zero-copy --hwm 0 --size 1 MiB"
    endpoint = shm_endpoint("zc")
    args = ["thr", endpoint, "--procs", "--size", str(size), "--count", "200", "--api", "zero-copy", "--hwm", "0",
            "--json"]
    obj = one_json_object(label, *run(binary, args))
    if obj is not None and has_fields(label, obj, ["msgs_per_s", "api", "hwm", "size"]):
        check(obj["api"] == "zero-copy" and obj["hwm"] == 0 and obj["size"] == size, f"{label}: echo {obj}")
        check(obj["msgs_per_s"] > 0, f"{label}: msgs_per_s {obj['msgs_per_s']}")
    rc, out, err = run(binary, ["thr", shm_endpoint("zc-default"), "--procs", "--size", str(size), "--count", "20",
                                "--api", "zero-copy"])
    check(rc == 1, f"1 MiB zero-copy with the default HWM: exit {rc}, expected 1 (a failed run)")
    check("HWM" in err, f"1 MiB zero-copy with the default HWM: the error does not say to raise the HWM: {err!r}")


def net_endpoints(what):
    # tcp: a port the kernel picks (the peer learns the real one); ipc: an abstract name and a
    # socket file, both carrying this test's pid.
    return [("tcp", "tcp://127.0.0.1:*"), ("ipc", f"ipc://@shoal-cli-test-{os.getpid()}-{what}"),
            ("ipc-file", f"ipc://{os.path.join(tempfile.gettempdir(), f'shoal-cli-{os.getpid()}-{what}.sock')}")]


def test_net(binary):
    # lat and thr over tcp:// and ipc://, between two threads and between two processes.
    for procs in (False, True):
        flag = ["--procs"] if procs else []
        for name, endpoint in net_endpoints("lat" + ("p" if procs else "t")):
            label = f"lat {name}{' --procs' if procs else ''} --json"
            obj = one_json_object(label, *run(binary, ["lat", endpoint, "--count", "2000", "--json"] + flag))
            if obj is None or not has_fields(label, obj, ["p50_ns", "p99_ns", "max_ns", "endpoint", "procs"]):
                continue
            check(obj["endpoint"] == endpoint and obj["procs"] is procs, f"{label}: endpoint/procs in {obj}")
            values = [obj[k] for k in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")]
            check(all(v > 0 for v in values) and values == sorted(values), f"{label}: percentiles {values}")
            if endpoint.startswith("ipc:///"):
                check(not os.path.exists(endpoint[len("ipc://"):]), f"{label}: the socket file was left behind")
        for name, endpoint in net_endpoints("thr" + ("p" if procs else "t")):
            for size, count in ((64, 20000), (65536, 1000)):
                label = f"thr {name}{' --procs' if procs else ''} --size {size} --json"
                args = ["thr", endpoint, "--size", str(size), "--count", str(count), "--json"] + flag
                obj = one_json_object(label, *run(binary, args))
                if obj is None or not has_fields(label, obj, ["msgs_per_s", "mb_per_s", "seconds", "procs"]):
                    continue
                check(obj["procs"] is procs and obj["size"] == size and obj["count"] == count,
                      f"{label}: procs/size/count in {obj}")
                check(obj["msgs_per_s"] > 0 and obj["seconds"] > 0, f"{label}: msgs_per_s {obj['msgs_per_s']}")
    # Text mode, both sides allowed to sleep.
    rc, out, err = run(binary, ["lat", "tcp://127.0.0.1:*", "--procs", "--count", "500", "--wait", "block"])
    check(rc == 0 and "p50" in out and "two processes" in out,
          f"lat tcp --procs (text, block): exit {rc}, stdout {out!r}, stderr {err!r}")
    # A port another socket holds cannot be bound: the run fails cleanly (exit 1, the error naming
    # the process and the bind) instead of hanging.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        rc, out, err = run(binary, ["lat", f"tcp://127.0.0.1:{port}", "--procs", "--count", "10"])
        check(rc == 1 and "process" in err and "bind" in err,
              f"lat --procs on a busy port: exit {rc}, stdout {out!r}, stderr {err!r}")


def shm_name_bound(endpoint):
    # A bound shm:// name is a listening abstract Unix socket "@shoal-shm/<name>".
    with open("/proc/net/unix") as f:
        return any(line.rstrip().endswith("@shoal-shm/" + endpoint[len("shm://"):]) for line in f)


def test_procs_failures(binary):
    # A second run on a name that a first run has bound cannot bind; it fails cleanly (exit 1,
    # shoal's message naming the process) instead of hanging.
    endpoint = shm_endpoint("busy")
    first = subprocess.Popen([binary, "lat", endpoint, "--procs", "--count", "20000000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(2000):
            if shm_name_bound(endpoint) or first.poll() is not None:
                break
            time.sleep(0.005)
        if not check(shm_name_bound(endpoint), f"lat --procs: {endpoint} never appeared in /proc/net/unix"):
            return
        rc, out, err = run(binary, ["lat", endpoint, "--procs", "--count", "10"])
        check(rc == 1 and "process" in err and "already bound" in err,
              f"lat --procs on a name in use: exit {rc}, stdout {out!r}, stderr {err!r}")
    finally:
        first.kill()
        first.wait()


def test_text_and_info(binary):
    rc, out, err = run(binary, ["lat", "inproc://t", "--count", "500", "--size", "1024", "--wait", "block"])
    check(rc == 0 and "p50" in out, f"lat (text, block): exit {rc}, stdout {out!r}, stderr {err!r}")
    rc, out, err = run(binary, ["thr", "inproc://t", "--count=5000", "--size=65536", "--wait=spin_yield"])
    check(rc == 0 and "msg/s" in out, f"thr (text, spin_yield): exit {rc}, stdout {out!r}, stderr {err!r}")
    rc, out, _ = run(binary, ["version"])
    check(rc == 0 and out.startswith("shoal "), f"version: exit {rc}, stdout {out!r}")
    rc, out, _ = run(binary, ["help"])
    check(rc == 0 and "usage" in out, f"help: exit {rc}, stdout {out!r}")


BAD = [
    ([], "no command"),
    (["bogus"], "unknown subcommand"),
    (["lat"], "missing endpoint"),
    (["thr", "--count", "10"], "missing endpoint with options"),
    (["lat", "inproc://t", "extra"], "two endpoints"),
    (["thr", "inproc://t", "--size", "abc"], "non-numeric size"),
    (["thr", "inproc://t", "--size", "0"], "zero size"),
    (["lat", "inproc://t", "--count", "0"], "zero count"),
    (["thr", "inproc://t", "--count", "12x"], "non-numeric count"),
    (["lat", "inproc://t", "--count", "-5"], "negative count"),
    (["lat", "inproc://t", "--size"], "option without value"),
    (["lat", "inproc://t", "--frobnicate"], "unknown option"),
    (["lat", "inproc://t", "--cpus", "0"], "one cpu"),
    (["lat", "inproc://t", "--cpus", "a,b"], "non-numeric cpus"),
    (["thr", "inproc://t", "--cpus", "0,99999"], "unavailable cpu"),
    (["lat", "inproc://t", "--wait", "sometimes"], "unknown wait strategy"),
    (["thr", "inproc://t", "--api", "telepathy"], "unknown api"),
    (["lat", "inproc://t", "--api", "zero-copy"], "api for lat"),
    (["thr", "inproc://t", "--hwm", "many"], "non-numeric hwm"),
    (["thr", "inproc://t", "--hwm", "-1"], "negative hwm"),
    (["lat", "inproc://t", "--hwm", "2000000000"], "hwm over the limit"),
    (["lat", "nosuch://t", "--count", "10"], "unknown transport scheme"),
    (["thr", "inproc-without-scheme", "--count", "10"], "malformed endpoint"),
    (["lat", "inproc://t", "--procs"], "inproc cannot cross processes"),
    (["thr", "inproc://t", "--procs", "--count", "10"], "inproc cannot cross processes"),
    (["lat", "nosuch://t", "--procs", "--count", "10"], "unknown transport scheme, two processes"),
]


def test_bad_arguments(binary):
    for args, what in BAD:
        rc, out, err = run(binary, args)
        check(rc == 2, f"bad arguments ({what}) {args}: exit {rc}, expected 2")
        check("usage" in err, f"bad arguments ({what}) {args}: no usage message on stderr: {err!r}")
        check(out == "", f"bad arguments ({what}) {args}: unexpected stdout {out!r}")
    # A library rejection also prints shoal's message with its detail.
    _, _, err = run(binary, ["lat", "nosuch://t", "--count", "10"])
    check("nosuch" in err, f"unknown scheme: the error does not name it: {err!r}")
    _, _, err = run(binary, ["thr", "inproc://t", "--procs"])
    check("inproc" in err and "process" in err, f"inproc --procs: the error does not say why: {err!r}")


def main():
    if len(sys.argv) != 2:
        print("usage: test_cli.py <path to the shoal binary>", file=sys.stderr)
        return 2
    binary = sys.argv[1]
    for test in (test_lat, test_thr, test_thr_apis, test_lat_procs, test_thr_procs, test_zero_copy_hwm,
                 test_procs_failures, test_net,
                 test_text_and_info, test_bad_arguments):
        test(binary)
    for f in failures:
        print("FAIL:", f)
    print(f"{'FAILED' if failures else 'OK'}: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
