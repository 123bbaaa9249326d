# What Windows PowerShell 5.1 cannot run, found with PowerShell's own parser
# (System.Management.Automation.Language.Parser) in a script's syntax tree. The WSUS administration API
# exists only under Windows PowerShell 5.1, so every shipped script must keep to it; the tests run on
# PowerShell 7, which accepts all of these, so they are refused here by name.

# Cmdlets the shipped scripts may use, each with the parameters Windows PowerShell 5.1 gives it (a
# name not here is refused: a PowerShell 7 cmdlet, a module 5.1 lacks, or one nobody checked yet).
$script:Ps51Commands = @{
  'New-Object'     = @('TypeName', 'ArgumentList', 'Property', 'ComObject', 'Strict')
  'Set-StrictMode' = @('Version', 'Off')
  'Write-Output'   = @('InputObject', 'NoEnumerate')
  'Out-Null'       = @('InputObject')
  'ForEach-Object' = @('Process', 'Begin', 'End', 'MemberName', 'ArgumentList', 'InputObject', 'RemainingScripts')
  'Where-Object'   = @('FilterScript', 'Property', 'Value', 'InputObject', 'EQ', 'NE', 'GT', 'LT', 'Like', 'Match', 'Not')
  'Select-Object'  = @('Property', 'ExpandProperty', 'ExcludeProperty', 'First', 'Last', 'Skip', 'Unique', 'Index', 'InputObject')
  'Sort-Object'    = @('Property', 'Descending', 'Unique', 'CaseSensitive', 'Culture', 'InputObject')
  'ConvertTo-Json' = @('InputObject', 'Depth', 'Compress')
  'ConvertFrom-Json' = @('InputObject')
  'Join-Path'      = @('Path', 'ChildPath', 'Resolve', 'Credential')
  'Test-Path'      = @('Path', 'LiteralPath', 'PathType', 'IsValid', 'Filter', 'Include', 'Exclude')
  'Write-Verbose'  = @('Message')
  'Write-Warning'  = @('Message')
}
$script:Ps51Aliases = @{ '%' = 'ForEach-Object'; 'foreach' = 'ForEach-Object'; '?' = 'Where-Object';
  'where' = 'Where-Object'; 'select' = 'Select-Object'; 'sort' = 'Sort-Object' }
$script:CommonParameters = @('Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction',
  'ErrorVariable', 'WarningVariable', 'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable')

# .NET members and types that .NET Framework 4.x (under Windows PowerShell 5.1) lacks.
$script:NetCoreOnlyMembers = @('ToHexString', 'ToHexStringLower', 'FromHexString', 'GetRelativePath', 'Chunk')
$script:NetCoreOnlyTypes = '^(System\.)?(Text\.Json\.|Range$|Index$|HashCode$|Half$|DateOnly$|TimeOnly$)'
$script:Ps7OnlyVariables = @('IsWindows', 'IsLinux', 'IsMacOS', 'IsCoreCLR', 'PSStyle')

# Members of the WSUS administration API that change the server: a READ-ONLY script calls none.
$script:WsusChangingMembers = @('Approve', 'ApproveForOptionalInstall', 'Decline', 'AcceptLicenseAgreement',
  'Delete', 'Save', 'CreateComputerTargetGroup', 'CancelAllDownloads', 'CancelDownload', 'ResumeDownload',
  'ResumeAllDownloads', 'RefreshUpdateApprovals', 'ImportUpdates', 'SetEnabledUpdateLanguages',
  'SetUpdateClassifications', 'SetUpdateCategories', 'AddComputerTarget', 'RemoveComputerTarget',
  'DeleteUpdate', 'ExpirePackage', 'PublishPackage', 'RevisePackage', 'StartSynchronization',
  'StopSynchronization', 'ResetAndVerifyContentState', 'SetProxyPassword', 'Revoke')

function Get-ScriptAst([string]$Text) {
  $tokens = $null
  $errors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
  return [pscustomobject]@{ Ast = $ast; Tokens = $tokens; Errors = $errors }
}

function Find-Ast($Ast, [scriptblock]$Predicate) {
  return @($Ast.FindAll($Predicate, $true))
}

