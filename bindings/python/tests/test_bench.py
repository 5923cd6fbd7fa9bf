"""The Python benchmark (bench/python/bench_python.py) runs end to end in its smoke mode (--quick:
tiny counts, one round) and writes its JSON with every row and target; no figure is judged here
(benchmarks are measured by tools/bench.sh, never asserted)."""

import json
import os
import subprocess
import sys


def test_bench_quick(tmp_path):
    root = os.environ.get("SHOAL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    cli = os.environ.get("SHOAL_CLI", os.path.join(root, "build", "release", "tools", "shoal"))
    out = tmp_path / "python.json"
    r = subprocess.run([sys.executable, os.path.join(root, "bench", "python", "bench_python.py"), "--quick",
                        "--cli", cli, "--json", str(out)], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "targets" in r.stdout and ("PASS" in r.stdout or "MISS" in r.stdout)
    doc = json.loads(out.read_text())
    keys = {row["key"] for row in doc["rows"]}
    assert keys == {"py_shm_rtt", "cpp_shm_rtt", "pyzmq_ipc_rtt", "py_shm_thr_spin", "py_shm_thr_block",
                    "pyzmq_inproc_thr",
                    "pyzmq_ipc_thr", "pyzmq_tcp_thr"}
    assert len(doc["targets"]) == 3 and all(isinstance(t["pass"], bool) for t in doc["targets"])
    for row in doc["rows"]:
        assert row.get("p50_ns", 1) > 0 and row.get("msgs_per_s", 1) > 0
