#!/usr/bin/env bash
# The re-scan of an unchanged WsusContent tree against `rsync -a` with nothing to do, and the peak
# memory of export and gaps, in one run (ratios: lower is better for wsus-airgap).
#   bench/rescan.sh [files] [max-file-size] [build-dir] [memory-sizes]
#   defaults: 100000 files up to 8K, build, "10000 100000"
# Timed, on the `files` tree with a filled hash cache and warm page cache, each measured three times
# back to back with its peer (the best of three is printed: the machine may be shared):
#   - `export --dry-run` with --wsusutil: the re-scan alone (a dry run never starts wsusutil);
#   - `export --dry-run --metadata`: the re-scan plus the check of every file the metadata references
#     (remembered: the first export checked the same package against the same store);
#   - the same with a package of other bytes and the same content (recompressed at another gzip level
#     each round, as a fresh wsusutil export would be): the package is parsed and every file checked;
#   - a real `export --metadata` of the unchanged tree (writes a package that carries nothing);
#   - `rsync -a` with nothing to do, the peer of all three.
# Memory, on a tree of each of `memory-sizes` files (/usr/bin/time -v, maximum resident set size): the
# first export with --metadata (hashes every file, writes every volume), the unchanged re-export with
# --metadata, and `gaps`; with the per-file cost between the smallest and the largest size. With strace installed, the
# stat calls per file of the re-scan (`strace -c -f`, untimed).
# Build first (wsus-airgap and wsusutil-sim). Uses a work folder under the build dir (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-100000}
max_size=${2:-8K}
build=$(cd "${3:-build}" && pwd)
memory_sizes=${4:-10000 100000}
tool=$build/cli/wsus-airgap
sim=$build/tests/sim/wsusutil-sim
work=$build/bench-rescan-work
[ -x "$tool" ] && [ -x "$sim" ] || { echo "bench: build wsus-airgap and wsusutil-sim first (scripts/build.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (scripts/deps.sh --tests installs it)" >&2; exit 1; }
command -v rsync >/dev/null || { echo "bench: rsync is missing (scripts/deps.sh --tests installs it)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
"$tool" keygen --out "$work/key" >/dev/null

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); awk "BEGIN{printf \"%.3f\", $end - $start}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.001)}"; }
least() { printf '%s\n' "$@" | sort -g | head -1; }
# Peak resident set size of a command in MiB (its output discarded; any exit code accepted).
peak_mib() {
  /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>&1 || true
  awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "%.1f", $2 / 1024}' "$work/time.txt"
}

# A generated tree of $2 files in $1/src and its metadata package $1/metadata.xml.gz (made by the
# simulator beforehand: rusage counts waited-for children, and the simulator holds its whole catalog),
# exported once, which fills the hash cache. Prints that first export's peak MiB.
make_tree() {
  local dir=$1 count=$2
  mkdir -p "$dir"
  "$sim" generate --catalog "$dir/catalog.json" --content "$dir/src" --seed 42 \
    --updates $((count * 2 / 3)) --files "$count" --max-size "$max_size" >/dev/null
  "$sim" export "$dir/metadata.xml.gz" "$dir/wsusutil.log" --catalog "$dir/catalog.json" >/dev/null
  peak_mib "$tool" export --content "$dir/src" --media "$dir/media" --key "$work/key.key" \
    --state "$dir/export.sqlite" --metadata "$dir/metadata.xml.gz"
}
export_args() {  # $1: tree folder; the common arguments of the measured exports
  echo --content "$1/src" --media "$1/media" --key "$work/key.key" --state "$1/export.sqlite"
}

echo "memory (peak RSS, /usr/bin/time -v):"
declare -A first_mib reexport_mib gaps_mib
for count in $memory_sizes; do
  dir=$work/memory-$count
  first_mib[$count]=$(make_tree "$dir" "$count")
  metadata=$dir/metadata.xml.gz
  # shellcheck disable=SC2046
  reexport_mib[$count]=$(peak_mib "$tool" export $(export_args "$dir") --metadata "$metadata")
  gaps_mib[$count]=$(peak_mib "$tool" gaps --content "$dir/src" --metadata "$metadata")
  printf '  %7s files: export (first) %7s MiB, export (unchanged, --metadata) %7s MiB, gaps %7s MiB\n' \
    "$count" "${first_mib[$count]}" "${reexport_mib[$count]}" "${gaps_mib[$count]}"
  [ "$count" = "$files" ] || rm -rf "$dir"
