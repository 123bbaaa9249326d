# wsus/powershell/read-approvals.ps1 and apply-approvals.ps1 run through the PowerShell host against the
# stand-in WSUS API: what the first reads (and that it changes nothing), what the second changes, and
# how each fails.

BeforeAll {
  . (Join-Path $PSScriptRoot 'Harness.ps1')
  $script:AllComputers = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421'
  $script:Unassigned = 'b73ca6ed-5727-47f3-84de-015e03f6a88a'
  $script:Servers = '11111111-1111-4111-8111-111111111111'
  $script:Web = '22222222-2222-4222-8222-222222222222'
  $script:U1 = '3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11'
  $script:U2 = '8d2f4e61-1a7b-4c3d-8e9f-a0b1c2d3e4f5'
  $script:U3 = '0f0e0d0c-0b0a-4909-8807-060504030201'
  $script:EulaSha1 = 'A0112233445566778899AABBCCDDEEFF00112214'
  $script:Plan = Join-Path ([IO.Path]::GetTempPath()) ('wsus-airgap-plan-' + [guid]::NewGuid().ToString('N') + '.json')

  function New-ApprovalServer {
    @{
      version = '10.0.17763.678'
      configuration = @{ download_express_packages = $true; enabled_update_languages = @('en', 'de'); targeting_mode = 'Client' }
      groups = @(
        @{ id = $script:AllComputers; name = 'Alle Computer'; parent_id = $null },
        @{ id = $script:Unassigned; name = 'Nicht zugewiesene Computer'; parent_id = $script:AllComputers },
        @{ id = $script:Servers; name = "Server $([char]0x00DC)berall"; parent_id = $script:AllComputers },
        @{ id = $script:Web; name = 'Web'; parent_id = $script:Servers })
      updates = @(
        @{ update_id = $script:U1; revision = 201; title = 'One'; approvals = @(
            @{ computer_target_group_id = $script:AllComputers; action = 'Install'; deadline_utc = '2026-12-24T18:30:00Z' },
            @{ computer_target_group_id = $script:Web; action = 'NotApproved' },
            @{ computer_target_group_id = $script:Servers; action = 'Install'; is_optional = $true }) },
        @{ update_id = $script:U2; revision = 7; title = 'Two'; is_declined = $true },
        @{ update_id = $script:U3; revision = 3; title = 'Three'; requires_license_agreement_acceptance = $true; license_accepted = $true
           approvals = @(@{ computer_target_group_id = $script:Web; action = 'Uninstall' })
           installable_items = @(New-StandInItem 'c1c1c1c1-0000-4000-8000-000000000001' @(
             (New-StandInFile 'eula-en-us.txt' $script:EulaSha1), (New-StandInFile 'three.cab' '00112233445566778899AABBCCDDEEFF00112233'))) })
    }
  }

  function Set-Plan($Operations) {
    [IO.File]::WriteAllText($script:Plan, (ConvertTo-Json -InputObject @{ operations = @($Operations) } -Depth 10))
  }

  function Invoke-Apply($Server) {
    Invoke-ShippedScript 'apply-approvals.ps1' $Server -Arguments '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', (Join-Path $script:ScriptsDir 'apply-approvals.ps1'), '-Plan', $script:Plan
  }
}

AfterAll { Remove-Item -LiteralPath $script:Plan -ErrorAction SilentlyContinue }

