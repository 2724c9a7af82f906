#!/bin/bash
# Regenerates bpf/kernel/arch/ARCH/vmlinux.h from a kernel's BTF. CO-RE relocates
# field offsets for the running kernel, so one committed header per architecture
# serves every supported kernel; regenerate only to reach types older headers lack.
#
#   script/gen-vmlinux.sh [ARCH [SOURCE]]
#
# ARCH: x86 or arm64 (default: this machine's). SOURCE: a BTF file (default
# /sys/kernel/btf/vmlinux), an ELF vmlinux, or a kernel Image or Debian
# linux-image .deb of any architecture. A raw Image has no section table, so its
# .BTF blob is found by its header (magic 0xeB9F, version 1, 24-byte header).
# Made this way: arm64 from linux-image-6.12.118+deb12-arm64-unsigned (apt-get
# download 'linux-image-6.12.118+deb12-arm64-unsigned:arm64' after
# dpkg --add-architecture arm64).
set -euo pipefail

case $(uname -m) in x86_64) here=x86 ;; aarch64) here=arm64 ;; *) here=$(uname -m) ;; esac
arch=${1:-$here}
src=${2:-/sys/kernel/btf/vmlinux}
out=$(cd "$(dirname "$0")/.." && pwd)/bpf/kernel/arch/$arch/vmlinux.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $src in
*.deb)
	dpkg-deb --fsys-tarfile "$src" | tar -x -C "$tmp" --wildcards './boot/vmlinu*'
	src=$(ls "$tmp"/boot/vmlinu* | head -1)
	;;
esac
case $(file -b "$src") in
*ELF*|*data*) btf=$src ;;
*)
	btf=$tmp/vmlinux.btf
	python3 - "$src" "$btf" <<'EOF'
import gzip, struct, sys
d = open(sys.argv[1], 'rb').read()
if d[:2] == b'\x1f\x8b':
    d = gzip.decompress(d)
magic = b'\x9f\xeb\x01\x00\x18\x00\x00\x00'
i = d.find(magic)
while i >= 0:
    type_off, type_len, str_off, str_len = struct.unpack_from('<IIII', d, i + 8)
    end = 24 + str_off + str_len
    # vmlinux BTF: types first, strings right after them.
    if type_off == 0 and str_off == type_len and str_len > 0 and i + end <= len(d):
        open(sys.argv[2], 'wb').write(d[i:i + end])
        sys.exit(0)
    i = d.find(magic, i + 1)
sys.exit(f"gen-vmlinux: no BTF blob in {sys.argv[1]}: the kernel needs CONFIG_DEBUG_INFO_BTF")
EOF
	;;
esac
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out from ${2:-$src}"
