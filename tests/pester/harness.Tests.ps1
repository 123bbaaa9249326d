# The harness itself: the host runs a script only with the command line wsus-airgap gives
# powershell.exe, and the stand-in API lacks what the real API lacks, so a wrong member name fails.

BeforeAll {
  . (Join-Path $PSScriptRoot 'Harness.ps1')
  $script:Probe = Join-Path ([IO.Path]::GetTempPath()) ('wsus-airgap-probe-' + [guid]::NewGuid().ToString('N') + '.ps1')
  $script:Server = @{ updates = @(New-StandInUpdate '3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11' 7 'One' 'Failed' @('1') @()) }
  function Set-Probe([string]$Body) {
    [IO.File]::WriteAllText($script:Probe, "Set-StrictMode -Version 2.0`n`$ErrorActionPreference = 'Stop'`n" +
      "[void][Reflection.Assembly]::LoadWithPartialName('Microsoft.UpdateServices.Administration')`n" +
      "`$server = [Microsoft.UpdateServices.Administration.AdminProxy]::GetUpdateServer()`n" + $Body)
  }
}

AfterAll { Remove-Item -LiteralPath $script:Probe -ErrorAction SilentlyContinue }

Describe 'the PowerShell host' {
  It 'refuses a command line other than the one wsus-airgap gives powershell.exe' {
    Set-Probe 'exit 0'
    $run = Invoke-ShippedScript $Probe $Server -Arguments '-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', $Probe
    $run.ExitCode | Should -Be 64
    $run.Err | Should -BeLike 'pwsh-host: expected the command line wsus-airgap gives powershell.exe: -NoProfile -NonInteractive -ExecutionPolicy Bypass -File SCRIPT*'
  }

  It "returns the script's exit code and its standard output unchanged" {
    Set-Probe '[Console]::Out.Write("[1]"); exit 42'
    $run = Invoke-ShippedScript $Probe $Server
    $run.ExitCode | Should -Be 42
    $run.Out | Should -BeExactly '[1]'
  }
}

Describe 'the stand-in WSUS API' {
  It 'answers the members the real API has, with its types' {
    Set-Probe @'
$update = @($server.GetUpdates())[0]
[Console]::Out.Write(($update.Id.GetType().FullName, $update.Id.RevisionNumber.GetType().Name, $update.State.GetType().FullName,
  $update.KnowledgebaseArticles.GetType().FullName, $update.GetInstallableItems().GetType().Name) -join '|')
'@
    $run = Invoke-ShippedScript $Probe $Server
    $run.ExitCode | Should -Be 0
    $run.Out | Should -BeExactly 'Microsoft.UpdateServices.Administration.UpdateRevisionId|Int32|Microsoft.UpdateServices.Administration.UpdateState|System.Collections.Specialized.StringCollection|ReadOnlyCollection`1'
  }

  It 'lacks a property the real API lacks, so a misspelt one stops the script' {
    Set-Probe '$x = @($server.GetUpdates())[0].KBArticles'
    $run = Invoke-ShippedScript $Probe $Server
    $run.ExitCode | Should -Be 1
    ($run.Err -replace '\s+\|?\s*', ' ') | Should -BeLike "*The property 'KBArticles' cannot be found on this object*"
  }

  It 'lacks a method the real API lacks' {
    Set-Probe '$x = $server.GetFailedUpdates()'
    $run = Invoke-ShippedScript $Probe $Server
    $run.ExitCode | Should -Be 1
    ($run.Err -replace '\s+\|?\s*', ' ') | Should -BeLike "*does not contain a method named 'GetFailedUpdates'*"
  }
}
