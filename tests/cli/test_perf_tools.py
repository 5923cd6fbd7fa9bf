#!/usr/bin/python3
# Test of `shoal local-lat | remote-lat | local-thr | remote-thr` against a pyzmq stand-in for
# libzmq's own perf tools (zmq_perf_peer.py, same roles and output lines) over tcp://, both
# directions: shoal binds and pyzmq connects, and the other way round; shoal against itself over
# ipc:// and shm://; a peer sending the wrong size; usage errors. Then pub/sub/send/recv against
# pyzmq and shoal. Asserts no timings, only that the runs complete with sane, consistent output.
# Usage: test_perf_tools.py <shoal binary>. Single-threaded (peers are subprocesses).
import json
import os
import re
import select
import subprocess
import sys
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = [sys.executable, os.path.join(HERE, "zmq_perf_peer.py")]
failures = []
SHOAL = None


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def start(args, bound_on):
    """Starts a binding process and returns (process, endpoint) once it printed 'bound to X'."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stream = p.stdout if bound_on == "stdout" else p.stderr
    deadline = time.monotonic() + 20
    seen = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            break
        line = stream.readline()
        if not line:
            break
        seen += line
        m = re.search(r"bound to (\S+)", line)
        if m:
            return p, m.group(1)
    p.kill()
    out, err = p.communicate()
    check(False, f"{args}: never said where it bound; said {seen!r} {out!r} {err!r}")
    return None, None


def finish(p, label, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        check(False, f"{label}: did not finish in {timeout} s; stderr {err!r}")
        return None, out, err
    return p.returncode, out, err


def run(args, timeout=60):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def json_line(label, out):
    lines = [x for x in out.splitlines() if x.strip()]
    if not check(len(lines) == 1, f"{label}: expected one JSON line, got {out!r}"):
        return None
    try:
        return json.loads(lines[0])
    except json.JSONDecodeError as e:
        check(False, f"{label}: bad JSON {e}: {lines[0]!r}")
        return None


def check_lat_json(label, obj, count, warmup):
    if obj is None:
        return
    for f in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "mean_ns", "average_latency_us", "timed"):
        if not check(f in obj, f"{label}: no {f} in {obj}"):
            return
    check(obj["count"] == count and obj["warmup"] == warmup, f"{label}: count/warmup {obj}")
    check(obj["timed"] == count - warmup, f"{label}: timed {obj['timed']}, expected {count - warmup}")
    p = [obj[k] for k in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")]
    check(0 < p[0] and p == sorted(p), f"{label}: percentiles not ordered: {p}")
    check(abs(obj["average_latency_us"] * 2e3 - obj["mean_ns"]) <= 1e-6 * obj["mean_ns"] + 1,
          f"{label}: average latency is not half the mean round trip: {obj}")


def zmq_lines(label, out, keys):
    """libzmq's 'name: value [unit]' lines; checks each key is there and returns {key: value}."""
    got = {}
    for line in out.splitlines():
        m = re.match(r"^([a-z ]+): ([0-9.]+)", line)
        if m:
            got.setdefault(m.group(1), float(m.group(2)))
    for k in keys:
        check(k in got, f"{label}: no '{k}:' line in {out!r}")
    return got


def test_shoal_local_lat_with_zmq_remote():
    label = "shoal local-lat <- pyzmq remote_lat (tcp)"
    p, ep = start([SHOAL, "local-lat", "tcp://127.0.0.1:*", "64", "3000"], "stderr")
    if p is None:
        return
    rc, out, err = run(PEER + ["remote_lat", ep, "64", "3000"])
    check(rc == 0, f"{label}: peer exit {rc}: {err}")
    got = zmq_lines(label, out, ["message size", "roundtrip count", "average latency"])
    check(got.get("roundtrip count") == 3000, f"{label}: {out!r}")
    rc, out, err = finish(p, label)
    check(rc == 0, f"{label}: shoal exit {rc}: {err}")
    check("echoed 3000 messages of 64 [B]" in out, f"{label}: shoal said {out!r}")


def test_zmq_local_lat_with_shoal_remote():
    label = "pyzmq local_lat <- shoal remote-lat (tcp)"
    for json_mode in (True, False):
        p, ep = start(PEER + ["local_lat", "tcp://127.0.0.1:*", "100", "2000"], "stdout")
        if p is None:
            return
        args = [SHOAL, "remote-lat", ep, "100", "2000", "--warmup", "200"] + (["--json"] if json_mode else [])
        rc, out, err = run(args)
        check(rc == 0, f"{label}: shoal exit {rc}: {err}")
        if json_mode:
            check_lat_json(label, json_line(label, out), 2000, 200)
        else:
            got = zmq_lines(label, out, ["message size", "roundtrip count", "average latency"])
            check(got.get("message size") == 100 and got.get("roundtrip count") == 2000, f"{label}: {out!r}")
            check(re.search(r"p50 [0-9.]+ +p90 [0-9.]+ +p99 [0-9.]+ +p99\.9 [0-9.]+ +max [0-9.]+", out),
                  f"{label}: no percentile line in {out!r}")
        rc, _, err = finish(p, label)
        check(rc == 0, f"{label}: peer exit {rc}: {err}")


