#!/usr/bin/env bash
# Installs what is missing, builds, checks the formatting and the Windows build, and runs the whole test suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --tests
scripts/build.sh
cmake --build build --target format-check
scripts/windows-check.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
