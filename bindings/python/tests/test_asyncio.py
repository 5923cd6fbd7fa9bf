"""shoal.asyncio on the default event loop: ping-pong between coroutines over every transport,
multipart and JSON/array helpers, timeouts (RCVTIMEO -> Again), cancellation, poll, the awaitable
Poller, and a shoal.asyncio socket talking to a plain (blocking) shoal socket in a thread."""

import asyncio
import threading

import numpy as np
import pytest

import shoal
import shoal.asyncio

from conftest import bind


@pytest.fixture
def actx():
    c = shoal.asyncio.Context()
    yield c
    c.destroy(linger=0)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_ping_pong(actx, transport):
    async def main():
        a = actx.socket(shoal.PAIR)
        b = actx.socket(shoal.PAIR)
        b.connect(bind(a, transport))
        n = 200

        async def server():
            for _ in range(n):
                msg = await a.recv()
                await a.send(msg + b"!")

        async def client():
            for i in range(n):
                await b.send(b"%d" % i)
                assert await b.recv() == b"%d!" % i

        await asyncio.gather(server(), client())
        await b.send_multipart([b"x", b"y"])
        assert await a.recv_multipart() == [b"x", b"y"]
        await b.send_json({"k": [1, 2]})
        assert await a.recv_json() == {"k": [1, 2]}
        await b.send_string("é")
        assert await a.recv_string() == "é"
        A = np.arange(12, dtype=np.int16).reshape(3, 4)
        await b.send_array(A)
        assert np.array_equal(await a.recv_array(), A)

    run(main())


def test_req_rep_and_push_pull_many(actx):
    async def main():
        rep = actx.socket(shoal.REP)
        req = actx.socket(shoal.REQ)
        req.connect(bind(rep, "tcp"))

        async def serve():
            while True:
                q = await rep.recv()
                await rep.send(q.upper())

        task = asyncio.ensure_future(serve())
        for word in (b"a", b"bb", b"ccc"):
            await req.send(word)
            assert await req.recv() == word.upper()
        task.cancel()
        pull = actx.socket(shoal.PULL)
        push = actx.socket(shoal.PUSH, sndhwm=5)
        push.connect(bind(pull, "inproc"))

        async def produce():  # blocks on the HWM: waits for POLLOUT
            for i in range(1000):
                await push.send(b"%d" % i)

        async def consume():
            return [await pull.recv() for _ in range(1000)]

        _, got = await asyncio.gather(produce(), consume())
        assert got == [b"%d" % i for i in range(1000)]

    run(main())


def test_timeout_cancel_and_poll(actx):
    async def main():
        s = actx.socket(shoal.PULL, rcvtimeo=30)
        s.bind("inproc://atimeout")
        with pytest.raises(shoal.Again):
            await s.recv()
        s.rcvtimeo = -1
        t = asyncio.ensure_future(s.recv())
        await asyncio.sleep(0.02)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert await s.poll(10) == 0
        push = actx.socket(shoal.PUSH)
        push.connect("inproc://atimeout")
        asyncio.get_running_loop().call_later(0.02, lambda: asyncio.ensure_future(push.send(b"later")))
        assert await s.poll(5000) == shoal.POLLIN
        assert await s.recv(shoal.NOBLOCK) == b"later"
        with pytest.raises(shoal.Again):
            await s.recv(shoal.NOBLOCK)

    run(main())


def test_poller(actx):
    async def main():
        a = actx.socket(shoal.PULL)
        b = actx.socket(shoal.PULL)
        a.bind("inproc://pa")
        b.bind("inproc://pb")
        pa = actx.socket(shoal.PUSH)
        pa.connect("inproc://pa")
        pb = actx.socket(shoal.PUSH, socket_class=shoal.Socket)  # a plain (blocking) socket
        pb.connect("inproc://pb")
        poller = shoal.asyncio.Poller()
        poller.register(a, shoal.POLLIN)
        poller.register(b, shoal.POLLIN)
        assert await poller.poll(10) == []
        asyncio.get_running_loop().call_later(0.02, lambda: pb.send(b"B"))
        ready = dict(await poller.poll(5000))
        assert ready == {b: shoal.POLLIN}
        assert await b.recv() == b"B"

    run(main())


def test_with_blocking_peer_thread(actx, transport):
    # One context for both (inproc:// names are per context); the REP is a plain blocking socket.
    rep = actx.socket(shoal.REP, socket_class=shoal.Socket, rcvtimeo=10000)
    ep = bind(rep, transport)

    def serve():
        for _ in range(50):
            rep.send(rep.recv()[::-1])

    t = threading.Thread(target=serve)
    t.start()

    async def main():
        req = actx.socket(shoal.REQ)
        req.connect(ep)
        for i in range(50):
            await req.send(b"abc%d" % i)
            assert await req.recv() == (b"abc%d" % i)[::-1]

    run(main())
    t.join(10)
    assert not t.is_alive()
