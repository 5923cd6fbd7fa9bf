"""Type stubs for the shoal package (see shoal/__init__.py)."""

from typing import Any, Callable, Dict, List, Literal, NamedTuple, Optional, Sequence, Tuple, Type, TypeVar, Union, overload


Buffer = Any  # bytes, bytearray, memoryview, numpy arrays: anything with the buffer protocol

PAIR: int
PUB: int
SUB: int
REQ: int
REP: int
DEALER: int
ROUTER: int
PULL: int
PUSH: int
XPUB: int
XSUB: int
NOBLOCK: int
DONTWAIT: int
SNDMORE: int
POLLIN: int
POLLOUT: int
POLLERR: int
ROUTING_ID: int
IDENTITY: int
SUBSCRIBE: int
UNSUBSCRIBE: int
SNDBUF: int
RCVBUF: int
RCVMORE: int
FD: int
EVENTS: int
TYPE: int
LINGER: int
RECONNECT_IVL: int
RECONNECT_IVL_MAX: int
MAXMSGSIZE: int
SNDHWM: int
RCVHWM: int
RCVTIMEO: int
SNDTIMEO: int
LAST_ENDPOINT: int
ROUTER_MANDATORY: int
TCP_KEEPALIVE: int
TCP_KEEPALIVE_CNT: int
TCP_KEEPALIVE_IDLE: int
TCP_KEEPALIVE_INTVL: int
XPUB_VERBOSE: int
IPV6: int
REQ_CORRELATE: int
REQ_RELAXED: int
ROUTER_HANDOVER: int
HANDSHAKE_IVL: int
XPUB_NODROP: int
HEARTBEAT_IVL: int
HEARTBEAT_TTL: int
HEARTBEAT_TIMEOUT: int
XPUB_VERBOSER: int
WAIT: int
SPIN_NS: int
FRAGMENT: int
SHM_GROUP_ACCESS: int
KEY_AFFINITY: int
FD_EVENTS: int
HWM: int
WAIT_SPIN: int
WAIT_SPIN_YIELD: int
WAIT_BLOCK: int
EVENT_CONNECTED: int
EVENT_CONNECT_DELAYED: int
EVENT_CONNECT_RETRIED: int
EVENT_LISTENING: int
EVENT_BIND_FAILED: int
EVENT_ACCEPTED: int
EVENT_ACCEPT_FAILED: int
EVENT_CLOSED: int
EVENT_CLOSE_FAILED: int
EVENT_DISCONNECTED: int
EVENT_MONITOR_STOPPED: int
EVENT_HANDSHAKE_FAILED_NO_DETAIL: int
EVENT_HANDSHAKE_SUCCEEDED: int
EVENT_HANDSHAKE_FAILED_PROTOCOL: int
EVENT_HANDSHAKE_FAILED_AUTH: int
EVENT_ALL: int
EAGAIN: int
EINTR: int
EINVAL: int
ENOMEM: int
EFAULT: int
EMFILE: int
ENOENT: int
EMSGSIZE: int
EPROTONOSUPPORT: int
ENOTSOCK: int
ENOTSUP: int
EADDRINUSE: int
EADDRNOTAVAIL: int
ENODEV: int
ENAMETOOLONG: int
ENETDOWN: int
ECONNRESET: int
ENOTCONN: int
ETIMEDOUT: int
ECONNREFUSED: int
EHOSTUNREACH: int
EBADMSG: int
EPROTO: int
EFSM: int
ENOCOMPATPROTO: int
ETERM: int
EMTHREAD: int
COPY_THRESHOLD: int
SOCKET_TYPE_NAMES: Dict[int, str]
EVENT_NAMES: Dict[int, str]
__version__: str

class ShoalError(Exception):
    errno: Optional[int]
    strerror: str
    def __init__(self, errno: Optional[int] = ..., msg: Optional[str] = ...) -> None: ...

