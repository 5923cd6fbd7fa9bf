#!/usr/bin/python3
"""Python bindings benchmark: shoal from Python against shoal's C++ and against pyzmq, measured in
the same run with interleaved rounds (every round runs every measurement once, so that a host
that changes speed between rounds moves all of them together; ratios are taken per round, then
their median).

Measurements (64-byte messages; the two ends are two processes pinned to --cpus A,B):
  py shm RTT      shoal PAIR ping-pong over shm:// from Python, busy-polling (WAIT_SPIN)
  C++ shm RTT     the same in C++: `shoal lat shm://... --procs --json --cpus A,B`
  pyzmq ipc RTT   pyzmq PAIR ping-pong over ipc:// (libzmq, blocking as it always does)
  py thr          shoal PUSH/PULL one-way over shm:// from Python, busy-polling (spin) and with
                  the default strategy (block: spins 20 us, then sleeps); the better of the two
                  is compared (on a loaded host sleeping wins, spinning when it is quiet)
  pyzmq thr       pyzmq PUSH/PULL over inproc:// (two threads), ipc:// and tcp:// (two
                  processes); the best of the three is the baseline
Targets: py shm RTT p50 <= C++ shm RTT p50 + 1.5 us; py shm RTT p50 at least 10x better than
pyzmq ipc; py 64 B msg/s >= 3x pyzmq's best transport.

Run with Debian's /usr/bin/python3 and the package on PYTHONPATH (tools/bench.sh does both):
  PYTHONPATH=build/release/bindings/python /usr/bin/python3 bench/python/bench_python.py --json out.json
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIZE = 64
WARMUP_MSGS = 1000
# Every socket of the benchmark gives up after this long without progress (a stalled run fails
# with a message naming the measurement instead of hanging).
STALL_MS = 30_000


# --- the peer process: echoes (RTT) or sends (throughput) -------------------------------------

def peer_main(args):
    os.sched_setaffinity(0, {args.cpu})
    if args.lib == "shoal":
        import shoal as lib
        ctx = lib.Context(wait=args.wait)
    else:
        import zmq as lib
        ctx = lib.Context()
    kind = lib.PAIR if args.peer == "echo" else lib.PUSH
    s = ctx.socket(kind)
    s.linger = 5000
    s.rcvtimeo = s.sndtimeo = STALL_MS
    s.connect(args.endpoint)
    if args.peer == "echo":
        recv, send = s.recv, s.send
        while True:
            m = recv()
            if not m:
                break
            send(m)
    else:
        m = b"x" * SIZE
        send = s.send
        for _ in range(WARMUP_MSGS):  # the connection is up once these went out
            send(m)
        start = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        c0 = cpu_s()
        for _ in range(args.count):
            send(m)
        send(b"")  # end
        print(repr(start), repr(cpu_s() - c0), flush=True)
        # Close only once the receiver has had everything (it closes our stdin then): libzmq 4.3
        # can lose the tail of a PUSH stream whose sender closes while the receiver is behind.
        sys.stdin.read()
    s.close()
    ctx.term()


def cpu_s():
    """CPU seconds this process has used (all its threads: libzmq's I/O thread too)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def spawn_peer(role, lib, endpoint, cpu, count=0, wait=0):
    cmd = [sys.executable, os.path.abspath(__file__), "--peer", role, "--lib", lib, "--endpoint", endpoint,
           "--cpu", str(cpu), "--count", str(count), "--wait", str(wait)]
    return subprocess.Popen(cmd, env=os.environ.copy(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def finish(proc, what):
    """Closes the peer's stdin (a sender closes its socket then), waits for it; returns what it printed."""
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise RuntimeError(f"{what}: the peer process did not finish")
    if proc.returncode != 0:
        raise RuntimeError(f"{what}: the peer process failed ({proc.returncode})")
    return out


_ids = iter(range(1 << 30))


def unique(tag):
    return f"pybench-{os.getpid()}-{tag}-{next(_ids)}"


def percentiles(samples):
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50_ns": pick(0.5), "p90_ns": pick(0.9), "p99_ns": pick(0.99), "p999_ns": pick(0.999), "max_ns": s[-1]}


# --- measurements ------------------------------------------------------------------------------

def rtt(lib, endpoint_of, count, warmup, cpus):
    """PAIR ping-pong from this process (pinned to cpus[0]) to an echo peer on cpus[1]."""
    if lib == "shoal":
        import shoal as L
        ctx = L.Context(wait=L.WAIT_SPIN)
    else:
        import zmq as L
        ctx = L.Context()
    s = ctx.socket(L.PAIR)
    s.linger = 0
    s.rcvtimeo = s.sndtimeo = STALL_MS
    s.bind(endpoint_of)
    ep = s.getsockopt(L.LAST_ENDPOINT).decode()
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpus[0]})
    peer = spawn_peer("echo", lib, ep, cpus[1])
    try:
        m = b"x" * SIZE
        send, recv, clock = s.send, s.recv, time.perf_counter_ns
        for _ in range(warmup):
            send(m)
            recv()
        samples = [0] * count
        for i in range(count):
            t0 = clock()
            send(m)
            recv()
            samples[i] = clock() - t0
        send(b"")
        finish(peer, f"{lib} RTT")
    except L.Again:
        raise RuntimeError(f"{lib} RTT: no progress for {STALL_MS} ms (the echo peer stalled)") from None
    finally:
        os.sched_setaffinity(0, old)
        if peer.poll() is None:
            peer.kill()
        s.close()
        ctx.term()
    return percentiles(samples)


def cpp_rtt(cli, count, cpus):
    out = subprocess.run([cli, "lat", f"shm://{unique('cpp')}", "--procs", "--json", "--cpus", f"{cpus[0]},{cpus[1]}",
                          "--size", str(SIZE), "--count", str(count), "--wait", "spin"],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    r = json.loads(out)
    return {k: r[k] for k in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")}


def thr_procs(lib, endpoint_of, count, cpus, wait=0):
    """PUSH (peer process) -> PULL (here): `count` messages after a warm-up, from the sender's
    first timed send to the receiver's last receive (so that what the sender's buffers and the
    kernel's hold ahead of the receiver does not count as speed)."""
    if lib == "shoal":
        import shoal as L
        ctx = L.Context(wait=wait)
    else:
        import zmq as L
        ctx = L.Context()
    s = ctx.socket(L.PULL)
    s.linger = 0
    s.rcvtimeo = STALL_MS
    s.bind(endpoint_of)
    ep = s.getsockopt(L.LAST_ENDPOINT).decode()
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpus[0]})
    peer = spawn_peer("send", lib, ep, cpus[1], count, wait)
    try:
        recv = s.recv
        for _ in range(WARMUP_MSGS):
            recv()
        c0 = cpu_s()
        for _ in range(count):
            recv()
        t1 = time.perf_counter()
        cpu = cpu_s() - c0
        if recv() != b"":
            raise RuntimeError("throughput: messages out of step")
        t0, peer_cpu = (float(x) for x in finish(peer, f"{lib} throughput").split())
    except L.Again:
        raise RuntimeError(f"{lib} throughput: no message for {STALL_MS} ms (the sender stalled)") from None
    finally:
        os.sched_setaffinity(0, old)
        if peer.poll() is None:
            peer.kill()
        s.close()
        ctx.term()
    return {"msgs_per_s": count / (t1 - t0), "cpu_ns_per_msg": (cpu + peer_cpu) / count * 1e9}


def thr_pyzmq_inproc(count, cpus):
    """pyzmq PUSH/PULL between two threads of this process (each pinned: Linux pins threads)."""
    import zmq
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.rcvtimeo = STALL_MS
    pull.bind("inproc://thr")
    push = ctx.socket(zmq.PUSH)
    push.connect("inproc://thr")
    m = b"x" * SIZE

    start = []

    def sender():
        os.sched_setaffinity(0, {cpus[1]})  # this thread only
        for _ in range(WARMUP_MSGS):
            push.send(m)
        start.append(time.perf_counter())
        for _ in range(count):
            push.send(m)

    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpus[0]})
    t = threading.Thread(target=sender)
    t.start()
    try:
        for _ in range(WARMUP_MSGS):
            pull.recv()
        c0 = cpu_s()
        for _ in range(count):
            pull.recv()
        t1 = time.perf_counter()
        cpu = cpu_s() - c0  # both threads, and libzmq's I/O thread
        t.join()
        t0 = start[0]
    finally:
        os.sched_setaffinity(0, old)
        push.close(linger=0)
        pull.close(linger=0)
        ctx.term()
    return {"msgs_per_s": count / (t1 - t0), "cpu_ns_per_msg": cpu / count * 1e9}


