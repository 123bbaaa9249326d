# wsus-airgap: read-approvals.ps1
# READ-ONLY: reads the local WSUS server's approvals, declines, computer groups and the settings that
# must match for export/import, through its administration API; it calls no member that changes the
# server (a test checks this) and never opens SUSDB.
#
# Prints one JSON object on standard output:
#   {"wsus_version","settings":{"download_express_packages","all_update_languages_enabled",
#     "enabled_update_languages":[..],"download_update_binaries_as_needed","targeting_mode","is_replica_server"},
#    "groups":[{"id","name","parent_id"}],
#    "updates":[{"update_id","revision","declined","has_license","license_accepted","eula_files":[..],
#      "approvals":[{"group_id","action","optional","deadline_utc"}]}]}
# Every update the server holds is listed (the offline side needs to know which revisions it has).
# Groups are listed by id with their parent's id (null for All Computers), so the reader builds paths;
# the built-in groups are known by their fixed ids, never by their (localised) names. deadline_utc is
# "YYYY-MM-DDTHH:MM:SSZ" or null (DateTime.MaxValue: no deadline). eula_files are the WsusContent paths
# (XX/<SHA1>.txt) of the .txt files of an update that has a licence agreement.
# The JSON is written by this script (not ConvertTo-Json, which differs between 5.1 and 7) and is ASCII:
# every character above 0x7E is escaped as \uXXXX. Nothing is printed unless everything was read.
#
# Run by wsus-airgap as: powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File <this>
# Exit codes: 0 read; 10 the administration API is not installed; 11 the caller is not a WSUS
# administrator; 12 the WSUS server could not be contacted; 13 the API failed while reading. The
# reason is one line on standard error.

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$AllComputers = [Guid]'a0a08746-4dbe-4a37-9adf-9e7652c0b421'

function Stop-Query([int]$Code, [string]$Message) {
  [Console]::Error.WriteLine('read-approvals.ps1: ' + $Message)
  exit $Code
}

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

function ConvertTo-JsonBool([bool]$Value) {
  if ($Value) { return 'true' }
  return 'false'
}

# A deadline as UTC text; DateTime.MaxValue means none. A Local time is converted; Utc and Unspecified
# are taken as UTC (the API stores deadlines in UTC).
function ConvertTo-UtcText([DateTime]$Value) {
  if ($Value -eq [DateTime]::MaxValue) { return $null }
  if ($Value.Kind -eq [DateTimeKind]::Local) { $Value = $Value.ToUniversalTime() }
  return $Value.ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
}

# The WsusContent paths of the .txt files (EULAs) of an update and of its bundled items.
function Add-EulaFiles($Item, $Paths, [int]$Depth) {
  if ($Depth -gt 8) { throw 'installable items are nested deeper than 8 levels' }
  foreach ($file in $Item.Files) {
    if ($null -eq $file.Hash -or $file.Hash.Length -ne 20) { continue }
    if (-not $file.Name.EndsWith('.txt', [StringComparison]::OrdinalIgnoreCase)) { continue }
    $sha1 = [BitConverter]::ToString($file.Hash).Replace('-', '')
    $path = $sha1.Substring(38, 2) + '/' + $sha1 + '.txt'
    if (-not $Paths.Contains($path)) { [void]$Paths.Add($path) }
  }
  foreach ($child in $Item.GetInstallableItems()) { Add-EulaFiles $child $Paths ($Depth + 1) }
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

$stage = 'the settings'
try {
  $configuration = $server.GetConfiguration()
  $languages = New-Object System.Collections.ArrayList
  foreach ($language in $configuration.GetEnabledUpdateLanguages()) { [void]$languages.Add((ConvertTo-JsonText $language)) }
  $settings = '{"download_express_packages":' + (ConvertTo-JsonBool $configuration.DownloadExpressPackages) +
    ',"all_update_languages_enabled":' + (ConvertTo-JsonBool $configuration.AllUpdateLanguagesEnabled) +
    ',"enabled_update_languages":[' + ($languages -join ',') + ']' +
    ',"download_update_binaries_as_needed":' + (ConvertTo-JsonBool $configuration.DownloadUpdateBinariesAsNeeded) +
    ',"targeting_mode":' + (ConvertTo-JsonText $configuration.TargetingMode.ToString()) +
    ',"is_replica_server":' + (ConvertTo-JsonBool $configuration.IsReplicaServer) + '}'

  $stage = 'the computer groups'
  $groups = New-Object System.Collections.ArrayList
  foreach ($group in $server.GetComputerTargetGroups()) {
    $parent = $null
    if ($group.Id -ne $AllComputers) { $parent = $group.GetParentTargetGroup().Id.ToString() }
    [void]$groups.Add('{"id":' + (ConvertTo-JsonText $group.Id.ToString()) + ',"name":' + (ConvertTo-JsonText $group.Name) +
      ',"parent_id":' + (ConvertTo-JsonText $parent) + '}')
  }

  $stage = 'the updates and their approvals'
  $updates = New-Object System.Collections.ArrayList
  foreach ($update in $server.GetUpdates()) {
    $approvals = New-Object System.Collections.ArrayList
    foreach ($approval in $update.GetUpdateApprovals()) {
      [void]$approvals.Add('{"group_id":' + (ConvertTo-JsonText $approval.ComputerTargetGroupId.ToString()) +
        ',"action":' + (ConvertTo-JsonText $approval.Action.ToString()) +
        ',"optional":' + (ConvertTo-JsonBool $approval.IsOptional) +
        ',"deadline_utc":' + (ConvertTo-JsonText (ConvertTo-UtcText $approval.Deadline)) + '}')
    }
    $eula = New-Object System.Collections.ArrayList
    if ($update.HasLicenseAgreement) {
      $paths = New-Object System.Collections.ArrayList
      foreach ($item in $update.GetInstallableItems()) { Add-EulaFiles $item $paths 0 }
      foreach ($path in $paths) { [void]$eula.Add((ConvertTo-JsonText $path)) }
    }
    [void]$updates.Add('{"update_id":' + (ConvertTo-JsonText $update.Id.UpdateId.ToString()) +
      ',"revision":' + ([int64]$update.Id.RevisionNumber).ToString() +
      ',"declined":' + (ConvertTo-JsonBool $update.IsDeclined) +
      ',"has_license":' + (ConvertTo-JsonBool $update.HasLicenseAgreement) +
      ',"license_accepted":' + (ConvertTo-JsonBool ($update.HasLicenseAgreement -and -not $update.RequiresLicenseAgreementAcceptance)) +
      ',"eula_files":[' + ($eula -join ',') + '],"approvals":[' + ($approvals -join ',') + ']}')
  }
} catch {
  $cause = Get-Cause $_
  Stop-Query 13 ('the WSUS API failed while reading ' + $stage + ': ' + $cause.GetType().FullName + ': ' + $cause.Message)
}

[Console]::Out.Write('{"wsus_version":' + (ConvertTo-JsonText $server.Version.ToString()) + ',"settings":' + $settings +
  ',"groups":[' + ($groups -join ',') + '],"updates":[' + ($updates -join ',') + ']}' + [Environment]::NewLine)
[Console]::Out.Flush()
exit 0
