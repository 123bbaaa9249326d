#!/usr/bin/env bash
# Installs the Debian 12 packages wsus-airgap needs to build and test; does nothing when all are there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost-filesystem-dev zlib1g-dev libarchive-dev libssl-dev libsqlite3-dev libexpat1-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev catch2
  gcab rsync            # tests: a second CAB reader; benches: the rsync peer
  chromium              # tests: the HTML report rendered headless
  clang-format          # the format check run with the tests
  g++-mingw-w64-x86-64  # scripts/windows-check.sh: every product source compiles for Windows
  ccache                # scripts/windows-build.sh: a clean clone's Windows build reuses earlier objects
)

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