done
read -r small large <<<"$(printf '%s\n' $memory_sizes | sort -n | sed -n '1p;$p' | tr '\n' ' ')"
if [ "$small" != "$large" ]; then
  per_file() { awk "BEGIN{printf \"%.0f\", ($2 - $1) * 1048576 / ($large - $small)}"; }
  printf '  per file (%s to %s files): export (first) %s B, export (unchanged) %s B, gaps %s B\n' "$small" "$large" \
    "$(per_file "${first_mib[$small]}" "${first_mib[$large]}")" \
    "$(per_file "${reexport_mib[$small]}" "${reexport_mib[$large]}")" \
    "$(per_file "${gaps_mib[$small]}" "${gaps_mib[$large]}")"
fi

dir=$work/memory-$files
[ -d "$dir" ] || make_tree "$dir" "$files" >/dev/null
metadata=$dir/metadata.xml.gz
count=$(find "$dir/src" -type f | wc -l)
echo "re-scan: $count files, $(($(du -sb "$dir/src" | cut -f1) / 1048576)) MiB, $(nproc) cores"
rsync -a "$dir/src/" "$dir/copy/"  # the set-up: the measured rsync runs find nothing to do
export WSUSUTIL_SIM_CATALOG="$dir/catalog.json" WSUSUTIL_SIM_STATE="$dir/sim-state.json"
rsync_runs=() scan_runs=() check_runs=() fresh_runs=() real_runs=()
for round in 1 2 3; do
  gzip -dc "$metadata" | gzip -c "-$((round + 1))" >"$dir/fresh-$round.xml.gz"
  rsync_runs+=("$(seconds rsync -a "$dir/src/" "$dir/copy/")")
  # shellcheck disable=SC2046
  scan_runs+=("$(seconds "$tool" export $(export_args "$dir") --wsusutil "$sim" --dry-run)")
  # shellcheck disable=SC2046
  check_runs+=("$(seconds "$tool" export $(export_args "$dir") --metadata "$metadata" --dry-run)")
  # shellcheck disable=SC2046
  fresh_runs+=("$(seconds "$tool" export $(export_args "$dir") --metadata "$dir/fresh-$round.xml.gz" --dry-run)")
  # shellcheck disable=SC2046
  real_runs+=("$(seconds "$tool" export $(export_args "$dir") --metadata "$metadata")")
done
t_rsync=$(least "${rsync_runs[@]}")
t_scan=$(least "${scan_runs[@]}")
t_check=$(least "${check_runs[@]}")
t_fresh=$(least "${fresh_runs[@]}")
t_real=$(least "${real_runs[@]}")
# shellcheck disable=SC2046
cached=$("$tool" export $(export_args "$dir") --metadata "$metadata" --dry-run --json |
  sed -n 's/.*"files_from_cache": *\([0-9]*\).*/\1/p')
printf '%-46s %7s s   (best of 3: %s)\n' "rsync -a, nothing to do" "$t_rsync" "${rsync_runs[*]}"
printf '%-46s %7s s   %5sx rsync -a (target 1.0x; %s files from cache)\n' \
  "wsus-airgap export --dry-run (re-scan alone)" "$t_scan" "$(ratio "$t_scan" "$t_rsync")" "$cached"
printf '%-46s %7s s   %5sx rsync -a (target 1.5x; the check remembered)\n' \
  "wsus-airgap export --dry-run --metadata" "$t_check" "$(ratio "$t_check" "$t_rsync")"
printf '%-46s %7s s   %5sx rsync -a (a new package: parsed, %s MiB of XML)\n' \
  "  the same, a new package of that content" "$t_fresh" "$(ratio "$t_fresh" "$t_rsync")" \
  "$(($(gzip -dc "$metadata" | wc -c) / 1048576))"
printf '%-46s %7s s   %5sx rsync -a (writes a package that carries nothing)\n' \
  "wsus-airgap export --metadata (real, unchanged)" "$t_real" "$(ratio "$t_real" "$t_rsync")"
if command -v strace >/dev/null; then
  # shellcheck disable=SC2046
  strace -c -f -o "$work/strace.txt" "$tool" export $(export_args "$dir") --metadata "$metadata" --dry-run >/dev/null
  stats=$(awk '$NF ~ /^(newfstatat|fstatat64|statx|stat|lstat|fstat|stat64|lstat64)$/ {n += $4} END {print n + 0}' \
    "$work/strace.txt")
  printf '%-46s %7s     (%s per file, export --dry-run --metadata)\n' "stat calls (strace -c -f)" "$stats" \
    "$(awk "BEGIN{printf \"%.2f\", $stats / $count}")"
fi
