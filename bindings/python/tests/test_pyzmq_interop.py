"""shoal's Python sockets against Debian's pyzmq (libzmq 4.3) over tcp:// (and ipc://), with
either side binding: PUSH/PULL, PAIR, REQ/REP, PUB/SUB filtering, DEALER/ROUTER ids, multipart,
large frames, and a numpy array through send_array/recv_array in both directions (the same
two-frame layout as pyzmq's documented recipe)."""

import threading

import numpy as np
import pytest
import zmq

import shoal

from conftest import unique, wait_until

TIMEOUT = 5000


@pytest.fixture
def zctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def endpoints(transport, first):
    """Binds `first` (a shoal or pyzmq socket) and returns the endpoint to connect to."""
    if transport == "tcp":
        first.bind("tcp://127.0.0.1:*")
    else:
        first.bind(f"ipc://@shoal-pyzmq-{unique()}")
    ep = first.getsockopt(zmq.LAST_ENDPOINT if isinstance(first, zmq.Socket) else shoal.LAST_ENDPOINT)
    return ep.decode()


def make(ctx, zctx, shoal_type, zmq_type, shoal_binds, transport):
    s = ctx.socket(shoal_type, rcvtimeo=TIMEOUT, sndtimeo=TIMEOUT, linger=0)
    z = zctx.socket(zmq_type)
    z.rcvtimeo = TIMEOUT
    z.sndtimeo = TIMEOUT
    z.linger = 0
    if shoal_binds:
        z.connect(endpoints(transport, s))
    else:
        s.connect(endpoints(transport, z))
    return s, z


DIRECTIONS = [pytest.param(True, id="shoal-binds"), pytest.param(False, id="pyzmq-binds")]
TRANSPORTS = ["tcp", "ipc"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("shoal_binds", DIRECTIONS)
def test_push_pull_both_ways(ctx, zctx, transport, shoal_binds):
    s, z = make(ctx, zctx, shoal.PULL, zmq.PUSH, shoal_binds, transport)
    for i in range(100):
        z.send(b"z%d" % i)
    assert [s.recv() for _ in range(100)] == [b"z%d" % i for i in range(100)]
    z.send_multipart([b"a", b"", b"c" * 100_000])
    assert s.recv_multipart() == [b"a", b"", b"c" * 100_000]
    s2, z2 = make(ctx, zctx, shoal.PUSH, zmq.PULL, shoal_binds, transport)
    for i in range(100):
        s2.send(b"s%d" % i)
    assert [z2.recv() for _ in range(100)] == [b"s%d" % i for i in range(100)]
    big = np.arange(1 << 18, dtype=np.uint32)  # 1 MiB, sent by reference
    s2.send_multipart([b"hdr", big])
    hdr, body = z2.recv_multipart()
    assert hdr == b"hdr" and body == big.tobytes()


@pytest.mark.parametrize("shoal_binds", DIRECTIONS)
def test_pair_req_rep(ctx, zctx, shoal_binds):
    s, z = make(ctx, zctx, shoal.PAIR, zmq.PAIR, shoal_binds, "tcp")
    s.send_string("hi")
    assert z.recv_string() == "hi"
    z.send_json({"a": 1})
    assert s.recv_json() == {"a": 1}
    rep, req = make(ctx, zctx, shoal.REP, zmq.REQ, shoal_binds, "tcp")
    for i in range(10):
        req.send(b"q%d" % i)
        assert rep.recv() == b"q%d" % i
        rep.send(b"a%d" % i)
        assert req.recv() == b"a%d" % i
    req2, rep2 = make(ctx, zctx, shoal.REQ, zmq.REP, shoal_binds, "tcp")
    req2.send_multipart([b"x", b"y"])
    assert rep2.recv_multipart() == [b"x", b"y"]
    rep2.send(b"ok")
    assert req2.recv() == b"ok"


@pytest.mark.parametrize("shoal_binds", DIRECTIONS)
def test_pub_sub_filtering(ctx, zctx, shoal_binds):
    for shoal_pub in (True, False):
        if shoal_pub:
            pub, sub = make(ctx, zctx, shoal.PUB, zmq.SUB, shoal_binds, "tcp")
            sub.setsockopt(zmq.SUBSCRIBE, b"a")
        else:
            sub, pub = make(ctx, zctx, shoal.SUB, zmq.PUB, shoal_binds, "tcp")
            sub.subscribe(b"a")
        sub.rcvtimeo = 10

        def joined():
            pub.send(b"a-probe")
            try:
                return sub.recv() == b"a-probe"
            except (zmq.Again, shoal.Again):
                return False

        wait_until(joined, what="the subscription")
        sub.rcvtimeo = TIMEOUT
        pub.send(b"b-filtered")
        pub.send(b"a-wanted")
        while True:
            m = sub.recv()
            if m != b"a-probe":
                break
        assert m == b"a-wanted"


@pytest.mark.parametrize("shoal_binds", DIRECTIONS)
def test_dealer_router_ids(ctx, zctx, shoal_binds):
    # a pyzmq DEALER with an identity, a shoal ROUTER
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, b"zmq-dealer")
    dealer.rcvtimeo = TIMEOUT
    dealer.linger = 0
    router = ctx.socket(shoal.ROUTER, rcvtimeo=TIMEOUT, linger=0)
    if shoal_binds:
        dealer.connect(endpoints("tcp", router))
    else:
        router.connect(endpoints("tcp", dealer))
    dealer.send(b"hello")
    assert router.recv_multipart() == [b"zmq-dealer", b"hello"]
    router.send_multipart([b"zmq-dealer", b"back"])
    assert dealer.recv() == b"back"
    # a shoal DEALER with a routing id, a pyzmq ROUTER
    zr = zctx.socket(zmq.ROUTER)
    zr.rcvtimeo = TIMEOUT
    zr.linger = 0
    sd = ctx.socket(shoal.DEALER, routing_id=b"shoal-dealer", rcvtimeo=TIMEOUT, linger=0)
    if shoal_binds:
        zr.connect(endpoints("tcp", sd))
    else:
        sd.connect(endpoints("tcp", zr))
    sd.send_multipart([b"p1", b"p2"])
    assert zr.recv_multipart() == [b"shoal-dealer", b"p1", b"p2"]
    zr.send_multipart([b"shoal-dealer", b"r"])
    assert sd.recv() == b"r"


