"""Every example under bindings/python/examples runs to completion with the interpreter the tests
use, and prints what it says it does."""

import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")

EXPECTED = {
    "pubsub.py": "px.EURUSD",
    "numpy_zero_copy.py": "zero copy",
    "reqrep_processes.py": "round trips over shm://",
    "asyncio_pingpong.py": "{'pong': 2}",
    "pyzmq_interop.py": "hi bob",
}


def test_every_example_is_listed():
    assert sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(name):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, name)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert EXPECTED[name] in r.stdout, r.stdout


def test_pubsub_over_tcp():
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, "pubsub.py"), "tcp://127.0.0.1:*"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.count("px.EURUSD") == 5, r.stdout + r.stderr
