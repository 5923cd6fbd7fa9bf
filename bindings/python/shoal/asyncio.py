"""shoal.asyncio: sockets whose send/recv/poll are awaitable, on asyncio's default event loop.

    import shoal, shoal.asyncio
    ctx = shoal.asyncio.Context()
    sock = ctx.socket(shoal.PULL); sock.bind("tcp://127.0.0.1:*")
    msg = await sock.recv()

How it waits: a call first tries without blocking; when it would block, the coroutine waits
for the socket's fd (an eventfd that is readable, level-triggered, while an event in FD_EVENTS
is pending; shoal sets FD_EVENTS to what the waiting coroutines need) with loop.add_reader, and
tries again when it fires. No thread, no polling. RCVTIMEO / SNDTIMEO apply (Again on expiry);
cancelling the awaiting task cancels the wait. Threading: use a socket from its loop's thread.
"""

import asyncio as _asyncio
import collections

from . import _socket
from . import constants as C
from ._shoal import Poller as _SyncPoller
from .error import Again

__all__ = ["Context", "Socket", "Poller"]


class Socket(_socket.Socket):
    """A shoal.Socket whose send/recv (and their *_multipart, *_string, *_json, *_pyobj and
    *_array forms) and poll are coroutines."""

    def __init__(self, context, socket_type):
        super().__init__(context, socket_type)
        self._waiters = {C.POLLIN: collections.deque(), C.POLLOUT: collections.deque()}
        self._watch_loop = None
        self._watch_fd = -1
        self._watch_events = 0

    # -- waiting -----------------------------------------------------------------------------
    def _update_watch(self, loop):
        wanted = (C.POLLIN if self._waiters[C.POLLIN] else 0) | (C.POLLOUT if self._waiters[C.POLLOUT] else 0)
        if wanted and wanted != self._watch_events:
            self.fd_events = wanted
            self._watch_events = wanted
        if wanted and self._watch_loop is None:
            self._watch_fd = self.fileno()
            loop.add_reader(self._watch_fd, self._on_ready)
            self._watch_loop = loop
        elif not wanted and self._watch_loop is not None:
            self._watch_loop.remove_reader(self._watch_fd)
            self._watch_loop = None

    def _on_ready(self):
        if self.closed:
            events = C.POLLIN | C.POLLOUT  # wake everyone: their retry reports the closed socket
        else:
            events = self.get_events()  # also clears a spurious readiness of the fd
        for ev in (C.POLLIN, C.POLLOUT):
            if events & ev:
                q = self._waiters[ev]
                while q:
                    fut = q.popleft()
                    if not fut.done():
                        fut.set_result(None)
        if self._watch_loop is not None:
            self._update_watch(self._watch_loop)

    async def _wait(self, event, timeout_ms):
        loop = _asyncio.get_running_loop()
        fut = loop.create_future()
        q = self._waiters[event]
        q.append(fut)
        self._update_watch(loop)
        try:
            if timeout_ms is None or timeout_ms < 0:
                await fut
            else:
                await _asyncio.wait_for(fut, timeout_ms / 1000)
        finally:
            try:
                q.remove(fut)
            except ValueError:
                pass
            if not self.closed:
                self._update_watch(loop)

    async def _retry(self, event, attempt, timeout_ms):
        """Runs attempt() (a NOBLOCK call) until it does not raise Again, waiting for `event`
        between tries; Again once timeout_ms (-1: none) has passed."""
        loop = _asyncio.get_running_loop()
        deadline = None if timeout_ms < 0 else loop.time() + timeout_ms / 1000
        while True:
            try:
                return attempt()
            except Again:
                if deadline is None:
                    left = None
                else:
                    left = (deadline - loop.time()) * 1000
                    if left <= 0:
                        raise
            try:
                await self._wait(event, left)
            except _asyncio.TimeoutError:
                pass  # one more try, which raises Again if it still would block

    # -- the awaitable calls ------------------------------------------------------------------
    async def send(self, data, flags=0, copy=None, track=False):
        """Awaitable send (see shoal.Socket.send); NOBLOCK raises Again at once."""
        if flags & C.NOBLOCK:
            return super().send(data, flags, copy, track)
        return await self._retry(
            C.POLLOUT, lambda: _socket.Socket.send(self, data, flags | C.NOBLOCK, copy, track), self.sndtimeo)

    async def recv(self, flags=0, copy=True):
        """Awaitable recv (see shoal.Socket.recv); NOBLOCK raises Again at once."""
        if flags & C.NOBLOCK:
            return super().recv(flags, copy)
        return await self._retry(C.POLLIN, lambda: _socket.Socket.recv(self, C.NOBLOCK, copy), self.rcvtimeo)

    async def send_multipart(self, msg_parts, flags=0, copy=None, track=False):
        """Awaitable send_multipart (the message goes whole or not at all)."""
        if flags & C.NOBLOCK:
            return super().send_multipart(msg_parts, flags, copy, track)
        parts = list(msg_parts)
        return await self._retry(
            C.POLLOUT, lambda: _socket.Socket.send_multipart(self, parts, flags | C.NOBLOCK, copy, track),
            self.sndtimeo)

    async def recv_multipart(self, flags=0, copy=True):
        """Awaitable recv_multipart."""
        if flags & C.NOBLOCK:
            return super().recv_multipart(flags, copy)
        return await self._retry(C.POLLIN, lambda: _socket.Socket.recv_multipart(self, C.NOBLOCK, copy),
                                 self.rcvtimeo)

    async def poll(self, timeout=None, flags=C.POLLIN):
        """Waits up to timeout ms (None: no limit) for the events; returns those ready (0 on
        timeout)."""
        if flags == 0 or flags & ~(C.POLLIN | C.POLLOUT):
            raise ValueError("poll(): flags must be POLLIN, POLLOUT or both")
        loop = _asyncio.get_running_loop()
        deadline = None if timeout is None or timeout < 0 else loop.time() + timeout / 1000
        while True:
            ready = self.get_events() & flags
            if ready:
                return ready
            left = None if deadline is None else (deadline - loop.time()) * 1000
            if left is not None and left <= 0:
                return 0
            waits = [_asyncio.ensure_future(self._wait(ev, left)) for ev in (C.POLLIN, C.POLLOUT) if flags & ev]
            try:
                await _asyncio.wait(waits, return_when=_asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
                for w in waits:
                    try:
                        await w
                    except (_asyncio.CancelledError, _asyncio.TimeoutError):
                        pass

    async def send_string(self, u, flags=0, copy=None, encoding="utf-8"):
        if not isinstance(u, str):
            raise TypeError(f"send_string() takes a str, got {type(u).__name__}")
        await self.send(u.encode(encoding), flags, copy)

    async def recv_string(self, flags=0, encoding="utf-8"):
        return (await self.recv(flags)).decode(encoding)

    send_unicode = send_string
    recv_unicode = recv_string

    async def send_json(self, obj, flags=0, **kwargs):
        await self.send(_socket.json.dumps(obj, **kwargs).encode("utf-8"), flags)

    async def recv_json(self, flags=0, **kwargs):
        return _socket.json.loads(await self.recv(flags), **kwargs)

    async def send_pyobj(self, obj, flags=0, protocol=_socket.pickle.DEFAULT_PROTOCOL):
        await self.send(_socket.pickle.dumps(obj, protocol), flags)

    async def recv_pyobj(self, flags=0):
        return _socket.pickle.loads(await self.recv(flags))

    async def send_serialized(self, msg, serialize, flags=0, copy=None):
        await self.send_multipart(serialize(msg), flags, copy)

    async def recv_serialized(self, deserialize, flags=0, copy=True):
        return deserialize(await self.recv_multipart(flags, copy))

    async def send_array(self, A, flags=0, copy=None, track=False):
        import numpy as np

        A = np.asarray(A)
        if A.dtype.hasobject:
            raise TypeError("send_array: arrays of Python objects have no raw bytes to send; use send_pyobj")
        if not A.flags.c_contiguous:
            A = np.ascontiguousarray(A)
        md = {"dtype": A.dtype.str if A.dtype.fields is None else A.dtype.descr, "shape": A.shape}
        return await self.send_multipart([_socket.json.dumps(md).encode(), A], flags, copy, track)

    async def recv_array(self, flags=0, copy=False):
        import numpy as np

        md_frame, data = await self.recv_multipart(flags, copy)
        md = _socket.json.loads(bytes(md_frame))
        dtype = md["dtype"]
        if isinstance(dtype, list):
            dtype = [tuple(f) for f in dtype]
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(md["shape"])

    def close(self, linger=None):
        """Closes the socket; coroutines waiting on it wake and raise ShoalError (ENOTSOCK)."""
        if self._watch_loop is not None:
            self._watch_loop.remove_reader(self._watch_fd)
            self._watch_loop = None
        super().close(linger)
        for q in self._waiters.values():
            while q:
                fut = q.popleft()
                if not fut.done():
                    fut.set_result(None)


class Context(_socket.Context):
    """A shoal.Context whose sockets are shoal.asyncio.Socket."""


Context._socket_class = Socket


class Poller:
    """An awaitable Poller: register sockets (any shoal.Socket) and fds, then
    ``await poller.poll(timeout)`` gives [(socket, events), ...] as shoal.Poller does."""

    def __init__(self):
        self._poller = _SyncPoller()
        self._items = {}

    def register(self, socket, flags=C.POLLIN | C.POLLOUT):
        self._poller.register(socket, flags)
        if flags:
            self._items[socket] = flags
        else:
            self._items.pop(socket, None)

    def modify(self, socket, flags=C.POLLIN | C.POLLOUT):
        self.register(socket, flags)

    def unregister(self, socket):
        self._poller.unregister(socket)
        self._items.pop(socket, None)

    async def poll(self, timeout=None):
        """Waits up to timeout ms (None or -1: no limit) for any item."""
        loop = _asyncio.get_running_loop()
        deadline = None if timeout is None or timeout < 0 else loop.time() + timeout / 1000
        while True:
            ready = self._poller.poll(0)
            if ready:
                return ready
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return []
            fut = loop.create_future()

            def wake():
                if not fut.done():
                    fut.set_result(None)

            readers, writers = [], []
            for obj, flags in self._items.items():
                if isinstance(obj, _socket._shoal.Socket):
                    readers.append(obj.fileno())  # readable while an event it is watched for is pending
                else:
                    fd = obj if isinstance(obj, int) else obj.fileno()
                    if flags & C.POLLIN:
                        readers.append(fd)
                    if flags & C.POLLOUT:
                        writers.append(fd)
            for fd in readers:
                loop.add_reader(fd, wake)
            for fd in writers:
                loop.add_writer(fd, wake)
            try:
                await _asyncio.wait_for(fut, left)
            except _asyncio.TimeoutError:
                pass
            finally:
                for fd in readers:
                    loop.remove_reader(fd)
                for fd in writers:
                    loop.remove_writer(fd)
