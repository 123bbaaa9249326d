#!/usr/bin/env bash
# Times export, verify and import of generated WsusContent trees against cp -a (then sync),
# rsync -a --fsync and sha256sum over the same trees, in one run, back to back, and prints each ratio
# (lower is better for wsus-airgap), the bytes the import read as a multiple of the volumes' size, the
# import's stat calls per content file (strace -c -f, untimed) and its peak memory (/usr/bin/time -v).
#   bench/roundtrip.sh [files] [max-file-size] [small-files] [small-max-size] [build-dir]
#   defaults: 5000 files up to 16M (about 1.9 GiB; 14M gives 1.4 GiB), then 10000 and 100000 files up
#   to 8K (about 50 and 500 MiB), and the import's memory per content file between those two;
#   small-files 0 skips the small trees; a small-files of 10000 or fewer runs that one small tree only.
# Build first (scripts/build.sh). Uses a work folder under the build folder (removed at the end).
# Needs rsync, strace and /usr/bin/time (scripts/deps.sh --tests). Page cache warm for every command alike:
# each timed command starts after a `sync`, so none pays for the write-back of the one before.
#   BENCH_ROUNDS   rounds of `cp -a; sync` and import, taken in turn, on trees of up to 10,000 files
#                  (default 3; 1 on larger trees): each prints its median and every round, and the
#                  ratio is of the medians. On this machine type one `cp -a; sync` of the same tree
#                  took 3.5 s in one minute and 8.0 s in the next (the virtual disk's write-back), so
#                  one pair says more about the disk than about the import; rounds in turn give both
#                  the same disk.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-5000}
max_size=${2:-16M}
small_files=${3:-100000}
small_max=${4:-8K}
build=$(cd "${5:-build}" && pwd)
tool=$build/cli/wsus-airgap
sim=$build/tests/sim/wsusutil-sim
work=$build/bench-work
[ -x "$tool" ] && [ -x "$sim" ] || { echo "bench: build first (scripts/build.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (scripts/deps.sh --tests)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

seconds() {
  local start end
  sync
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk "BEGIN{printf \"%.2f\", $end - $start}"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.01)}"; }
mib() { awk "BEGIN{printf \"%.0f\", $1 / 1048576}"; }

# The import's own counters, read by the bench at its last step (the test hook runs this with the
# import as its parent): rchar is every byte the process got from read()/pread(), whatever the cache.
cat >"$work/io-hook.sh" <<EOF
#!/bin/sh
[ "\$1" = writing-receipt ] || exit 0
cat /proc/\$PPID/io > "$work/import-io.txt"
grep VmHWM /proc/\$PPID/status > "$work/import-hwm.txt"
EOF
chmod +x "$work/io-hook.sh"

