#!/usr/bin/python3
# CLI test for `shoal topo`: with HWLOC_SYNTHETIC, HWLOC_XMLFILE (tests/topologies) and the
# --synthetic flag it describes that machine and prints the planner's concrete placements; on
# this machine it reports this system; --json is one object with numa_nodes, cores, pus, plan;
# bad arguments exit 2 with a usage message, a bad topology exits 1.
# Usage: test_topo.py <shoal binary> <tests/topologies>. Single-threaded, runs subprocesses.
import json
import os
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def run(binary, args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("HWLOC_SYNTHETIC", "HWLOC_XMLFILE")}
    env.update(env_extra or {})
    p = subprocess.run([binary, "topo"] + args, capture_output=True, text=True, timeout=30, env=env)
    return p.returncode, p.stdout, p.stderr


def one_json(label, binary, args, env_extra=None):
    rc, out, err = run(binary, args + ["--json"], env_extra)
    if not check(rc == 0, f"{label}: exit {rc}, stderr {err.strip()}"):
        return None
    lines = [line for line in out.splitlines() if line.strip()]
    if not check(len(lines) == 1, f"{label}: expected one line of JSON, got {out!r}"):
        return None
    obj = json.loads(lines[0])
    for key in ("numa_nodes", "cores", "pus", "plan"):
        check(key in obj, f"{label}: no '{key}' in {sorted(obj)}")
    return obj


def cpus(obj):
    return [t["cpu"] for t in obj["plan"]["threads"]]


def main():
    binary, topologies = sys.argv[1], sys.argv[2]
    two_by_two = {"HWLOC_SYNTHETIC": "pack:2 numa:2 core:4 pu:2"}
    args = ["--app-cpus", "0,16", "--threads", "2", "--thread", "receiver:16"]

    o = one_json("synthetic 2x2", binary, args, two_by_two)
    if o:
        check(len(o["numa_nodes"]) == 4, f"synthetic: numa_nodes {len(o['numa_nodes'])}")
        check(len(o["cores"]) == 16, f"synthetic: cores {len(o['cores'])}")
        check(len(o["pus"]) == 32, f"synthetic: pus {len(o['pus'])}")
        check(o["packages"] == 2, "synthetic: packages")
        check(o["this_system"] is False, "synthetic: reported as this system")
        check(o["numa_nodes"][2]["cpus"] == list(range(16, 24)), f"synthetic: node 2 cpus {o['numa_nodes'][2]}")
        check(o["cores"][4]["pus"] == [8, 9], f"synthetic: core 4 {o['cores'][4]}")
        check(cpus(o) == [6, 4, 22], f"synthetic: plan cpus {cpus(o)}")
        check([t["role"] for t in o["plan"]["threads"]] == ["reactor", "io", "receiver"], "synthetic: roles")
        check([r["node"] for r in o["plan"]["rings"]] == [0, 2], f"synthetic: ring nodes {o['plan']['rings']}")
        check(o["binding"]["this_system"] is False, "synthetic: binding says this system")

    same = one_json("--synthetic flag", binary, args + ["--synthetic", "pack:2 numa:2 core:4 pu:2"])
    if o and same:
        check(same["plan"] == o["plan"], "--synthetic and HWLOC_SYNTHETIC plan differently")

    x = one_json("xml asymmetric", binary,
                 ["--app-cpus", "0,4", "--thread", "receiver:4", "--ring", "fwd:4:0"],
                 {"HWLOC_XMLFILE": os.path.join(topologies, "asymmetric_2pkg_smt.xml")})
    if x:
        check([n["memory_bytes"] for n in x["numa_nodes"]] == [8 << 30, 2 << 30], f"xml: memory {x['numa_nodes']}")
        check(len(x["pus"]) == 12 and len(x["cores"]) == 6, "xml: counts")
        check(cpus(x) == [5], f"xml: plan cpus {cpus(x)}")
        check([r["node"] for r in x["plan"]["rings"]] == [0], f"xml: forced ring node {x['plan']['rings']}")

    rc, out, err = run(binary, args, two_by_two)
    check(rc == 0 and "numa node 3" in out and "cpu 22" in out and "not this machine" in out,
          f"text: rc {rc} out {out!r} err {err!r}")

    here = one_json("this machine", binary, ["--app-cpus", "0"])
    if here:
        check(here["this_system"] is True, "this machine: not this system")
        check(len(here["pus"]) >= 1 and len(here["numa_nodes"]) >= 1, "this machine: empty")
        check(len(here["plan"]["threads"]) == 1, "this machine: one reactor by default")

    for bad in (["--app-cpus", "x"], ["--threads", "-1"], ["--ring", "nocpu"], ["--thread", "boss:1"],
                ["--policy", "sometimes"], ["--frobnicate", "1"], ["--threads"], ["stray"],
                ["--synthetic", "pack:2", "--xml", "f"]):
        rc, out, err = run(binary, bad)
        check(rc == 2 and "usage: shoal topo" in err, f"{bad}: rc {rc}, stderr {err!r}")
    rc, out, err = run(binary, ["--synthetic", "pack:two"])
    check(rc == 1 and "pack:two" in err, f"bad synthetic: rc {rc}, stderr {err!r}")
    rc, out, err = run(binary, ["--help"])
    check(rc == 0 and "--app-cpus" in out, "--help")

    for f in failures:
        print("FAIL:", f)
    print("ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
