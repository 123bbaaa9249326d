# Project-wide compile options, applied to every target through this interface library.
add_library(wsus_airgap_options INTERFACE)
if(MSVC)
  target_compile_options(wsus_airgap_options INTERFACE /W4 /utf-8 /permissive-)
  target_compile_definitions(wsus_airgap_options INTERFACE UNICODE _UNICODE NOMINMAX WIN32_LEAN_AND_MEAN
                             _WIN32_WINNT=0x0A00)
  if(WSUS_AIRGAP_WERROR)
    target_compile_options(wsus_airgap_options INTERFACE /WX)
  endif()
else()
  target_compile_options(wsus_airgap_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                         -Woverloaded-virtual -Wimplicit-fallthrough)
  if(WSUS_AIRGAP_WERROR)
    target_compile_options(wsus_airgap_options INTERFACE -Werror)
  endif()
  if(WSUS_AIRGAP_SANITIZE)
    target_compile_options(wsus_airgap_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                           -fno-sanitize-recover=undefined)
    target_link_options(wsus_airgap_options INTERFACE -fsanitize=address,undefined)
  endif()
endif()
target_compile_definitions(wsus_airgap_options INTERFACE BOOST_FILESYSTEM_NO_DEPRECATED)
