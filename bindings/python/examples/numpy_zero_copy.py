#!/usr/bin/python3
"""Zero copy with numpy: a 64 MiB array goes from one thread to another by reference (no byte of
it is copied on inproc://), and the receiver reads it in place through a Frame.

    PYTHONPATH=build/release/bindings/python /usr/bin/python3 bindings/python/examples/numpy_zero_copy.py
"""

import threading

import numpy as np

import shoal

ctx = shoal.Context()
pull = ctx.socket(shoal.PULL)
pull.bind("inproc://frames")
push = ctx.socket(shoal.PUSH)
push.connect("inproc://frames")

image = np.random.default_rng(0).random((2048, 4096))  # 64 MiB of float64
result = {}


def consume():
    B = pull.recv_array()  # reads the received frame in place (read-only, keeps the frame alive)
    result["same_memory"] = B.ctypes.data == image.ctypes.data
    result["mean"] = float(B.mean())


t = threading.Thread(target=consume)
t.start()
push.send_array(image)  # by reference: do not modify `image` until the receiver is done with it
t.join()
print(f"received {image.nbytes >> 20} MiB, mean {result['mean']:.4f}, "
      f"{'the sender’s own memory (zero copy)' if result['same_memory'] else 'a copy'}")

# recv(copy=False): a Frame whose memoryview is shoal's buffer, valid after more receives.
push.send(b"first frame")
frame = pull.recv(copy=False)
push.send(b"second")
pull.recv()
print(bytes(memoryview(frame)).decode(), "- still readable after the next recv")
ctx.destroy(linger=0)
