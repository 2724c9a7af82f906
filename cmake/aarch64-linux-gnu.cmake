# Cross build for arm64 on a Debian amd64 host (docs/kernels.md, "arm64"):
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install g++-aarch64-linux-gnu and the -dev packages of
#   script/deps.sh with :arm64 (script/build-arm64.sh does both)
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# The BPF objects follow the compiler's target (CMakeLists.txt, KW_BPF_ARCH);
# bpftool and clang run on the host.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# The cross toolchain's own kernel headers (linux-libc-dev-arm64-cross, 6.1 on
# Debian 12) come first in its search path and lack the netfilter BPF program
# type (6.4). linux-libc-dev (>= 6.4 from backports, Architecture: all) carries
# the uapi for every architecture: put its linux/, asm/ and asm-generic/ first.
set(KW_CROSS_UAPI ${CMAKE_BINARY_DIR}/cross-uapi)
file(MAKE_DIRECTORY ${KW_CROSS_UAPI})
file(CREATE_LINK /usr/include/linux ${KW_CROSS_UAPI}/linux SYMBOLIC)
file(CREATE_LINK /usr/include/asm-generic ${KW_CROSS_UAPI}/asm-generic SYMBOLIC)
file(CREATE_LINK /usr/include/aarch64-linux-gnu/asm ${KW_CROSS_UAPI}/asm SYMBOLIC)
set(CMAKE_C_FLAGS_INIT "-isystem ${KW_CROSS_UAPI}")
set(CMAKE_CXX_FLAGS_INIT "-isystem ${KW_CROSS_UAPI}")

# qemu-user runs the arm64 binaries on the host: the man pages are generated
# from their --help, and ctest runs the unit tests through it.
find_program(KW_QEMU_AARCH64 qemu-aarch64)
if(KW_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KW_QEMU_AARCH64};-L;/)
endif()
