"""Every socket type over every transport: each pattern pair exchanges single-frame and
multipart messages the way its contract says (PAIR both ways, PUSH->PULL, PUB->SUB with
filtering, REQ/REP alternation, DEALER/ROUTER routing ids, XPUB/XSUB subscriptions), bound on
inproc://, shm://, tcp:// and ipc://."""

import threading

import pytest

import shoal

from conftest import bind, wait_until

TIMEOUT_MS = 5000


def pair_of(ctx, transport, bind_type, connect_type, bind_first=True):
    b = ctx.socket(bind_type)
    c = ctx.socket(connect_type)
    for s in (b, c):
        s.rcvtimeo = TIMEOUT_MS
        s.sndtimeo = TIMEOUT_MS
        s.linger = 0
    ep = bind(b, transport)
    c.connect(ep)
    return b, c


def test_pair(ctx, transport):
    a, b = pair_of(ctx, transport, shoal.PAIR, shoal.PAIR)
    a.send(b"ping")
    assert b.recv() == b"ping"
    b.send_multipart([b"x", b"", b"z" * 5000])
    assert a.recv_multipart() == [b"x", b"", b"z" * 5000]
    assert not a.rcvmore


def test_push_pull(ctx, transport):
    pull, push = pair_of(ctx, transport, shoal.PULL, shoal.PUSH)
    for i in range(100):
        push.send(b"%d" % i)
    assert [pull.recv() for _ in range(100)] == [b"%d" % i for i in range(100)]
    push.send_multipart([b"head", memoryview(b"body"), bytearray(b"tail")])
    assert pull.recv_multipart() == [b"head", b"body", b"tail"]
    with pytest.raises(shoal.ShoalError) as e:
        pull.send(b"x")
    assert e.value.errno == shoal.ENOTSUP


def test_pub_sub(ctx, transport):
    pub, sub = pair_of(ctx, transport, shoal.PUB, shoal.SUB)
    sub.subscribe(b"a.")
    sub.subscribe("b.")
    # Subscriptions reach the PUB a little after subscribe() (the slow joiner): publish until one
    # arrives, then everything after it is delivered in order.
    sub.rcvtimeo = 10

    def probe():
        pub.send(b"a.probe")
        try:
            return sub.recv() == b"a.probe"
        except shoal.Again:
            return False

    wait_until(probe, what="the subscription to reach the PUB")
    while True:  # drain extra probes
        try:
            sub.recv(shoal.NOBLOCK)
        except shoal.Again:
            break
    sub.rcvtimeo = TIMEOUT_MS
    pub.send(b"c.not-subscribed")
    pub.send(b"b.one")
    pub.send_multipart([b"a.two", b"part"])
    assert sub.recv() == b"b.one"
    assert sub.recv_multipart() == [b"a.two", b"part"]
    sub.unsubscribe(b"a.")

    def unsubscribed():  # the cancel is on its way too: wait until a.* stops coming
        pub.send(b"a.gone")
        pub.send(b"b.marker")
        got = []
        while not got or got[-1] != b"b.marker":
            got.append(sub.recv())
        return got == [b"b.marker"]

    wait_until(unsubscribed, what="the unsubscription to reach the PUB")


def test_req_rep(ctx, transport):
    rep, req = pair_of(ctx, transport, shoal.REP, shoal.REQ)
    for i in range(10):
        req.send_string(f"q{i}")
        assert rep.recv_string() == f"q{i}"
        rep.send_string(f"a{i}")
        assert req.recv_string() == f"a{i}"
    with pytest.raises(shoal.ShoalError) as e:
        req.recv(shoal.NOBLOCK)  # nothing asked: a REQ must send first
    assert e.value.errno == shoal.EFSM
    req.send_multipart([b"m1", b"m2"])
    assert rep.recv_multipart() == [b"m1", b"m2"]
    rep.send(b"r")
    assert req.recv() == b"r"


def test_dealer_router(ctx, transport):
    router, dealer = pair_of(ctx, transport, shoal.ROUTER, shoal.DEALER)
    dealer.routing_id = b"dealer-1"
    dealer.send_multipart([b"hello", b"world"])
    ident, *body = router.recv_multipart()
    assert body == [b"hello", b"world"]
    router.send_multipart([ident, b"reply"])
    assert dealer.recv() == b"reply"


