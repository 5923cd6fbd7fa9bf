#!/usr/bin/env bash
# Runs every test of shoal: installs missing packages, then builds and runs the whole CTest suite
# in three configurations — release (g++), debug with ASan+UBSan (clang++) and TSan (g++) — after
# a formatting check. Exits non-zero on the first failure. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup-deps.sh

echo "== format check (clang-format)"
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
clang-format --dry-run -Werror "${sources[@]}"

for preset in ${SHOAL_TEST_PRESETS:-release asan tsan}; do
  echo "== ${preset}: configure, build, test"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}"
  ctest --preset "${preset}"
done
echo "== all tests passed"