def pyzmq_send_array(sock, A):
    """pyzmq's documented recipe (send_json metadata, then the buffer)."""
    sock.send_json({"dtype": str(A.dtype), "shape": A.shape}, zmq.SNDMORE)
    sock.send(A, copy=False)


def pyzmq_recv_array(sock):
    md = sock.recv_json()
    msg = sock.recv(copy=False)
    return np.frombuffer(msg, dtype=md["dtype"]).reshape(md["shape"])


@pytest.mark.parametrize("shoal_binds", DIRECTIONS)
def test_numpy_arrays_both_ways(ctx, zctx, shoal_binds):
    s, z = make(ctx, zctx, shoal.PAIR, zmq.PAIR, shoal_binds, "tcp")
    A = np.random.default_rng(7).random((300, 400))
    s.send_array(A)
    assert np.array_equal(pyzmq_recv_array(z), A)
    B = (np.arange(24, dtype=np.int32) * 3).reshape(2, 3, 4)
    pyzmq_send_array(z, B)
    got = s.recv_array()
    assert got.dtype == B.dtype and np.array_equal(got, B)


def test_many_messages_from_a_pyzmq_thread(ctx, zctx):
    s = ctx.socket(shoal.PULL, rcvtimeo=TIMEOUT)
    s.bind("tcp://127.0.0.1:*")
    ep = s.last_endpoint.decode()
    n = 20000

    def produce():
        z = zctx.socket(zmq.PUSH)
        z.connect(ep)
        for i in range(n):
            z.send(i.to_bytes(4, "little"))
        z.close(linger=5000)

    t = threading.Thread(target=produce)
    t.start()
    got = [int.from_bytes(s.recv(), "little") for _ in range(n)]
    t.join(10)
    assert got == list(range(n))
