#!/usr/bin/env bash
# Peak memory of `wsus-airgap gaps` reading a large metadata package, against the 200 MiB target.
#   bench/gaps_memory.sh [uncompressed-GiB] [build-dir]     defaults: 2 GiB, build
# Writes a synthetic .xml.gz export package (the layout of docs/export-package-notes.md: every update
# carries its upd:Update metadata with ~30 localized properties and applicability rules, like real
# ones) and a WsusContent tree of sparse files of the declared sizes in which 1 file in 100 is missing,
# then runs `gaps` under /usr/bin/time -v. Optional: not part of ctest. Needs ~3 GB free in the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
gib=${1:-2}
build=${2:-build}
tool=$PWD/$build/cli/wsus-airgap
work=${BENCH_WORK:-$PWD/$build/bench-gaps-work}
target_mib=200
[ -x "$tool" ] || { echo "bench: $tool not built; run scripts/build.sh (or give the build folder)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/WsusContent"
trap 'rm -rf "$work"' EXIT
compress=(gzip -1)
command -v pigz >/dev/null && compress=(pigz -1)

echo "generating a ${gib} GiB (uncompressed) export package and its content tree..."
start=$(date +%s)
python3 - "$gib" "$work/WsusContent" "$work/stats.txt" <<'PY' | "${compress[@]}" >"$work/export.xml.gz"
import base64, hashlib, os, sys
target = int(float(sys.argv[1]) * (1 << 30))
content = sys.argv[2]
out = sys.stdout
written = 0
def emit(text):
    global written
    out.write(text)
    written += len(text)

languages = ["ar", "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "he", "hr", "hu", "it", "ja", "ko", "lt",
             "lv", "nb", "nl", "pl", "pt", "pt-br", "ro", "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "zh-cn"]
classes = ["0fa1201d-4330-4fa8-8ae9-b877473b6441", "e6cf1350-c01b-414d-a61f-263d14d133b4",
           "cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83", "e0789628-ce08-4437-be74-2495b842f43b"]
rules = ("<upd:ApplicabilityRules><upd:IsInstalled><bar:And><bar:WindowsVersion Comparison=\"EqualTo\" "
         "MajorVersion=\"10\" MinorVersion=\"0\" BuildNumber=\"26100\"/><cbs:IsInstalled/></bar:And></upd:IsInstalled>"
         "<upd:IsInstallable><bar:And><bar:Processor Architecture=\"9\"/><bar:RegDword Key=\"HKEY_LOCAL_MACHINE\" "
         "Subkey=\"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\" Value=\"UBR\" Comparison=\"LessThan\" "
         "Data=\"2033\"/></bar:And></upd:IsInstallable></upd:ApplicabilityRules>") * 6

def digest(kind, n):
    return hashlib.sha1(f"{kind}-{n}".encode()).digest()

emit('<?xml version="1.0" encoding="utf-8"?>\n<ExportPackage ServerID="5b0c9a9e-3d0e-4c36-9a55-1f0c2a7e4d11" '
     'CreationTime="2026-11-20T08:00:00Z" FormatVersion="1.0" ProtocolVersion="1.20">\n<Updates>\n')
update = 0
files = 0
present = 0
while written < target:
    update += 1
    kb = 5000000 + update
    uid = hashlib.md5(str(update).encode()).hexdigest()
    uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"
    # Two own files per update, and every fourth update shares its predecessor's first file.
    own = [files + 1, files + 2]
    files += 2
    refs = own + ([files - 3] if update % 4 == 0 and update > 1 else [])
    package_files = "".join(f'<File Digest="{base64.b64encode(digest("f", n)).decode()}"/>' for n in refs)
    meta_files = ""
    for n in refs:
        raw = digest("f", n)
        sha1 = raw.hex().upper()
        size = 4096 + (n * 7919) % 50_000_000
        name = f"windows11.0-kb{kb}-x64-part{n}.cab"
        sha256 = base64.b64encode(hashlib.sha256(raw).digest()).decode()
        meta_files += (f'<upd:File Digest="{base64.b64encode(raw).decode()}" DigestAlgorithm="SHA1" FileName="{name}" '
                       f'Size="{size}" Modified="2026-11-20T08:00:00Z" PatchingType="SelfContained">'
                       f'<upd:AdditionalDigest Algorithm="SHA256">{sha256}</upd:AdditionalDigest></upd:File>')
        if n in own and n % 100 != 0:
            folder = os.path.join(content, sha1[38:])
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{sha1}.cab"), "wb") as f:
                f.truncate(size)  # sparse: the declared size, no data blocks
            present += 1
    localized = "".join(
        f"<upd:LocalizedProperties><upd:Language>{lang}</upd:Language><upd:Title>Kumulatives Update {lang} "
        f"für Windows 11 Version 24H2 für x64-basierte Systeme (KB{kb})</upd:Title><upd:Description>Ein "
        f"Sicherheitsproblem wurde festgestellt, durch das ein Angreifer das System gefährden könnte."
        f"</upd:Description></upd:LocalizedProperties>" for lang in languages)
    emit(f'<Update UpdateId="{uid}" RevisionNumber="{100 + update % 7}"><Files>{package_files}</Files>'
         f'<Classifications><Classification Value="{classes[update % 4]}"/></Classifications>'
         f'<upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update" '
         f'xmlns:bar="http://schemas.microsoft.com/msus/2002/12/BaseApplicabilityRules" '
         f'xmlns:cbs="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Cbs">'
         f'<upd:UpdateIdentity UpdateID="{uid}" RevisionNumber="{100 + update % 7}"/>'
         f'<upd:Properties UpdateType="Software"><upd:KBArticleID>{kb}</upd:KBArticleID></upd:Properties>'
         f'<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language>'
         f'<upd:Title>2026-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB{kb}) '
         f'build {update}</upd:Title></upd:LocalizedProperties>{localized}</upd:LocalizedPropertiesCollection>'
         f'{rules}<upd:Files>{meta_files}</upd:Files></upd:Update></Update>\n')
emit("</Updates>\n</ExportPackage>\n")
with open(sys.argv[3], "w") as f:
    f.write(f"{update} {files} {present} {written}\n")
PY
read -r updates files present uncompressed <"$work/stats.txt"
compressed=$(stat -c %s "$work/export.xml.gz")
echo "package: $updates updates, $files distinct files ($((files - present)) missing), $((uncompressed / 1048576)) MiB" \
  "uncompressed, $((compressed / 1048576)) MiB gzip; generated in $(($(date +%s) - start)) s"

set +e
/usr/bin/time -v -o "$work/time.txt" "$tool" gaps --content "$work/WsusContent" --metadata "$work/export.xml.gz" \
  >"$work/gaps.txt" 2>"$work/gaps-err.txt"
rc=$?
set -e
if [ "$rc" -ne 5 ]; then
  echo "bench: gaps exited $rc (expected 5: the planted gaps)" >&2
  cat "$work/gaps-err.txt" >&2
  exit 1
fi
peak_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
peak_mib=$((peak_kib / 1024))
echo "gaps: $(tail -2 "$work/gaps.txt" | head -1)"
echo "gaps: peak RSS ${peak_mib} MiB (target ${target_mib} MiB), wall ${elapsed}"
if [ "$peak_mib" -le "$target_mib" ]; then echo "within target"; else echo "OVER TARGET"; exit 2; fi