def test_shoal_local_thr_with_zmq_remote():
    label = "shoal local-thr <- pyzmq remote_thr (tcp)"
    p, ep = start([SHOAL, "local-thr", "tcp://127.0.0.1:*", "128", "50000", "--json"], "stderr")
    if p is None:
        return
    rc, _, err = run(PEER + ["remote_thr", ep, "128", "50000"])
    check(rc == 0, f"{label}: peer exit {rc}: {err}")
    rc, out, err = finish(p, label)
    check(rc == 0, f"{label}: shoal exit {rc}: {err}")
    obj = json_line(label, out)
    if obj is not None:
        check(obj.get("timed") == 49999 and obj.get("msgs_per_s", 0) > 0, f"{label}: {obj}")
        check(abs(obj["mbit_per_s"] - obj["msgs_per_s"] * 128 * 8 / 1e6) < 1e-3 * obj["mbit_per_s"] + 1e-6,
              f"{label}: Mb/s is not msg/s x size x 8: {obj}")


def test_zmq_local_thr_with_shoal_remote():
    label = "pyzmq local_thr <- shoal remote-thr (tcp)"
    p, ep = start(PEER + ["local_thr", "tcp://127.0.0.1:*", "64", "100000"], "stdout")
    if p is None:
        return
    rc, out, err = run([SHOAL, "remote-thr", ep, "64", "100000", "--json"])
    check(rc == 0, f"{label}: shoal exit {rc}: {err}")
    obj = json_line(label, out)
    check(obj is not None and obj.get("sent") == 100000 and obj.get("peer_left") is True,
          f"{label}: shoal said {out!r}")
    rc, out, err = finish(p, label)
    check(rc == 0, f"{label}: peer exit {rc}: {err}")
    got = zmq_lines(label, out, ["message count", "mean throughput"])
    check(got.get("message count") == 100000, f"{label}: {out!r}")


def test_shoal_with_shoal():
    pid = os.getpid()
    for ep in (f"ipc://@shoal-perf-test-{pid}", f"shm://shoal-perf-test-{pid}"):
        label = f"shoal local-lat <- shoal remote-lat ({ep.split(':')[0]})"
        p, bound = start([SHOAL, "local-lat", ep, "64", "2000", "--cpus", "0"], "stderr")
        if p is None:
            continue
        rc, out, err = run([SHOAL, "remote-lat", bound, "64", "2000", "--json"])
        check(rc == 0, f"{label}: exit {rc}: {err}")
        check_lat_json(label, json_line(label, out), 2000, 200)
        rc, _, err = finish(p, label)
        check(rc == 0, f"{label}: local-lat exit {rc}: {err}")
        label = f"shoal local-thr <- shoal remote-thr ({ep.split(':')[0]})"
        p, bound = start([SHOAL, "local-thr", ep + "-thr", "1024", "20000", "--warmup", "1000", "--json"], "stderr")
        if p is None:
            continue
        rc, _, err = run([SHOAL, "remote-thr", bound, "1024", "20000"])
        check(rc == 0, f"{label}: remote-thr exit {rc}: {err}")
        rc, out, err = finish(p, label)
        check(rc == 0, f"{label}: local-thr exit {rc}: {err}")
        obj = json_line(label, out)
        check(obj is not None and obj.get("timed") == 19000, f"{label}: {out!r}")