class Again(ShoalError): ...
class NotDone(ShoalError): ...
class ContextTerminated(ShoalError): ...
ZMQError = ShoalError

class Frame:
    """One frame owning its bytes; supports the buffer protocol (read-only, in place)."""
    def __init__(self, data: Optional[Buffer] = ...) -> None: ...
    @property
    def bytes(self) -> bytes: ...
    @property
    def buffer(self) -> memoryview: ...
    @property
    def more(self) -> bool: ...
    def __len__(self) -> int: ...
    def __bytes__(self) -> bytes: ...
    def __buffer__(self, flags: int) -> memoryview: ...

Message = Frame

class MessageTracker:
    @property
    def done(self) -> bool: ...
    def wait(self, timeout: Optional[float] = ...) -> None: ...

class Counters(NamedTuple):
    msgs_in: int
    bytes_in: int
    msgs_out: int
    bytes_out: int
    hwm_drops: int
    would_blocks: int
    monitor_drops: int

_S = TypeVar("_S", bound="Socket")

class Context:
    def __init__(self, wait: Optional[int] = ..., spin_ns: Optional[int] = ...) -> None: ...
    @classmethod
    def instance(cls) -> "Context": ...
    def socket(self, socket_type: int, socket_class: Optional[Type[_S]] = ..., **options: Any) -> "Socket": ...
    def shutdown(self) -> None: ...
    def term(self) -> None: ...
    def destroy(self, linger: Optional[int] = ...) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def wait(self) -> int: ...
    @property
    def spin_ns(self) -> int: ...
    def __enter__(self) -> "Context": ...
    def __exit__(self, *exc: Any) -> None: ...

