"""Zero copy and buffer lifetimes: a Frame from recv(copy=False) reads shoal's buffer in place and
stays valid after later receives and after its socket (and context) close; a large numpy array
or memoryview is sent by reference (the receiver's frame shows the sender's memory on inproc://,
the object stays referenced until shoal lets go, on whichever thread that happens); numpy round
trips of several dtypes and shapes over every transport."""

import gc
import sys
import threading

import numpy as np
import pytest

import shoal
from shoal import _shoal

from conftest import bind, wait_until


def held():
    return _shoal._buffers_held()


def wait_released(expected=0):
    # A release that happened on a shoal background thread runs as a pending call of the main
    # thread, which runs it while it executes bytecode (this loop).
    wait_until(lambda: held() == expected, what=f"{expected} buffers held (now {held()})")


def push_pull(ctx, transport):
    pull = ctx.socket(shoal.PULL, rcvtimeo=5000)
    push = ctx.socket(shoal.PUSH, sndtimeo=5000)
    push.connect(bind(pull, transport))
    return push, pull


def test_frame_survives_later_recvs_and_close(ctx, transport):
    push, pull = push_pull(ctx, transport)
    sizes = [10, 200, 5000, 100_000]
    frames = []
    for n in sizes:
        push.send(bytes([n % 251]) * n)
        frames.append(pull.recv(copy=False))
    views = [memoryview(f) for f in frames]
    addrs = [np.frombuffer(f, dtype=np.uint8).ctypes.data if len(f) else 0 for f in frames]
    for _ in range(50):  # later receives reuse nothing a Frame owns
        push.send(b"\xff" * 5000)
        pull.recv()
    pull.close()
    push.close()
    ctx.term()
    gc.collect()
    for n, f, v, a in zip(sizes, frames, views, addrs):
        assert len(f) == n and v.nbytes == n and v.readonly
        assert bytes(v) == bytes([n % 251]) * n
        assert np.frombuffer(f, dtype=np.uint8).ctypes.data == a  # read in place, not copied
    del frames
    gc.collect()
    assert views[3].tobytes()[:3] == bytes([100_000 % 251]) * 3  # the memoryview keeps its frame


def test_numpy_send_by_reference_inproc(ctx):
    push, pull = push_pull(ctx, "inproc")
    A = np.arange(1 << 17, dtype=np.float64)  # 1 MiB
    refs = sys.getrefcount(A)
    push.send(A)  # above COPY_THRESHOLD: by reference
    assert held() == 1 and sys.getrefcount(A) == refs + 1
    f = pull.recv(copy=False)
    # The receiver's frame is the sender's memory: no copy anywhere on inproc://.
    assert np.frombuffer(f, dtype=np.float64).ctypes.data == A.ctypes.data
    assert np.array_equal(np.frombuffer(f, dtype=np.float64), A)
    del f
    gc.collect()
    assert held() == 0 and sys.getrefcount(A) == refs


def test_copy_true_copies(ctx):
    push, pull = push_pull(ctx, "inproc")
    A = np.arange(1 << 17, dtype=np.float64)
    push.send(A, copy=True)
    assert held() == 0
    f = pull.recv(copy=False)
    assert np.frombuffer(f, dtype=np.float64).ctypes.data != A.ctypes.data
    assert np.array_equal(np.frombuffer(f, dtype=np.float64), A)


def test_small_buffers_copied_by_default(ctx):
    push, pull = push_pull(ctx, "inproc")
    push.send(memoryview(bytearray(b"x" * 10_000)))  # under COPY_THRESHOLD: copied
    assert held() == 0
    push.send(memoryview(bytearray(b"y" * 10_000)), copy=False)  # forced by reference
    assert held() == 1  # (inproc passes frames over 2 KiB on by reference)
    assert pull.recv() == b"x" * 10_000
    assert pull.recv() == b"y" * 10_000
    wait_released()


def test_buffer_released_when_receiver_thread_drops_it(ctx):
    push, pull = push_pull(ctx, "inproc")
    A = np.ones(1 << 18, dtype=np.uint8)
    push.send(A)
    done = []

    def receive():
        f = pull.recv(copy=False)
        done.append(bytes(memoryview(f)[:4]))
        del f  # the last reference goes on this thread, which takes the GIL back to release it

    t = threading.Thread(target=receive)
    t.start()
    t.join(10)
    assert done == [b"\x01" * 4]
    wait_released()


