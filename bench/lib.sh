# Shared by the benchmarks (sourced). Wall-clock ratios swing under load and
# under TCG; the kernel's own accounting of each BPF program's run time
# (kernel.bpf_stats_enabled: run_time_ns and run_cnt) does not, so the
# benchmarks print both.

BENCH_STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
bench_stats_on() { sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null || true; }
bench_stats_restore() { sysctl -qw kernel.bpf_stats_enabled="$BENCH_STATS_WAS" 2>/dev/null || true; }

# The ids of every loaded BPF program, one per line. A tracer's programs are
# the ids that appear once it is ready (bpftool's pid column needs a kernel
# and bpftool built for it, which these machines lack).
bench_prog_ids() { bpftool prog show -j 2>/dev/null | python3 -c 'import json, sys; [print(p["id"]) for p in json.load(sys.stdin)]' | sort -n; }

# bench_bpf_time IDS...: "run_time_ns run_cnt" summed over those programs.
bench_bpf_time() {
	[ $# -gt 0 ] || { echo "0 0"; return; }
	bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[1:])
ps = [p for p in json.load(sys.stdin) if p["id"] in ids]
print(sum(p.get("run_time_ns", 0) for p in ps), sum(p.get("run_cnt", 0) for p in ps))' "$@"
}

# bench_spread: numbers on stdin -> "min median max" (best of N is min for
# times, max for rates).
bench_spread() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s %s %s\n", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

# bench_reload_secs PID LOG: sends the daemon SIGHUP and prints the seconds
# until LOG holds one more "policy reloaded" line (reload to enforcing: the
# new policy is compiled, written and live), or "-" after 60 s.
bench_reload_secs() {
	local pid=$1 log=$2 n t0
	n=$(grep -c "policy reloaded" "$log")
	t0=$(date +%s.%N)
	kill -HUP "$pid"
	for _ in $(seq 600); do
		if [ "$(grep -c "policy reloaded" "$log")" -gt "$n" ]; then
			awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
			return
		fi
		sleep 0.1
	done
	echo -
}

# bench_net_filter_rules N: N net-filter rules of four shapes, as a real rule
# set mixes them (UDP and TCP drops by source /24 and port, a /32
# destination, an IPv6 network), one per line, without the "rules:" key.
bench_net_filter_rules() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
		a = int(i / 250) % 250; b = i % 250
		if (i % 4 == 0) printf "  - {action: drop, direction: ingress, protocol: udp, src: 10.%d.%d.0/24, dport: %d}\n", a, b, 1000 + i % 8000
		else if (i % 4 == 1) printf "  - {action: drop, direction: ingress, protocol: tcp, src: 10.%d.%d.0/24, dport: %d}\n", a, b, 1000 + i % 8000
		else if (i % 4 == 2) printf "  - {action: drop, direction: ingress, dst: 192.168.%d.%d}\n", a, b
		else printf "  - {action: drop, direction: ingress, src: \"fd00:%x:%x::/48\"}\n", a, b
	} }'
}
