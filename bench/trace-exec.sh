#!/bin/bash
# trace-exec vs execsnoop (libbpf-tools) in one run: N fork+exec of
# /bin/true with no tracer, with each tracer; capture rate and slowdown.
set -eu
N=${KW_BENCH_EXECS:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KW_BIN:-$ROOT/${BUILD:-build}/bin}
OUT=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$OUT"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root"; exit 1; }
cc -O2 -o "$OUT/forkexec" "$ROOT/bench/helpers/forkexec.c"
M=kwbench$$

run_workload() { KW_MARK="$M-$1" "$OUT/forkexec" "$N" /bin/true @MARK; }

# with_tracer NAME READY-PATTERN CMD...: starts CMD, waits until ready, runs
# the workload, stops CMD and lets it drain; prints "seconds captured".
with_tracer() {
	local name=$1 ready=$2; shift 2
	"$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	local pid=$!
	for _ in $(seq 300); do
		grep -qE "$ready" "$OUT/$name.out" "$OUT/$name.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.5
	local secs; secs=$(run_workload "$name")
	sleep 1
	kill -INT $pid; wait $pid 2>/dev/null || true
	echo "$secs $(grep -c -- "$M-$name" "$OUT/$name.out" || true)"
}

echo "trace-exec benchmark: $N x fork+exec of /bin/true (kernel $(uname -r), $(nproc) CPUs)"
base=$(run_workload base)
read -r te_s te_n < <(with_tracer trace-exec "tracing execs" "$BIN/trace-exec" -o json)
if [ -x /usr/sbin/execsnoop ]; then
	read -r es_s es_n < <(with_tracer execsnoop "PCOMM" /usr/sbin/execsnoop)
else
	es_s=; es_n=
fi

row() { # name seconds captured
	if [ -z "$2" ]; then printf "%-22s %10s %12s %10s\n" "$1" "n/a" "not installed" "-"; return; fi
	awk -v n="$1" -v s="$2" -v c="${3:-$N}" -v b="$base" -v N="$N" 'BEGIN {
		printf "%-22s %10.3f %11.2f%% %9.2fx\n", n, s, 100 * c / N, s / b }'
}
printf "%-22s %10s %12s %10s\n" tracer seconds captured slowdown
row "none (baseline)" "$base" "$N"
row "trace-exec" "$te_s" "$te_n"
row "execsnoop (libbpf)" "$es_s" "$es_n"
awk -v a="$te_s" -v b="$es_s" 'BEGIN { if (b != "") printf "trace-exec / execsnoop time ratio: %.2f\n", a / b }'
