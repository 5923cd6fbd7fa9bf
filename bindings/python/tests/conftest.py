"""Shared fixtures of the shoal Python tests: a fresh Context per test and unique endpoints for
every transport (inproc/shm names with the pid and a counter, tcp ports from the kernel, ipc
paths in the abstract namespace). Run with Debian's /usr/bin/python3 and PYTHONPATH pointing at
build/<preset>/bindings/python (CTest does both)."""

import itertools
import os
import time

import pytest

import shoal

TRANSPORTS = ["inproc", "shm", "tcp", "ipc"]
_ids = itertools.count()


def unique(prefix="t"):
    return f"{prefix}-{os.getpid()}-{next(_ids)}"


def bind_endpoint(transport):
    """What the binding side binds to."""
    if transport == "inproc":
        return f"inproc://{unique()}"
    if transport == "shm":
        return f"shm://py-{unique()}"
    if transport == "tcp":
        return "tcp://127.0.0.1:*"
    if transport == "ipc":
        return f"ipc://@shoal-py-{unique()}"
    raise ValueError(transport)


def bind(sock, transport):
    """Binds sock on a fresh endpoint of this transport; returns the endpoint to connect to."""
    sock.bind(bind_endpoint(transport))
    return sock.last_endpoint.decode()


def wait_until(cond, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


@pytest.fixture
def ctx():
    c = shoal.Context()
    yield c
    c.destroy(linger=0)


@pytest.fixture(params=TRANSPORTS)
def transport(request):
    return request.param
