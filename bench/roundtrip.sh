#!/usr/bin/env bash
# Times export, verify and import of a generated WsusContent tree against cp -a, rsync -a and
# sha256sum over the same tree, in one run, and prints each ratio (lower is better for wsus-airgap).
#   bench/roundtrip.sh [updates] [max-file-size]     defaults: 400 updates, files up to 64M
# Build first (scripts/build.sh). Uses a work folder under build/bench-work (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
updates=${1:-400}
max_size=${2:-64M}
tool=$PWD/build/cli/wsus-airgap
sim=$PWD/build/tests/sim/wsusutil-sim
work=$PWD/build/bench-work
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

"$sim" generate --catalog "$work/catalog.json" --content "$work/src" --seed 42 --updates "$updates" \
  --max-size "$max_size" >/dev/null
files=$(find "$work/src" -type f | wc -l)
bytes=$(du -sb "$work/src" | cut -f1)
echo "tree: $files files, $((bytes / 1048576)) MiB, $(nproc) cores"
"$tool" keygen --out "$work/key" >/dev/null
export WSUSUTIL_SIM_CATALOG="$work/catalog.json" WSUSUTIL_SIM_STATE="$work/sim-state.json"

# Each timed command starts with a cold-ish page cache only if run as root; otherwise warm for all.
drop_caches() { sync; if [ -w /proc/sys/vm/drop_caches ]; then echo 3 >/proc/sys/vm/drop_caches; fi; }
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); awk "BEGIN{printf \"%.2f\", $end - $start}"; }

drop_caches; t_cp=$(seconds cp -a "$work/src" "$work/cp-copy")
drop_caches; t_rsync=$(seconds rsync -a "$work/src/" "$work/rsync-copy/")
drop_caches; t_sha=$(seconds sh -c "find '$work/src' -type f -print0 | xargs -0 sha256sum")
drop_caches; t_export=$(seconds "$tool" export --content "$work/src" --media "$work/media" --key "$work/key.key" \
  --state "$work/export.sqlite" --wsusutil "$sim")
drop_caches; t_verify=$(seconds "$tool" verify --media "$work/media" --trust "$work/key.pub")
mkdir -p "$work/dst"
drop_caches; t_import=$(seconds "$tool" import --media "$work/media" --content "$work/dst" --trust "$work/key.pub" \
  --state "$work/import.sqlite" --wsusutil "$sim")
drop_caches; t_rescan=$(seconds "$tool" export --content "$work/src" --media "$work/media2" --key "$work/key.key" \
  --state "$work/export.sqlite" --wsusutil "$sim" --dry-run)
drop_caches; t_rsync_noop=$(seconds rsync -a "$work/src/" "$work/rsync-copy/")
diff -r "$work/src" "$work/dst" >/dev/null && echo "import result: byte-identical"

ratio() { awk "BEGIN{printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.01)}"; }
printf '%-34s %8s s\n' "cp -a" "$t_cp" "rsync -a" "$t_rsync" "sha256sum (all files)" "$t_sha"
printf '%-34s %8s s   %5sx cp -a, %5sx sha256sum\n' "wsus-airgap export (hash + write)" "$t_export" \
  "$(ratio "$t_export" "$t_cp")" "$(ratio "$t_export" "$t_sha")"
printf '%-34s %8s s   %5sx sha256sum\n' "wsus-airgap verify" "$t_verify" "$(ratio "$t_verify" "$t_sha")"
printf '%-34s %8s s   %5sx cp -a, %5sx rsync -a\n' "wsus-airgap import (copy + hash)" "$t_import" \
  "$(ratio "$t_import" "$t_cp")" "$(ratio "$t_import" "$t_rsync")"
printf '%-34s %8s s   %5sx rsync -a with nothing to do\n' "wsus-airgap re-scan, unchanged tree" "$t_rescan" \
  "$(ratio "$t_rescan" "$t_rsync_noop")"
