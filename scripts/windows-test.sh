#!/usr/bin/env bash
# Builds the Windows binaries (scripts/windows-build.sh) and runs every Catch2 unit and end-to-end test
# under Debian's wine64: the end-to-end tests start wsus-airgap.exe and wsusutil-sim.exe through
# CreateProcessW, as on a Windows server. The few tests that cannot apply under Wine are skipped by
# name below, each with its reason, and listed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# name (a regular expression over CTest names) and why it cannot run under Wine
skips=(
  "wsus_package_tests: .*gcab"
  "builds its CAB with gcab, a Linux program the Windows test cannot start"
)

scripts/windows-build.sh

export WINEPREFIX=$repo/build-windows/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
scripts/windows-wine.sh --init
wineserver=/usr/lib/wine/wineserver
# One wineserver for the whole run (started here, stopped at the end), so every .exe starts fast.
"$wineserver" -p
trap '"$wineserver" -k 2>/dev/null || true' EXIT

exclude=""
for ((i = 0; i < ${#skips[@]}; i += 2)); do exclude+="${exclude:+|}${skips[i]}"; done

status=0
ctest --test-dir build-windows --output-on-failure --parallel "$(nproc)" --timeout 900 \
  ${exclude:+--exclude-regex "$exclude"} || status=$?

echo "windows-test: skipped under Wine, by name:"
# Compiled for POSIX only (#ifdef in the test source), so not in the Windows executables at all:
printf '  NOT BUILT %s -- %s\n' \
  "incremental_tests: a killed export leaves only a .partial folder, ..." \
  "kills the export with timeout -s KILL, a Linux command (the interrupted run is covered on Linux)" \
  "manifest_tests: the private key file is readable by its owner only" \
  "POSIX mode bits; on Windows: windows_tests: keygen writes the private key with a protected DACL ..."
for ((i = 0; i < ${#skips[@]}; i += 2)); do
  ctest --test-dir build-windows -N -R "${skips[i]}" | sed -n 's/^ *Test *#[0-9]*: /  SKIPPED /p' |
    while read -r line; do echo "$line -- ${skips[i + 1]}"; done
done
exit "$status"
