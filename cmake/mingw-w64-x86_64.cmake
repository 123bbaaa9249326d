# Cross build for 64-bit Windows with Debian's MinGW-w64 (posix thread model, for std::thread).
# scripts/windows-build.sh passes WSUS_AIRGAP_WINDOWS_DEPS (the prefix holding the static libraries it
# built from Debian's source packages) and WSUS_AIRGAP_WINE (the runner CTest and Catch2's test
# discovery use to start the .exe files).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(WSUS_AIRGAP_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${WSUS_AIRGAP_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${WSUS_AIRGAP_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${WSUS_AIRGAP_TRIPLE}-windres)
set(CMAKE_AR ${WSUS_AIRGAP_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${WSUS_AIRGAP_TRIPLE}-ranlib CACHE FILEPATH "")

# Libraries and headers come only from the MinGW sysroot and the dependency prefix, never /usr.
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${WSUS_AIRGAP_TRIPLE})
if(DEFINED WSUS_AIRGAP_WINDOWS_DEPS)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${WSUS_AIRGAP_WINDOWS_DEPS})
  list(APPEND CMAKE_PREFIX_PATH ${WSUS_AIRGAP_WINDOWS_DEPS})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static everything: find only .a archives, and link the GCC runtime and winpthreads into the .exe,
# so it needs no DLL beyond those every Windows Server has.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(Boost_USE_STATIC_LIBS ON)
set(OPENSSL_USE_STATIC_LIBS ON)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# Wide Windows APIs, Windows 10 / Server 2016 and later.
add_compile_definitions(UNICODE _UNICODE NOMINMAX WIN32_LEAN_AND_MEAN _WIN32_WINNT=0x0A00)

if(DEFINED WSUS_AIRGAP_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${WSUS_AIRGAP_WINE})
endif()

