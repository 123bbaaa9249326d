# wsus/powershell/failed-updates.ps1 run through the PowerShell host against the stand-in WSUS API:
# what it reads, what it prints, and how it fails.

BeforeAll {
  . (Join-Path $PSScriptRoot 'Harness.ps1')
  $script:Failed1 = '3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11'
  $script:Failed2 = '8d2f4e61-1a7b-4c3d-8e9f-a0b1c2d3e4f5'
  $script:Ready = '0f0e0d0c-0b0a-4909-8807-060504030201'
  $script:Sha1A = '00112233445566778899AABBCCDDEEFF00112233'
  $script:Sha1B = 'A0112233445566778899AABBCCDDEEFF00112233'
  $script:Sha1C = 'B0112233445566778899AABBCCDDEEFF00112233'
  $script:Sha256A = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100'
  $script:ReadingMembers = @('AdminProxy.GetUpdateServer', 'IUpdateServer.GetUpdates', 'IUpdate.GetInstallableItems',
                             'IInstallableItem.GetInstallableItems')

  function New-TwoFailedServer {
    $bundled = New-StandInItem 'c1c1c1c1-0000-4000-8000-000000000001' @(New-StandInFile 'child.cab' $script:Sha1B.ToLower() -Size 77)
    $own = New-StandInItem 'c1c1c1c1-0000-4000-8000-000000000002' @(
      New-StandInFile 'windows10.0-kb5034441-x64.cab' $script:Sha1A $script:Sha256A.ToUpper() 123456789012 'http://wsus:8530/Content/33/00112233445566778899AABBCCDDEEFF00112233.cab'
      # the same file listed twice by two items is reported once
      New-StandInFile 'windows10.0-kb5034441-x64.cab' $script:Sha1A $script:Sha256A 123456789012) @($bundled)
    @{ updates = @(
        (New-StandInUpdate $script:Failed1 201 '2024-01 Cumulative Update for Windows 10 (KB5034441)' 'Failed' @('5034441', '5034442') @($own)),
        (New-StandInUpdate $script:Ready 5 'Ready update' 'Ready' @('1111111') @(New-StandInItem 'c1c1c1c1-0000-4000-8000-000000000003' @(New-StandInFile 'ready.cab' $script:Sha1C)))
        (New-StandInUpdate $script:Failed2 3 'Definition update without KB' 'Failed' @() @(New-StandInItem 'c1c1c1c1-0000-4000-8000-000000000004' @(New-StandInFile 'def.exe' $script:Sha1C))))
    }
  }
}

Describe 'failed-updates.ps1 on a server with failed updates' {
  BeforeAll { $script:run = Invoke-ShippedScript 'failed-updates.ps1' (New-TwoFailedServer) }

  It 'exits 0 and writes nothing on standard error' {
    $run.ExitCode | Should -Be 0
    $run.Err | Should -BeNullOrEmpty
  }

  It 'lists exactly the updates whose State is Failed, keyed by update id and revision' {
    $listed = @($run.Out | ConvertFrom-Json)
    $listed.Count | Should -Be 2
    $listed[0].update_id | Should -Be $Failed1
    $listed[0].revision | Should -Be 201
    $listed[1].update_id | Should -Be $Failed2
    $listed[1].revision | Should -Be 3
  }

  It 'names each by title, first KB number and classification (null KB when it has none)' {
    $listed = @($run.Out | ConvertFrom-Json)
    $listed[0].title | Should -BeExactly '2024-01 Cumulative Update for Windows 10 (KB5034441)'
    $listed[0].kb | Should -BeExactly '5034441'
    $listed[0].classification | Should -BeExactly 'Security Updates'
    $listed[1].kb | Should -BeNullOrEmpty
  }

  It "gives every file of the update and of its bundled items once, SHA-1 upper-case and SHA-256 lower-case" {
    $files = @(@($run.Out | ConvertFrom-Json)[0].files)
    $files.Count | Should -Be 2
    $files[0].name | Should -BeExactly 'windows10.0-kb5034441-x64.cab'
    $files[0].sha1 | Should -BeExactly $Sha1A
    $files[0].sha256 | Should -BeExactly $Sha256A
    $files[0].size | Should -Be 123456789012
    $files[0].uri | Should -BeExactly 'http://wsus:8530/Content/33/00112233445566778899AABBCCDDEEFF00112233.cab'
    $files[1].name | Should -BeExactly 'child.cab'
    $files[1].sha1 | Should -BeExactly $Sha1B
    $files[1].sha256 | Should -BeNullOrEmpty
    $files[1].uri | Should -BeNullOrEmpty
  }

  It 'prints one line of JSON whose fields are exactly those wsus-airgap reads' {
    $run.Out | Should -Match '^\[\{"update_id":"3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11","revision":201,"title":"[^"]*","kb":"5034441","classification":"Security Updates","files":\[\{"name":"windows10.0-kb5034441-x64.cab","sha1":"00112233445566778899AABBCCDDEEFF00112233","sha256":"ffeedd[0-9a-f]{58}","size":123456789012,"uri":"http://[^"]+"\},'
    ($run.Out.TrimEnd() -split "`n").Count | Should -Be 1
  }

  It 'calls only members that read, and the server is unchanged' {
    @($run.Server.calls | Where-Object { $_ -notin $ReadingMembers }) | Should -BeNullOrEmpty
    $run.Server.calls | Should -Contain 'AdminProxy.GetUpdateServer'
    $run.Server.calls | Should -Contain 'IInstallableItem.GetInstallableItems'
    @($run.Server.updates | ForEach-Object { $_.state }) | Should -Be @('Failed', 'Ready', 'Failed')
  }
}