Describe 'read-approvals.ps1' {
  BeforeAll {
    $script:run = Invoke-ShippedScript 'read-approvals.ps1' (New-ApprovalServer)
    $script:read = $run.Out | ConvertFrom-Json
  }

  It 'exits 0, writes nothing on standard error and prints one line of ASCII JSON' {
    $run.ExitCode | Should -Be 0
    $run.Err | Should -BeNullOrEmpty
    $run.Out | Should -Match '^[\x20-\x7E]*\r?\n$'
  }

  It 'gives the settings that must match and the WSUS version' {
    $read.wsus_version | Should -BeExactly '10.0.17763.678'
    $read.settings.download_express_packages | Should -BeTrue
    $read.settings.all_update_languages_enabled | Should -BeFalse
    @($read.settings.enabled_update_languages) | Should -Be @('en', 'de')
    $read.settings.targeting_mode | Should -BeExactly 'Client'
    $read.settings.is_replica_server | Should -BeFalse
  }

  It 'lists the group tree by id and parent id, names as the server has them (non-ASCII escaped)' {
    @($read.groups).Count | Should -Be 4
    ($read.groups | Where-Object { $_.id -eq $AllComputers }).parent_id | Should -BeNullOrEmpty
    ($read.groups | Where-Object { $_.id -eq $Web }).parent_id | Should -Be $Servers
    ($read.groups | Where-Object { $_.id -eq $Servers }).name | Should -BeExactly "Server $([char]0x00DC)berall"
    $run.Out | Should -Match ([regex]::Escape('"name":"Server \u00dcberall"'))
  }

  It 'keys every approval by update id and revision with its action, optional flag and UTC deadline' {
    $one = $read.updates | Where-Object { $_.update_id -eq $U1 }
    $one.revision | Should -Be 201
    # The raw text: ConvertFrom-Json in PowerShell 7 would turn the deadline into a local DateTime.
    $run.Out | Should -Match ([regex]::Escape('{"group_id":"a0a08746-4dbe-4a37-9adf-9e7652c0b421","action":"Install","optional":false,"deadline_utc":"2026-12-24T18:30:00Z"}'))
    ($one.approvals | Where-Object { $_.group_id -eq $Web }).action | Should -BeExactly 'NotApproved'
    ($one.approvals | Where-Object { $_.group_id -eq $Servers }).optional | Should -BeTrue
    ($one.approvals | Where-Object { $_.group_id -eq $Servers }).deadline_utc | Should -BeNullOrEmpty
    (($read.updates | Where-Object { $_.update_id -eq $U3 }).approvals[0]).action | Should -BeExactly 'Uninstall'
  }

  It 'says which updates are declined and names the licence files of one with a licence' {
    ($read.updates | Where-Object { $_.update_id -eq $U2 }).declined | Should -BeTrue
    ($read.updates | Where-Object { $_.update_id -eq $U1 }).declined | Should -BeFalse
    $three = $read.updates | Where-Object { $_.update_id -eq $U3 }
    $three.has_license | Should -BeTrue
    $three.license_accepted | Should -BeTrue
    @($three.eula_files) | Should -Be @('14/A0112233445566778899AABBCCDDEEFF00112214.txt')
  }

  It 'calls nothing that changes the server' {
    @($run.Server.calls | Where-Object { $_ -match 'Approve|Decline|Delete|Create|Accept' }) | Should -BeNullOrEmpty
    @($run.Server.updates[0].approvals).Count | Should -Be 3
  }

  It 'exits 13 naming what it was reading when the API throws' {
    $server = New-ApprovalServer
    $server.faults = @(@{ member = 'IUpdate.GetUpdateApprovals'; call = 2; exception = 'WebException'; message = 'The operation has timed out' })
    $failed = Invoke-ShippedScript 'read-approvals.ps1' $server
    $failed.ExitCode | Should -Be 13
    $failed.Out | Should -BeNullOrEmpty
    $failed.Err | Should -BeExactly 'read-approvals.ps1: the WSUS API failed while reading the updates and their approvals: System.Net.WebException: The operation has timed out'
  }

  It 'exits 10 without the API and 12 when the server cannot be reached' {
    (Invoke-ShippedScript 'read-approvals.ps1' (New-ApprovalServer) -WithoutApi).ExitCode | Should -Be 10
    $server = New-ApprovalServer
    $server.reachable = $false
    (Invoke-ShippedScript 'read-approvals.ps1' $server).ExitCode | Should -Be 12
  }
}