def test_dealer_router_named(ctx, transport):
    router = ctx.socket(shoal.ROUTER)
    dealer = ctx.socket(shoal.DEALER)
    dealer.routing_id = b"named"
    assert dealer.routing_id == b"named"
    for s in (router, dealer):
        s.rcvtimeo = TIMEOUT_MS
    dealer.connect(bind(router, transport))
    dealer.send(b"hi")
    assert router.recv_multipart() == [b"named", b"hi"]
    router.send_multipart([b"named", b"back"])
    assert dealer.recv() == b"back"


def test_req_router(ctx, transport):
    router, req = pair_of(ctx, transport, shoal.ROUTER, shoal.REQ)
    req.send(b"question")
    ident, empty, body = router.recv_multipart()
    assert (empty, body) == (b"", b"question")
    router.send_multipart([ident, b"", b"answer"])
    assert req.recv() == b"answer"


def test_dealer_rep(ctx, transport):
    rep, dealer = pair_of(ctx, transport, shoal.REP, shoal.DEALER)
    dealer.send_multipart([b"", b"question"])
    assert rep.recv() == b"question"
    rep.send(b"answer")
    assert dealer.recv_multipart() == [b"", b"answer"]


def test_xpub_xsub(ctx, transport):
    xpub, xsub = pair_of(ctx, transport, shoal.XPUB, shoal.XSUB)
    xsub.send(b"\x01topic")
    assert xpub.recv() == b"\x01topic"
    xpub.rcvtimeo = 10
    xsub.rcvtimeo = 10

    def delivered():
        xpub.send(b"topic.x")
        try:
            return xsub.recv() == b"topic.x"
        except shoal.Again:
            return False

    wait_until(delivered, what="XPUB to deliver")
    xsub.send(b"\x00topic")
    xpub.rcvtimeo = TIMEOUT_MS
    assert xpub.recv() == b"\x00topic"


def test_pub_sub_many_subscribers(ctx, transport):
    pub = ctx.socket(shoal.PUB)
    ep = bind(pub, transport)
    subs = [ctx.socket(shoal.SUB, subscribe=b"", rcvtimeo=10) for _ in range(3)]
    for s in subs:
        s.connect(ep)
    for s in subs:
        def got(s=s):
            pub.send(b"probe")
            try:
                return s.recv() == b"probe"
            except shoal.Again:
                return False
        wait_until(got, what="a subscriber to join")


def test_large_message(ctx, transport):
    # 4 MiB: on shm:// larger than the ring, so it streams through it in pieces while the
    # receiver (another thread, as the C++ rules require) reads them.
    pull, push = pair_of(ctx, transport, shoal.PULL, shoal.PUSH)
    big = bytes(range(256)) * (4 * 1024 * 4)
    got = []
    t = threading.Thread(target=lambda: got.extend([pull.recv(), pull.recv(copy=False)]))
    t.start()
    push.send(big)
    push.send(big, copy=False)
    t.join(30)
    assert not t.is_alive()
    assert got[0] == big
    assert len(got[1]) == len(big) and got[1].bytes == big


@pytest.mark.parametrize("transport", ["inproc", "shm", "ipc"])  # (a tcp port is known once bound)
def test_connect_before_bind(ctx, transport):
    from conftest import bind_endpoint
    ep = bind_endpoint(transport)
    push = ctx.socket(shoal.PUSH)
    push.connect(ep)
    push.send(b"early")
    pull = ctx.socket(shoal.PULL)
    pull.rcvtimeo = TIMEOUT_MS
    pull.bind(ep)
    assert pull.recv() == b"early"


def test_unbind_disconnect(ctx, transport):
    pull, push = pair_of(ctx, transport, shoal.PULL, shoal.PUSH)
    ep = pull.last_endpoint.decode()
    push.send(b"1")
    assert pull.recv() == b"1"
    push.disconnect(ep)
    with pytest.raises(shoal.ShoalError) as e:
        push.disconnect(ep)
    assert e.value.errno == shoal.ENOENT
    pull.unbind(ep)
    with pytest.raises(shoal.ShoalError):
        pull.unbind(ep)


def test_context_managers(transport):
    with shoal.Context() as c:
        with c.socket(shoal.PAIR) as a, c.socket(shoal.PAIR) as b:
            b.connect(bind(a, transport))
            b.send(b"x")
            assert a.recv() == b"x"
        assert a.closed and b.closed
    assert c.closed