# One tree: generate, then each command back to back.
run_tree() {
  local label=$1 count=$2 size=$3 tree=$work/$1
  mkdir -p "$tree"
  "$sim" generate --catalog "$tree/catalog.json" --content "$tree/src" --seed 42 \
    --updates $((count * 2 / 3 > 0 ? count * 2 / 3 : 1)) --files "$count" --max-size "$size" >/dev/null
  local n bytes
  n=$(find "$tree/src" -type f | wc -l)
  bytes=$(du -sb --apparent-size "$tree/src" | cut -f1)
  echo "== tree '$label': $n files, $(mib "$bytes") MiB, $(nproc) cores"
  "$tool" keygen --out "$tree/key" >/dev/null
  export WSUSUTIL_SIM_CATALOG="$tree/catalog.json" WSUSUTIL_SIM_STATE="$tree/sim-state.json"

  local t_cp t_cp_sync t_rsync t_sha t_export t_verify t_import
  t_cp=$(seconds cp -a "$tree/src" "$tree/cp-copy")
  rm -rf "$tree/cp-copy"
  t_rsync=$(seconds rsync -a --fsync "$tree/src/" "$tree/rsync-copy/")
  rm -rf "$tree/rsync-copy"
  t_sha=$(seconds sh -c "find '$tree/src' -type f -print0 | xargs -0 sha256sum")
  t_export=$(seconds "$tool" export --content "$tree/src" --media "$tree/media" --key "$tree/key.key" \
    --state "$tree/export.sqlite" --wsusutil "$sim")
  t_verify=$(seconds "$tool" verify --media "$tree/media" --trust "$tree/key.pub")
  # Rounds in turn, each into a new folder after the last one's removal (both commands alike); the
  # last import's folder stays for the comparison, and its counters and memory are the ones printed.
  local rounds=${BENCH_ROUNDS:-3} round cp_runs=() import_runs=()
  [ "$n" -gt 10000 ] && rounds=1
  for ((round = 1; round <= rounds; round++)); do
    cp_runs+=("$(seconds sh -c "cp -a '$tree/src' '$tree/cp-copy' && sync")")
    rm -rf "$tree/cp-copy" "$tree/dst" "$tree/import.sqlite" "$tree/wsus-airgap-verified" "$tree/sim-state.json"
    mkdir -p "$tree/dst"
    rm -f "$work/import-io.txt"
    import_runs+=("$(WSUS_AIRGAP_TEST_HOOK="$work/io-hook.sh" seconds /usr/bin/time -v -o "$tree/import-time.txt" \
      "$tool" import --media "$tree/media" --content "$tree/dst" --trust "$tree/key.pub" \
      --state "$tree/import.sqlite" --wsusutil "$sim")")
    if [ "$round" -lt "$rounds" ]; then rm -rf "$tree/dst"; fi
  done
  t_cp_sync=$(median "${cp_runs[@]}")
  t_import=$(median "${import_runs[@]}")
  local identical="DIFFERENT"
  diff -r "$tree/src" "$tree/dst" >/dev/null && identical="byte-identical"

  # The bytes read from the volumes themselves, counted by strace on a second import into an empty
  # folder (untimed): every read()/pread() on a volume's file descriptor, summed.
  local volume_bytes volume_read=0 rchar read_bytes rss_kib own_kib
  volume_bytes=$(cat "$tree"/media/wsus-airgap-000001/content.tar.* | wc -c)
  if command -v strace >/dev/null; then
    rm -rf "$tree/dst" "$tree/import.sqlite" "$tree/wsus-airgap-verified" "$tree/sim-state.json"
    mkdir -p "$tree/dst"
    local traced=()
    for volume in "$tree"/media/wsus-airgap-000001/content.tar.*; do traced+=(-P "$volume"); done
    strace -f -qq -e trace=read,pread64 -e signal=none "${traced[@]}" -o "$tree/strace.txt" \
      "$tool" import --media "$tree/media" --content "$tree/dst" --trust "$tree/key.pub" \
      --state "$tree/import.sqlite" --wsusutil "$sim" >/dev/null
    volume_read=$(sed -n 's/.*) *= *\([0-9][0-9]*\)$/\1/p' "$tree/strace.txt" | awk '{s += $1} END {printf "%.0f", s}')
  fi
  # The stat-family calls of a third import into an empty folder (strace -c -f, untimed): placement's
  # one look at each file it placed, then listings (gap check, receipt) that stat no placed file.
  local stats=0
  if command -v strace >/dev/null; then
    rm -rf "$tree/dst" "$tree/import.sqlite" "$tree/wsus-airgap-verified" "$tree/sim-state.json"
    mkdir -p "$tree/dst"
    strace -c -f -o "$tree/strace-stat.txt" \
      "$tool" import --media "$tree/media" --content "$tree/dst" --trust "$tree/key.pub" \
      --state "$tree/import.sqlite" --wsusutil "$sim" >/dev/null
    stats=$(awk '$NF ~ /^(newfstatat|fstatat64|statx|stat|lstat|fstat|stat64|lstat64)$/ {n += $4} END {print n + 0}' \
      "$tree/strace-stat.txt")
  fi
  # A run that never reached its last step (it failed: see its exit above) leaves no counters: 0.
  rchar=$(sed -n 's/^rchar: //p' "$work/import-io.txt" 2>/dev/null || true)
  read_bytes=$(sed -n 's/^read_bytes: //p' "$work/import-io.txt" 2>/dev/null || true)
  rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tree/import-time.txt")
  own_kib=$(awk '{print $2}' "$work/import-hwm.txt" 2>/dev/null || true)
  rchar=${rchar:-0} read_bytes=${read_bytes:-0} own_kib=${own_kib:-0}

  printf '%-34s %8s s\n' "cp -a" "$t_cp"
  printf '%-34s %8s s   (median of %s: %s)\n' "cp -a; sync" "$t_cp_sync" "$rounds" "${cp_runs[*]}"
  printf '%-34s %8s s\n' "rsync -a --fsync" "$t_rsync" "sha256sum (all files)" "$t_sha"
  printf '%-34s %8s s   %5sx cp -a, %5sx sha256sum\n' "wsus-airgap export (hash + write)" "$t_export" \
    "$(ratio "$t_export" "$t_cp")" "$(ratio "$t_export" "$t_sha")"
  printf '%-34s %8s s   %5sx sha256sum\n' "wsus-airgap verify" "$t_verify" "$(ratio "$t_verify" "$t_sha")"
  printf '%-34s %8s s   %5sx (cp -a; sync), %5sx rsync -a --fsync  (%s; median of %s: %s)\n' \
    "wsus-airgap import" "$t_import" "$(ratio "$t_import" "$t_cp_sync")" "$(ratio "$t_import" "$t_rsync")" \
    "$identical" "$rounds" "${import_runs[*]}"
  printf '%-34s %8s MiB read from %s MiB of volumes: %sx their size (strace, reads on the volumes)\n' \
    "import volume bytes read" "$(mib "$volume_read")" "$(mib "$volume_bytes")" \
    "$(ratio "$volume_read" "$volume_bytes")"
  printf '%-34s %8s MiB read in all (/proc rchar, %sx the volumes), %s MiB from storage (read_bytes)\n' \
    "import bytes read, all files" "$(mib "$rchar")" "$(ratio "$rchar" "$volume_bytes")" "$(mib "$read_bytes")"
  printf '%-34s %8s     (%s per content file, import into an empty folder; strace -c -f)\n' \
    "import stat calls" "$stats" "$(awk "BEGIN{printf \"%.2f\", $stats / ($n > 0 ? $n : 1)}")"
  printf '%-34s %8s MiB peak RSS of the import process (VmHWM); %s MiB of it or wsusutil, the larger (time -v)\n' \
    "import memory" "$(awk "BEGIN{printf \"%.0f\", $own_kib / 1024}")" "$(awk "BEGIN{printf \"%.0f\", $rss_kib / 1024}")"
  echo "$n $own_kib" >"$work/memory-$label.txt"
  rm -rf "$tree"
}

run_tree large "$files" "$max_size"
if [ "$small_files" -gt 10000 ]; then
  run_tree small-10k 10000 "$small_max"
  run_tree small "$small_files" "$small_max"
  read -r n1 kib1 <"$work/memory-small-10k.txt"
  read -r n2 kib2 <"$work/memory-small.txt"
  echo "== import memory per content file, from $n1 to $n2 files: $(awk "BEGIN{printf \"%.2f\", ($kib2 - $kib1) * 1024 / ($n2 - $n1)}") bytes a file above a fixed $(awk "BEGIN{printf \"%.0f\", ($kib1 - ($kib2 - $kib1) * $n1 / ($n2 - $n1)) / 1024}") MiB"
elif [ "$small_files" -gt 0 ]; then
  run_tree small "$small_files" "$small_max"
fi
exit 0
