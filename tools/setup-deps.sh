#!/usr/bin/env bash
# Installs the Debian 12 packages shoal needs to build, test and benchmark, if any are missing.
# Needs root (or sudo) only when something has to be installed. Safe to run repeatedly.
set -euo pipefail

packages=(
  # toolchains: g++ 12 for release/TSan, clang 14 for ASan+UBSan, libFuzzer and clang-tidy
  g++ clang clang-format clang-tidy lld libclang-rt-14-dev cmake ninja-build git
  # libraries
  libhwloc-dev hwloc libtbb-dev
  # real peers and baselines (interop tests, benchmarks)
  libzmq3-dev cppzmq-dev python3-zmq
  # test and benchmark frameworks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # Python bindings and their tests, report plots
  pybind11-dev python3-dev python3-pytest python3-numpy python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "setup: these packages are missing and this user cannot install them: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