Describe 'failed-updates.ps1 output under the rules of Windows PowerShell 5.1' {
  It 'keeps one failed update with one file as arrays (5.1 ConvertTo-Json would unwrap them)' {
    $server = @{ updates = @(New-StandInUpdate $Failed1 1 'Only one' 'Failed' @('1') @(New-StandInItem 'c1c1c1c1-0000-4000-8000-000000000009' @(New-StandInFile 'one.cab' $Sha1A))) }
    $run = Invoke-ShippedScript 'failed-updates.ps1' $server
    $run.ExitCode | Should -Be 0
    $run.Out | Should -Match '^\[\{"update_id":"3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11".*"files":\[\{"name":"one.cab".*\}\]\}\]\r?\n$'
  }

  It 'prints [] when no update failed' {
    $server = @{ updates = @(New-StandInUpdate $Ready 5 'Fine' 'Ready' @('1') @()) }
    $run = Invoke-ShippedScript 'failed-updates.ps1' $server
    $run.ExitCode | Should -Be 0
    $run.Out.TrimEnd() | Should -BeExactly '[]'
  }

  It 'escapes non-ASCII, quotes, backslashes and control characters, so the output is ASCII on any code page' {
    $title = "Mise $([char]0xE0) jour $([char]0x2013) $([char]0x7D2F)$([char]0x79EF) `"quoted`" C:\path`ttab $([char]0xD83D)$([char]0xDE00)"
    $server = @{ updates = @(New-StandInUpdate $Failed1 1 $title 'Failed' @('1') @()) }
    $run = Invoke-ShippedScript 'failed-updates.ps1' $server
    $run.ExitCode | Should -Be 0
    $run.Out | Should -Match '^[\x09\x0A\x0D\x20-\x7E]*$'
    $run.Out | Should -Match ([regex]::Escape('"title":"Mise \u00e0 jour \u2013 \u7d2f\u79ef \"quoted\" C:\\path\u0009tab \ud83d\ude00"'))
    @($run.Out | ConvertFrom-Json)[0].title | Should -BeExactly $title
  }
}

Describe 'failed-updates.ps1 when it cannot ask the server' {
  It 'exits 10 and says so when the administration API is not installed' {
    $run = Invoke-ShippedScript 'failed-updates.ps1' (New-TwoFailedServer) -WithoutApi
    $run.ExitCode | Should -Be 10
    $run.Out | Should -BeNullOrEmpty
    $run.Err | Should -BeExactly 'failed-updates.ps1: the WSUS administration API (Microsoft.UpdateServices.Administration) is not installed on this computer'
  }

  It 'exits 11 when the caller is not a WSUS administrator' {
    $server = New-TwoFailedServer
    $server.caller_is_administrator = $false
    $run = Invoke-ShippedScript 'failed-updates.ps1' $server
    $run.ExitCode | Should -Be 11
    $run.Out | Should -BeNullOrEmpty
    $run.Err | Should -BeExactly 'failed-updates.ps1: access denied by the WSUS server: Request for principal permission failed.'
  }

  It 'exits 12 when the server cannot be contacted' {
    $server = New-TwoFailedServer
    $server.reachable = $false
    $run = Invoke-ShippedScript 'failed-updates.ps1' $server
    $run.ExitCode | Should -Be 12
    $run.Out | Should -BeNullOrEmpty
    $run.Err | Should -BeExactly 'failed-updates.ps1: cannot contact the WSUS server: Unable to connect to the remote server'
  }

  It 'exits 13 and prints no partial list when the API throws in the middle' {
    $server = New-TwoFailedServer
    $server.faults = @(@{ member = 'IUpdate.GetInstallableItems'; call = 2; exception = 'WebException'; message = 'The underlying connection was closed.' })
    $run = Invoke-ShippedScript 'failed-updates.ps1' $server
    $run.ExitCode | Should -Be 13
    $run.Out | Should -BeNullOrEmpty
    $run.Err | Should -BeExactly 'failed-updates.ps1: the WSUS API failed while listing updates: System.Net.WebException: The underlying connection was closed.'
    @($run.Server.calls | Where-Object { $_ -eq 'IUpdate.GetInstallableItems' }).Count | Should -Be 2
  }

  It 'exits 13 naming the exception when an update disappears while it reads' {
    $server = New-TwoFailedServer
    $server.faults = @(@{ member = 'IInstallableItem.GetInstallableItems'; call = 1; exception = 'WsusObjectNotFoundException'; message = 'The update could not be found.' })
    $run = Invoke-ShippedScript 'failed-updates.ps1' $server
    $run.ExitCode | Should -Be 13
    $run.Out | Should -BeNullOrEmpty
    $run.Err | Should -BeExactly 'failed-updates.ps1: the WSUS API failed while listing updates: Microsoft.UpdateServices.Administration.WsusObjectNotFoundException: The update could not be found.'
  }
}
