#!/usr/bin/env bash
# The main job: installs missing packages, builds the release configuration and runs the
# benchmark suite (quick mode unless --full is given), printing the results table and writing
# results/latest.json. Extra arguments go to shoal-bench.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target shoal-bench shoal
mkdir -p results
build/release/bench/shoal-bench --json results/latest.json "$@"

# The Python bindings against shoal's C++ and pyzmq (bench/python/bench_python.py), with Debian's
# interpreter and the package from the build tree: results/python.json.
cmake --build --preset release --target shoal_python
echo
PYTHONPATH=build/release/bindings/python /usr/bin/python3 bench/python/bench_python.py --json results/python.json
