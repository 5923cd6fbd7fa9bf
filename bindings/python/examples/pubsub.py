#!/usr/bin/python3
"""PUB/SUB with topic filtering: a publisher thread and a subscriber in one process.

    PYTHONPATH=build/release/bindings/python /usr/bin/python3 bindings/python/examples/pubsub.py [endpoint]

The endpoint defaults to inproc://prices; tcp://127.0.0.1:5556 or shm://prices work the same.
"""

import sys
import threading

import shoal

endpoint = sys.argv[1] if len(sys.argv) > 1 else "inproc://prices"
ctx = shoal.Context()
sub = ctx.socket(shoal.SUB)
sub.subscribe(b"px.")
sub.bind(endpoint)  # SUB binds here so that either side may start first
endpoint = sub.last_endpoint.decode()
stop = threading.Event()


def publish():
    with ctx.socket(shoal.PUB) as pub:
        pub.connect(endpoint)
        n = 0
        while not stop.is_set():  # publish until the subscriber has what it wants (slow joiner)
            pub.send_string(f"px.EURUSD {1.08 + n * 1e-5:.5f}")
            pub.send_string("news.ignored by the subscriber")
            n += 1


t = threading.Thread(target=publish)
t.start()
for _ in range(5):
    print(sub.recv_string())
stop.set()
t.join()
sub.close()
ctx.term()
