# Every script under wsus/powershell/ (each is embedded into wsus-airgap and run by Windows PowerShell
# 5.1 on the WSUS server), read with PowerShell's own parser: it parses, keeps to what 5.1 can run, is
# ASCII, says in its first lines whether it changes the server, and a READ-ONLY one calls nothing
# that does. The checker itself is tested on snippets, so a check that finds nothing is known to look.

BeforeDiscovery {
  $scripts = @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot '../../wsus/powershell') -Filter '*.ps1' |
    ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } })
}

BeforeAll { . (Join-Path $PSScriptRoot 'Ps51Check.ps1') }

Describe 'the shipped scripts' {
  It 'are there (wsus/powershell/*.ps1)' {
    $scripts.Count | Should -BeGreaterThan 0
  } -TestCases @{ scripts = $scripts }
}

Describe 'shipped script <Name>' -ForEach $scripts {
  BeforeAll {
    $bytes = [IO.File]::ReadAllBytes($Path)
    $text = [Text.Encoding]::ASCII.GetString($bytes)
    $head = @($text -split "`n" | Select-Object -First 4)
  }

  It 'parses with no errors' {
    $tokens = $null
    $errors = $null
    [void][System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
    @($errors | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Message)" }) | Should -BeNullOrEmpty
  }

  It 'uses nothing Windows PowerShell 5.1 lacks' {
    Get-Ps51Violation $text | Should -BeNullOrEmpty
  }

  It 'is ASCII (it is embedded and run whatever the code page)' {
    @($bytes | Where-Object { $_ -gt 0x7E -or ($_ -lt 0x20 -and $_ -notin 0x09, 0x0A, 0x0D) }).Count | Should -Be 0
  }

  It 'says in its first lines whether it only reads or changes the server' {
    ($head -match '^# (READ-ONLY|CHANGES THE SERVER):').Count | Should -Be 1
  }

  It 'calls no member that changes the server when it says READ-ONLY' {
    if (-not ($head -match '^# READ-ONLY:')) { Set-ItResult -Skipped -Because 'it declares that it changes the server' }
    Get-ReadOnlyViolation $text | Should -BeNullOrEmpty
  }

  It 'stops on the first error and on a misspelt member (ErrorActionPreference Stop, StrictMode)' {
    $text | Should -Match "(?m)^\`$ErrorActionPreference = 'Stop'"
    $text | Should -Match '(?m)^Set-StrictMode -Version 2\.0'
  }
}

Describe 'the Windows PowerShell 5.1 check' {
  It 'refuses <Why>' -TestCases @(
    @{ Why = 'the ternary operator'; Code = '$a = $true ? 1 : 2'; Says = "ternary '? :'" }
    @{ Why = 'the null-coalescing operator'; Code = '$a = $null ?? 1'; Says = "'??'" }
    @{ Why = 'null-coalescing assignment'; Code = '$a ??= 1'; Says = "'??='" }
    @{ Why = 'null-conditional member access'; Code = '$a = ${b}?.Name'; Says = "'?.'" }
    @{ Why = 'pipeline chains'; Code = 'Write-Output 1 && Write-Output 2'; Says = "'&&'" }
    @{ Why = 'ForEach-Object -Parallel'; Code = '1, 2 | ForEach-Object -Parallel { $_ }'; Says = 'ForEach-Object -Parallel does not exist' }
    @{ Why = 'a clean block'; Code = 'function f { process { 1 } clean { 2 } }'; Says = "'clean' block" }
    @{ Why = 'ConvertFrom-Json -AsHashtable'; Code = '$a = ConvertFrom-Json -InputObject "{}" -AsHashtable'; Says = 'ConvertFrom-Json -AsHashtable does not exist' }
    @{ Why = 'ConvertFrom-Json -Depth'; Code = '$a = ConvertFrom-Json "{}" -Depth 5'; Says = 'ConvertFrom-Json -Depth does not exist' }
    @{ Why = 'ConvertTo-Json -AsArray'; Code = '$a = ConvertTo-Json @(1) -AsArray'; Says = 'ConvertTo-Json -AsArray does not exist' }
    @{ Why = 'a cmdlet 5.1 lacks'; Code = '$a = Get-Error'; Says = 'Get-Error is not a command known to Windows PowerShell 5.1' }
    @{ Why = 'Join-Path -AdditionalChildPath'; Code = 'Join-Path a b -AdditionalChildPath c'; Says = 'Join-Path -AdditionalChildPath does not exist' }
    @{ Why = '-replace with a script block'; Code = '$a = "x" -replace "x", { "y" }'; Says = '-replace with a script block' }
    @{ Why = 'the `u{} escape'; Code = '$a = "`u{2013}"'; Says = 'are PowerShell 6+' }
    @{ Why = '$IsWindows'; Code = 'if ($IsWindows) { 1 }'; Says = '$IsWindows does not exist' }
    @{ Why = 'a .NET Core only method'; Code = '$a = [Convert]::ToHexString($b)'; Says = '.ToHexString() is .NET Core only' }
    @{ Why = 'a .NET Core only type'; Code = '$a = [System.Text.Json.JsonSerializer]'; Says = 'is .NET Core only' }
    @{ Why = 'a syntax error'; Code = 'if ($a { 1 }'; Says = 'does not parse' }
  ) {
    $found = @(Get-Ps51Violation $Code)
    $found.Count | Should -BeGreaterThan 0
    ($found -join "`n") | Should -BeLike "*$Says*"
  }

  It 'accepts what 5.1 runs: functions, [ordered], New-Object, -cmatch, foreach, try/catch, exit' {
    $code = @'
Set-StrictMode -Version 2.0
function Get-One([int]$Value) { return $Value }
$list = New-Object System.Collections.ArrayList
$map = [ordered]@{ a = 1 }
try { foreach ($i in 1..3) { [void]$list.Add((Get-One $i)) } } catch { exit 13 }
if ('x' -cmatch '^x$') { [Console]::Out.Write((ConvertTo-Json -InputObject @($list) -Depth 3 -Compress)) }
1, 2 | ForEach-Object { $_ } | Out-Null
'@
    Get-Ps51Violation $code | Should -BeNullOrEmpty
  }
}

Describe 'the read-only check' {
  It 'refuses <Why>' -TestCases @(
    @{ Why = 'approving an update'; Code = '$update.Approve($action, $group)'; Says = '.Approve() changes the WSUS server' }
    @{ Why = 'declining an update'; Code = '$update.Decline()'; Says = '.Decline() changes the WSUS server' }
    @{ Why = 'saving the configuration'; Code = '$config.Save()'; Says = '.Save() changes the WSUS server' }
    @{ Why = 'setting a property'; Code = '$config.DownloadExpressPackages = $true'; Says = 'assigns $config.DownloadExpressPackages' }
    @{ Why = 'creating a group'; Code = '$server.CreateComputerTargetGroup("x", $parent)'; Says = '.CreateComputerTargetGroup() changes' }
  ) {
    (@(Get-ReadOnlyViolation $Code) -join "`n") | Should -BeLike "*$Says*"
  }
}
