#!/bin/bash
# make build-arm64: cross-builds kwarden for arm64 on a Debian 12 amd64 host and
# runs the unit tests through qemu-user (docs/kernels.md, "arm64"). Not part of
# make test: it installs a cross toolchain and arm64 libraries.
#
#   script/build-arm64.sh [BUILD_DIR]      default build-arm64
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-arm64}
mkdir -p "$build"
build=$(cd "$build" && pwd)

PKGS="g++-aarch64-linux-gnu qemu-user libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64
 libsystemd-dev:arm64 libspdlog-dev:arm64 libfmt-dev:arm64 libgtest-dev:arm64 libpcap-dev:arm64
 libyaml-dev:arm64 nettle-dev:arm64"
missing=
for p in $PKGS libbpf-dev:arm64; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "build-arm64: needs root to install:$missing" >&2; exit 1; }
	echo "build-arm64: installing:$missing"
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends $PKGS
	# libbpf >= 1.4 comes from backports, as for the native build (script/deps.sh).
	apt-get install -y -q --no-install-recommends -t bookworm-backports libbpf-dev:arm64
fi

cmake -S "$src" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"${JOBS:-2}"
file "$build"/bin/* | sed "s|$build/||"
cd "$build" && ctest -L unit --output-on-failure
