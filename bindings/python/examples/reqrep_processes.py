#!/usr/bin/python3
"""REQ/REP between two processes over shm:// (shared memory, no kernel on the data path), timing
the round trips from Python.

    PYTHONPATH=build/release/bindings/python /usr/bin/python3 bindings/python/examples/reqrep_processes.py
"""

import multiprocessing as mp
import os
import statistics
import time

import shoal

ENDPOINT = f"shm://example-reqrep-{os.getpid()}"
N = 20000


def server():
    ctx = shoal.Context(wait=shoal.WAIT_SPIN)  # busy-poll: lowest latency, one core busy
    with ctx.socket(shoal.REP) as rep:
        rep.bind(ENDPOINT)
        for _ in range(N):
            rep.send(rep.recv())


if __name__ == "__main__":
    p = mp.get_context("fork").Process(target=server)
    p.start()
    ctx = shoal.Context(wait=shoal.WAIT_SPIN)
    with ctx.socket(shoal.REQ) as req:
        req.connect(ENDPOINT)  # connect before bind is fine: it retries until the server binds
        msg = b"x" * 64
        samples = []
        for _ in range(N):
            t0 = time.perf_counter_ns()
            req.send(msg)
            req.recv()
            samples.append(time.perf_counter_ns() - t0)
    p.join()
    print(f"{N} round trips over shm://, median {statistics.median(samples[N // 10:]) / 1000:.2f} us")
