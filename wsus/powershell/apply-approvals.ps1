# wsus-airgap: apply-approvals.ps1
# CHANGES THE SERVER: applies a plan of approval changes that wsus-airgap computed (and printed) from a
# signed package, through the WSUS administration API; it changes nothing the plan does not name.
#
# Run by wsus-airgap as: powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File <this>
#   -Plan <plan.json>
# The plan is {"operations":[...]}, applied in order, each one of:
#   {"op":"create_group","parent":GROUP,"name":"..."}
#   {"op":"accept_license","update_id":"..","revision":N}
#   {"op":"approve","update_id":"..","revision":N,"group":GROUP,"action":"Install|Uninstall|NotApproved",
#    "optional":bool,"deadline_utc":"YYYY-MM-DDTHH:MM:SSZ"|null}
#   {"op":"remove_approval","update_id":"..","revision":N,"group":GROUP}
#   {"op":"decline","update_id":"..","revision":N}
# GROUP is a group id (a string) or a path: an array of names below All Computers, resolved name by
# name (for groups created earlier in the same plan). After each operation succeeds it prints the line
# "done <index>" and flushes, so whoever ran it knows exactly what was applied if it stops halfway.
# Exit codes: 0 all applied; 10 the API is not installed; 11 access denied; 12 the server could not be
# contacted; 13 an operation failed (named on standard error; the operations before it were applied);
# 14 the plan file cannot be read.

param([string]$Plan)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$AllComputers = [Guid]'a0a08746-4dbe-4a37-9adf-9e7652c0b421'

function Stop-Apply([int]$Code, [string]$Message) {
  [Console]::Error.WriteLine('apply-approvals.ps1: ' + $Message)
  exit $Code
}

function Get-Cause($ErrorRecord) {
  $cause = $ErrorRecord.Exception
  while ($null -ne $cause.InnerException) { $cause = $cause.InnerException }
  return $cause
}

function Resolve-Group($Server, $Reference) {
  if ($Reference -is [string]) { return $Server.GetComputerTargetGroup([Guid]$Reference) }
  $group = $Server.GetComputerTargetGroup($AllComputers)
  foreach ($name in @($Reference)) {
    $next = $null
    foreach ($child in $group.GetChildTargetGroups()) {
      if ($child.Name -ceq [string]$name) { $next = $child }
    }
    if ($null -eq $next) { throw ('no computer group named "' + $name + '" under "' + $group.Name + '"') }
    $group = $next
  }
  return $group
}

# "YYYY-MM-DDTHH:MM:SSZ" as a UTC DateTime. ConvertFrom-Json leaves it a string in Windows PowerShell
# 5.1 and makes it a DateTime in PowerShell 7; both are taken.
function ConvertFrom-UtcText($Value) {
  if ($Value -is [DateTime]) {
    if ($Value.Kind -eq [DateTimeKind]::Local) { return $Value.ToUniversalTime() }
    return [DateTime]::SpecifyKind($Value, [DateTimeKind]::Utc)
  }
  return [DateTime]::ParseExact([string]$Value, 'yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture,
    [Globalization.DateTimeStyles]::AdjustToUniversal -bor [Globalization.DateTimeStyles]::AssumeUniversal)
}

function Get-PlannedUpdate($Server, $Operation) {
  $id = New-Object Microsoft.UpdateServices.Administration.UpdateRevisionId -ArgumentList ([Guid]$Operation.update_id), ([int]$Operation.revision)
  return $Server.GetUpdate($id)
}

if ([string]::IsNullOrEmpty($Plan)) { Stop-Apply 14 'no plan given (-Plan FILE)' }
try {
  $operations = @((ConvertFrom-Json -InputObject ([IO.File]::ReadAllText($Plan, [Text.Encoding]::UTF8))).operations)
} catch {
  Stop-Apply 14 ('cannot read the plan ' + $Plan + ': ' + (Get-Cause $_).Message)
}

$assembly = [Reflection.Assembly]::LoadWithPartialName('Microsoft.UpdateServices.Administration')
if ($null -eq $assembly) {
  Stop-Apply 10 ('the WSUS administration API (Microsoft.UpdateServices.Administration) is not installed ' +
    'on this computer')
}

try {
  $server = [Microsoft.UpdateServices.Administration.AdminProxy]::GetUpdateServer()
} catch {
  $cause = Get-Cause $_
  if ($cause -is [System.Security.SecurityException] -or $cause -is [System.UnauthorizedAccessException]) {
    Stop-Apply 11 ('access denied by the WSUS server: ' + $cause.Message)
  }
  Stop-Apply 12 ('cannot contact the WSUS server: ' + $cause.Message)
}

$index = 0
foreach ($operation in $operations) {
  try {
    switch ($operation.op) {
      'create_group' {
        $parent = Resolve-Group $server $operation.parent
        [void]$server.CreateComputerTargetGroup([string]$operation.name, $parent)
      }
      'accept_license' {
        (Get-PlannedUpdate $server $operation).AcceptLicenseAgreement()
      }
      'approve' {
        $update = Get-PlannedUpdate $server $operation
        $group = Resolve-Group $server $operation.group
        $action = [Microsoft.UpdateServices.Administration.UpdateApprovalAction]([string]$operation.action)
        if ($operation.optional) {
          [void]$update.ApproveForOptionalInstall($group)
        } elseif ($null -ne $operation.deadline_utc) {
          [void]$update.Approve($action, $group, (ConvertFrom-UtcText $operation.deadline_utc))
        } else {
          [void]$update.Approve($action, $group)
        }
      }
      'remove_approval' {
        $update = Get-PlannedUpdate $server $operation
        $group = Resolve-Group $server $operation.group
        foreach ($approval in @($update.GetUpdateApprovals())) {
          if ($approval.ComputerTargetGroupId -eq $group.Id) { $approval.Delete() }
        }
      }
      'decline' {
        (Get-PlannedUpdate $server $operation).Decline()
      }
      default { throw ('unknown operation "' + $operation.op + '"') }
    }
  } catch {
    $cause = Get-Cause $_
    Stop-Apply 13 ('operation ' + $index + ' (' + $operation.op + ') failed: ' + $cause.GetType().FullName + ': ' + $cause.Message)
  }
  [Console]::Out.Write('done ' + $index + [Environment]::NewLine)
  [Console]::Out.Flush()
  $index += 1
}
exit 0
