"""pyzmq (Debian's python3-zmq, over libzmq 4.3) against shoal over tcp:// and ipc://.

The shoal side is zmtp_interop_peer, a shoal socket driven line by line (see its source); CTest
passes its path in SHOAL_INTEROP_PEER. Every case runs over tcp and ipc and, where both make
sense, with either side binding. Run with Debian's interpreter (/usr/bin/python3), which has
pyzmq and pytest.
"""

import itertools
import os
import select
import subprocess
import time

import pytest
import zmq
import zmq.utils.monitor

PEER = os.environ.get("SHOAL_INTEROP_PEER", "")
TIMEOUT_MS = 5000
_names = itertools.count()

EVENT_ACCEPTED = 0x0020
EVENT_DISCONNECTED = 0x0200
EVENT_HANDSHAKE_SUCCEEDED = 0x1000


class ShoalPeer:
    """A shoal socket in a child process; `call` sends a command and returns its reply."""

    def __init__(self, sock_type):
        assert PEER, "SHOAL_INTEROP_PEER is not set (run through ctest)"
        self.proc = subprocess.Popen(
            [PEER, str(sock_type)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for opt, value in ((zmq.RCVTIMEO, TIMEOUT_MS), (zmq.SNDTIMEO, TIMEOUT_MS), (zmq.LINGER, 0)):
            self.call(f"setint {opt} {value}")

    def start(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def reply(self, timeout=TIMEOUT_MS / 1000 + 5):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "the shoal peer did not answer"
        line = self.proc.stdout.readline().rstrip("\n")
        assert line, "the shoal peer exited"
        return line

    def call(self, line):
        self.start(line)
        reply = self.reply()
        assert not reply.startswith("err"), f"{line!r}: {reply}"
        return reply

    def bind(self, endpoint):
        return self.call(f"bind {endpoint}").split(" ", 1)[1]

    def connect(self, endpoint):
        self.call(f"connect {endpoint}")

    def send(self, *frames):
        self.call("send " + " ".join(f.hex() if f else "-" for f in frames))

    def recv(self):
        """One message as a list of frames, or None when the receive timed out."""
        reply = self.call_raw("recv")
        if reply.startswith("err"):
            return None
        return [b"" if h == "-" else bytes.fromhex(h) for h in reply.split(" ")[1:]]

    def call_raw(self, line):
        self.start(line)
        return self.reply()

    def events(self):
        reply = self.call("events")
        return [tuple(int(x) for x in e.split(":")) for e in reply.split(" ")[1:]]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.start("quit")
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


@pytest.fixture
def peers():
    made = []

    def make(sock_type):
        p = ShoalPeer(sock_type)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def bind_spec(transport):
    if transport == "tcp":
        return "tcp://127.0.0.1:*"
    return f"ipc://@shoal-pyzmq-{os.getpid()}-{next(_names)}"


def zsocket(ctx, sock_type):
    s = ctx.socket(sock_type)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.LINGER, 0)
    return s


def join(transport, shoal_binds, shoal, z):
    """Binds one side on a fresh endpoint and connects the other; returns the endpoint."""
    if shoal_binds:
        endpoint = shoal.bind(bind_spec(transport))
        z.connect(endpoint)
    else:
        z.bind(bind_spec(transport))
        endpoint = z.getsockopt_string(zmq.LAST_ENDPOINT)
        shoal.connect(endpoint)
    return endpoint


both = pytest.mark.parametrize(
    "transport,shoal_binds",
    [("tcp", True), ("tcp", False), ("ipc", True), ("ipc", False)],
    ids=["tcp-shoal-binds", "tcp-pyzmq-binds", "ipc-shoal-binds", "ipc-pyzmq-binds"],
)


@both
def test_pyzmq_req_shoal_rep(ctx, peers, transport, shoal_binds):
    rep = peers(zmq.REP)
    req = zsocket(ctx, zmq.REQ)
    join(transport, shoal_binds, rep, req)
    rep.start("echo 5")
    for i in range(5):
        req.send_multipart([b"question", str(i).encode()])
        assert req.recv_multipart() == [b"question", str(i).encode()]
    assert rep.reply() == "ok"


@both
def test_shoal_req_pyzmq_rep(ctx, peers, transport, shoal_binds):
    req = peers(zmq.REQ)
    rep = zsocket(ctx, zmq.REP)
    join(transport, shoal_binds, req, rep)
    for i in range(5):
        req.send(b"ping", str(i).encode())
        assert rep.recv_multipart() == [b"ping", str(i).encode()]
        rep.send(b"pong" + str(i).encode())
        assert req.recv() == [b"pong" + str(i).encode()]


@both
def test_pyzmq_pub_shoal_sub_filters(ctx, peers, transport, shoal_binds):
    sub = peers(zmq.SUB)
    pub = zsocket(ctx, zmq.PUB)
    sub.call(f"setbytes {zmq.SUBSCRIBE} {b'a.'.hex()}")
    sub.call(f"setint {zmq.RCVTIMEO} 20")
    join(transport, shoal_binds, sub, pub)
    # The subscription reaches the publisher some time after the connection: publish until the
    # first message gets through, then check the filter on what follows.
    got = None
    for i in range(500):
        pub.send(b"b.%d" % i)
        pub.send(b"a.%d" % i)
        got = sub.recv()
        if got:
            break
    assert got and got[0].startswith(b"a.")
    for i in range(20):
        pub.send(b"b.x%d" % i)
        pub.send(b"a.x%d" % i)
    sub.call(f"setint {zmq.RCVTIMEO} {TIMEOUT_MS}")
    received = []
    while True:
        m = sub.recv()
        assert m is not None, f"a.x19 never arrived; got {received}"
        assert m[0].startswith(b"a."), f"the filter let {m[0]!r} through"
        received.append(m[0])
        if m[0] == b"a.x19":
            break
    assert [r for r in received if r.startswith(b"a.x")] == [b"a.x%d" % i for i in range(20)]


@both
def test_shoal_pub_pyzmq_sub_filters(ctx, peers, transport, shoal_binds):
    pub = peers(zmq.PUB)
    sub = zsocket(ctx, zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"a.")
    join(transport, shoal_binds, pub, sub)
    sub.setsockopt(zmq.RCVTIMEO, 20)
    got = None
    for i in range(500):
        pub.send(b"b.%d" % i)
        pub.send(b"a.%d" % i)
        try:
            got = sub.recv()
            break
        except zmq.Again:
            pass
    assert got and got.startswith(b"a.")
    for i in range(20):
        pub.send(b"b.x%d" % i)
        pub.send(b"a.x%d" % i)
    sub.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    while True:
        m = sub.recv()
        assert m.startswith(b"a."), f"the filter let {m!r} through"
        if m == b"a.x19":
            break


@both
def test_shoal_dealer_pyzmq_router(ctx, peers, transport, shoal_binds):
    dealer = peers(zmq.DEALER)
    dealer.call(f"setbytes {zmq.ROUTING_ID} {b'shoal-dealer'.hex()}")
    router = zsocket(ctx, zmq.ROUTER)
    join(transport, shoal_binds, dealer, router)
    dealer.send(b"hello", b"")
    assert router.recv_multipart() == [b"shoal-dealer", b"hello", b""]
    router.send_multipart([b"shoal-dealer", b"back"])
    assert dealer.recv() == [b"back"]


@both
def test_pyzmq_dealer_shoal_router(ctx, peers, transport, shoal_binds):
    router = peers(zmq.ROUTER)
    dealer = zsocket(ctx, zmq.DEALER)
    dealer.setsockopt(zmq.ROUTING_ID, b"py-dealer")
    join(transport, shoal_binds, router, dealer)
    dealer.send_multipart([b"", b"hello"])
    assert router.recv() == [b"py-dealer", b"", b"hello"]
    router.send(b"py-dealer", b"", b"back")
    assert dealer.recv_multipart() == [b"", b"back"]


@both
def test_push_pull_large_and_empty_frames(ctx, peers, transport, shoal_binds):
    big = bytes(range(256)) * 4096  # 1 MiB
    pull = peers(zmq.PULL)
    push = zsocket(ctx, zmq.PUSH)
    join(transport, shoal_binds, pull, push)
    push.send_multipart([b"", big, b"end"])
    assert pull.recv() == [b"", big, b"end"]
    # And the other way.
    spush = peers(zmq.PUSH)
    zpull = zsocket(ctx, zmq.PULL)
    join(transport, shoal_binds, spush, zpull)
    spush.send(b"", big, b"end")
    assert zpull.recv_multipart() == [b"", big, b"end"]


def disconnects(monitor):
    n = 0
    while True:
        try:
            event = zmq.utils.monitor.recv_monitor_message(monitor, flags=zmq.NOBLOCK)
        except zmq.Again:
            return n
        if event["event"] == zmq.EVENT_DISCONNECTED:
            n += 1


@both
def test_pyzmq_heartbeats_idle_shoal_answers(ctx, peers, transport, shoal_binds):
    pair = peers(zmq.PAIR)
    z = zsocket(ctx, zmq.PAIR)
    z.setsockopt(zmq.HEARTBEAT_IVL, 50)
    z.setsockopt(zmq.HEARTBEAT_TIMEOUT, 200)
    monitor = z.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    join(transport, shoal_binds, pair, z)
    pair.send(b"before")
    assert z.recv() == b"before"
    time.sleep(1.0)  # shoal's socket is not called: its background thread must answer the PINGs
    assert disconnects(monitor) == 0, "pyzmq dropped the idle shoal peer"
    z.send(b"after")
    assert pair.recv() == [b"after"]
    z.disable_monitor()


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_shoal_monitor_sees_pyzmq_come_and_go(ctx, peers, transport):
    rep = peers(zmq.REP)
    endpoint = rep.bind(bind_spec(transport))
    req = zsocket(ctx, zmq.REQ)
    req.connect(endpoint)
    rep.start("echo 1")
    req.send(b"x")
    assert req.recv() == b"x"
    assert rep.reply() == "ok"
    req.close(linger=0)
    deadline = time.monotonic() + 5
    seen = []
    while time.monotonic() < deadline:
        seen += [e for e, _ in rep.events()]
        if EVENT_DISCONNECTED in seen:
            break
        time.sleep(0.02)
    assert EVENT_ACCEPTED in seen
    assert EVENT_HANDSHAKE_SUCCEEDED in seen
    assert EVENT_DISCONNECTED in seen
