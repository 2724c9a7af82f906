#!/bin/bash
# frtp start-to-enforcing time: the installed frtp against another build of
# it (KW_BENCH_OTHER_FRTP, e.g. main's before a change), in one VM boot so
# both see the same machine. For each policy: the shipped rules
# (/etc/kwarden/frtp.yaml) and one tree rule over a tree of
# KW_BENCH_TREE_FILES files (100 per cent new inodes, 1,000 per directory, one
# in 10,000 with a second name), each frtp is started KW_BENCH_REPEAT times
# in the foreground and timed from exec to its "enforcing" line; frtp's own
# walk line ("trees walked for hardlinked files") is printed when it has one.
#   KW_BENCH_OTHER_FRTP (default: none, this build only), KW_BENCH_TREE_FILES
#   (default 100000), KW_BENCH_REPEAT (default 3)
# Example: KW_BENCH_OTHER_FRTP=/work/main/build/bin/frtp bench/frtp_startup.sh
set -eu
TREE_FILES=${KW_BENCH_TREE_FILES:-100000}
REPEAT=${KW_BENCH_REPEAT:-3}

if [ "${KWARDEN_IN_VM:-0}" != 1 ]; then
	ROOT=$(cd "$(dirname "$0")/.." && pwd)
	extra=$(mktemp -d /tmp/kw-bench-frtp-start.XXXXXX)
	trap 'rm -rf "$extra"' EXIT
	[ -n "${KW_BENCH_OTHER_FRTP:-}" ] && cp "$KW_BENCH_OTHER_FRTP" "$extra/frtp-other"
	printf 'TREE_FILES=%s REPEAT=%s\n' "$TREE_FILES" "$REPEAT" > "$extra/bench.env"
	KWARDEN_VM_EXTRA=$extra KWARDEN_VM_TIMEOUT=${KWARDEN_VM_TIMEOUT:-1500} "$ROOT/test/vm/run" "$0"
	exit
fi

. /kwarden-extra/bench.env
grep -qw bpf /sys/kernel/security/lsm || { echo "SKIP: bpf is not in the LSM list"; exit 77; }
W=/run/frtp-start
rm -rf $W; mkdir -p $W/big
python3 - "$W/big" "$TREE_FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = 1000
for i in range(n):
    d = f"{root}/d{i // per}"
    if i % per == 0:
        os.makedirs(d, exist_ok=True)
    os.close(os.open(f"{d}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
for i in range(0, n, per * 10):
    os.link(f"{root}/d{i // per}/f{i}", f"{root}/link{i}")
PY
printf 'rules:\n  - name: big\n    objects: [%s/**]\n    operations: [read]\n    action: deny\n' "$W/big" > $W/big.yaml

# start_time FRTP POLICY: seconds from exec to the "enforcing" line.
start_time() {
	local t0 fp
	t0=$(date +%s.%N)
	"$1" --rules "$2" -o json > $W/out 2> $W/err & fp=$!
	for _ in $(seq 3000); do grep -q enforcing $W/err && break; sleep 0.05; done
	grep -q enforcing $W/err || { echo "frtp $1 did not start:" >&2; tail -5 $W/err >&2; }
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
	kill -INT $fp; wait $fp || true
	sleep 1   # links are released after a grace period
}

bins=("$(command -v frtp)")
[ -x /kwarden-extra/frtp-other ] && bins+=(/kwarden-extra/frtp-other)
echo "frtp start to enforcing (s), $REPEAT runs each, under TCG:"
for pol in /etc/kwarden/frtp.yaml $W/big.yaml; do
	for b in "${bins[@]}"; do
		ts=()
		for _ in $(seq "$REPEAT"); do ts+=("$(start_time "$b" "$pol")"); done
		walk=$(grep -o 'trees walked.*' $W/err | tail -1 || true)
		printf '  %-32s %-24s %s%s\n' "$(basename "$pol")" "$b" "${ts[*]}" "${walk:+   ($walk)}"
	done
done
