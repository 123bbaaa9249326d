#!/usr/bin/env bash
# Times the re-scan of an unchanged WsusContent tree (`export --dry-run` with a filled hash cache)
# against `rsync -a` with nothing to do over the same tree, and prints the ratio (lower is better).
#   bench/rescan.sh [files] [max-file-size] [build-dir]     defaults: 100000 files up to 8K, build
# Build first (wsus-airgap and wsusutil-sim). Uses a work folder under the build dir (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-100000}
max_size=${2:-8K}
build=$(cd "${3:-build}" && pwd)
tool=$build/cli/wsus-airgap
sim=$build/tests/sim/wsusutil-sim
work=$build/bench-rescan-work
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); awk "BEGIN{printf \"%.2f\", $end - $start}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.01)}"; }

t_generate=$(seconds "$sim" generate --catalog "$work/catalog.json" --content "$work/src" --seed 42 \
  --updates $((files * 2 / 3)) --files "$files" --max-size "$max_size")
count=$(find "$work/src" -type f | wc -l)
echo "tree: $count files, $(($(du -sb "$work/src" | cut -f1) / 1048576)) MiB, $(nproc) cores (generated in ${t_generate} s)"
"$tool" keygen --out "$work/key" >/dev/null
export WSUSUTIL_SIM_CATALOG="$work/catalog.json" WSUSUTIL_SIM_STATE="$work/sim-state.json"

# The first export hashes every file and fills the cache; the first rsync copies every file. Both
# are the set-up for the measured runs, which then find nothing to do.
t_export=$(seconds "$tool" export --content "$work/src" --media "$work/media" --key "$work/key.key" \
  --state "$work/export.sqlite" --wsusutil "$sim")
t_rsync=$(seconds rsync -a "$work/src/" "$work/copy/")
# Warm page cache for both measured runs (the first runs above read every inode).
# A dry run never starts wsusutil, so with --wsusutil it is the re-scan alone; with --metadata it also
# checks every file the metadata references (the export's completeness warning), timed separately.
t_rescan=$(seconds "$tool" export --content "$work/src" --media "$work/media2" --key "$work/key.key" \
  --state "$work/export.sqlite" --wsusutil "$sim" --dry-run)
t_rsync_noop=$(seconds rsync -a "$work/src/" "$work/copy/")
t_with_metadata=$(seconds "$tool" export --content "$work/src" --media "$work/media2" --key "$work/key.key" \
  --state "$work/export.sqlite" --metadata "$work/media/wsus-airgap-000001/metadata.xml.gz" --dry-run)
cached=$("$tool" export --content "$work/src" --media "$work/media2" --state "$work/export.sqlite" \
  --metadata "$work/media/wsus-airgap-000001/metadata.xml.gz" --dry-run --json |
  sed -n 's/.*"files_from_cache": *\([0-9]*\).*/\1/p')

printf '%-40s %8s s\n' "wsus-airgap export, first (hash all)" "$t_export" "rsync -a, first (copy all)" "$t_rsync" \
  "rsync -a, nothing to do" "$t_rsync_noop"
printf '%-40s %8s s   %5sx rsync -a with nothing to do (%s files from cache)\n' \
  "wsus-airgap export --dry-run, unchanged" "$t_rescan" "$(ratio "$t_rescan" "$t_rsync_noop")" "$cached"
printf '%-40s %8s s   (re-scan plus the check of every file the metadata references)\n' \
  "wsus-airgap export --dry-run --metadata" "$t_with_metadata"
