#!/usr/bin/env bash
# Compiles every product source for Windows (MinGW-w64, syntax only, Windows headers) so a POSIX-only
# call or a narrow-path API outside common/platform_posix.cpp fails here rather than on the first MSVC
# build. The C libraries' headers are the Debian ones: they are the same on every platform.
set -euo pipefail
cd "$(dirname "$0")/.."
compiler=x86_64-w64-mingw32-g++-posix
command -v "$compiler" >/dev/null || { echo "windows-check: $compiler missing (scripts/deps.sh installs it)"; exit 1; }

headers=$(mktemp -d)
trap 'rm -rf "$headers"' EXIT
# Only the libraries' own header folders: Linux's libc headers must not be seen.
for entry in boost nlohmann CLI fmt catch2 archive.h archive_entry.h sqlite3.h expat.h expat_external.h zlib.h zconf.h; do
  ln -s "/usr/include/$entry" "$headers/$entry"
done
mkdir "$headers/openssl"
ln -s /usr/include/openssl/* /usr/include/x86_64-linux-gnu/openssl/* "$headers/openssl/" 2>/dev/null || true

# One compiler per core; each failure names its source.
check_one() {
  "$compiler" -std=c++23 -fsyntax-only -Wall -Wextra -I. -Ibuild/generated -isystem "$headers" \
    -DUNICODE -D_UNICODE -DNOMINMAX -DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0A00 \
    -DBOOST_FILESYSTEM_NO_DEPRECATED -DBOOST_ALL_NO_LIB -DFMT_HEADER_ONLY "$1" ||
    { echo "windows-check: $1 does not compile for Windows"; return 1; }
}
export -f check_one
export compiler headers
failed=0
git ls-files 'common/*.cpp' 'wsus/*.cpp' 'manifest/*.cpp' 'state/*.cpp' 'verify/*.cpp' 'export/*.cpp' \
    'import/*.cpp' 'report/*.cpp' 'cli/*.cpp' | grep -v platform_posix |
  xargs -P "$(nproc)" -I{} bash -c 'check_one "$1"' _ {} || failed=1
[ "$failed" -eq 0 ] && echo "windows-check: every product source compiles for Windows (MinGW-w64, syntax only)"
exit "$failed"
