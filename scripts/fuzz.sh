#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz/ and runs each on its seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default: 300 seconds each, every target)
# New inputs that find new coverage go to build-fuzz/corpus/<target>/ (the seeds in fuzz/corpus/ are
# left alone); a crash, leak or timeout stops that target with its input in build-fuzz/findings/.
# Prints one line per target: executions, and the result. Exits 1 when any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(manifest signatures inventory receipt request package_xml_gz package_cab
  volume_tar live_server approvals)
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number" >&2; exit 2 ;; esac

scripts/deps.sh --tests
cxx="$(command -v clang++-19 || true)"
[ -n "$cxx" ] || { echo "fuzz.sh: clang++-19 not found (scripts/deps.sh installs clang-19)" >&2; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DWSUS_AIRGAP_FUZZ=ON -DWSUS_AIRGAP_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build build-fuzz --parallel "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

mkdir -p build-fuzz/findings
failed=0
for target in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$target"
  mkdir -p "$corpus"
  log="build-fuzz/findings/$target.log"
  # -rss_limit_mb: a parser that buffers what it should stream is a finding too.
  if build-fuzz/fuzz/"fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$target-" "$corpus" "fuzz/corpus/$target" \
    >"$log" 2>&1; then
    result="ok"
  else
    result="FOUND SOMETHING: see $log"
    failed=1
  fi
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  printf 'fuzz %-15s %10s executions in %ss: %s\n' "$target" "$runs" "$seconds" "$result"
  if [ "$result" != ok ]; then
    # The log stays on the machine that ran it: say here what was found and the input that found it.
    grep -E '^(SUMMARY|==[0-9]+==ERROR)|^artifact_prefix|Test unit written to' "$log" | sed 's/^/    /' || true
    for artifact in build-fuzz/findings/"$target"-*; do
      [ -f "$artifact" ] || continue
      echo "    input $artifact ($(wc -c <"$artifact") bytes, base64):"
      head -c 4096 "$artifact" | base64 -w 100 | sed 's/^/      /'
    done
  fi
done
exit "$failed"
