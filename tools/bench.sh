#!/usr/bin/env bash
# The main job: installs missing packages, builds the release configuration and runs the
# benchmark suite (quick mode unless --full is given), printing the results table and writing
# results/latest.json (the run before it moves to results/previous.json), then draws
# results/report.html from it (matplotlib plots, one page), with the Python bindings' benchmark
# (results/python.json) as a section of its own. Extra arguments go to shoal-bench.
# Compare two runs: bench/report/compare.py results/previous.json results/latest.json
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target shoal-bench shoal_cli
mkdir -p results
if [ -f results/latest.json ]; then mv results/latest.json results/previous.json; fi
status=0
build/release/bench/shoal-bench --json results/latest.json "$@" || status=$?

# The Python bindings against shoal's C++ and pyzmq (bench/python/bench_python.py), with Debian's
# interpreter and the package from the build tree: results/python.json.
cmake --build --preset release --target shoal_python
echo
rm -f results/python.json
PYTHONPATH=build/release/bindings/python /usr/bin/python3 bench/python/bench_python.py --json results/python.json ||
  status=$?

if [ -s results/latest.json ]; then
  python_json=()
  if [ -s results/python.json ]; then python_json=(results/python.json); fi
  /usr/bin/python3 bench/report/make_report.py results/latest.json results/report.html "${python_json[@]}"
  if [ -f results/previous.json ]; then
    echo "compare with the previous run: bench/report/compare.py results/previous.json results/latest.json" >&2
  fi
fi
exit "$status"