# --- the run -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rtt-count", type=int, default=20000)
    ap.add_argument("--thr-count", type=int, default=1_000_000)
    ap.add_argument("--cpus", default=None, help="A,B (default: the first two CPUs this process may use)")
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "release", "tools", "shoal"))
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--quick", action="store_true", help="tiny counts (a smoke test, no meaningful figures)")
    # peer mode (internal)
    ap.add_argument("--peer", choices=["echo", "send"])
    ap.add_argument("--lib", default="shoal")
    ap.add_argument("--endpoint")
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--wait", type=int, default=0)
    args = ap.parse_args()
    if args.peer:
        return peer_main(args)

    if args.quick:
        args.rounds, args.rtt_count, args.thr_count = 1, 500, 20000
    cpus = [int(c) for c in args.cpus.split(",")] if args.cpus else sorted(os.sched_getaffinity(0))[:2]
    if len(cpus) < 2:
        cpus = cpus * 2
    import shoal  # noqa: F401 (fail early with the import error)
    import zmq

    warm = max(100, args.rtt_count // 10)
    rounds = []
    start = time.time()
    for r in range(args.rounds):
        rd = {}
        rd["py_shm_rtt"] = rtt("shoal", f"shm://{unique('rtt')}", args.rtt_count, warm, cpus)
        rd["cpp_shm_rtt"] = cpp_rtt(args.cli, args.rtt_count * 5, cpus)
        rd["pyzmq_ipc_rtt"] = rtt("zmq", f"ipc://@{unique('zrtt')}", max(1000, args.rtt_count // 4),
                                  max(100, warm // 4), cpus)
        rd["py_shm_thr_spin"] = thr_procs("shoal", f"shm://{unique('thr')}", args.thr_count, cpus, 0)
        rd["py_shm_thr_block"] = thr_procs("shoal", f"shm://{unique('thr')}", args.thr_count, cpus, 2)
        mine = max(("spin", "block"), key=lambda w: rd[f"py_shm_thr_{w}"]["msgs_per_s"])
        rd["py_best"] = mine
        rd["py_shm_thr"] = rd[f"py_shm_thr_{mine}"]
        zc = max(10000, args.thr_count // 5)
        rd["pyzmq_inproc_thr"] = thr_pyzmq_inproc(zc, cpus)
        rd["pyzmq_ipc_thr"] = thr_procs("zmq", f"ipc://@{unique('zthr')}", zc, cpus)
        rd["pyzmq_tcp_thr"] = thr_procs("zmq", "tcp://127.0.0.1:*", zc, cpus)
        best = max(("inproc", "ipc", "tcp"), key=lambda t: rd[f"pyzmq_{t}_thr"]["msgs_per_s"])
        rd["pyzmq_best"] = best
        rd["ratios"] = {
            "py_rtt_minus_cpp_rtt_ns": rd["py_shm_rtt"]["p50_ns"] - rd["cpp_shm_rtt"]["p50_ns"],
            "pyzmq_ipc_rtt_over_py_rtt": rd["pyzmq_ipc_rtt"]["p50_ns"] / rd["py_shm_rtt"]["p50_ns"],
            "py_thr_over_pyzmq_best": rd["py_shm_thr"]["msgs_per_s"] / rd[f"pyzmq_{best}_thr"]["msgs_per_s"],
            # CPU time per message (both ends), which a loaded host disturbs far less than msg/s
            "pyzmq_best_cpu_over_py_cpu": rd[f"pyzmq_{best}_thr"]["cpu_ns_per_msg"] /
                                          rd["py_shm_thr"]["cpu_ns_per_msg"],
        }
        rounds.append(rd)
        print(f"round {r + 1}/{args.rounds}: py shm RTT p50 {rd['py_shm_rtt']['p50_ns']:.0f} ns, C++ "
              f"{rd['cpp_shm_rtt']['p50_ns']:.0f} ns, pyzmq ipc {rd['pyzmq_ipc_rtt']['p50_ns']:.0f} ns; py thr "
              f"({mine}) {rd['py_shm_thr']['msgs_per_s'] / 1e6:.2f} M msg/s, pyzmq best ({best}) "
              f"{rd[f'pyzmq_{best}_thr']['msgs_per_s'] / 1e6:.2f} M msg/s", flush=True)

    med = statistics.median
    rows = []

    def row(key, label, kind):
        vals = [rd[key] for rd in rounds]
        if kind == "rtt":
            out = {k: med(v[k] for v in vals) for k in vals[0]}
        else:
            out = {k: med(v[k] for v in vals) for k in ("msgs_per_s", "cpu_ns_per_msg")}
        out.update({"key": key, "label": label, "per_round": vals})
        rows.append(out)
        return out

    row("py_shm_rtt", "shoal Python shm PAIR RTT 64 B spin", "rtt")
    row("cpp_shm_rtt", "shoal C++ shm PAIR RTT 64 B spin", "rtt")
    row("pyzmq_ipc_rtt", "pyzmq ipc PAIR RTT 64 B", "rtt")
    row("py_shm_thr_spin", "shoal Python shm PUSH/PULL 64 B spin", "thr")
    row("py_shm_thr_block", "shoal Python shm PUSH/PULL 64 B block", "thr")
    for t in ("inproc", "ipc", "tcp"):
        row(f"pyzmq_{t}_thr", f"pyzmq {t} PUSH/PULL 64 B", "thr")

    ratios = {k: med(rd["ratios"][k] for rd in rounds) for k in rounds[0]["ratios"]}
    targets = [
        {"name": "py shm RTT p50 - C++ shm RTT p50", "target": "<= 1.5 us",
         "value": ratios["py_rtt_minus_cpp_rtt_ns"], "pass": ratios["py_rtt_minus_cpp_rtt_ns"] <= 1500},
        {"name": "pyzmq ipc RTT p50 / py shm RTT p50", "target": ">= 10x",
         "value": ratios["pyzmq_ipc_rtt_over_py_rtt"], "pass": ratios["pyzmq_ipc_rtt_over_py_rtt"] >= 10},
        {"name": "py shm 64 B best msg/s / pyzmq best msg/s", "target": ">= 3x",
         "value": ratios["py_thr_over_pyzmq_best"], "pass": ratios["py_thr_over_pyzmq_best"] >= 3},
    ]

    print(f"\nshoal Python bindings vs C++ and pyzmq {zmq.pyzmq_version()} (libzmq {zmq.zmq_version()}), "
          f"cpus {cpus[0]},{cpus[1]}, {args.rounds} rounds, {time.time() - start:.0f} s; medians of rounds")
    print(f"{'measurement':40} {'p50':>9} {'p90':>9} {'p99':>9} {'msg/s':>10} {'cpu ns/msg':>11}")
    for r in rows:
        if "p50_ns" in r:
            print(f"{r['label']:40} {r['p50_ns']:9.0f} {r['p90_ns']:9.0f} {r['p99_ns']:9.0f} {'-':>10} {'-':>11}")
        else:
            print(f"{r['label']:40} {'-':>9} {'-':>9} {'-':>9} {r['msgs_per_s'] / 1e6:8.2f} M "
                  f"{r['cpu_ns_per_msg']:11.0f}")
    print("(RTT percentiles in ns; cpu ns/msg: CPU time of both ends per message, all their threads)")
    print("\ntargets (same-run ratios, medians of per-round values):")
    for t in targets:
        v = f"{t['value']:.0f} ns" if t["name"].endswith("C++ shm RTT p50") else f"{t['value']:.2f}x"
        print(f"  {t['name']:42} {t['target']:>10} {v:>12}  {'PASS' if t['pass'] else 'MISS'}")
    print(f"  (CPU per message, pyzmq best / shoal Python: {ratios['pyzmq_best_cpu_over_py_cpu']:.2f}x; "
          "informational: a loaded host disturbs it far less than msg/s)")

    if args.json:
        doc = {"suite": "python", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"host": platform.node(), "cpu": platform.processor() or platform.machine(),
                           "python": sys.version.split()[0], "pyzmq": zmq.pyzmq_version(),
                           "libzmq": zmq.zmq_version(), "cpus": cpus},
               "rounds": args.rounds, "size": SIZE, "rows": rows, "ratios": ratios, "targets": targets,
               "quick": args.quick}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