# Every construct in $Text that Windows PowerShell 5.1 cannot run, one line each ("line N: why").
function Get-Ps51Violation([string]$Text) {
  $parsed = Get-ScriptAst $Text
  $found = New-Object System.Collections.Generic.List[string]
  foreach ($problem in $parsed.Errors) { $found.Add("line $($problem.Extent.StartLineNumber): does not parse: $($problem.Message)") }
  $ast = $parsed.Ast
  $at = { param($node) "line $($node.Extent.StartLineNumber)" }
  $L = [System.Management.Automation.Language.TokenKind]

  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.TernaryExpressionAst] }) {
    $found.Add("$(& $at $node): ternary '? :' is PowerShell 7")
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.BinaryExpressionAst] }) {
    if ($node.Operator -eq $L::QuestionQuestion) { $found.Add("$(& $at $node): '??' is PowerShell 7") }
    if ($node.Operator -in $L::Ireplace, $L::Creplace -and
        $node.Right.FindAll({ $args[0] -is [System.Management.Automation.Language.ScriptBlockExpressionAst] }, $true).Count -gt 0) {
      $found.Add("$(& $at $node): -replace with a script block is PowerShell 6.1+")
    }
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.AssignmentStatementAst] }) {
    if ($node.Operator -eq $L::QuestionQuestionEquals) { $found.Add("$(& $at $node): '??=' is PowerShell 7") }
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.PipelineChainAst] }) {
    $found.Add("$(& $at $node): '&&' / '||' between pipelines is PowerShell 7")
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.MemberExpressionAst] -or
                                    $args[0] -is [System.Management.Automation.Language.IndexExpressionAst] }) {
    if ($node.NullConditional) { $found.Add("$(& $at $node): '?.' / '?[]' is PowerShell 7") }
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.ScriptBlockAst] }) {
    if ($null -ne $node.CleanBlock) { $found.Add("$(& $at $node): a 'clean' block is PowerShell 7.3") }
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.VariableExpressionAst] }) {
    if ($node.VariablePath.UserPath -in $script:Ps7OnlyVariables) {
      $found.Add("$(& $at $node): `$$($node.VariablePath.UserPath) does not exist in Windows PowerShell 5.1")
    }
  }
  foreach ($token in $parsed.Tokens) {
    if ($token.Kind -in $L::StringExpandable, $L::HereStringExpandable -and $token.Text -cmatch '`(e|u\{)') {
      $found.Add("line $($token.Extent.StartLineNumber): the escapes ``e and ``u{} are PowerShell 6+")
    }
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.TypeExpressionAst] -or
                                    $args[0] -is [System.Management.Automation.Language.TypeConstraintAst] }) {
    if ($node.TypeName.FullName -match $script:NetCoreOnlyTypes) {
      $found.Add("$(& $at $node): [$($node.TypeName.FullName)] is .NET Core only (5.1 runs on .NET Framework)")
    }
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.InvokeMemberExpressionAst] }) {
    $member = $node.Member.Extent.Text
    if ($member -in $script:NetCoreOnlyMembers) {
      $found.Add("$(& $at $node): .$member() is .NET Core only (5.1 runs on .NET Framework)")
    }
  }
  foreach ($command in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.CommandAst] }) {
    $name = $command.GetCommandName()
    if ($null -eq $name) { $found.Add("$(& $at $command): a command whose name is computed cannot be checked"); continue }
    if ($script:Ps51Aliases.ContainsKey($name)) { $name = $script:Ps51Aliases[$name] }
    $known = $script:Ps51Commands.Keys | Where-Object { $_ -eq $name }
    if (-not $known) {
      if (-not (Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $args[0].Name -eq $name })) {
        $found.Add("$(& $at $command): $name is not a command known to Windows PowerShell 5.1 (tests/pester/Ps51Check.ps1)")
      }
      continue
    }
    $allowed = $script:Ps51Commands[$known] + $script:CommonParameters
    foreach ($parameter in $command.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
      $candidates = @($allowed | Where-Object { $_.StartsWith($parameter.ParameterName, [StringComparison]::OrdinalIgnoreCase) })
      if ($candidates.Count -eq 0) {
        $found.Add("$(& $at $parameter): $known -$($parameter.ParameterName) does not exist in Windows PowerShell 5.1")
      }
    }
  }
  return $found.ToArray()
}

# Members a READ-ONLY script must not touch: WSUS API calls that change the server, and assignments
# to properties (a configuration property set and saved changes the server).
function Get-ReadOnlyViolation([string]$Text) {
  $ast = (Get-ScriptAst $Text).Ast
  $found = New-Object System.Collections.Generic.List[string]
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.InvokeMemberExpressionAst] }) {
    if ($node.Member.Extent.Text -in $script:WsusChangingMembers) {
      $found.Add("line $($node.Extent.StartLineNumber): .$($node.Member.Extent.Text)() changes the WSUS server")
    }
  }
  foreach ($node in Find-Ast $ast { $args[0] -is [System.Management.Automation.Language.AssignmentStatementAst] }) {
    if ($node.Left -is [System.Management.Automation.Language.MemberExpressionAst]) {
      $found.Add("line $($node.Extent.StartLineNumber): assigns $($node.Left.Extent.Text)")
    }
  }
  return $found.ToArray()
}
