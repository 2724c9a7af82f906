#!/bin/bash
# script/test-matrix.sh [SUITE...]: every VM suite (test/vm/suites/*.sh) on each
# kernel of KWARDEN_MATRIX_KERNELS (default "6.12 6.1"), then a table: suite x
# kernel, pass, fail or skip, with the reason of a skip or a failure. Logs go to
# $BUILD/matrix/<kernel>/<suite>.log. Exits 1 when any suite failed.
# `make test` runs one kernel (6.12); this is `make test-matrix`.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${BUILD:-$repo/build}/matrix
kernels=${KWARDEN_MATRIX_KERNELS:-6.12 6.1}
if [ $# -gt 0 ]; then suites=("$@"); else suites=("$repo"/test/vm/suites/*.sh); fi

declare -A result reason
failed=0
for k in $kernels; do
	mkdir -p "$out/$k"
	for s in "${suites[@]}"; do
		n=$(basename "$s" .sh) log=$out/$k/$n.log
		echo "matrix: $n on Linux $k ..." >&2
		KWARDEN_VM_KERNEL=$k "$repo/test/vm/run" "$s" > "$log" 2>&1
		rc=$?
		case $rc in
		0) result[$n,$k]=pass reason[$n,$k]=$(grep -m1 '^SKIP:' "$log" | sed 's/^SKIP: /partly skipped: /') ;;
		77) result[$n,$k]=skip reason[$n,$k]=$(grep -m1 '^SKIP:' "$log" | cut -c7-) ;;
		*) result[$n,$k]=fail; failed=1
		   reason[$n,$k]=$( { grep -E '^FAIL:' "$log"; grep -E '^vm: .*(failed|exited|stopped|timed out)' "$log"; } | head -1 | cut -c1-70) ;;
		esac
		echo "matrix: $n on Linux $k: ${result[$n,$k]} ${reason[$n,$k]}" >&2
	done
done

printf '\n%-28s' suite
for k in $kernels; do printf ' %-60s' "Linux $k"; done
printf '\n'
for s in "${suites[@]}"; do
	n=$(basename "$s" .sh)
	printf '%-28s' "$n"
	for k in $kernels; do
		cell=${result[$n,$k]}
		[ -n "${reason[$n,$k]}" ] && cell="$cell: ${reason[$n,$k]}"
		printf ' %-60s' "${cell:0:60}"
	done
	printf '\n'
done
echo "logs: $out/<kernel>/<suite>.log"
exit $failed
