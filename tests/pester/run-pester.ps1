# Runs one Pester test file with the Pester module copied beside the host (tests/pwsh-host), prints
# Pester's own report and a closing "N passed, N failed, N skipped" line, and exits 1 when a test
# failed or none ran.
param([Parameter(Mandatory)] [string]$TestFile)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path ([AppContext]::BaseDirectory) 'Pester/Pester.psd1') -MinimumVersion 5.7.1
$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestFile
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Output.RenderMode = 'Plaintext'
$result = Invoke-Pester -Configuration $configuration
"$($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
if ($result.FailedCount -gt 0 -or $result.PassedCount -eq 0 -or $result.Result -ne 'Passed') { exit 1 }
exit 0