def test_buffer_released_across_processes_and_kernel(ctx, transport):
    # shm:// copies into the ring and tcp/ipc into kernel buffers (possibly from the context's
    # background thread, which hands the release to a Python thread): the buffer goes back once
    # shoal is done with it, and the receiver gets the bytes.
    push, pull = push_pull(ctx, transport)
    A = np.arange(50_000, dtype=np.int32)  # 200 kB
    push.send(A, copy=False)
    got = pull.recv()
    assert got == A.tobytes()
    wait_released()


def test_frame_can_be_resent(ctx):
    push, pull = push_pull(ctx, "inproc")
    f = shoal.Frame(b"z" * 100_000)
    push.send(f)
    push.send(f)
    assert pull.recv() == f.bytes and pull.recv() == f.bytes
    assert shoal.Frame(b"abc") == b"abc" and bytes(shoal.Frame(b"abc")) == b"abc"
    with pytest.raises(TypeError):
        shoal.Frame("text")


def test_memoryview_and_bytearray_sent_by_reference(ctx):
    push, pull = push_pull(ctx, "inproc")
    buf = bytearray(b"q" * 200_000)
    push.send(memoryview(buf))
    with pytest.raises(BufferError):  # shoal holds the buffer: it cannot be resized meanwhile
        buf.extend(b"more")
    assert pull.recv() == bytes(buf)
    wait_released()
    buf.extend(b"more")  # released: resizable again


def through(push, pull, send, recv=None):
    """send(push) here, recv(pull) on another thread (a message larger than the shm:// ring
    streams through it only while the receiver reads); returns what recv returned."""
    out = []
    t = threading.Thread(target=lambda: out.append((recv or (lambda s: s.recv_array()))(pull)))
    t.start()
    send(push)
    t.join(30)
    assert not t.is_alive() and len(out) == 1
    return out[0]


DTYPES = [np.uint8, np.int16, np.int64, np.float32, np.float64, np.complex128, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_numpy_round_trip(ctx, transport, dtype):
    push, pull = push_pull(ctx, transport)
    for shape in [(0,), (7,), (3, 4, 5), (512, 256)]:
        A = (np.arange(int(np.prod(shape))) % 100).astype(dtype).reshape(shape)
        B = through(push, pull, lambda p: p.send_array(A))
        assert B.dtype == A.dtype and B.shape == A.shape and np.array_equal(A, B)
    del B  # on inproc:// it reads the sender's array (by reference)
    wait_released()


def test_numpy_round_trip_special(ctx, transport):
    push, pull = push_pull(ctx, transport)
    T = np.arange(12.0).reshape(3, 4).T  # not C-contiguous: sent as a contiguous copy
    assert np.array_equal(through(push, pull, lambda p: p.send_array(T)), T)
    rec = np.zeros(3, dtype=[("id", "<i4"), ("px", "<f8")])
    rec["id"] = [1, 2, 3]
    rec["px"] = [1.5, 2.5, 3.5]
    R = through(push, pull, lambda p: p.send_array(rec))
    assert R.dtype == rec.dtype and np.array_equal(R, rec)
    big = np.random.default_rng(1).random((256, 1024))  # 2 MiB, by reference
    B = through(push, pull, lambda p: p.send_array(big), lambda s: s.recv_array(copy=True))
    assert np.array_equal(B, big)
    assert not B.flags.writeable or B.base is not None
    with pytest.raises((BufferError, ValueError)):  # send() itself wants contiguous memory
        push.send(T)
    with pytest.raises(TypeError):
        push.send_array(np.array([object()]))
    del B
    wait_released()


def test_message_tracker(ctx, transport):
    push, pull = push_pull(ctx, transport)
    A = np.ones(1 << 17)  # 1 MiB: by reference
    trackers = []
    f = through(push, pull, lambda p: trackers.append(p.send(A, track=True)), lambda s: s.recv(copy=False))
    t = trackers[0]
    assert isinstance(t, shoal.MessageTracker)
    if transport == "inproc":  # the receiver's frame is A's memory: not done while it lives
        assert not t.done
        with pytest.raises(shoal.NotDone):
            t.wait(0.01)
    del f
    gc.collect()
    t.wait(5)
    assert t.done
    assert push.send(b"small", track=True).done  # copied: done at once
    pull.recv()
    trackers = []
    got = through(push, pull, lambda p: trackers.append(p.send_multipart([b"hdr", A, A], track=True)),
                  lambda s: s.recv_multipart())  # copies: the frames are released
    assert got == [b"hdr", A.tobytes(), A.tobytes()]
    trackers[0].wait(5)
    assert push.send(b"x", track=False) is None and push.send(b"y") is None
    small = np.ones(100)
    assert isinstance(push.send_array(small, track=True), shoal.MessageTracker)
