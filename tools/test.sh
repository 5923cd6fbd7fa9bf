#!/usr/bin/env bash
# Runs every test of shoal: installs missing packages, checks formatting, then builds and runs the
# whole CTest suite in three configurations: release (g++, followed by clang-tidy over the
# library), debug with ASan+UBSan (clang++) and TSan (g++). Exits non-zero on the first failure.
# This is what CI runs (.ci/run).
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
  if [ "${preset}" = release ]; then
    echo "== clang-tidy (library code)"
    run-clang-tidy -p build/release -quiet -j "$(nproc)" '/(core|transports)/.*\.cpp$' >/tmp/shoal-tidy.log 2>&1 ||
      { grep -E "warning:|error:" /tmp/shoal-tidy.log; exit 1; }
  fi
done
echo "== all tests passed"
