#!/bin/sh
# Regenerates bpf/kernel/vmlinux.h from a kernel's BTF. CO-RE relocates field offsets
# for the running kernel, so one committed header serves every supported kernel;
# regenerate only to reach types that older headers lack.
set -eu
src=${1:-/sys/kernel/btf/vmlinux}
out=$(dirname "$0")/../bpf/kernel/vmlinux.h
bpftool btf dump file "$src" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out from $src"
