"""shoal: brokerless messaging with pyzmq's API and the speed of shoal's C++ core.

    import shoal
    ctx = shoal.Context()
    pull = ctx.socket(shoal.PULL); pull.bind("shm://prices")
    push = ctx.socket(shoal.PUSH); push.connect("shm://prices")
    push.send(b"px=101.5"); pull.recv()

Transports by endpoint prefix: inproc:// (threads), shm:// (processes on one host, shared
memory), tcp:// and ipc:// (ZMTP 3.1: talks to libzmq/pyzmq). Blocking calls release the GIL
and Ctrl-C interrupts them; shoal.asyncio has awaitable sockets.
"""

from . import _shoal
from .constants import *  # noqa: F401,F403
from .constants import __all__ as _constant_names
from .error import Again, ContextTerminated, NotDone, ShoalError, ZMQError
from ._socket import Context, Counters, Frame, MessageTracker, Socket
from .monitor import event_name, parse_monitor_message, recv_monitor_message

Poller = _shoal.Poller
Message = Frame
strerror = _shoal.strerror

__version__ = "0.1.0"


def select(rlist, wlist, xlist, timeout=None):
    """As zmq.select: waits for sockets/fds in rlist (readable) and wlist (writable); timeout in
    seconds (None: no limit). Returns the three lists of ready items (xlist only for fds)."""
    poller = Poller()
    for s in rlist:
        poller.register(s, POLLIN)  # noqa: F405
    for s in wlist:
        poller.modify(s, POLLOUT | (POLLIN if s in rlist else 0))  # noqa: F405
    for s in xlist:
        if s not in rlist and s not in wlist:
            poller.register(s, POLLIN)  # noqa: F405
    ready = dict(poller.poll(None if timeout is None else timeout * 1000))
    return ([s for s in rlist if ready.get(s, 0) & POLLIN],  # noqa: F405
            [s for s in wlist if ready.get(s, 0) & POLLOUT],  # noqa: F405
            [s for s in xlist if ready.get(s, 0) & POLLERR])  # noqa: F405


__all__ = ["Context", "Socket", "Frame", "Message", "Poller", "Counters", "MessageTracker", "ShoalError",
           "ZMQError", "Again", "ContextTerminated", "NotDone", "recv_monitor_message", "parse_monitor_message",
           "event_name", "select", "strerror"] + list(_constant_names)
