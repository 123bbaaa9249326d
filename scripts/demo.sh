#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole job end to end on an embedded sample:
# a generated WsusContent tree and the simulated wsusutil. Results land in demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh

tool=$PWD/build/cli/wsus-airgap
sim=$PWD/build/tests/sim/wsusutil-sim
out=$PWD/demo-output
rm -rf "$out"
mkdir -p "$out/connected" "$out/offline/WsusContent" "$out/usb" "$out/keys"
cd "$out"

# Runs a command after printing it, with the build paths shortened so the transcript reads like the README.
step() {
  local shown="${*:2}"
  shown=${shown//$tool/wsus-airgap}
  shown=${shown//$sim/wsusutil-sim}
  shown=${shown//$out\//}
  printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$shown"
  "${@:2}"
}

echo "wsus-airgap demo: a connected WSUS server, a USB stick, an offline WSUS server (all simulated)"
step "Connected side: a WsusContent tree and its update catalog (simulated WSUS)" \
  "$sim" generate --catalog "$out/connected/catalog.json" --content "$out/connected/WsusContent" \
  --seed 2026 --updates 40 --max-size 4M
step "Connected side: a signing key" "$tool" keygen --out "$out/keys/export-signer"

export WSUSUTIL_SIM_CATALOG="$out/connected/catalog.json"
step "Connected side: export (runs wsusutil export, hashes content, writes a signed package)" \
  "$tool" export --content "$out/connected/WsusContent" --media "$out/usb" \
  --key "$out/keys/export-signer.key" --state "$out/connected/export-ledger.sqlite" \
  --wsusutil "$sim" --volume-size 8M

export WSUSUTIL_SIM_STATE="$out/offline/wsus-database.json"
step "Offline side: verify the media (signatures, sizes, every hash; writes nothing)" \
  "$tool" verify --media "$out/usb" --trust "$out/keys/export-signer.pub"
step "Offline side: import (content first, then wsusutil import, then a gap check)" \
  "$tool" import --media "$out/usb" --content "$out/offline/WsusContent" \
  --trust "$out/keys/export-signer.pub" --state "$out/offline/import-ledger.sqlite" --wsusutil "$sim"
step "Offline side: the import again is a no-op" \
  "$tool" import --media "$out/usb" --content "$out/offline/WsusContent" \
  --trust "$out/keys/export-signer.pub" --state "$out/offline/import-ledger.sqlite" --wsusutil "$sim"

step "A month later, connected side: WSUS has downloaded new updates" \
  "$sim" generate --catalog "$out/month2/catalog.json" --content "$out/month2/WsusContent" \
  --seed 2027 --updates 6 --max-size 4M
cp -R "$out/month2/WsusContent/." "$out/connected/WsusContent/"
receipt=$(ls "$out"/usb/wsus-airgap-receipt-*-000001.json)
step "Connected side: export against the receipt the offline import left on the stick (only the changes)" \
  "$tool" export --content "$out/connected/WsusContent" --media "$out/usb" \
  --key "$out/keys/export-signer.key" --state "$out/connected/export-ledger.sqlite" \
  --wsusutil "$sim" --volume-size 8M --receipt "$receipt"
step "Offline side: import month 2 (sequence 2 follows 1 in the hash chain)" \
  "$tool" import --media "$out/usb" --content "$out/offline/WsusContent" \
  --trust "$out/keys/export-signer.pub" --state "$out/offline/import-ledger.sqlite" --wsusutil "$sim"

mkdir -p "$out/reports"
step "Report: updates whose files are missing (none), as text and as an HTML page for the auditors" \
  "$tool" gaps --content "$out/offline/WsusContent" --metadata "$out/usb/wsus-airgap-000002/metadata.xml.gz" \
  --state "$out/offline/import-ledger.sqlite" --report "$out/reports/gaps.html"
step "Report: the offline ledger" "$tool" status --state "$out/offline/import-ledger.sqlite"

printf '\n\033[1m== Check: both WsusContent trees are byte-identical\033[0m\n'
diff -r "$out/connected/WsusContent" "$out/offline/WsusContent" && echo "identical"

cat <<DONE

Results are in $out:
  connected/WsusContent      the source content store      connected/export-ledger.sqlite  export ledger
  usb/wsus-airgap-00000{1,2}  the signed transfer packages  keys/export-signer.{key,pub}    signing key pair
  usb/wsus-airgap-receipt-*  the offline side's receipts   reports/gaps.html               the HTML gap report
  offline/WsusContent        the imported content store    offline/import-ledger.sqlite    import ledger
  offline/logs/              wsusutil import logs          offline/wsus-database.json      simulated WSUS database
DONE
