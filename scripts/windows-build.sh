#!/usr/bin/env bash
# Cross-builds wsus-airgap for 64-bit Windows with MinGW-w64 into build-windows/: wsus-airgap.exe, every
# test executable and the wsusutil simulator, from the same CMakeLists.txt as the Linux build, and writes
# dist/wsus-airgap-<version>-windows-x64.zip.
#
# The libraries are static Windows builds made from Debian's own source packages (`apt-get source`), at
# the versions the Linux build uses: OpenSSL (libcrypto), libarchive, SQLite, expat, Boost.Filesystem,
# fmt; zlib is Debian's libz-mingw-w64-dev; CLI11, nlohmann-json and Catch2 are Debian's headers. They
# are built once and kept in $WSUS_AIRGAP_WINDOWS_DEPS_CACHE (default ~/.cache/wsus-airgap/windows-deps)
# under a folder named by a hash of their source versions, so later runs and clean clones reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
triple=x86_64-w64-mingw32
jobs=$(nproc)
recipe=1  # bump when a library's build options change: the cache key changes with it

# ---- packages: the Linux ones (scripts/deps.sh), the cross toolchain, Wine, and what apt-get source needs
scripts/deps.sh
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
packages=(g++-mingw-w64-x86-64-posix libz-mingw-w64-dev wine64 dpkg-dev xz-utils tcl zip)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# apt-get source needs deb-src entries: add them beside the Debian deb entries (once).
need_update=0
for sources in /etc/apt/sources.list.d/*.sources; do
  [ -f "$sources" ] || continue
  if grep -q 'debian' "$sources" && grep -qx 'Types: deb' "$sources"; then
    "${sudo_cmd[@]}" sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
    need_update=1
  fi
done
if [ -f /etc/apt/sources.list ] && grep -q '^deb .*debian' /etc/apt/sources.list &&
   ! grep -q '^deb-src ' /etc/apt/sources.list; then
  sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list | "${sudo_cmd[@]}" tee -a /etc/apt/sources.list >/dev/null
  need_update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ "$need_update" -eq 1 ] || ! apt-cache showsrc zlib 2>/dev/null | grep -q '^Package:'; then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  [ ${#missing[@]} -gt 0 ] && "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- which source versions: those of the Debian packages the Linux build links
declare -A linux_package=(
  [openssl]=libssl-dev [libarchive]=libarchive-dev [sqlite3]=libsqlite3-dev [expat]=libexpat1-dev
  [boost1.74]=libboost-filesystem1.74-dev [fmtlib]=libfmt-dev)
sources=(openssl libarchive sqlite3 expat boost1.74 fmtlib)
wanted=""
for source in "${sources[@]}"; do
  wanted+="$source=$(dpkg-query -W -f='${source:Version}' "${linux_package[$source]}") "
done
wanted+="zlib-mingw=$(dpkg-query -W -f='${Version}' libz-mingw-w64-dev) "
wanted+="headers=$(dpkg-query -W -f='${Version} ' libcli11-dev nlohmann-json3-dev catch2)"
wanted+="gcc=$($triple-g++-posix -dumpfullversion) recipe=$recipe"

cache_root=${WSUS_AIRGAP_WINDOWS_DEPS_CACHE:-$HOME/.cache/wsus-airgap/windows-deps}
mkdir -p "$cache_root"
resolution="$cache_root/resolved-$(echo "$wanted" | sha256sum | cut -c1-16)"

# The archive does not always serve the source of the exact binary installed (a security update
# replaced it): then the newest source it serves is used, and the build says so.
download_sources() {
  local into=$1 source version installed
  used=""
  for source in "${sources[@]}"; do
    installed=$(echo "$wanted" | tr ' ' '\n' | sed -n "s/^$source=//p")
    local tried=0
    for version in "$installed" $(apt-cache showsrc "$source" | sed -n 's/^Version: //p' | sort -rV | grep -vx "$installed"); do
      tried=$((tried + 1))
      if (cd "$into" && apt-get source -qq --download-only "$source=$version" >/dev/null 2>&1); then
        [ "$version" != "$installed" ] &&
          echo "windows-build: $source: the archive serves no source for $installed (the Linux build's); using $version"
        used+="$source=$version "
        continue 2
      fi
    done
    echo "windows-build: error: $source: no source package could be downloaded (tried $tried versions)" >&2
    echo "  hint: check the deb-src entries in /etc/apt/sources.list.d and run apt-get update" >&2
    exit 1
  done
}

# Runs a build step with its output in a log file; shows the end of the log when the step fails.
quiet() {
  local log="$work/$1.log"
  shift
  "$@" >>"$log" 2>&1 || { echo "windows-build: error: $* failed; the end of $log:" >&2; tail -40 "$log" >&2; exit 1; }
}

# Each library is one step, stamped when done, so a failed or interrupted build resumes with the
# library that failed instead of starting again (OpenSSL alone takes minutes).
step() {
  local name=$1
  [ -f "$prefix/.done-$name" ] && return 0
  echo "windows-build: $name"
  (
    cd "$work"
    "build_$name"
  )
  touch "$prefix/.done-$name"
}

build_zlib() {
  cp /usr/$triple/include/zlib.h /usr/$triple/include/zconf.h "$prefix/include/"
  cp /usr/$triple/lib/libz.a "$prefix/lib/"
  cp /usr/share/doc/libz-mingw-w64-dev/copyright "$prefix/licenses/zlib.txt"
}

# wsus-airgap needs SHA-256, SHA-1, Ed25519 and PEM keys from libcrypto: algorithms and protocols it
# never uses are left out to keep the build short.
openssl_unused="no-camellia no-seed no-idea no-mdc2 no-rc2 no-rc4 no-rc5 no-whirlpool no-cast no-bf no-aria
  no-sm2 no-sm3 no-sm4 no-cms no-ts no-ocsp no-srp no-ct no-comp no-ssl3 no-dtls no-siphash no-gost"
build_openssl() {
  rm -rf openssl && dpkg-source -q -x openssl_*.dsc openssl >/dev/null 2>&1
  (cd openssl && quiet openssl ./Configure mingw64 no-shared no-tests no-module no-engine no-dso $openssl_unused \
     --cross-compile-prefix=$triple- --prefix="$prefix" --libdir=lib &&
   quiet openssl make -j"$jobs" build_generated && quiet openssl make -j"$jobs" libcrypto.a)
  mkdir -p "$prefix/include/openssl"
  cp openssl/include/openssl/*.h "$prefix/include/openssl/"
  cp openssl/libcrypto.a "$prefix/lib/"
  cp openssl/LICENSE.txt "$prefix/licenses/openssl.txt"
}

build_libarchive() {
  rm -rf libarchive libarchive-build && dpkg-source -q -x libarchive_*.dsc libarchive >/dev/null 2>&1
  # Cross-compiling, libarchive's configure cannot run its zlib probe (CMake crashes on it): zlib is
  # Debian's static build without ZLIB_WINAPI, so the answer is given.
  quiet libarchive cmake -S libarchive -B libarchive-build "${cmake_cross[@]}" \
    -DZLIB_LIBRARY="$prefix/lib/libz.a" -DZLIB_INCLUDE_DIR="$prefix/include" -DZLIB_WINAPI=OFF \
    -DZLIB_WINAPI_WITH_LIB="$prefix/lib/libz.a" -DPOSIX_REGEX_LIB=NONE -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF \
    -DENABLE_NETTLE=OFF -DENABLE_LIBB2=OFF -DENABLE_LZ4=OFF -DENABLE_LZMA=OFF -DENABLE_ZSTD=OFF \
    -DENABLE_BZip2=OFF -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF -DENABLE_PCREPOSIX=OFF -DENABLE_LIBGCC=OFF \
    -DENABLE_ICONV=OFF -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_TEST=OFF \
    -DENABLE_ACL=OFF -DENABLE_XATTR=OFF -DENABLE_INSTALL=OFF -DENABLE_WERROR=OFF
  quiet libarchive cmake --build libarchive-build --target archive_static --parallel "$jobs"
  cp libarchive/libarchive/archive.h libarchive/libarchive/archive_entry.h "$prefix/include/"
  cp libarchive-build/libarchive/libarchive_static.a "$prefix/lib/libarchive.a"
  cp libarchive/COPYING "$prefix/licenses/libarchive.txt"
}

build_sqlite() {
  rm -rf sqlite3 sqlite3-build && dpkg-source -q -x sqlite3_*.dsc sqlite3 >/dev/null 2>&1
  # Debian ships SQLite's full source tree: its configure makes the one-file amalgamation (with tclsh and
  # Linux build tools; the amalgamation is the same for every platform), compiled here for Windows.
  # Ledgers may sit below folders deeper than MAX_PATH: the default VFS takes full-length paths.
  mkdir sqlite3-build
  (cd sqlite3-build &&
   quiet sqlite ../sqlite3/configure --disable-tcl --disable-shared &&
   quiet sqlite make sqlite3.c &&
   quiet sqlite $triple-gcc-posix -O2 -c sqlite3.c -o sqlite3.o -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
     -DSQLITE_WIN32_MAX_PATH_CHARS=32767 &&
   quiet sqlite $triple-ar rcs libsqlite3.a sqlite3.o)
  cp sqlite3-build/sqlite3.h "$prefix/include/"
  cp sqlite3-build/libsqlite3.a "$prefix/lib/"
  cp sqlite3/debian/copyright "$prefix/licenses/sqlite.txt"
}

build_expat() {
  rm -rf expat expat-build && dpkg-source -q -x expat_*.dsc expat >/dev/null 2>&1
  local source=expat
  [ -f expat/expat/CMakeLists.txt ] && source=expat/expat
  quiet expat cmake -S "$source" -B expat-build "${cmake_cross[@]}" -DEXPAT_SHARED_LIBS=OFF -DEXPAT_BUILD_TOOLS=OFF \
    -DEXPAT_BUILD_EXAMPLES=OFF -DEXPAT_BUILD_TESTS=OFF -DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_PKGCONFIG=OFF
  # Debian's patches test "#if XML_DTD == 1" (its own build is autotools, which writes "1"); CMake's
  # configuration header defines the features empty.
  sed -i 's/^#define \(XML_[A-Z_]*\)$/#define \1 1/' expat-build/expat_config.h
  quiet expat cmake --build expat-build --parallel "$jobs"
  quiet expat cmake --install expat-build
  cp "$source/COPYING" "$prefix/licenses/expat.txt"
}

build_fmt() {
  rm -rf fmtlib fmtlib-build && dpkg-source -q -x fmtlib_*.dsc fmtlib >/dev/null 2>&1
  quiet fmt cmake -S fmtlib -B fmtlib-build "${cmake_cross[@]}" -DFMT_TEST=OFF -DFMT_DOC=OFF -DFMT_INSTALL=ON
  quiet fmt cmake --build fmtlib-build --parallel "$jobs"
  quiet fmt cmake --install fmtlib-build
  cp fmtlib/LICENSE.rst "$prefix/licenses/fmt.txt"
}

build_boost() {
  # The whole Boost tree is large: only the libraries' headers (Debian's source is in Boost's modular
  # layout, libs/<name>/include/boost) and libs/filesystem/src are taken from the orig tarball, with the
  # Debian patches that apply to those.
  rm -rf boost boost-build && mkdir -p boost/headers/boost boost-build
  tar -xJf boost1.74_*.orig.tar.xz -C boost --strip-components=1 --wildcards \
    '*/include/boost/*' '*/libs/filesystem/src/*' '*/LICENSE_1_0.txt'
  tar -xJf boost1.74_*.debian.tar.xz -C boost
  local patch applied=0
  while read -r patch; do
    [[ -z "$patch" || "$patch" == \#* ]] && continue
    if (cd boost && patch -p1 -s -f --dry-run <"debian/patches/$patch" >/dev/null 2>&1); then
      (cd boost && patch -p1 -s -f <"debian/patches/$patch" >/dev/null) && applied=$((applied + 1))
    fi
  done <boost/debian/patches/series
  echo "windows-build:   $applied Debian patch(es) apply to the Boost headers and filesystem sources"
  local include
  while read -r include; do
    cp -R "$include/." boost/headers/boost/
  done < <(find boost/libs -type d -path '*/include/boost' -prune)
  local source
  for source in boost/libs/filesystem/src/*.cpp; do
    quiet boost $triple-g++-posix -std=c++17 -O2 -Iboost/headers -DBOOST_FILESYSTEM_STATIC_LINK=1 \
      -DBOOST_ALL_NO_LIB -DBOOST_FILESYSTEM_SOURCE -D_WIN32_WINNT=0x0A00 -c "$source" \
      -o "boost-build/$(basename "$source" .cpp).o"
  done
  $triple-ar rcs "$prefix/lib/libboost_filesystem.a" boost-build/*.o
  cp -R boost/headers/boost "$prefix/include/"
  cp boost/LICENSE_1_0.txt "$prefix/licenses/boost.txt"
}

# Debian's Catch2 config also imports its prebuilt Linux libCatch2WithMain.a; the tests bring their own
# main (tests/support/catch_main.cpp), so the Windows copy imports the header-only target alone.
catch_without_main() {
  rm -f "$1"/Catch2Targets-*.cmake
  sed -i -e 's/ Catch2::Catch2WithMain)/)/' -e '/^# Create imported target Catch2::Catch2WithMain/,/^)/d' \
    "$1/Catch2Targets.cmake"
}

build_headers() {
  cp -R /usr/include/CLI /usr/include/nlohmann /usr/include/catch2 "$prefix/include/"
  mkdir -p "$prefix/share/cmake" "$prefix/lib/cmake"
  cp -R /usr/share/cmake/CLI11 /usr/share/cmake/nlohmann_json "$prefix/share/cmake/"
  cp -R /usr/lib/cmake/Catch2 "$prefix/lib/cmake/"
  catch_without_main "$prefix/lib/cmake/Catch2"
  cp /usr/share/doc/libcli11-dev/copyright "$prefix/licenses/cli11.txt"
  cp /usr/share/doc/nlohmann-json3-dev/copyright "$prefix/licenses/nlohmann-json.txt"
  cp /usr/share/doc/catch2/copyright "$prefix/licenses/catch2.txt"
}

# The downloaded sources and the half-built prefix stay under the key until everything is built.
if [ -f "$resolution" ] && [ -f "$cache_root/$(cat "$resolution")/.complete" ]; then
  deps="$cache_root/$(cat "$resolution")"
  echo "windows-build: libraries from the cache: $deps"
else
  work=$(mktemp -d "$cache_root/download.XXXXXX")
  download_sources "$work"
  key=$(echo "$used $wanted" | sha256sum | cut -c1-16)
  deps="$cache_root/$key"
  if [ ! -f "$deps/.complete" ]; then
    started=$SECONDS
    echo "windows-build: building the Windows libraries into $deps (once per set of source versions)"
    prefix="$deps.partial"
    mkdir -p "$prefix/include" "$prefix/lib" "$prefix/licenses" "$deps.work"
    mv "$work"/* "$deps.work/" 2>/dev/null || true
    rm -rf "$work"
    work="$deps.work"
    toolchain="$repo/cmake/mingw-w64-x86_64.cmake"
    cmake_cross=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release
                 -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF -DWSUS_AIRGAP_WINDOWS_DEPS="$prefix")
    for library in zlib openssl libarchive sqlite expat fmt boost headers; do step "$library"; done
    printf '%s\n' $used $wanted >"$prefix/versions.txt"
    touch "$prefix/.complete"
    rm -rf "$deps" && mv "$prefix" "$deps"
    rm -rf "$work"
    echo "windows-build: libraries built in $((SECONDS - started)) s"
  else
    rm -rf "$work"
  fi
  echo "$key" >"$resolution"
fi

# ---- wsus-airgap itself, its tests and the simulator, from the one CMakeLists.txt
export WINEPREFIX=${WINEPREFIX:-$repo/build-windows/wine-prefix}
scripts/windows-wine.sh --init
# One wineserver for the build's test discovery (each test .exe lists its tests under Wine when
# linked), with Wine's own services (winedevice.exe) started here, their output to /dev/null: started by
# a listing, they would inherit the pipe CMake reads and keep it open, and the build would wait forever.
# scripts/windows-test.sh keeps the server for its run (WSUS_AIRGAP_WINESERVER_KEEP); otherwise it is
# stopped when the build ends.
/usr/lib/wine/wineserver -p 2>/dev/null || true  # already running: kept
[ -n "${WSUS_AIRGAP_WINESERVER_KEEP:-}" ] || trap '/usr/lib/wine/wineserver -k 2>/dev/null || true' EXIT
scripts/windows-wine.sh cmd.exe /c exit </dev/null >/dev/null 2>&1 || true
# -O2 as in the Linux build: at -O3 GCC 12 reports a false -Wrestrict inside libstdc++'s std::string
# (GCC bug 105329), which -Werror turns into a failed build.
# ccache (its default cache, or CCACHE_DIR) lets a clean clone reuse the objects of an earlier build.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$repo}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# Configured once: later runs with the same libraries and no extra options go straight to the build
# (Ninja re-runs CMake itself when a CMakeLists.txt changes).
if [ $# -gt 0 ] || [ ! -f build-windows/build.ninja ] ||
   ! grep -qx "WSUS_AIRGAP_WINDOWS_DEPS:[A-Z]*=$deps" build-windows/CMakeCache.txt; then
  cmake -S . -B build-windows -G Ninja -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/mingw-w64-x86_64.cmake" "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DWSUS_AIRGAP_WERROR=ON \
    -DWSUS_AIRGAP_WINDOWS_DEPS="$deps" \
    -DWSUS_AIRGAP_WINE="$repo/scripts/windows-wine.sh" "$@" >/dev/null
fi
cmake --build build-windows --parallel "$jobs"
cmake --build build-windows --target windows-zip
