#!/usr/bin/python3
# A pyzmq (libzmq) stand-in for libzmq's perf tools, with their roles, arguments and output
# lines: local_lat (REP binds, echoes), remote_lat (REQ connects, times round trips), local_thr
# (PULL binds, times from the first message), remote_thr (PUSH connects, sends). A binding role
# prints "bound to <endpoint>" first (so tcp://127.0.0.1:* works), then what libzmq's tool prints.
# Usage: zmq_perf_peer.py <role> <endpoint> <size> <count> [--wrong-size]. Single-threaded.
import sys
import time

import zmq


def main():
    role, endpoint, size, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    send_size = size // 2 if "--wrong-size" in sys.argv[5:] else size
    ctx = zmq.Context()
    kind = {"local_lat": zmq.REP, "remote_lat": zmq.REQ, "local_thr": zmq.PULL, "remote_thr": zmq.PUSH}[role]
    s = ctx.socket(kind)
    if role.startswith("local"):
        s.bind(endpoint)
        print("bound to", s.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    else:
        s.connect(endpoint)
    if role == "local_lat":
        for _ in range(count):
            m = s.recv()
            if len(m) != size:
                print("message of incorrect size received", file=sys.stderr)
                return 1
            s.send(m)
    elif role == "remote_lat":
        msg = b"\x5a" * send_size
        t0 = time.perf_counter()
        for _ in range(count):
            s.send(msg)
            if len(s.recv()) != send_size:
                print("message of incorrect size received", file=sys.stderr)
                return 1
        elapsed_us = (time.perf_counter() - t0) * 1e6
        print(f"message size: {size} [B]")
        print(f"roundtrip count: {count}")
        print(f"average latency: {elapsed_us / (count * 2):.3f} [us]")
    elif role == "local_thr":
        if len(s.recv()) != size:
            print("message of incorrect size received", file=sys.stderr)
            return 1
        t0 = time.perf_counter()
        for _ in range(count - 1):
            if len(s.recv()) != size:
                print("message of incorrect size received", file=sys.stderr)
                return 1
        elapsed_us = max((time.perf_counter() - t0) * 1e6, 1)
        throughput = count / elapsed_us * 1e6
        print(f"message size: {size} [B]")
        print(f"message count: {count}")
        print(f"mean throughput: {throughput:.0f} [msg/s]")
        print(f"mean throughput: {throughput * size * 8 / 1e6:.3f} [Mb/s]")
    else:
        msg = b"\0" * send_size
        for _ in range(count):
            s.send(msg)
    s.close()  # linger forever (the default): remote_thr's tail is delivered before term returns
    ctx.term()
    return 0


sys.exit(main())
