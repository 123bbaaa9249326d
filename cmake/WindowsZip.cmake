# cmake -P cmake/WindowsZip.cmake: writes dist/wsus-airgap-<version>-windows-x64.zip holding
# wsus-airgap.exe, README.md, the licence texts of the bundled libraries and SHA256SUMS (sha256sum
# format, so `sha256sum -c` and PowerShell's Get-FileHash both check it), and <zip>.sha256 beside it.
# Variables: EXE, README, LICENSES (folder of <library>.txt), VERSION, STAGE (a scratch folder), DIST.
set(name wsus-airgap-${VERSION}-windows-x64)
file(REMOVE_RECURSE ${STAGE})
file(MAKE_DIRECTORY ${STAGE}/${name}/licenses ${DIST})
file(COPY ${EXE} ${README} DESTINATION ${STAGE}/${name})
file(GLOB licence_texts ${LICENSES}/*.txt)
file(COPY ${licence_texts} DESTINATION ${STAGE}/${name}/licenses)

file(GLOB_RECURSE members RELATIVE ${STAGE}/${name} ${STAGE}/${name}/*)
list(SORT members)
set(sums "")
foreach(member ${members})
  file(SHA256 ${STAGE}/${name}/${member} digest)
  string(APPEND sums "${digest}  ${member}\n")
endforeach()
file(WRITE ${STAGE}/${name}/SHA256SUMS "${sums}")

set(zip ${DIST}/${name}.zip)
file(REMOVE ${zip})
execute_process(COMMAND ${CMAKE_COMMAND} -E tar cf ${zip} --format=zip "--mtime=2026-01-01 00:00:00 UTC" ${name}
                WORKING_DIRECTORY ${STAGE} RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "cannot write ${zip}")
endif()
file(SHA256 ${zip} digest)
file(WRITE ${zip}.sha256 "${digest}  ${name}.zip\n")
file(SIZE ${zip} size)
message(STATUS "wrote ${zip} (${size} bytes), SHA-256 ${digest}")
