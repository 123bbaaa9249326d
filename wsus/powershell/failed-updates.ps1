# wsus-airgap: failed-updates.ps1
# READ-ONLY: reads the local WSUS server through its administration API and calls no member that
# changes it (a test checks this); it never opens SUSDB.
#
# Prints, as one JSON array on standard output, every update whose State is Failed (one or more of its
# files could not be retrieved), with the files of the update and of its bundled items:
#   [{"update_id","revision","title","kb","classification","files":[{"name","sha1","sha256","size","uri"}]}]
# sha1 is upper-case hex, sha256 lower-case hex or null (servers before WSUS 3.0 SP2 lack it), kb is the
# first Knowledge Base number or null. The JSON is written by this script, not ConvertTo-Json, so that it
# is the same under Windows PowerShell 5.1 and PowerShell 7 (5.1 unwraps one-element arrays, cuts
# depth at 2 and serialises arrays as {value, Count} when System.Array type data is loaded), and every
# character above 0x7E is escaped as \uXXXX, so the output is ASCII whatever the console code page.
# Nothing is printed unless the whole list was read.
#
# Run by wsus-airgap as: powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File <this>
# Exit codes: 0 listed; 10 the administration API (the WSUS console) is not installed; 11 the caller is
# not a WSUS administrator (or the prompt is not elevated); 12 the WSUS server could not be contacted;
# 13 the API failed while reading. The reason is one line on standard error.

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Stop-Query([int]$Code, [string]$Message) {
  [Console]::Error.WriteLine('failed-updates.ps1: ' + $Message)
  exit $Code
}

# The innermost exception (PowerShell wraps what a method throws in MethodInvocationException).
function Get-Cause($ErrorRecord) {
  $cause = $ErrorRecord.Exception
  while ($null -ne $cause.InnerException) { $cause = $cause.InnerException }
  return $cause
}

function ConvertTo-JsonText($Value) {
  if ($null -eq $Value) { return 'null' }
  $text = [string]$Value
  if ($text -cmatch '^[\x20\x21\x23-\x5B\x5D-\x7E]*$') { return '"' + $text + '"' }
  $builder = New-Object System.Text.StringBuilder
  [void]$builder.Append('"')
  foreach ($character in $text.ToCharArray()) {
    $code = [int]$character
    if ($code -eq 0x22) { [void]$builder.Append('\"') }
    elseif ($code -eq 0x5C) { [void]$builder.Append('\\') }
    elseif ($code -lt 0x20 -or $code -gt 0x7E) { [void]$builder.Append('\u' + $code.ToString('x4')) }
    else { [void]$builder.Append($character) }
  }
  [void]$builder.Append('"')
  return $builder.ToString()
}

function ConvertTo-Hex($Bytes) {
  if ($null -eq $Bytes -or $Bytes.Length -eq 0) { return $null }
  return [BitConverter]::ToString($Bytes).Replace('-', '')
}

# Files of an installable item and of the items bundled in it, each SHA-1 once per update.
function Add-ItemFiles($Item, $Files, $Seen, [int]$Depth) {
  if ($Depth -gt 8) { throw 'installable items are nested deeper than 8 levels' }
  foreach ($file in $Item.Files) {
    $sha1 = ConvertTo-Hex $file.Hash
    if ($null -eq $sha1 -or -not $Seen.Add($sha1)) { continue }
    $sha256 = $null
    if ($file.PSObject.Properties['AdditionalHash']) {
      $sha256 = ConvertTo-Hex $file.AdditionalHash
      if ($null -ne $sha256) { $sha256 = $sha256.ToLowerInvariant() }
    }
    $uri = $null
    if ($null -ne $file.FileUri) { $uri = $file.FileUri.ToString() }
    [void]$Files.Add('{"name":' + (ConvertTo-JsonText $file.Name) + ',"sha1":' + (ConvertTo-JsonText $sha1) +
      ',"sha256":' + (ConvertTo-JsonText $sha256) + ',"size":' + ([int64]$file.TotalBytes).ToString() +
      ',"uri":' + (ConvertTo-JsonText $uri) + '}')
  }
  foreach ($child in $Item.GetInstallableItems()) { Add-ItemFiles $child $Files $Seen ($Depth + 1) }
}

$assembly = [Reflection.Assembly]::LoadWithPartialName('Microsoft.UpdateServices.Administration')
if ($null -eq $assembly) {
  Stop-Query 10 ('the WSUS administration API (Microsoft.UpdateServices.Administration) is not installed ' +
    'on this computer')
}

try {
  $server = [Microsoft.UpdateServices.Administration.AdminProxy]::GetUpdateServer()
} catch {
  $cause = Get-Cause $_
  if ($cause -is [System.Security.SecurityException] -or $cause -is [System.UnauthorizedAccessException]) {
    Stop-Query 11 ('access denied by the WSUS server: ' + $cause.Message)
  }
  Stop-Query 12 ('cannot contact the WSUS server: ' + $cause.Message)
}

$updates = New-Object System.Collections.ArrayList
try {
  foreach ($update in $server.GetUpdates()) {
    if ($update.State.ToString() -ne 'Failed') { continue }
    $files = New-Object System.Collections.ArrayList
    $seen = New-Object 'System.Collections.Generic.HashSet[string]'
    foreach ($item in $update.GetInstallableItems()) { Add-ItemFiles $item $files $seen 0 }
    $kb = $null
    if ($update.KnowledgebaseArticles.Count -gt 0) { $kb = [string]$update.KnowledgebaseArticles[0] }
    [void]$updates.Add('{"update_id":' + (ConvertTo-JsonText $update.Id.UpdateId.ToString()) +
      ',"revision":' + ([int64]$update.Id.RevisionNumber).ToString() +
      ',"title":' + (ConvertTo-JsonText $update.Title) + ',"kb":' + (ConvertTo-JsonText $kb) +
      ',"classification":' + (ConvertTo-JsonText $update.UpdateClassificationTitle) +
      ',"files":[' + ($files -join ',') + ']}')
  }
} catch {
  $cause = Get-Cause $_
  Stop-Query 13 ('the WSUS API failed while listing updates: ' + $cause.GetType().FullName + ': ' + $cause.Message)
}

[Console]::Out.Write('[' + ($updates -join ',') + ']' + [Environment]::NewLine)
[Console]::Out.Flush()
exit 0
