#!/bin/bash
# trace-exec vs execsnoop (libbpf-tools) in one run: N fork+exec of
# /bin/true with no tracer, with each tracer; capture rate and slowdown.
# The three are run in turn KW_BENCH_REPS times, so the spread of each ratio
# is printed (best, median, worst), and each tracer's BPF time per exec from
# the kernel's run-time statistics, which does not swing (bench/lib.sh).
set -eu
N=${KW_BENCH_EXECS:-20000}
REPS=${KW_BENCH_REPS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KW_BIN:-$ROOT/${BUILD:-build}/bin}
OUT=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; bench_stats_restore; rm -rf "$OUT"' EXIT
. "$ROOT/bench/lib.sh"
bench_stats_on
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root"; exit 1; }
cc -O2 -o "$OUT/forkexec" "$ROOT/bench/helpers/forkexec.c"
M=kwbench$$

run_workload() { KW_MARK="$M-$1" "$OUT/forkexec" "$N" /bin/true @MARK; }

# with_tracer NAME READY-PATTERN CMD...: starts CMD, waits until ready, runs
# the workload, stops CMD and lets it drain; prints "seconds captured bpf_ns",
# bpf_ns being its programs' run time per exec.
with_tracer() {
	local name=$1 ready=$2; shift 2
	bench_prog_ids >"$OUT/ids.before"
	"$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	local pid=$!
	for _ in $(seq 300); do
		grep -qE "$ready" "$OUT/$name.out" "$OUT/$name.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.5
	local ids t0 t1 secs
	ids=$(bench_prog_ids | comm -13 "$OUT/ids.before" -)
	t0=$(bench_bpf_time $ids)
	secs=$(run_workload "$name")
	t1=$(bench_bpf_time $ids)
	sleep 1
	kill -INT $pid; wait $pid 2>/dev/null || true
	echo "$secs $(grep -c -- "$M-$name" "$OUT/$name.out" || true) $(awk -v a="${t0% *}" -v b="${t1% *}" -v n="$N" 'BEGIN { printf "%.0f", (b - a) / n }')"
}

echo "trace-exec benchmark: $N x fork+exec of /bin/true, $REPS rounds (kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
have_es=; [ -x /usr/sbin/execsnoop ] && have_es=1
: >"$OUT/rounds"
for r in $(seq "$REPS"); do
	base=$(run_workload base)
	read -r te_s te_n te_ns < <(with_tracer trace-exec "tracing execs" "$BIN/trace-exec" -o json)
	es_s=; es_n=; es_ns=
	[ -z "$have_es" ] || read -r es_s es_n es_ns < <(with_tracer execsnoop "PCOMM" /usr/sbin/execsnoop)
	echo "$r $base $te_s $te_n $te_ns ${es_s:--} ${es_n:--} ${es_ns:--}" >>"$OUT/rounds"
	printf "  round %d: none %.3f s, trace-exec %.3f s (%s seen, %s BPF ns/exec), execsnoop %s s (%s seen, %s BPF ns/exec)\n" \
		"$r" "$base" "$te_s" "$te_n" "$te_ns" "${es_s:--}" "${es_n:--}" "${es_ns:--}"
done

col() { awk -v c="$1" '$c != "-" { print $c }' "$OUT/rounds"; }
ratio() { awk -v a="$1" -v b="$2" '$a != "-" && $b != "-" { print $a / $b }' "$OUT/rounds"; }
line() { # name spread-of-values unit [decimals]
	read -r lo med hi <<<"$2"
	[ -n "$lo" ] || { printf "%-34s %s\n" "$1" "n/a"; return; }
	local f="%10.${4:-3}f"
	printf "%-34s $f $f $f  %s\n" "$1" "$lo" "$med" "$hi" "$3"
}
echo
printf "%-34s %10s %10s %10s\n" "over $REPS rounds" best median worst
line "trace-exec slowdown" "$(ratio 3 2 | bench_spread)" "x (time / untraced time)"
line "execsnoop slowdown" "$(ratio 6 2 | bench_spread)" "x"
line "trace-exec / execsnoop time" "$(ratio 3 6 | bench_spread)" "(below 1: trace-exec is cheaper)"
line "trace-exec BPF ns per exec" "$(col 5 | bench_spread)" "ns (kernel.bpf_stats_enabled; every exec, fork and exit on the machine counts)" 0
line "execsnoop BPF ns per exec" "$(col 8 | bench_spread)" "ns" 0
line "trace-exec captured" "$(awk -v n="$N" '{ print 100 * $4 / n }' "$OUT/rounds" | bench_spread)" "% (worst is the first column)" 1
line "execsnoop captured" "$(awk -v n="$N" '$7 != "-" { print 100 * $7 / n }' "$OUT/rounds" | bench_spread)" "%" 1