class Socket:
    def __init__(self, context: Context, socket_type: int) -> None: ...
    # moving messages
    def send(self, data: Union[Buffer, Frame], flags: int = ..., copy: Optional[bool] = ..., track: bool = ...) -> Optional[MessageTracker]: ...
    @overload
    def recv(self, flags: int = ..., copy: Literal[True] = ...) -> bytes: ...
    @overload
    def recv(self, flags: int = ..., copy: Literal[False] = ...) -> Frame: ...
    def send_multipart(self, msg_parts: Sequence[Union[Buffer, Frame]], flags: int = ..., copy: Optional[bool] = ..., track: bool = ...) -> Optional[MessageTracker]: ...
    @overload
    def recv_multipart(self, flags: int = ..., copy: Literal[True] = ...) -> List[bytes]: ...
    @overload
    def recv_multipart(self, flags: int = ..., copy: Literal[False] = ...) -> List[Frame]: ...
    def send_string(self, u: str, flags: int = ..., copy: Optional[bool] = ..., encoding: str = ...) -> None: ...
    def recv_string(self, flags: int = ..., encoding: str = ...) -> str: ...
    send_unicode = send_string
    recv_unicode = recv_string
    def send_json(self, obj: Any, flags: int = ..., **kwargs: Any) -> None: ...
    def recv_json(self, flags: int = ..., **kwargs: Any) -> Any: ...
    def send_pyobj(self, obj: Any, flags: int = ..., protocol: int = ...) -> None: ...
    def recv_pyobj(self, flags: int = ...) -> Any: ...
    def send_serialized(self, msg: Any, serialize: Callable[[Any], Sequence[Buffer]], flags: int = ..., copy: Optional[bool] = ...) -> None: ...
    def recv_serialized(self, deserialize: Callable[[List[Any]], Any], flags: int = ..., copy: bool = ...) -> Any: ...
    def send_array(self, A: Any, flags: int = ..., copy: Optional[bool] = ..., track: bool = ...) -> Optional[MessageTracker]: ...
    def recv_array(self, flags: int = ..., copy: bool = ...) -> Any: ...
    # endpoints and lifetime
    def bind(self, addr: str) -> None: ...
    def connect(self, addr: str) -> None: ...
    def unbind(self, addr: str) -> None: ...
    def disconnect(self, addr: str) -> None: ...
    def bind_to_random_port(self, addr: str, min_port: int = ..., max_port: int = ..., max_tries: int = ...) -> int: ...
    def close(self, linger: Optional[int] = ...) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def context(self) -> Context: ...
    @property
    def socket_type(self) -> int: ...
    @property
    def type(self) -> int: ...
    def __enter__(self: _S) -> _S: ...
    def __exit__(self, *exc: Any) -> None: ...
    # options
    def setsockopt(self, option: int, value: Union[int, bytes]) -> None: ...
    def getsockopt(self, option: int) -> Union[int, bytes]: ...
    def set(self, option: int, value: Union[int, bytes]) -> None: ...
    def get(self, option: int) -> Union[int, bytes]: ...
    def setsockopt_string(self, option: int, value: str, encoding: str = ...) -> None: ...
    def getsockopt_string(self, option: int, encoding: str = ...) -> str: ...
    set_string = setsockopt_string
    get_string = getsockopt_string
    def subscribe(self, topic: Union[bytes, str]) -> None: ...
    def unsubscribe(self, topic: Union[bytes, str]) -> None: ...
    sndhwm: int
    rcvhwm: int
    hwm: int
    linger: int
    rcvtimeo: int
    sndtimeo: int
    maxmsgsize: int
    reconnect_ivl: int
    reconnect_ivl_max: int
    handshake_ivl: int
    heartbeat_ivl: int
    heartbeat_ttl: int
    heartbeat_timeout: int
    tcp_keepalive: int
    tcp_keepalive_cnt: int
    tcp_keepalive_idle: int
    tcp_keepalive_intvl: int
    sndbuf: int
    rcvbuf: int
    ipv6: int
    routing_id: bytes
    identity: bytes
    router_mandatory: int
    router_handover: int
    xpub_verbose: int
    xpub_verboser: int
    xpub_nodrop: int
    req_correlate: int
    req_relaxed: int
    wait: int
    spin_ns: int
    fragment: int
    shm_group_access: int
    key_affinity: int
    fd_events: int
    @property
    def rcvmore(self) -> int: ...
    @property
    def last_endpoint(self) -> bytes: ...
    @property
    def fd(self) -> int: ...
    @property
    def events(self) -> int: ...
    # readiness, counters, monitor
    def fileno(self) -> int: ...
    def get_events(self) -> int: ...
    def poll(self, timeout: Optional[int] = ..., flags: int = ...) -> int: ...
    def counters(self) -> Counters: ...
    def monitor(self, addr: Optional[str], events: int = ...) -> None: ...
    def get_monitor_socket(self, events: int = ..., addr: Optional[str] = ...) -> "Socket": ...
    def disable_monitor(self) -> None: ...

_Pollable = Union[Socket, int, Any]

class Poller:
    def __init__(self) -> None: ...
    def register(self, socket: _Pollable, flags: int = ...) -> None: ...
    def modify(self, socket: _Pollable, flags: int = ...) -> None: ...
    def unregister(self, socket: _Pollable) -> None: ...
    def poll(self, timeout: Optional[float] = ...) -> List[Tuple[_Pollable, int]]: ...
    def __len__(self) -> int: ...
    @property
    def sockets(self) -> List[Tuple[_Pollable, int]]: ...

def select(rlist: Sequence[_Pollable], wlist: Sequence[_Pollable], xlist: Sequence[_Pollable], timeout: Optional[float] = ...) -> Tuple[List[_Pollable], List[_Pollable], List[_Pollable]]: ...
def parse_monitor_message(msg: Sequence[Buffer]) -> Dict[str, Any]: ...
def recv_monitor_message(socket: Socket, flags: int = ...) -> Dict[str, Any]: ...
def event_name(event: int) -> str: ...
def strerror(errnum: int) -> str: ...
