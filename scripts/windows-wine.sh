#!/usr/bin/env bash
# Runs a Windows program under Debian's wine64 with a private, initialised prefix and no debug chatter.
# CTest and Catch2's test discovery use it as the cross-compiling emulator (cmake/mingw-w64-x86_64.cmake).
#   scripts/windows-wine.sh --init        create the prefix (wineboot) if it is not there yet
#   scripts/windows-wine.sh PROGRAM ARGS  run PROGRAM; its exit code is returned
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export WINEPREFIX=${WINEPREFIX:-$here/build-windows/wine-prefix}
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=$(command -v wine64 || true)
[ -n "$wine" ] || { echo "windows-wine: wine64 missing (scripts/windows-build.sh installs it)" >&2; exit 1; }

if [ "${1:-}" = "--init" ]; then
  if [ ! -f "$WINEPREFIX/.initialised" ]; then
    mkdir -p "$WINEPREFIX"
    # wineboot creates the registry and C:\; it can take a minute on a fresh machine.
    timeout 300 "$wine" wineboot --init >/dev/null 2>&1
    timeout 120 "$(dirname "$wine")/wineserver" -w 2>/dev/null || true
    touch "$WINEPREFIX/.initialised"
  fi
  exit 0
fi
# Catch2's test listing is read by CMake line by line: Windows ends its lines with CRLF.
for arg in "$@"; do
  if [ "$arg" = "--list-test-names-only" ] || [ "$arg" = "--list-reporters" ]; then
    "$wine" "$@" | tr -d '\r'
    exit "${PIPESTATUS[0]}"
  fi
done
exec "$wine" "$@"
