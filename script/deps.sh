#!/bin/sh
# Installs what building, testing and the VM need. Idempotent: a machine that
# already has everything returns at once without touching apt.
set -eu

# libclang-rt-dev: clang's libFuzzer and sanitizer runtimes (make fuzz).
# python3: man pages and completion (script/gen-man.py); dpkg-dev: make deb
# (dpkg-shlibdeps); groff-base: the man page check renders them.
PKGS_BASE="clang libclang-rt-dev llvm make cmake pkg-config g++ libelf-dev zlib1g-dev libzstd-dev
 libyaml-dev libsystemd-dev libspdlog-dev libfmt-dev libgtest-dev
 libcli11-dev nlohmann-json3-dev libpcap-dev nettle-dev
 qemu-system-x86 cpio iproute2 tcpdump nftables bpftrace libbpf-tools
 hyperfine procps util-linux kmod python3 dpkg-dev groff-base"
# Needed at >= libbpf 1.4 / bpftool 7.5; on Debian 12 they come from backports.
PKGS_NEW="libbpf-dev bpftool mmdebstrap"

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null; then SUDO=sudo; else
			echo "deps: must run as root (or have sudo) to install packages" >&2; exit 1
		fi
	else SUDO=; fi
}

missing() {
	for p in $PKGS_BASE $PKGS_NEW; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"
	done
	# An old libbpf/bpftool counts as missing.
	if dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libbpf-dev 2>/dev/null || echo 0)" lt 1:1.4; then echo libbpf-dev-new; fi
	if ! bpftool version 2>/dev/null | grep -qE 'bpftool v7\.([5-9]|[1-9][0-9])'; then echo bpftool-new; fi
}

[ -z "$(missing)" ] && exit 0

. /etc/os-release
need_root
export DEBIAN_FRONTEND=noninteractive
case "$ID:$VERSION_ID" in
debian:12)
	if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
		echo "deps: adding bookworm-backports for libbpf >= 1.4 and bpftool >= 7.5"
		printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			| $SUDO tee /etc/apt/sources.list.d/kwarden-backports.sources >/dev/null
	fi
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends $PKGS_BASE
	$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports $PKGS_NEW
	;;
ubuntu:24.04)
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends $(echo $PKGS_BASE | sed 's/libbpf-tools//') $PKGS_NEW linux-tools-common
	;;
*)
	echo "deps: unsupported distribution '$PRETTY_NAME'." >&2
	echo "deps: kwarden needs clang, libbpf >= 1.4, bpftool >= 7.5, libyaml, libsystemd, spdlog, CLI11, nlohmann-json, libpcap, GoogleTest, qemu-system-x86 and mmdebstrap; install them and re-run." >&2
	exit 1
	;;
esac
left=$(missing)
if [ -n "$left" ]; then echo "deps: still missing after install: $left" >&2; exit 1; fi
