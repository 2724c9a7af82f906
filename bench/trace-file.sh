#!/bin/bash
# trace-file vs opensnoop (libbpf-tools) and opensnoop.bt (bpftrace) in one run.
# Workload (bench/helpers/fileloop.c, static): N_OPEN open+close of one file,
# then N_RW calls alternating pwrite/pread on it. Every tracer is limited to
# the workload's command name (trace-file --comm, opensnoop -n, a comm
# predicate added to opensnoop.bt). Prints seconds per phase, capture rate
# and slowdown against the untraced baseline, and each tracer's BPF time per
# operation from the kernel's run-time statistics (bench/lib.sh). Equal work:
# "trace-file (opens only)" traces what opensnoop traces.
#   KW_BENCH_OPENS (default 1000000), KW_BENCH_RW (default 100000)
set -eu
N_OPEN=${KW_BENCH_OPENS:-1000000}
N_RW=${KW_BENCH_RW:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KW_BIN:-$ROOT/${BUILD:-build}/bin}
OUT=$(mktemp -d /tmp/kw-bench-tf.XXXXXX)
trap 'rc=$?; kill $(jobs -p) 2>/dev/null || true; rm -rf "$OUT"; exit $rc' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root"; exit 1; }
[ -x "$BIN/trace-file" ] || { echo "bench: $BIN/trace-file not built (make)"; exit 1; }
cc -O2 -static -o "$OUT/fileloop" "$ROOT/bench/helpers/fileloop.c"
FILE=$OUT/target
echo data > "$FILE"
. "$ROOT/bench/lib.sh"
trap 'rc=$?; kill $(jobs -p) 2>/dev/null || true; bench_stats_restore; rm -rf "$OUT"; exit $rc' EXIT
bench_stats_on

# run_workload [PROG_IDS...]: prints "open_seconds rw_seconds open_ns rw_ns",
# the last two the BPF time of those programs per open+close and per call.
run_workload() {
	local a b t0 t1 t2
	t0=$(bench_bpf_time "$@")
	a=$("$OUT/fileloop" open "$N_OPEN" "$FILE" 2>&1)
	t1=$(bench_bpf_time "$@")
	b=$("$OUT/fileloop" rw "$N_RW" "$FILE" 2>&1)
	t2=$(bench_bpf_time "$@")
	echo "$a $b $(awk -v x="${t0% *}" -v y="${t1% *}" -v z="${t2% *}" -v no="$N_OPEN" -v nr="$N_RW" \
		'BEGIN { printf "%.0f %.0f", (y - x) / no, (z - y) / nr }')"
}

# with_tracer NAME READY-PATTERN CMD...: starts CMD, waits until it is ready,
# runs the workload, stops CMD (SIGINT) after it drained; prints the times.
with_tracer() {
	local name=$1 ready=$2; shift 2
	bench_prog_ids >"$OUT/ids.before"
	"$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	local pid=$!
	for _ in $(seq 600); do
		grep -qE "$ready" "$OUT/$name.out" "$OUT/$name.err" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || { echo "bench: $name died:" >&2; cat "$OUT/$name.err" >&2; return 1; }
		sleep 0.1
	done
	sleep 0.5
	local t; t=$(run_workload $(bench_prog_ids | comm -13 "$OUT/ids.before" -))
	# Let the consumer drain: wait until the output stops growing.
	local last=-1 size
	for _ in $(seq 120); do
		size=$(stat -c %s "$OUT/$name.out" "$OUT/$name.err" | paste -sd+ | bc)
		[ "$size" = "$last" ] && break
		last=$size
		sleep 1
	done
	kill -INT $pid
	wait $pid 2>/dev/null || true
	echo "$t"
}

echo "trace-file benchmark: $N_OPEN open+close, $N_RW pread/pwrite (kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
read -r base_o base_rw _ _ < <(run_workload)

