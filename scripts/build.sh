#!/usr/bin/env bash
# Configures and builds wsus-airgap into build/ (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
# With ccache (scripts/deps.sh --tests installs it), a clean clone reuses the objects of earlier builds:
# paths are hashed relative to the clone and not by the build folder, so any clone's objects serve.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSUS_AIRGAP_WERROR=ON "${launcher[@]}" "$@" >/dev/null
cmake --build build --parallel "$(nproc)"
