#!/usr/bin/env bash
# Installs the Debian 12 packages wsus-airgap needs to build (and with --tests, to test); does nothing
# when all are there.
set -euo pipefail

# What building (and so the demo) needs.
packages=(
  build-essential cmake ninja-build pkg-config
  libboost-filesystem-dev zlib1g-dev libarchive-dev libssl-dev libsqlite3-dev libexpat1-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev catch2
)
# What only the tests need (`scripts/deps.sh --tests`, as scripts/test.sh runs it): the demo need not
# wait minutes for a browser and a cross compiler.
if [ "${1:-}" = "--tests" ]; then
  packages+=(
    gcab rsync            # tests: a second CAB reader; benches: the rsync peer
    strace time           # benches: bytes read from the volumes, peak memory (bench/roundtrip.sh)
    chromium              # tests: the HTML report rendered headless
    clang-format          # the format check run with the tests
    g++-mingw-w64-x86-64  # scripts/windows-check.sh: every product source compiles for Windows
    ccache                # scripts/windows-build.sh: a clean clone's Windows build reuses earlier objects
    clang-19 libclang-rt-19-dev  # scripts/fuzz.sh: libFuzzer (clang 14's concepts are too old for std::expected)
  )
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "wsus-airgap: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The PowerShell tests (tests/pwsh-host, tests/wsus-api, tests/pester: every shipped script run on
# PowerShell's own host against a stand-in WSUS API) need the .NET 10 SDK, which Debian 12 does not
# package: install Microsoft's "dotnet-sdk-10.0" package (from Microsoft's Debian repository) or use
# a machine that has it. Its build restores Microsoft.PowerShell.SDK 7.6.9 and Pester 5.7.1 from NuGet.
# Without it those tests report SKIPPED with this reason; everything else runs.
if ! command -v dotnet >/dev/null; then
  echo "wsus-airgap: dotnet (the .NET 10 SDK) is not installed: the PowerShell tests will report SKIPPED" \
       "(install Microsoft's dotnet-sdk-10.0 package to run them)"
fi
