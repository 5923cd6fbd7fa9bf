#!/usr/bin/python3
# pyzmq_bench: the suite's pyzmq rows (Debian's python3-zmq, i.e. libzmq driven from Python, as
# a Python user sees it): PAIR round trips and PUSH/PULL one-way throughput over inproc:// (two
# threads of this process) or ipc:// / tcp:// (two processes: this one times and binds, a forked
# child connects and echoes or sends). Each side pins itself to its CPU. Prints whitespace-separated
# numbers on stdout for bench/harness/pyzmq_runs.cpp: rtt: one round trip in ns per timed
# message; thr: "<messages timed> <seconds>". Exit 3 when zmq cannot be imported.
# Usage: pyzmq_bench.py rtt|thr <endpoint> <size> <count> <warmup> <cpu_a> <cpu_b> [gap_ns]
# Threading: inproc uses two threads of this process (pyzmq releases the GIL while it blocks).
import os
import sys
import threading
import time

try:
    import zmq
except ImportError as e:
    print(f"pyzmq is not installed (Debian package python3-zmq): {e}", file=sys.stderr)
    sys.exit(3)

TIMEOUT_MS = int(os.environ.get("SHOAL_PYZMQ_TIMEOUT_MS", "30000"))


def pin(cpu):
    try:
        os.sched_setaffinity(0, {cpu})  # 0: the calling thread
    except OSError:
        pass


def timing_rtt(sock, size, count, warmup, gap_ns):
    msg = b"\x5a" * size
    now = time.perf_counter_ns
    samples = []
    for i in range(warmup + count):
        if gap_ns:
            end = now() + gap_ns
            while now() < end:
                pass
        t0 = now()
        sock.send(msg)
        try:
            got = sock.recv()
        except zmq.Again:
            raise RuntimeError(f"no echo of round trip {i + 1} of {warmup + count} in {TIMEOUT_MS} ms") from None
        t1 = now()
        if len(got) != size:
            raise RuntimeError(f"echo of {len(got)} bytes, expected {size}")
        if i >= warmup:
            samples.append(t1 - t0)
    return samples


def echo(sock, total):
    for _ in range(total):
        sock.send(sock.recv())


def receive(sock, count, warmup):
    start_after = max(warmup, 1)
    t0 = 0.0
    for i in range(warmup + count):
        try:
            sock.recv()
        except zmq.Again:
            raise RuntimeError(f"message {i + 1} of {warmup + count} did not come in {TIMEOUT_MS} ms") from None
        if i + 1 == start_after:
            t0 = time.perf_counter()
    timed = count if warmup else count - 1
    return timed, time.perf_counter() - t0


def send_all(sock, size, total):
    msg = b"\0" * size
    for _ in range(total):
        sock.send(msg)


def configure(sock):
    sock.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    sock.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)


def run_inproc(kind, endpoint, size, count, warmup, cpu_a, cpu_b, gap_ns):
    ctx = zmq.Context(1)
    a = ctx.socket(zmq.PAIR if kind == "rtt" else zmq.PULL)
    b = ctx.socket(zmq.PAIR if kind == "rtt" else zmq.PUSH)
    for s in (a, b):
        configure(s)
    a.bind(endpoint)
    b.connect(endpoint)
    errors = []

    def peer():
        pin(cpu_b)
        try:
            if kind == "rtt":
                echo(b, warmup + count)
            else:
                send_all(b, size, warmup + count)
        except Exception as e:  # reported by the timing side's exit status
            errors.append(e)

    t = threading.Thread(target=peer)
    t.start()
    pin(cpu_a)
    result = timing_rtt(a, size, count, warmup, gap_ns) if kind == "rtt" else receive(a, count, warmup)
    t.join()
    a.close(0)
    b.close(0)
    ctx.term()
    if errors:
        raise errors[0]
    return result


def run_procs(kind, endpoint, size, count, warmup, cpu_a, cpu_b, gap_ns):
    r, w = os.pipe()
    done_r, done_w = os.pipe()  # closed by the timing side once it has every message
    child = os.fork()
    if child == 0:  # the peer: its own context, made after the fork
        os.close(w)
        os.close(done_w)
        status = 1
        try:
            pin(cpu_b)
            with os.fdopen(r) as f:
                where = f.readline().strip()
            ctx = zmq.Context(1)
            s = ctx.socket(zmq.PAIR if kind == "rtt" else zmq.PUSH)
            configure(s)
            s.connect(where)
            if kind == "rtt":
                echo(s, warmup + count)
            else:
                send_all(s, size, warmup + count)
            # Close only once the timing side has had every message: libzmq 4.3 can drop what
            # its receiving engine still holds when the peer's connection closes under
            # backpressure (a few hundred messages at the tail of an ipc:// PUSH, now and then).
            os.read(done_r, 1)
            s.close(0)  # everything arrived (or the timing side gave up): nothing to linger for
            ctx.term()
            status = 0
        except Exception as e:
            print(f"pyzmq peer: {e}", file=sys.stderr)
        os._exit(status)
    os.close(r)
    os.close(done_r)
    pin(cpu_a)
    ctx = zmq.Context(1)
    s = ctx.socket(zmq.PAIR if kind == "rtt" else zmq.PULL)
    configure(s)
    s.bind(endpoint)
    with os.fdopen(w, "w") as f:
        f.write(s.getsockopt_string(zmq.LAST_ENDPOINT) + "\n")
    try:
        result = timing_rtt(s, size, count, warmup, gap_ns) if kind == "rtt" else receive(s, count, warmup)
    finally:
        os.close(done_w)
        s.close(0)
        ctx.term()
        _, status = os.waitpid(child, 0)
    if status != 0:
        raise RuntimeError(f"the peer process failed (status {status})")
    return result


def main():
    kind, endpoint = sys.argv[1], sys.argv[2]
    size, count, warmup, cpu_a, cpu_b = (int(x) for x in sys.argv[3:8])
    gap_ns = int(sys.argv[8]) if len(sys.argv) > 8 else 0
    run = run_inproc if endpoint.startswith("inproc://") else run_procs
    try:
        result = run(kind, endpoint, size, count, warmup, cpu_a, cpu_b, gap_ns)
    except (zmq.ZMQError, RuntimeError, OSError) as e:
        print(f"pyzmq {kind} {endpoint}: {e}", file=sys.stderr)
        return 1
    if kind == "rtt":
        sys.stdout.write("\n".join(str(x) for x in result) + "\n")
    else:
        print(result[0], repr(result[1]))
    return 0


sys.exit(main())