Describe 'apply-approvals.ps1' {
  It 'creates a group by path, then approves, changes, removes and declines exactly as planned' {
    $server = New-ApprovalServer
    Set-Plan @(
      @{ op = 'create_group'; parent = $Web; name = 'Front' },
      @{ op = 'approve'; update_id = $U2; revision = 7; group = @("Server $([char]0x00DC)berall", 'Web', 'Front'); action = 'Install'; optional = $false; deadline_utc = '2027-01-02T03:04:05Z' },
      @{ op = 'approve'; update_id = $U1; revision = 201; group = $Web; action = 'Uninstall'; optional = $false; deadline_utc = $null },
      @{ op = 'remove_approval'; update_id = $U1; revision = 201; group = $Servers },
      @{ op = 'decline'; update_id = $U3; revision = 3 })
    $run = Invoke-Apply $server
    $run.Err | Should -BeNullOrEmpty
    $run.ExitCode | Should -Be 0
    ($run.Out -split '\r?\n' | Where-Object { $_ }) | Should -Be @('done 0', 'done 1', 'done 2', 'done 3', 'done 4')
    $front = $run.Server.groups | Where-Object { $_.name -eq 'Front' }
    $front.parent_id | Should -Be $Web
    $two = $run.Server.updates | Where-Object { $_.update_id -eq $U2 }
    $two.is_declined | Should -BeFalse
    $two.approvals[0].computer_target_group_id | Should -Be $front.id
    ([DateTime]$two.approvals[0].deadline_utc).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') | Should -BeExactly '2027-01-02T03:04:05Z'
    $one = $run.Server.updates | Where-Object { $_.update_id -eq $U1 }
    ($one.approvals | Where-Object { $_.computer_target_group_id -eq $Web }).action | Should -BeExactly 'Uninstall'
    @($one.approvals | Where-Object { $_.computer_target_group_id -eq $Servers }).Count | Should -Be 0
    ($run.Server.updates | Where-Object { $_.update_id -eq $U3 }).is_declined | Should -BeTrue
  }

  It 'accepts a licence before approving, and approves for optional install' {
    $server = New-ApprovalServer
    $server.updates[2].license_accepted = $false
    Set-Plan @(
      @{ op = 'accept_license'; update_id = $U3; revision = 3 },
      @{ op = 'approve'; update_id = $U3; revision = 3; group = $Servers; action = 'Install'; optional = $true; deadline_utc = $null })
    $run = Invoke-Apply $server
    $run.ExitCode | Should -Be 0
    $three = $run.Server.updates | Where-Object { $_.update_id -eq $U3 }
    $three.license_accepted | Should -BeTrue
    ($three.approvals | Where-Object { $_.computer_target_group_id -eq $Servers }).is_optional | Should -BeTrue
  }

  It 'stops at the first failure, exit 13, having said which operations were done' {
    $server = New-ApprovalServer
    $server.faults = @(@{ member = 'IUpdate.Approve'; call = 2; exception = 'InvalidOperationException'; message = 'The database is busy.' })
    Set-Plan @(
      @{ op = 'approve'; update_id = $U2; revision = 7; group = $Web; action = 'Install'; optional = $false; deadline_utc = $null },
      @{ op = 'approve'; update_id = $U3; revision = 3; group = $Web; action = 'Install'; optional = $false; deadline_utc = $null },
      @{ op = 'decline'; update_id = $U1; revision = 201 })
    $run = Invoke-Apply $server
    $run.ExitCode | Should -Be 13
    $run.Out.Trim() | Should -BeExactly 'done 0'
    $run.Err | Should -BeExactly 'apply-approvals.ps1: operation 1 (approve) failed: System.InvalidOperationException: The database is busy.'
    ($run.Server.updates | Where-Object { $_.update_id -eq $U2 }).approvals[0].computer_target_group_id | Should -Be $Web
    ($run.Server.updates | Where-Object { $_.update_id -eq $U1 }).is_declined | Should -BeFalse
  }

  It 'fails (exit 13) on an update revision the server lacks, changing nothing' {
    Set-Plan @(@{ op = 'decline'; update_id = $U1; revision = 999 })
    $run = Invoke-Apply (New-ApprovalServer)
    $run.ExitCode | Should -Be 13
    $run.Err | Should -BeLike '*WsusObjectNotFoundException*revision 999 was not found*'
  }

  It 'exits 14 when the plan cannot be read' {
    [IO.File]::WriteAllText($script:Plan, '{not json')
    $run = Invoke-Apply (New-ApprovalServer)
    $run.ExitCode | Should -Be 14
    $run.Err | Should -BeLike 'apply-approvals.ps1: cannot read the plan*'
  }
}