# trace-file: JSON of every event to a file; it reports received and lost counts on exit.
read -r tf_o tf_rw tf_ons tf_rns < <(with_tracer trace-file "tracing" "$BIN/trace-file" --comm fileloop -o json --ring-mb 64)
tf_recv=$(grep -oE '[0-9]+ file events received' "$OUT/trace-file.err" | cut -d' ' -f1)
tf_lost=$(grep -oE '[0-9]+ lost' "$OUT/trace-file.err" | tail -1 | cut -d' ' -f1)
tf_open=$(grep -c "\"operation\":\"open\".*\"path\":\"$FILE\"" "$OUT/trace-file.out" || true)
tf_rwn=$(grep -cE "\"operation\":\"(read|write)\".*\"path\":\"$FILE\"" "$OUT/trace-file.out" || true)
tf_close=$(grep -c "\"operation\":\"close\"" "$OUT/trace-file.out" || true)
# The same work as opensnoop: opens only.
read -r to_o to_rw to_ons to_rns < <(with_tracer trace-file-opens "tracing" "$BIN/trace-file" --comm fileloop --ops open -o json --ring-mb 64)
to_n=$(grep -c "\"operation\":\"open\".*\"path\":\"$FILE\"" "$OUT/trace-file-opens.out" || true)

os_o=; os_n=
if [ -x /usr/sbin/opensnoop ]; then
	read -r os_o os_rw os_ons os_rns < <(with_tracer opensnoop "PID" /usr/sbin/opensnoop -n fileloop)
	os_n=$(grep -c -- "$FILE" "$OUT/opensnoop.out" || true)
fi
bt_o=; bt_n=
BT=$(ls /usr/sbin/opensnoop.bt /usr/share/bpftrace/tools/opensnoop.bt 2>/dev/null | head -1 || true)
if [ -n "$BT" ] && command -v bpftrace >/dev/null; then
	# The same comm filter as the others, in the kernel.
	sed 's|^tracepoint:syscalls:sys_enter_openat$|tracepoint:syscalls:sys_enter_openat\n/comm == "fileloop"/|' "$BT" > "$OUT/opensnoop.bt"
	read -r bt_o bt_rw bt_ons bt_rns < <(with_tracer opensnoop.bt "Tracing" bpftrace "$OUT/opensnoop.bt")
	bt_n=$(grep -c -- "$FILE" "$OUT/opensnoop.bt.out" || true)
fi

exp_open=$((N_OPEN + 1)) # the rw phase opens once too
printf "\n%-26s %9s %9s %9s %9s %11s %12s %10s\n" tracer "open(s)" "slowdown" "rw(s)" "slowdown" "opens seen" \
	"BPF ns/open" "BPF ns/rw"
row() { # name open_s rw_s opens_captured bpf_ns_per_open+close bpf_ns_per_rw
	if [ -z "$2" ]; then printf "%-26s %9s\n" "$1" "not installed"; return; fi
	awk -v n="$1" -v o="$2" -v r="$3" -v c="$4" -v bo="$base_o" -v br="$base_rw" -v E="$exp_open" \
		-v no="${5:--}" -v nr="${6:--}" 'BEGIN {
		printf "%-26s %9.3f %8.2fx %9.3f %8.2fx %10.2f%% %12s %10s\n", n, o, o / bo, r, r / br, 100 * c / E, no, nr }'
}
row "none (baseline)" "$base_o" "$base_rw" "$exp_open"
row "trace-file (json)" "$tf_o" "$tf_rw" "$tf_open" "$tf_ons" "$tf_rns"
row "trace-file (opens only)" "$to_o" "$to_rw" "$to_n" "$to_ons" "$to_rns"
row "opensnoop (libbpf-tools)" "$os_o" "${os_rw:-0}" "$os_n" "${os_ons:-}" "${os_rns:-}"
row "opensnoop.bt (bpftrace)" "$bt_o" "${bt_rw:-0}" "$bt_n" "${bt_ons:-}" "${bt_rns:-}"
exp_all=$((2 * N_OPEN + N_RW + 2))
echo
echo "trace-file: $tf_open opens, $tf_close closes, $tf_rwn reads+writes of the file;" \
	"$tf_recv events received of $exp_all made, ${tf_lost:-?} lost in the kernel" \
	"($(awk -v a="$tf_recv" -v b="$exp_all" 'BEGIN { printf "%.2f", 100 * a / b }')% captured)"
echo "(opensnoop, opensnoop.bt and \"trace-file (opens only)\" trace opens only: that is the equal-work comparison;"
echo " their rw column is what an idle tracer costs. BPF ns/open: the tracer's programs' run time per open+close"
echo " pair, from kernel.bpf_stats_enabled; BPF ns/rw: per pread or pwrite.)"
