"""Blocking calls and threads: the GIL is released while a call waits (other threads run), Ctrl-C
(SIGINT) interrupts a blocking recv, send, poll and Poller.poll with KeyboardInterrupt within a
slice (20 ms; asserted only against a generous bound), the socket works normally afterwards, a
second thread calling a socket that is waiting gets a clear error, and shutting the context
down wakes a blocked call with ContextTerminated."""

import os
import signal
import threading
import time

import pytest

import shoal

from conftest import bind

GENEROUS_S = 2.0  # far above the 20 ms slice: this only catches "never interrupted"


def sigint_after(delay_s, how):
    fired = []

    def fire():
        fired.append(time.monotonic())
        if how == "raise_signal":
            signal.raise_signal(signal.SIGINT)
        else:
            os.kill(os.getpid(), signal.SIGINT)

    t = threading.Timer(delay_s, fire)
    t.start()
    return t, fired


def interrupted(call, how="kill"):
    t, fired = sigint_after(0.05, how)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        call()
    end = time.monotonic()
    t.join()
    latency = end - fired[0]
    print(f"KeyboardInterrupt {latency * 1000:.1f} ms after SIGINT")
    assert latency < GENEROUS_S
    return end - start


@pytest.mark.parametrize("how", ["kill", "raise_signal"])
def test_ctrl_c_interrupts_blocking_recv(ctx, transport, how):
    pull = ctx.socket(shoal.PULL)
    push = ctx.socket(shoal.PUSH)
    push.connect(bind(pull, transport))
    interrupted(pull.recv, how)
    push.send(b"after")  # the socket is fine afterwards
    assert pull.recv() == b"after"
    assert pull.counters().would_blocks == 0  # the waiting slices are not would-blocks


def test_ctrl_c_interrupts_recv_multipart_and_spin_wait(ctx):
    pull = ctx.socket(shoal.PULL, wait=shoal.WAIT_SPIN)  # busy-polling inside each slice
    pull.bind("inproc://spin")
    interrupted(pull.recv_multipart)


def test_ctrl_c_interrupts_blocking_send(ctx):
    push = ctx.socket(shoal.PUSH, sndhwm=1)
    push.bind("inproc://full")
    pull = ctx.socket(shoal.PULL, rcvhwm=1)
    pull.connect("inproc://full")

    def fill():
        while True:
            push.send(b"x")

    interrupted(fill)


def test_ctrl_c_interrupts_polls(ctx):
    s = ctx.socket(shoal.PULL)
    s.bind("inproc://polled")
    interrupted(lambda: s.poll())
    p = shoal.Poller()
    p.register(s, shoal.POLLIN)
    interrupted(lambda: p.poll())


def test_gil_released_while_waiting(ctx):
    pull = ctx.socket(shoal.PULL)
    pull.bind("inproc://gil")
    push = ctx.socket(shoal.PUSH)
    push.connect("inproc://gil")
    got = []
    t = threading.Thread(target=lambda: got.append(pull.recv()))
    t.start()
    # While the thread waits in recv, this thread keeps running Python code.
    n = 0
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        n += 1
    assert n > 1000
    push.send(b"wake")
    t.join(5)
    assert got == [b"wake"]


def test_timeout_raises_again(ctx):
    s = ctx.socket(shoal.PULL, rcvtimeo=30)
    s.bind("inproc://timeout")
    start = time.monotonic()
    with pytest.raises(shoal.Again):
        s.recv()
    assert time.monotonic() - start >= 0.025
    assert s.rcvtimeo == 30  # what the user set, whatever the slices did
    assert s.counters().would_blocks == 1
    with pytest.raises(shoal.Again):
        s.recv(shoal.NOBLOCK)
    assert s.counters().would_blocks == 2


def test_second_thread_gets_a_clear_error(ctx):
    pull = ctx.socket(shoal.PULL)
    pull.bind("inproc://busy")
    errors = []
    t = threading.Thread(target=lambda: errors.append(pytest.raises(shoal.ContextTerminated, pull.recv)))
    t.start()
    time.sleep(0.05)  # (let the thread enter its wait; the check below holds either way)
    deadline = time.monotonic() + 5
    while True:
        try:
            pull.recv(shoal.NOBLOCK)
        except shoal.Again:
            if time.monotonic() > deadline:
                raise AssertionError("the other thread never started waiting")
            time.sleep(0.01)
            continue
        except shoal.ShoalError as e:
            assert e.errno == shoal.EFSM and "another thread" in str(e)
            break
    ctx.term()  # wakes the waiting thread with ContextTerminated
    t.join(5)
    assert not t.is_alive() and len(errors) == 1


def test_term_wakes_blocked_recv(transport):
    c = shoal.Context()
    s = c.socket(shoal.PULL)
    bind(s, transport)
    threading.Timer(0.05, c.term).start()
    with pytest.raises(shoal.ContextTerminated) as e:
        s.recv()
    assert e.value.errno == shoal.ETERM
    s.close()
    with pytest.raises(shoal.ContextTerminated):
        c.socket(shoal.PAIR)


def test_threads_each_with_own_socket(ctx):
    pull = ctx.socket(shoal.PULL)
    pull.bind("inproc://fanin")
    n_threads, per = 4, 2000

    def produce(i):
        with ctx.socket(shoal.PUSH) as push:
            push.connect("inproc://fanin")
            for j in range(per):
                push.send(b"%d:%d" % (i, j))

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    got = [pull.recv() for _ in range(n_threads * per)]
    for t in threads:
        t.join()
    for i in range(n_threads):  # per-producer order is kept
        mine = [int(g.split(b":")[1]) for g in got if g.startswith(b"%d:" % i)]
        assert mine == list(range(per))
