"""Reading socket monitor events (Socket.monitor / get_monitor_socket), as pyzmq's
zmq.utils.monitor: each event is two frames, the event id (uint16) and value (uint32) in host
byte order, then the endpoint it is about."""

import struct

from . import constants as C
from .error import ShoalError

_EVENT = struct.Struct("=HI")


def parse_monitor_message(msg):
    """Turns a monitor message (two frames) into {'event', 'value', 'endpoint'}."""
    if len(msg) != 2 or len(msg[0]) != _EVENT.size:
        raise ShoalError(C.EPROTO, "not a monitor event: expected 2 frames, the first of 6 bytes")
    event, value = _EVENT.unpack(bytes(msg[0]))
    return {"event": event, "value": value, "endpoint": bytes(msg[1])}


def recv_monitor_message(socket, flags=0):
    """Receives one event from a monitor socket (blocking like recv; NOBLOCK raises Again)."""
    return parse_monitor_message(socket.recv_multipart(flags))


def event_name(event):
    """'CONNECTED', 'LISTENING', ... for an event id."""
    return C.EVENT_NAMES.get(event, f"0x{event:x}")
