# Runs a shipped script the way wsus-airgap does (powershell.exe -NoProfile -NonInteractive
# -ExecutionPolicy Bypass -File SCRIPT, here the host PWSH_HOST names) against a stand-in WSUS server
# written as JSON, and returns its exit code, its raw output and the server as the script left it.

$script:ScriptsDir = Join-Path $PSScriptRoot '../../wsus/powershell' | Resolve-Path | Select-Object -ExpandProperty Path

function Invoke-ShippedScript {
  param([Parameter(Mandatory)] [string]$Name, $Server, [switch]$WithoutApi, [string[]]$Arguments)
  $work = Join-Path ([IO.Path]::GetTempPath()) ('wsus-airgap-pester-' + [guid]::NewGuid().ToString('N'))
  New-Item -ItemType Directory -Path $work | Out-Null
  try {
    $serverFile = Join-Path $work 'server.json'
    if ($null -ne $Server) {
      [IO.File]::WriteAllText($serverFile, (ConvertTo-Json -InputObject $Server -Depth 20), [Text.UTF8Encoding]::new($false))
    }
    $info = [Diagnostics.ProcessStartInfo]::new($env:PWSH_HOST)
    $script = if ([IO.Path]::IsPathRooted($Name)) { $Name } else { Join-Path $script:ScriptsDir $Name }
    if (-not $Arguments) { $Arguments = '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $script }
    foreach ($argument in $Arguments) {
      $info.ArgumentList.Add($argument)
    }
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    # Latin-1 maps each byte to one character, so a test sees whether the output is plain ASCII.
    $info.StandardOutputEncoding = [Text.Encoding]::Latin1
    $info.Environment['WSUS_STANDIN_SERVER'] = $serverFile
    if ($WithoutApi) { [void]$info.Environment.Remove('WSUS_STANDIN_API_DIR') }
    $process = [Diagnostics.Process]::Start($info)
    $errors = $process.StandardError.ReadToEndAsync()
    $out = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    $after = $null
    if (Test-Path -LiteralPath $serverFile) { $after = Get-Content -Raw -LiteralPath $serverFile | ConvertFrom-Json }
    [pscustomobject]@{ ExitCode = $process.ExitCode; Out = $out; Err = $errors.Result.TrimEnd(); Server = $after }
  } finally {
    Remove-Item -Recurse -Force -LiteralPath $work
  }
}

function New-StandInFile([string]$Name, [string]$Sha1, [string]$Sha256 = $null, [long]$Size = 1024, [string]$Uri = $null) {
  @{ name = $Name; sha1 = $Sha1; sha256 = $(if ($Sha256) { $Sha256 } else { $null }); size = $Size; uri = $(if ($Uri) { $Uri } else { $null }) }
}

function New-StandInUpdate([string]$Id, [int]$Revision, [string]$Title, [string]$State, [string[]]$Kb = @(), $Items = @()) {
  @{ update_id = $Id; revision = $Revision; title = $Title; state = $State; kb = @($Kb); installable_items = @($Items) }
}

function New-StandInItem([string]$Id, $Files = @(), $Items = @()) {
  @{ id = $Id; files = @($Files); installable_items = @($Items) }
}
