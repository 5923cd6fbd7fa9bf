"""Context and Socket: the pyzmq-shaped layer over the extension's types.

The hot calls (send, recv, send_multipart, recv_multipart) are the extension's own methods,
inherited unchanged; what is here is convenience (strings, JSON, pickles, numpy arrays,
properties for the options, context managers, monitor sockets). Threading: as in C++, a Context
is thread-safe and a Socket is used from one thread at a time.
"""

import collections
import itertools
import json
import pickle
import threading
import time
import weakref

from . import _shoal
from . import constants as C
from .error import NotDone, ShoalError

Frame = _shoal.Frame


class MessageTracker(_shoal.MessageTracker):
    """What send(..., track=True) returns: done once shoal no longer refers to the buffers the
    call sent by reference (a numpy array, a large bytes object), so that the caller may change
    or reuse them; done at once when everything was copied. As pyzmq's MessageTracker."""

    def wait(self, timeout=-1):
        """Waits until done (timeout in seconds; -1 or None: no limit); NotDone on timeout.
        Polls every millisecond (a release may be waiting for this thread to run it)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise NotDone(C.ETIMEDOUT, "the tracked message is still referenced by shoal")
            time.sleep(0.001)

    def __repr__(self):
        return f"<shoal.MessageTracker {'done' if self.done else 'pending'}>"


_shoal._register_tracker(MessageTracker)

Counters = collections.namedtuple(
    "Counters", "msgs_in bytes_in msgs_out bytes_out hwm_drops would_blocks monitor_drops")
Counters.__doc__ = """What a socket has done so far (Socket.counters()): whole messages and payload
bytes received and sent, messages a PUB/XPUB/ROUTER dropped at a peer's HWM, calls that raised
Again (would block / timed out), monitor events dropped because the reader fell behind."""

_monitor_ids = itertools.count()
_OPTION_NAMES = {
    "ROUTING_ID", "IDENTITY", "SUBSCRIBE", "UNSUBSCRIBE", "SNDBUF", "RCVBUF", "LINGER", "RECONNECT_IVL",
    "RECONNECT_IVL_MAX", "MAXMSGSIZE", "SNDHWM", "RCVHWM", "HWM", "RCVTIMEO", "SNDTIMEO",
    "ROUTER_MANDATORY", "TCP_KEEPALIVE", "TCP_KEEPALIVE_CNT", "TCP_KEEPALIVE_IDLE",
    "TCP_KEEPALIVE_INTVL", "XPUB_VERBOSE", "IPV6", "REQ_CORRELATE", "REQ_RELAXED", "ROUTER_HANDOVER",
    "HANDSHAKE_IVL", "XPUB_NODROP", "HEARTBEAT_IVL", "HEARTBEAT_TTL", "HEARTBEAT_TIMEOUT",
    "XPUB_VERBOSER", "WAIT", "SPIN_NS", "FRAGMENT", "SHM_GROUP_ACCESS", "KEY_AFFINITY", "FD_EVENTS",
}


class Context(_shoal.Context):
    """A shoal context: makes sockets, shares inproc:// names, shuts them all down at once.

    Context(wait=None, spin_ns=None): the default wait strategy of its sockets (WAIT_BLOCK,
    spinning spin_ns = 20000 first; WAIT_SPIN busy-polls for the lowest latency).
    Thread-safe; sockets may be made from any thread. term() never blocks (unlike libzmq's).
    """

    _instance = None
    _instance_lock = threading.Lock()

    def __init__(self, wait=None, spin_ns=None):
        super().__init__(wait, spin_ns)
        self._sockets = weakref.WeakSet()
        self._lock = threading.Lock()

    @classmethod
    def instance(cls):
        """The process-wide shared Context (made at first use)."""
        with cls._instance_lock:
            if cls._instance is None or cls._instance.closed:
                cls._instance = cls()
            return cls._instance

    def socket(self, socket_type, socket_class=None, **options):
        """A new socket of this type (PAIR, PUB, ...); keyword arguments set options by name
        (``ctx.socket(shoal.SUB, subscribe=b"", rcvhwm=10)``)."""
        ids = {}
        for name in options:
            opt = getattr(C, name.upper(), None)
            if not isinstance(opt, int) or name.upper() not in _OPTION_NAMES:
                raise TypeError(f"Context.socket(): unknown socket option {name!r}")
            ids[name] = opt
        cls = socket_class or self._socket_class
        s = cls(self, socket_type)
        try:
            for name, value in options.items():
                if isinstance(value, str):
                    value = value.encode()
                s.setsockopt(ids[name], value)
        except BaseException:
            s.close(linger=0)
            raise
        with self._lock:
            self._sockets.add(s)
        return s

    def term(self):
        """Shuts the context down: every blocking call of its sockets raises ContextTerminated
        at once. Never waits for sockets to close (close them afterwards)."""
        self.shutdown()

    def destroy(self, linger=None):
        """Closes every socket of this context (with this LINGER, if given), then term(). A
        socket another thread is waiting on is left to that thread, which term() wakes with
        ContextTerminated (sockets are not thread-safe: that thread closes it)."""
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            if not s.closed:
                try:
                    s.close(linger=linger)
                except ShoalError as e:
                    if e.errno != C.EFSM:
                        raise
        self.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<shoal.Context {state}, {len(self._sockets)} sockets>"


def _option(opt_id, doc):
    def get(self):
        return self.getsockopt(opt_id)

    def set(self, value):
        self.setsockopt(opt_id, value)

    return property(get, set, doc=doc)


def _read_only(opt_id, doc):
    return property(lambda self: self.getsockopt(opt_id), doc=doc)


class Socket(_shoal.Socket):
    """A shoal socket with pyzmq's API.

    send/recv move bytes (or any buffer; recv(copy=False) gives a Frame that reads shoal's
    buffer in place); the *_multipart, *_string, *_json, *_pyobj and *_array helpers build on
    them. Blocking calls release the GIL and can be interrupted with Ctrl-C. Options are
    available as setsockopt/getsockopt and as properties (sock.sndhwm = 10, sock.linger, ...).
    Not thread-safe: use a socket from one thread at a time.
    """

    def __init__(self, context, socket_type):
        super().__init__(context, socket_type)

    # -- context manager / lifetime -------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        name = C.SOCKET_TYPE_NAMES.get(self.socket_type, "?")
        return f"<shoal.Socket {name}{' closed' if self.closed else ''} at {id(self):#x}>"

    @property
    def type(self):
        """The socket type (PAIR, PUB, ...)."""
        return self.socket_type

    # -- options ----------------------------------------------------------------------------
    def set(self, option, value):
        """Same as setsockopt."""
        self.setsockopt(option, value)

    def get(self, option):
        """Same as getsockopt."""
        return self.getsockopt(option)

    def setsockopt(self, option, value):
        """Sets an option by number (shoal.SNDHWM, ...): bytes for ROUTING_ID, SUBSCRIBE and
        UNSUBSCRIBE, an int otherwise. HWM sets both SNDHWM and RCVHWM."""
        if option == C.HWM:
            super().setsockopt(C.SNDHWM, value)
            super().setsockopt(C.RCVHWM, value)
        else:
            super().setsockopt(option, value)

    def getsockopt(self, option):
        """Reads an option (HWM reads SNDHWM, as pyzmq)."""
        return super().getsockopt(C.SNDHWM if option == C.HWM else option)

    def setsockopt_string(self, option, value, encoding="utf-8"):
        """Sets a byte-valued option from a str."""
        self.setsockopt(option, value.encode(encoding))

    def getsockopt_string(self, option, encoding="utf-8"):
        """Reads a byte-valued option as str."""
        return self.getsockopt(option).decode(encoding)

    set_string = setsockopt_string
    get_string = getsockopt_string

    sndhwm = _option(C.SNDHWM, "SNDHWM: messages queued per peer before send blocks (0: no limit)")
    rcvhwm = _option(C.RCVHWM, "RCVHWM: messages queued per peer on the receiving side")
    hwm = _option(C.HWM, "HWM: SNDHWM and RCVHWM at once (reads SNDHWM)")
    linger = _option(C.LINGER, "LINGER: ms queued messages wait for a peer after close (-1: forever)")
    rcvtimeo = _option(C.RCVTIMEO, "RCVTIMEO: ms a recv waits before raising Again (-1: forever)")
    sndtimeo = _option(C.SNDTIMEO, "SNDTIMEO: ms a send waits before raising Again (-1: forever)")
    maxmsgsize = _option(C.MAXMSGSIZE, "MAXMSGSIZE: largest inbound message in bytes (-1: no limit)")
    reconnect_ivl = _option(C.RECONNECT_IVL, "RECONNECT_IVL: ms between reconnect attempts")
    reconnect_ivl_max = _option(C.RECONNECT_IVL_MAX, "RECONNECT_IVL_MAX: backoff limit in ms")
    handshake_ivl = _option(C.HANDSHAKE_IVL, "HANDSHAKE_IVL: ms a ZMTP peer has for its handshake")
    heartbeat_ivl = _option(C.HEARTBEAT_IVL, "HEARTBEAT_IVL: ms between ZMTP PINGs (0: none)")
    heartbeat_ttl = _option(C.HEARTBEAT_TTL, "HEARTBEAT_TTL: ms the peer may go silent")
    heartbeat_timeout = _option(C.HEARTBEAT_TIMEOUT, "HEARTBEAT_TIMEOUT: ms to wait for a PONG")
    tcp_keepalive = _option(C.TCP_KEEPALIVE, "TCP_KEEPALIVE: -1 system, 0 off, 1 on")
    tcp_keepalive_cnt = _option(C.TCP_KEEPALIVE_CNT, "TCP_KEEPALIVE_CNT")
    tcp_keepalive_idle = _option(C.TCP_KEEPALIVE_IDLE, "TCP_KEEPALIVE_IDLE")
    tcp_keepalive_intvl = _option(C.TCP_KEEPALIVE_INTVL, "TCP_KEEPALIVE_INTVL")
    sndbuf = _option(C.SNDBUF, "SNDBUF: kernel send buffer per connection (-1: system)")
    rcvbuf = _option(C.RCVBUF, "RCVBUF: kernel receive buffer per connection (-1: system)")
    ipv6 = _option(C.IPV6, "IPV6: tcp binds and resolves IPv6 as well")
    routing_id = _option(C.ROUTING_ID, "ROUTING_ID: bytes this socket announces to ROUTER peers")
    identity = routing_id
    router_mandatory = _option(C.ROUTER_MANDATORY, "ROUTER_MANDATORY: unroutable sends raise")
    router_handover = _option(C.ROUTER_HANDOVER, "ROUTER_HANDOVER: a new peer takes over an id")
    xpub_verbose = _option(C.XPUB_VERBOSE, "XPUB_VERBOSE: pass every subscription up")
    xpub_verboser = _option(C.XPUB_VERBOSER, "XPUB_VERBOSER: pass every unsubscription up too")
    xpub_nodrop = _option(C.XPUB_NODROP, "XPUB_NODROP: raise Again instead of dropping at HWM")
    req_correlate = _option(C.REQ_CORRELATE, "REQ_CORRELATE: match replies to requests by id")
    req_relaxed = _option(C.REQ_RELAXED, "REQ_RELAXED: allow a new request before the reply")
    wait = _option(C.WAIT, "WAIT: wait strategy, WAIT_SPIN / WAIT_SPIN_YIELD / WAIT_BLOCK")
    spin_ns = _option(C.SPIN_NS, "SPIN_NS: ns of busy polling before yielding or sleeping")
    fragment = _option(C.FRAGMENT, "FRAGMENT: stream messages larger than a ring record (shm)")
    shm_group_access = _option(C.SHM_GROUP_ACCESS, "SHM_GROUP_ACCESS: accept same-group peers")
    key_affinity = _option(C.KEY_AFFINITY, "KEY_AFFINITY: PUSH/DEALER key routing (-1: frame 1)")
    fd_events = _option(C.FD_EVENTS, "FD_EVENTS: events that make fileno() readable (POLLIN)")
    rcvmore = _read_only(C.RCVMORE, "RCVMORE: more frames of the last message follow")
    last_endpoint = _read_only(C.LAST_ENDPOINT, "LAST_ENDPOINT: the endpoint last bound (bytes)")
    fd = _read_only(C.FD, "FD: the event fd (see fileno())")
    events = _read_only(C.EVENTS, "EVENTS: POLLIN | POLLOUT now")

    # -- binding -------------------------------------------------------------------------------
    def bind_to_random_port(self, addr, min_port=49152, max_port=65536, max_tries=100):
        """Binds tcp://addr to a port the kernel picks and returns it (the range is not used:
        the kernel's choice never collides)."""
        self.bind(f"{addr}:*")
        return int(self.last_endpoint.rsplit(b":", 1)[1])

    # -- subscriptions -------------------------------------------------------------------------
    def subscribe(self, topic):
        """SUB: receive messages starting with topic (bytes or str; b"" for everything)."""
        if isinstance(topic, str):
            topic = topic.encode()
        self.setsockopt(C.SUBSCRIBE, topic)

    def unsubscribe(self, topic):
        """SUB: undo one subscribe(topic)."""
        if isinstance(topic, str):
            topic = topic.encode()
        self.setsockopt(C.UNSUBSCRIBE, topic)

    # -- typed send/recv -----------------------------------------------------------------------
    def send_string(self, u, flags=0, copy=None, encoding="utf-8"):
        """Sends a str, encoded (utf-8 by default)."""
        if not isinstance(u, str):
            raise TypeError(f"send_string() takes a str, got {type(u).__name__}")
        self.send(u.encode(encoding), flags, copy)

    def recv_string(self, flags=0, encoding="utf-8"):
        """Receives a frame and decodes it as str."""
        return self.recv(flags).decode(encoding)

    send_unicode = send_string
    recv_unicode = recv_string

    def send_json(self, obj, flags=0, **kwargs):
        """Sends obj serialized as JSON (keyword arguments go to json.dumps)."""
        self.send(json.dumps(obj, **kwargs).encode("utf-8"), flags)

    def recv_json(self, flags=0, **kwargs):
        """Receives a frame and parses it as JSON (keyword arguments go to json.loads)."""
        return json.loads(self.recv(flags), **kwargs)

    def send_pyobj(self, obj, flags=0, protocol=pickle.DEFAULT_PROTOCOL):
        """Sends obj pickled. Only unpickle what trusted peers send."""
        self.send(pickle.dumps(obj, protocol), flags)

    def recv_pyobj(self, flags=0):
        """Receives a pickled object. Only unpickle what trusted peers send."""
        return pickle.loads(self.recv(flags))

    def send_serialized(self, msg, serialize, flags=0, copy=None):
        """Sends serialize(msg) (a list of frames) as one multipart message."""
        self.send_multipart(serialize(msg), flags, copy)

    def recv_serialized(self, deserialize, flags=0, copy=True):
        """Receives a multipart message and returns deserialize(frames)."""
        return deserialize(self.recv_multipart(flags, copy))

    def send_array(self, A, flags=0, copy=None, track=False):
        """Sends a numpy array as two frames: JSON metadata (dtype, shape) and the raw data.
        A C-contiguous array above COPY_THRESHOLD is sent by reference (no copy; track=True
        returns a MessageTracker telling when it is released); others are made contiguous
        first. recv_array() (or pyzmq's recipe) rebuilds it."""
        import numpy as np

        A = np.asarray(A)
        if A.dtype.hasobject:
            raise TypeError("send_array: arrays of Python objects have no raw bytes to send; use send_pyobj")
        if not A.flags.c_contiguous:
            A = np.ascontiguousarray(A)
        md = {"dtype": A.dtype.str if A.dtype.fields is None else A.dtype.descr, "shape": A.shape}
        return self.send_multipart([json.dumps(md).encode(), A], flags, copy, track)

    def recv_array(self, flags=0, copy=False):
        """Receives an array sent by send_array. With copy=False (the default) the array reads
        the received frame in place (it keeps the frame alive) and is read-only."""
        import numpy as np

        md_frame, data = self.recv_multipart(flags, copy)
        md = json.loads(bytes(md_frame))
        dtype = md["dtype"]
        if isinstance(dtype, list):
            dtype = [tuple(f) for f in dtype]
        A = np.frombuffer(data, dtype=np.dtype(dtype))
        return A.reshape(md["shape"])

    # -- readiness, counters, monitor --------------------------------------------------------
    def counters(self):
        """A Counters tuple: msgs_in, bytes_in, msgs_out, bytes_out, hwm_drops, would_blocks,
        monitor_drops (the would-blocks are the Again results this socket's calls gave you)."""
        return Counters(*self._counters())

    def get_monitor_socket(self, events=C.EVENT_ALL, addr=None):
        """Starts monitor(addr, events) at a fresh inproc address and returns a PAIR connected
        to it; read it with shoal.recv_monitor_message(). disable_monitor() stops it."""
        if addr is None:
            addr = f"inproc://shoal.monitor.{id(self):x}.{next(_monitor_ids)}"
        self.monitor(addr, events)
        mon = self.context.socket(C.PAIR)
        mon.connect(addr)
        return mon

    def disable_monitor(self):
        """Stops the monitor (its last event is EVENT_MONITOR_STOPPED)."""
        self.monitor(None, 0)



Context._socket_class = Socket
