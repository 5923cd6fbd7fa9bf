#!/usr/bin/env bash
# The main job: installs missing packages, builds the release configuration and runs the
# benchmark suite (quick mode unless --full is given), printing the results table and writing
# results/latest.json (the run before it moves to results/previous.json), then draws
# results/report.html from it (matplotlib plots, one page). Extra arguments go to shoal-bench.
# Compare two runs: bench/report/compare.py results/previous.json results/latest.json
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target shoal-bench shoal
mkdir -p results
if [ -f results/latest.json ]; then mv results/latest.json results/previous.json; fi
status=0
build/release/bench/shoal-bench --json results/latest.json "$@" || status=$?
if [ -s results/latest.json ]; then
  /usr/bin/python3 bench/report/make_report.py results/latest.json results/report.html
  if [ -f results/previous.json ]; then
    echo "compare with the previous run: bench/report/compare.py results/previous.json results/latest.json" >&2
  fi
fi
exit "$status"
