"""Bad arguments and bad states raise clear exceptions: the pyzmq-shaped hierarchy (ShoalError
with errno, Again, ContextTerminated), TypeError/ValueError for wrong Python types and flags,
shoal's own detail in the message (which part of an endpoint, which option)."""

import errno as _errno

import numpy as np
import pytest

import shoal


def test_hierarchy_and_errno():
    assert issubclass(shoal.Again, shoal.ShoalError) and issubclass(shoal.ContextTerminated, shoal.ShoalError)
    assert shoal.ZMQError is shoal.ShoalError
    e = shoal.ShoalError(shoal.EINVAL)
    assert e.errno == _errno.EINVAL and e.strerror == shoal.strerror(shoal.EINVAL) and str(e)
    assert shoal.NOBLOCK == shoal.DONTWAIT == 1 and shoal.SNDMORE == 2
    assert (shoal.PAIR, shoal.PUB, shoal.SUB, shoal.REQ, shoal.REP, shoal.DEALER, shoal.ROUTER, shoal.PULL,
            shoal.PUSH, shoal.XPUB, shoal.XSUB) == tuple(range(11))
    assert (shoal.SNDHWM, shoal.RCVHWM, shoal.LINGER, shoal.RCVTIMEO) == (23, 24, 17, 27)


def test_bad_socket_type(ctx):
    with pytest.raises(shoal.ShoalError) as e:
        ctx.socket(42)
    assert e.value.errno == shoal.EINVAL and "socket type 42" in str(e.value)
    with pytest.raises(TypeError):
        shoal.Socket("not a context", shoal.PAIR)
    with pytest.raises(TypeError):
        ctx.socket(shoal.PAIR, no_such_option=1)


def test_bad_endpoints(ctx):
    s = ctx.socket(shoal.PAIR)
    with pytest.raises(shoal.ShoalError) as e:
        s.bind("nope://x")
    assert e.value.errno == shoal.EPROTONOSUPPORT and "nope" in str(e.value)
    with pytest.raises(shoal.ShoalError) as e:
        s.bind("tcp://127.0.0.1:notaport")
    assert e.value.errno == shoal.EINVAL and str(e.value)
    with pytest.raises(shoal.ShoalError) as e:
        s.connect("shm://")
    assert e.value.errno == shoal.EINVAL
    s.bind("inproc://taken")
    with pytest.raises(shoal.ShoalError) as e:
        ctx.socket(shoal.PAIR).bind("inproc://taken")
    assert e.value.errno == shoal.EADDRINUSE
    with pytest.raises(TypeError):
        s.bind(5)


def test_bad_options(ctx):
    s = ctx.socket(shoal.SUB)
    with pytest.raises(shoal.ShoalError) as e:
        s.setsockopt(9999, 1)
    assert e.value.errno == shoal.EINVAL
    with pytest.raises(shoal.ShoalError) as e:
        s.sndhwm = -5
    assert e.value.errno == shoal.EINVAL
    with pytest.raises(TypeError):
        s.sndhwm = "ten"
    with pytest.raises(TypeError):
        s.setsockopt(shoal.SUBSCRIBE, "str, not bytes")
    with pytest.raises(shoal.ShoalError):
        s.setsockopt(shoal.RCVMORE, 1)  # read-only
    with pytest.raises(shoal.ShoalError):
        s.sndhwm = 1 << 70
    s.setsockopt_string(shoal.SUBSCRIBE, "text ok")
    s.hwm = 7
    assert (s.sndhwm, s.rcvhwm, s.hwm) == (7, 7, 7)
    with pytest.raises(shoal.ShoalError) as e:
        ctx.socket(shoal.PUSH).router_mandatory = 1  # a ROUTER option
    assert e.value.errno == shoal.EINVAL


def test_bad_send_arguments(ctx):
    a = ctx.socket(shoal.PAIR)
    a.bind("inproc://args")
    b = ctx.socket(shoal.PAIR)
    b.connect("inproc://args")
    with pytest.raises(TypeError, match="send_string"):
        a.send("text")
    with pytest.raises(TypeError, match="buffer protocol"):
        a.send(12)
    with pytest.raises(TypeError):
        a.send()
    with pytest.raises(TypeError):
        a.send(b"x", nonsense=1)
    with pytest.raises(TypeError):
        a.send(b"x", 0, None, False, 5)
    with pytest.raises(ValueError, match="unknown flags"):
        a.send(b"x", 64)
    with pytest.raises(ValueError, match="unknown flags"):
        b.recv(shoal.SNDMORE)
    with pytest.raises(TypeError):
        a.send_multipart(b"one bytes, not a list")
    with pytest.raises(TypeError):
        a.send_multipart([b"ok", "str", b"ok"])
    with pytest.raises(ValueError):
        a.send_multipart([])
    with pytest.raises((ValueError, BufferError)):
        a.send(np.arange(10.0)[::2])
    with pytest.raises(TypeError):
        a.send_string(b"bytes")
    # Nothing of the refused messages went out:
    with pytest.raises(shoal.Again):
        b.recv(shoal.NOBLOCK)


def test_wrong_state(ctx):
    rep = ctx.socket(shoal.REP)
    with pytest.raises(shoal.ShoalError) as e:
        rep.send(b"no request yet")
    assert e.value.errno == shoal.EFSM
    s = ctx.socket(shoal.PAIR)
    s.close()
    s.close()  # idempotent
    for call in (lambda: s.send(b"x"), lambda: s.recv(), lambda: s.bind("inproc://closed"), lambda: s.sndhwm):
        with pytest.raises(shoal.ShoalError) as e:
            call()
        assert e.value.errno == shoal.ENOTSOCK
    with pytest.raises(shoal.ShoalError):
        ctx.socket(shoal.PUB).recv()
    with pytest.raises(ValueError):
        ctx.socket(shoal.PULL).poll(flags=8)


def test_uninitialised_subclass(ctx):
    class Broken(shoal.Socket):
        def __init__(self):  # forgets super().__init__
            pass

    with pytest.raises(TypeError):
        Broken().send(b"x")


def test_bad_context_arguments():
    with pytest.raises(shoal.ShoalError):
        shoal.Context(wait=9)
    with pytest.raises(shoal.ShoalError):
        shoal.Context(spin_ns=-1)
    c = shoal.Context(wait=shoal.WAIT_SPIN, spin_ns=0)
    assert c.wait == shoal.WAIT_SPIN and c.spin_ns == 0
    assert c.socket(shoal.PAIR).wait == shoal.WAIT_SPIN
    c.term()
    assert c.closed
