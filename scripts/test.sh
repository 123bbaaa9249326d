#!/usr/bin/env bash
# Installs what is missing, builds, checks the formatting and the Windows build, and runs the whole test suite through CTest.
# With dotnet present the build also makes the PowerShell host and the WSUS API stand-in (once), and
# CTest runs the Pester and gaps --server tests through them; without it they report SKIPPED.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --tests
scripts/build.sh
cmake --build build --target format-check
scripts/windows-check.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
scripts/fuzz.sh 15   # every libFuzzer target for 15 s on its seed corpus (scripts/fuzz.sh alone: 300 s each)
