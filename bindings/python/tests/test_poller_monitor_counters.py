"""Poller (sockets and raw fds, register/modify/unregister, timeouts), shoal.select, Socket.poll,
the socket's fd in a plain select() loop, monitor events as libzmq formats them, and counters."""

import os
import select
import time

import pytest

import shoal

from conftest import bind, wait_until


def test_poller_sockets_and_fds(ctx, transport):
    pull = ctx.socket(shoal.PULL)
    push = ctx.socket(shoal.PUSH)
    push.connect(bind(pull, transport))
    r, w = os.pipe()
    try:
        p = shoal.Poller()
        p.register(pull, shoal.POLLIN)
        p.register(r, shoal.POLLIN)
        assert len(p) == 2
        assert p.poll(0) == []
        start = time.monotonic()
        assert p.poll(30) == []
        assert time.monotonic() - start >= 0.025
        push.send(b"m")
        assert p.poll(5000) == [(pull, shoal.POLLIN)]
        os.write(w, b"x")
        assert dict(p.poll(5000)) == {pull: shoal.POLLIN, r: shoal.POLLIN}  # level-triggered
        assert pull.recv() == b"m"
        assert p.poll(0) == [(r, shoal.POLLIN)]
        p.modify(push, shoal.POLLOUT)  # modify of an unknown item registers it
        assert (push, shoal.POLLOUT) in p.poll(0)
        p.unregister(push)
        p.register(r, 0)  # 0 unregisters, as pyzmq
        assert p.poll(0) == []
        with pytest.raises(KeyError):
            p.unregister(r)
        with pytest.raises(TypeError):
            p.register("not pollable")
        with pytest.raises(ValueError):
            p.poll(-5)
    finally:
        os.close(r)
        os.close(w)


def test_select_and_socket_poll(ctx):
    a = ctx.socket(shoal.PAIR)
    a.bind("inproc://sel")
    b = ctx.socket(shoal.PAIR)
    b.connect("inproc://sel")
    assert shoal.select([a], [], [], 0) == ([], [], [])
    assert a.poll(0) == 0
    b.send(b"x")
    assert shoal.select([a], [b], [], 1) == ([a], [b], [])
    assert a.poll(1000) == shoal.POLLIN
    assert b.poll(0, shoal.POLLOUT) == shoal.POLLOUT
    assert a.poll(0, shoal.POLLIN | shoal.POLLOUT) == shoal.POLLIN | shoal.POLLOUT


def test_fd_in_a_select_loop(ctx, transport):
    # The fd as README describes it: level-triggered readable while a message is queued.
    pull = ctx.socket(shoal.PULL)
    push = ctx.socket(shoal.PUSH)
    push.connect(bind(pull, transport))
    fd = pull.fd
    assert fd == pull.fileno() and pull.events == 0
    for i in range(20):
        push.send(b"%d" % i)
    got = []
    while len(got) < 20:
        rl, _, _ = select.select([fd], [], [], 5)
        assert rl == [fd]
        while pull.events & shoal.POLLIN:
            got.append(pull.recv(shoal.NOBLOCK))
    assert got == [b"%d" % i for i in range(20)]


def test_monitor_events(ctx):
    srv = ctx.socket(shoal.PULL)
    mon = srv.get_monitor_socket()
    mon.rcvtimeo = 5000
    srv.bind("tcp://127.0.0.1:*")
    ev = shoal.recv_monitor_message(mon)
    assert ev["event"] == shoal.EVENT_LISTENING and ev["endpoint"] == srv.last_endpoint
    assert shoal.event_name(ev["event"]) == "LISTENING"
    cli = ctx.socket(shoal.PUSH)
    cli.connect(srv.last_endpoint.decode())
    seen = set()
    while shoal.EVENT_ACCEPTED not in seen or shoal.EVENT_HANDSHAKE_SUCCEEDED not in seen:
        seen.add(shoal.recv_monitor_message(mon)["event"])
    srv.disable_monitor()
    events = []
    while True:
        events.append(shoal.recv_monitor_message(mon)["event"])
        if events[-1] == shoal.EVENT_MONITOR_STOPPED:
            break
    with pytest.raises(shoal.ShoalError) as e:
        srv.monitor("tcp://127.0.0.1:5555", shoal.EVENT_ALL)
    assert e.value.errno == shoal.EPROTONOSUPPORT
    with pytest.raises(shoal.ShoalError):
        shoal.parse_monitor_message([b"short", b""])


def test_counters(ctx, transport):
    pull = ctx.socket(shoal.PULL)
    push = ctx.socket(shoal.PUSH)
    push.connect(bind(pull, transport))
    assert push.counters() == shoal.Counters(0, 0, 0, 0, 0, 0, 0)
    push.send(b"12345")
    push.send_multipart([b"ab", b"cde"])
    assert pull.recv() == b"12345"
    assert pull.recv_multipart() == [b"ab", b"cde"]
    c = push.counters()
    assert (c.msgs_out, c.bytes_out) == (2, 10)
    c = pull.counters()
    assert (c.msgs_in, c.bytes_in, c.would_blocks) == (2, 10, 0)
    with pytest.raises(shoal.Again):
        pull.recv(shoal.NOBLOCK)
    assert pull.counters().would_blocks == 1


def test_pub_hwm_drops_counted(ctx):
    pub = ctx.socket(shoal.PUB, sndhwm=10)
    pub.bind("inproc://drops")
    sub = ctx.socket(shoal.SUB, rcvhwm=10, subscribe=b"")
    sub.connect("inproc://drops")
    sub.rcvtimeo = 10

    def joined():
        pub.send(b"probe")
        try:
            sub.recv()
            return True
        except shoal.Again:
            return False

    wait_until(joined)
    for _ in range(1000):
        pub.send(b"flood")
    assert pub.counters().hwm_drops > 0
