# The shipped PowerShell scripts (wsus/powershell/*.ps1) run through a PowerShell host (tests/pwsh-host,
# on Microsoft.PowerShell.SDK) against a stand-in of the WSUS administration API (tests/wsus-api):
# Pester tests of each script (tests/pester) and end-to-end tests of `gaps --server` through the
# product's own launching code. They need the .NET SDK (`dotnet`, see scripts/deps.sh); without it
# they are still registered and report SKIPPED with the reason.
find_program(WSA_DOTNET dotnet)
set(WSA_PESTER_FILES failed-updates approvals shipped-scripts harness)
set(WSA_PESTER_SENTENCE_approvals
    "read-approvals.ps1 reads without changing anything and apply-approvals.ps1 changes exactly its plan, against the stand-in WSUS API")
set(WSA_PESTER_SENTENCE_failed-updates
    "failed-updates.ps1 reads, prints and fails against the stand-in WSUS API as its Pester tests say")
set(WSA_PESTER_SENTENCE_harness
    "the PowerShell host takes only the command line wsus-airgap gives powershell.exe and the stand-in API lacks what the real one lacks")
set(WSA_PESTER_SENTENCE_shipped-scripts
    "every shipped script parses, keeps to Windows PowerShell 5.1 and calls nothing that changes the server when it says READ-ONLY")

# The embedding step (wsus/powershell/embed.cmake) refuses a script that is not ASCII; needs no dotnet.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/test-inputs/not-ascii.ps1 "# Mise à jour\n")
add_test(NAME "powershell: embedding refuses a script that is not ASCII"
         COMMAND ${CMAKE_COMMAND} -DOUTPUT=${CMAKE_CURRENT_BINARY_DIR}/test-inputs/not-ascii.h
                 -DSCRIPTS=${CMAKE_CURRENT_BINARY_DIR}/test-inputs/not-ascii.ps1
                 -P ${CMAKE_SOURCE_DIR}/wsus/powershell/embed.cmake)
set_tests_properties("powershell: embedding refuses a script that is not ASCII" PROPERTIES
                     PASS_REGULAR_EXPRESSION "holds a[ \n]+byte")  # CMake wraps long messages

# The Windows cross build (run under Wine) cannot use them either: the host would be a .NET program
# for the build machine, which a Windows program under Wine can start but not wait for.
set(reason "")
if(CMAKE_CROSSCOMPILING)
  set(reason "SKIPPED: a cross build: the PowerShell host is built for the build machine, not for Windows; the Linux suite runs these")
elseif(NOT WSA_DOTNET OR NOT EXISTS "${WSA_DOTNET}")
  set(reason "SKIPPED: the .NET SDK (dotnet) is not installed; scripts/deps.sh says how to get it")
endif()
if(reason)
  foreach(file ${WSA_PESTER_FILES})
    add_test(NAME "pester: ${WSA_PESTER_SENTENCE_${file}}" COMMAND ${CMAKE_COMMAND} -E echo "${reason}")
    set_tests_properties("pester: ${WSA_PESTER_SENTENCE_${file}}" PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED:")
  endforeach()
  add_test(NAME "gaps_server_tests: gaps --server runs the embedded script through a PowerShell host"
           COMMAND ${CMAKE_COMMAND} -E echo "${reason}")
  add_test(NAME "approvals_tests: approvals travel through the stand-in WSUS API" COMMAND ${CMAKE_COMMAND} -E echo "${reason}")
  set_tests_properties("approvals_tests: approvals travel through the stand-in WSUS API"
                       PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED:")
  set_tests_properties("gaps_server_tests: gaps --server runs the embedded script through a PowerShell host"
                       PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED:")
  return()
endif()

# One restore and build of both projects, again only when their sources change.
set(WSA_DOTNET_OUT ${CMAKE_BINARY_DIR}/dotnet)
set(WSA_PWSH_HOST ${WSA_DOTNET_OUT}/bin/pwsh-host/release/pwsh-host${CMAKE_EXECUTABLE_SUFFIX})
set(WSA_WSUS_API_DIR ${WSA_DOTNET_OUT}/bin/wsus-api/release)
file(GLOB WSA_DOTNET_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/tests/pwsh-host/*.cs ${CMAKE_SOURCE_DIR}/tests/pwsh-host/*.csproj
     ${CMAKE_SOURCE_DIR}/tests/wsus-api/*.cs ${CMAKE_SOURCE_DIR}/tests/wsus-api/*.csproj)
add_custom_command(
  OUTPUT ${WSA_DOTNET_OUT}/harness.stamp
  COMMAND ${CMAKE_COMMAND} -E env DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
          ${WSA_DOTNET} build ${CMAKE_SOURCE_DIR}/tests/pwsh-host/pwsh-host.csproj -c Release --nologo
          -v quiet -clp:NoSummary --disable-build-servers --artifacts-path ${WSA_DOTNET_OUT}
  COMMAND ${CMAKE_COMMAND} -E touch ${WSA_DOTNET_OUT}/harness.stamp
  DEPENDS ${WSA_DOTNET_SOURCES}
  COMMENT "Building the PowerShell test host and the WSUS API stand-in (dotnet)"
  VERBATIM)
add_custom_target(wsa_pwsh_harness ALL DEPENDS ${WSA_DOTNET_OUT}/harness.stamp)

foreach(file ${WSA_PESTER_FILES})
  set(name "pester: ${WSA_PESTER_SENTENCE_${file}}")
  add_test(NAME "${name}"
           COMMAND ${WSA_PWSH_HOST} -NoProfile -NonInteractive -ExecutionPolicy Bypass
                   -File ${CMAKE_SOURCE_DIR}/tests/pester/run-pester.ps1 ${CMAKE_SOURCE_DIR}/tests/pester/${file}.Tests.ps1)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 900 LABELS powershell
                       ENVIRONMENT "PWSH_HOST=${WSA_PWSH_HOST};WSUS_STANDIN_API_DIR=${WSA_WSUS_API_DIR}")
endforeach()

wsa_test_suite(gaps_server_tests
  SOURCES e2e/gaps_server_test.cpp
  LIBS wsa_wsus nlohmann_json::nlohmann_json)
add_dependencies(gaps_server_tests wsa_pwsh_harness)
target_compile_definitions(gaps_server_tests PRIVATE
  PWSH_HOST_BINARY="${WSA_PWSH_HOST}"
  WSUS_STANDIN_API_DIR="${WSA_WSUS_API_DIR}"
  WSUS_POWERSHELL_DIR="${CMAKE_SOURCE_DIR}/wsus/powershell")

wsa_test_suite(approvals_tests
  SOURCES e2e/approvals_test.cpp
  LIBS nlohmann_json::nlohmann_json)
add_dependencies(approvals_tests wsa_pwsh_harness)
target_compile_definitions(approvals_tests PRIVATE
  PWSH_HOST_BINARY="${WSA_PWSH_HOST}"
  WSUS_STANDIN_API_DIR="${WSA_WSUS_API_DIR}")