def test_wrong_size():
    label = "shoal local-lat gets the wrong size"
    p, ep = start([SHOAL, "local-lat", "tcp://127.0.0.1:*", "64", "10", "--linger", "0"], "stderr")
    if p is None:
        return
    peer = subprocess.Popen(PEER + ["remote_lat", ep, "64", "10", "--wrong-size"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    rc, _, err = finish(p, label)
    check(rc == 1 and "incorrect size" in err, f"{label}: exit {rc}, stderr {err!r}")
    peer.kill()
    peer.communicate()


def test_usage_errors():
    for args in (["local-lat"], ["remote-lat", "tcp://127.0.0.1:1", "64"], ["local-thr", "tcp://x:1", "a", "10"],
                 ["remote-thr", "tcp://127.0.0.1:1", "64", "0"], ["remote-lat", "tcp://127.0.0.1:1", "64", "10",
                                                                   "--warmup", "10"],
                 ["local-lat", "tcp://127.0.0.1:*", "64", "10", "--bogus", "1"],
                 ["local-lat", "tcp://127.0.0.1:*", "64", "10", "--cpus", "99999"],
                 ["local-lat", "nope://x", "64", "10"], ["sub"], ["send", "tcp://127.0.0.1:1", "--type", "pull"],
                 ["pub", "tcp://127.0.0.1:*", "--data", "a", "--size", "3"]):
        rc, _, err = run([SHOAL] + args)
        check(rc == 2 and err.startswith("shoal ") and len(err.splitlines()) >= 1,
              f"shoal {args}: exit {rc}, stderr {err!r}")


def test_sub_from_pyzmq_pub():
    label = "shoal sub <- pyzmq PUB (tcp)"
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    p = subprocess.Popen([SHOAL, "sub", f"tcp://127.0.0.1:{port}", "--topic", "a.", "--count", "3", "--timeout",
                          "10000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    n = 0
    while p.poll() is None and time.monotonic() < deadline:
        pub.send(b"b.not-this")
        pub.send(b"a.tick %d" % n)
        n += 1
        time.sleep(0.01)
    rc, out, err = finish(p, label)
    lines = out.splitlines()
    check(rc == 0 and len(lines) == 3, f"{label}: exit {rc}, out {out!r}, err {err!r}")
    for line in lines:
        check(re.match(r'^\d+: \d+ B: "a\.tick \d+"$', line), f"{label}: line {line!r}")
    pub.close(0)
    ctx.term()


def test_pub_to_pyzmq_sub():
    label = "shoal pub -> pyzmq SUB (tcp)"
    p, ep = start([SHOAL, "pub", "tcp://127.0.0.1:*", "--topic", "t.", "--data", "hi", "--count", "200",
                   "--interval", "5"], "stderr")
    if p is None:
        return
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"t.")
    sub.setsockopt(zmq.RCVTIMEO, 10000)
    sub.connect(ep)
    try:
        got = sub.recv()
        check(got == b"t.hi", f"{label}: got {got!r}")
    except zmq.Again:
        check(False, f"{label}: nothing arrived")
    rc, _, err = finish(p, label)
    check(rc == 0, f"{label}: exit {rc}: {err}")
    sub.close(0)
    ctx.term()


def test_send_recv():
    label = "shoal send (PUSH, two frames) -> shoal recv (PULL), tcp"
    p, ep = start([SHOAL, "recv", "tcp://127.0.0.1:*", "--count", "2", "--timeout", "10000"], "stderr")
    if p is None:
        return
    rc, _, err = run([SHOAL, "send", ep, "--data", "hello", "--data", "\x01\x02", "--count", "2"])
    check(rc == 0, f"{label}: send exit {rc}: {err}")
    rc, out, err = finish(p, label)
    check(rc == 0 and out.splitlines() == ['1: 7 B in 2 frames: "hello" | 0x0102',
                                           '2: 7 B in 2 frames: "hello" | 0x0102'],
          f"{label}: exit {rc}, out {out!r}, err {err!r}")
    label = "shoal send --type req -> pyzmq REP"
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    p = subprocess.Popen([SHOAL, "send", f"tcp://127.0.0.1:{port}", "--type", "req", "--data", "ping", "--timeout",
                          "10000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rep.setsockopt(zmq.RCVTIMEO, 10000)
    try:
        req = rep.recv()
        rep.send(req + b"-pong")
    except zmq.Again:
        check(False, f"{label}: no request came")
    rc, out, err = finish(p, label)
    check(rc == 0 and out.strip() == '1: 9 B: "ping-pong"', f"{label}: exit {rc}, out {out!r}, err {err!r}")
    rep.close(0)
    ctx.term()
    label = "shoal recv --timeout without --count"
    rc, out, err = run([SHOAL, "recv", "tcp://127.0.0.1:*", "--timeout", "100"])
    check(rc == 0 and "nothing for 100 ms after 0 message(s)" in err, f"{label}: exit {rc}, err {err!r}")
    rc, out, err = run([SHOAL, "recv", "tcp://127.0.0.1:*", "--timeout", "100", "--count", "1"])
    check(rc == 1, f"{label} with --count: exit {rc}, err {err!r}")


def main():
    global SHOAL
    SHOAL = sys.argv[1]
    passed = failed = 0
    for t in (test_shoal_local_lat_with_zmq_remote, test_zmq_local_lat_with_shoal_remote,
              test_shoal_local_thr_with_zmq_remote, test_zmq_local_thr_with_shoal_remote, test_shoal_with_shoal,
              test_wrong_size, test_usage_errors, test_sub_from_pyzmq_pub, test_pub_to_pyzmq_sub, test_send_recv):
        before = len(failures)
        t()
        ok = len(failures) == before
        passed, failed = passed + ok, failed + (not ok)
        print(("ok   " if ok else "FAIL ") + t.__name__, flush=True)
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {failed} failed")
    return 1 if failures else 0


sys.exit(main())
