"""shoal's exceptions, shaped like pyzmq's.

ShoalError is the base of every error a shoal call raises; ``.errno`` is the errno value
(numbered as in libzmq, so ``e.errno == zmq.EAGAIN`` style checks carry over) and ``.strerror``
the message, with the detail shoal gives (which part of an endpoint, which option value).
Again (errno EAGAIN) means "would block / timed out": an outcome to retry, as in pyzmq.
"""

from . import _shoal


class ShoalError(Exception):
    """Base class of shoal's errors; ``errno`` and ``strerror`` as pyzmq's ZMQError."""

    errno = None
    strerror = ""

    def __init__(self, errno=None, msg=None):
        if errno is not None and msg is None:
            msg = _shoal.strerror(errno)
        super().__init__(errno, msg)
        self.errno = errno
        self.strerror = msg or ""

    def __str__(self):
        return self.strerror

    def __repr__(self):
        return f"{type(self).__name__}({self.errno!r}, {self.strerror!r})"


class Again(ShoalError):
    """EAGAIN: the call would block (NOBLOCK), or its timeout (RCVTIMEO/SNDTIMEO) passed."""


class ContextTerminated(ShoalError):
    """ETERM: the socket's context was shut down (Context.term()); close the socket."""


class NotDone(ShoalError):
    """MessageTracker.wait() timed out: shoal still refers to the tracked buffers."""


# The name pyzmq code catches.
ZMQError = ShoalError

_shoal._register_errors(ShoalError, Again, ContextTerminated)
