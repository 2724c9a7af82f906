#!/bin/bash
# net-filter vs nftables in one run, on loopback inside a private network
# namespace: 64-byte UDP datagrams received per second (sendmmsg blaster)
# and TCP connections per second, with no filter, net-filter with 10, 1,000
# and 10,000 rules, and nftables with the same 10,000 rules as a linear chain
# and as sets (one per kind of rule: UDP and TCP source /24 and port, /32
# destination, IPv6 /48 source; each packet is looked up in every set its
# family and protocol can match, as net-filter looks it up in every shape).
# No rule matches the measured traffic, so every packet pays the full
# search. Ratios are against the no-filter baseline.
# The state rows (KW_BENCH_STATE=0 leaves them out): conntrack on with no
# filter, then net-filter with the largest rule set behind a
# `state: [established, related]` accept rule, and nftables with the set
# behind `ct state established,related accept`. In those rows conntrack
# tracks the traffic: the UDP blaster's one-way datagrams stay `new` (no
# reply), so they pay conntrack, the state rule and the full search; TCP's
# SYN-ACK and ACKs are established and accepted by the first rule.
# The configurations are measured in KW_BENCH_REPEAT rounds, each round
# every configuration in turn (net-filter started and stopped, nftables
# loaded and flushed), so that the machine's other load, which changes over
# a run, falls on every row alike; each number is the median of the rounds.
# Throughput is measured with the BPF statistics off (they would slow
# net-filter's rows and no other). For net-filter the program's own average
# run time per packet is then read from the kernel's BPF run-time
# statistics (kernel.bpf_stats_enabled, on for one more UDP run in the last
# round): "stats ns/pkt", which includes the statistics' own two clock reads
# per run.
# The program alone is timed by BPF_PROG_TEST_RUN (bench/helpers/nf_testrun.c,
# statistics off): one synthetic 64-byte packet run 1,000,000 times on one
# CPU, best of 3, for the measured traffic in (no rule matches: the full
# search) and out, and for a packet a drop rule matches ("run ns"
# columns). `stats overhead` is the same egress run with statistics on,
# minus off: what the statistics add to every stats ns/pkt figure.
# Env: KW_BENCH_SECS (per measurement, default 3), KW_BENCH_RULES (default
# "10 1000 10000"), KW_BENCH_REPEAT (default 3), KW_BIN (default build/bin).
set -eu
SECS=${KW_BENCH_SECS:-3}
SIZES=${KW_BENCH_RULES:-10 1000 10000}
REPEAT=${KW_BENCH_REPEAT:-3}
STATE=${KW_BENCH_STATE:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KW_BIN:-$ROOT/${BUILD:-build}/bin}
. "$ROOT/bench/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root"; exit 1; }
[ -x "$BIN/nf-blast" ] && [ -x "$BIN/net-filter" ] || { echo "bench: build first (make)"; exit 1; }
NS=kwnfbench$$ INST=bench$$
OUT=$(mktemp -d)
DPID=
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null || true
	[ -n "$DPID" ] && kill -TERM $DPID 2>/dev/null && wait $DPID 2>/dev/null || true
	"$BIN/net-filter" detach --instance $INST >/dev/null 2>&1 || true
	ip netns del $NS 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT
ip netns add $NS
ip -n $NS link set lo up
ip -n $NS addr add 10.255.0.1/32 dev lo # a non-127 address the rules do not cover either
inns() { ip netns exec $NS "$@"; }

udp_pps() {
	inns "$BIN/nf-blast" udp-sink 9000 "$SECS" >"$OUT/rx" &
	local rx=$!
	sleep 0.2
	inns "$BIN/nf-blast" udp-send 127.0.0.1 9000 "$(awk -v s="$SECS" 'BEGIN{print s - 0.4}')" 64 >/dev/null
	wait $rx
	cat "$OUT/rx"
}
tcp_cps() {
	inns "$BIN/nf-blast" tcp-sink 9001 "$SECS" >/dev/null &
	local srv=$!
	sleep 0.2
	inns "$BIN/nf-blast" tcp-conn 127.0.0.1 9001 "$(awk -v s="$SECS" 'BEGIN{print s - 0.4}')"
	wait $srv
}

# N rules: UDP and TCP drops by source /24 and port, a /32 destination, an
# IPv6 network: four shapes, as a real rule set mixes them.
gen_rules() { # N [state]: the rules file on stdout
	echo "rules:"
	[ "${2:-}" = state ] && echo "  - {name: established, action: accept, state: [established, related]}"
	bench_net_filter_rules "$1"
}
# The same four kinds of rules as net-filter's (bench_net_filter_rules), so
# that both do equal work on each packet: as sets, one per kind (nftables'
# best form), or as one linear chain.
gen_nft() { # N linear|set [state]: the ruleset on stdout
	local n=$1 kind=$2 ct=${3:-}
	{
		echo "table inet kwbench {"
		if [ "$kind" = set ]; then
			set_of() { # KIND TYPE FLAGS: the elements of rule kind KIND (i % 4)
				echo "  set s$1 { type $2;${3:+ flags $3;} elements = {"
				awk -v n="$n" -v k="$1" 'BEGIN { sep = ""
					for (i = k; i < n; i += 4) { a = int(i / 250) % 250; b = i % 250
						if (k <= 1) e = sprintf("10.%d.%d.0/24 . %d", a, b, 1000 + i % 8000)
						else if (k == 2) e = sprintf("192.168.%d.%d", a, b)
						else e = sprintf("fd00:%x:%x::/48", a, b)
						printf "%s    %s", sep, e; sep = ",\n" }
					print "" }'
				echo "  } }"
			}
			set_of 0 "ipv4_addr . inet_service" interval
			set_of 1 "ipv4_addr . inet_service" interval
			set_of 2 ipv4_addr
			set_of 3 ipv6_addr interval
			echo "  chain in { type filter hook input priority 0; policy accept;"
			[ "$ct" = state ] && echo "    ct state established,related accept"
			echo "    ip saddr . udp dport @s0 drop"
			echo "    ip saddr . tcp dport @s1 drop"
			echo "    ip daddr @s2 drop"
			echo "    ip6 saddr @s3 drop"
			echo "  }"
		else
			echo "  chain in { type filter hook input priority 0; policy accept;"
			awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) { a = int(i / 250) % 250; b = i % 250
				if (i % 4 == 0) printf "    ip saddr 10.%d.%d.0/24 udp dport %d drop\n", a, b, 1000 + i % 8000
				else if (i % 4 == 1) printf "    ip saddr 10.%d.%d.0/24 tcp dport %d drop\n", a, b, 1000 + i % 8000
				else if (i % 4 == 2) printf "    ip daddr 192.168.%d.%d drop\n", a, b
				else printf "    ip6 saddr fd00:%x:%x::/48 drop\n", a, b } }'
			echo "  }"
		fi
		echo "}"
	}
}

cc -O2 -o "$OUT/nf_testrun" "$ROOT/bench/helpers/nf_testrun.c" -lbpf
# testrun ARGS...: the program's ns per run, best of 3
testrun() {
	local i best= v
	for i in 1 2 3; do
		v=$("$OUT/nf_testrun" "/sys/fs/bpf/kwarden/net-filter-$INST/link_ipv4_in" "$@" 1000000 | cut -d' ' -f1) || return 0
		[ -z "$best" ] || [ "$v" -lt "$best" ] && best=$v
	done
	echo "$best"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -A U T URUNS TRUNS NS_PKT RUN_IN RUN_OUT RUN_HIT LOAD RELOAD
STATS_COST=-
# measure NAME: one UDP and one TCP figure of this round, statistics off (they
# would add their own cost to net-filter's rows and to no other).
measure() {
	URUNS[$1]+="$(udp_pps) "
	TRUNS[$1]+="$(tcp_cps) "
}
prog_ns() { # average ns per run of the instance's netfilter program
	local id
	id=$(bpftool link show pinned "/sys/fs/bpf/kwarden/net-filter-$INST/link_ipv4_in" 2>/dev/null | awk '/prog/ { for (i = 1; i <= NF; i++) if ($i == "prog") print $(i + 1) }' | head -1)
	[ -n "$id" ] || { echo "-"; return; }
	bpftool prog show id "$id" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } }
		END { if (c > 0) printf "%.0f", t / c; else print "-" }'
}

echo "net-filter benchmark: loopback in a private netns, ${SECS}s per measurement, $REPEAT rounds (kernel $(uname -r), $(nproc) CPUs)"
# net_filter_row NAME LAST: net-filter with $OUT/NAME.yaml for one round; the
# last round also reads the statistics, the test runs and a reload.
net_filter_row() {
	local t0 on
	rm -f "$OUT/nf.log" # the round before's "enforcing" line must not be read as this one's
	t0=$(date +%s.%N)
	nsenter --net=/run/netns/$NS "$BIN/net-filter" --rules "$OUT/$1.yaml" --instance $INST >"$OUT/nf.log" 2>&1 &
	DPID=$!
	for _ in $(seq 600); do grep -qs "enforcing " "$OUT/nf.log" && break; sleep 0.1; done
	grep -q "enforcing " "$OUT/nf.log" || { cat "$OUT/nf.log"; exit 1; }
	[ -n "${LOAD[$1]:-}" ] || LOAD[$1]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	measure "$1"
	if [ "$2" = last ]; then
		sysctl -qw kernel.bpf_stats_enabled=1 || true
		udp_pps >/dev/null
		NS_PKT[$1]=$(prog_ns)
		on=$(testrun out 4 udp 127.0.0.1 127.0.0.1 9000)
		sysctl -qw kernel.bpf_stats_enabled=0 || true
		RUN_IN[$1]=$(testrun in 4 udp 127.0.0.1 127.0.0.1 9000)
		RUN_OUT[$1]=$(testrun out 4 udp 127.0.0.1 127.0.0.1 9000)
		RUN_HIT[$1]=$(testrun in 4 udp 10.0.4.9 127.0.0.1 1004) # rule 4: udp from 10.0.4.0/24 to port 1004
		[ -n "$on" ] && [ -n "${RUN_OUT[$1]}" ] && STATS_COST=$((on - RUN_OUT[$1]))
		sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" || true
		RELOAD[$1]=$(bench_reload_secs $DPID "$OUT/nf.log")
	fi
	kill -TERM $DPID; wait $DPID || true; DPID=
}
nft_row() { # NAME CONF: nftables with CONF for one round
	inns nft -f "$2"
	measure "$1"
	inns nft flush ruleset
}

# The configurations, each set up once per round and measured in turn, so a
# change in the machine's other load between rows touches every row alike.
N=$(echo $SIZES | awk '{print $NF}')
ORDER=("no filter")
for n in $SIZES; do
	gen_rules "$n" >"$OUT/net-filter $n rules.yaml"
	ORDER+=("net-filter $n rules")
done
if command -v nft >/dev/null; then
	for kind in linear set; do
		gen_nft "$N" $kind >"$OUT/nftables $N rules ($kind).conf"
		ORDER+=("nftables $N rules ($kind)")
	done
fi
if [ "$STATE" = 1 ]; then
	if command -v nft >/dev/null; then # conntrack's own cost: a chain without a hook turns it on
		printf 'table inet kwct {\n  chain c {\n    ct state established,related counter\n  }\n}\n' >"$OUT/conntrack on, no filter.conf"
		ORDER+=("conntrack on, no filter")
	fi
	gen_rules "$N" state >"$OUT/net-filter $N rules + state.yaml"
	ORDER+=("net-filter $N rules + state")
	if command -v nft >/dev/null; then
		gen_nft "$N" set state >"$OUT/nftables $N (set) + ct state.conf"
		ORDER+=("nftables $N (set) + ct state")
	fi
fi
for r in $(seq "$REPEAT"); do
	last=; [ "$r" = "$REPEAT" ] && last=last
	for k in "${ORDER[@]}"; do
		if [ "$k" = "no filter" ]; then
			measure "$k"
		elif [ -f "$OUT/$k.yaml" ]; then
			net_filter_row "$k" "$last"
		else
			nft_row "$k" "$OUT/$k.conf"
		fi
	done
	echo "  round $r of $REPEAT done" >&2
done
for k in "${ORDER[@]}"; do
	U[$k]=$(echo ${URUNS[$k]} | tr ' ' '\n' | median)
	T[$k]=$(echo ${TRUNS[$k]} | tr ' ' '\n' | median)
	printf "  %-30s udp %10s pkt/s   tcp %8s conn/s   (runs: udp %s tcp %s)\n" "$k" "${U[$k]}" "${T[$k]}" "${URUNS[$k]}" "${TRUNS[$k]}" >&2
done

printf "\n%-30s %14s %8s %12s %8s %13s %10s %10s %10s\n" configuration "udp pkt/s" ratio "tcp conn/s" ratio \
	"stats ns/pkt" "run ns in" "run ns out" "run ns hit"
for k in "${ORDER[@]}"; do
	awk -v k="$k" -v u="${U[$k]}" -v t="${T[$k]}" -v bu="${U["no filter"]}" -v bt="${T["no filter"]}" -v ns="${NS_PKT[$k]:--}" \
		-v ri="${RUN_IN[$k]:--}" -v ro="${RUN_OUT[$k]:--}" -v rh="${RUN_HIT[$k]:--}" \
		'BEGIN { printf "%-30s %14d %7.0f%% %12d %7.0f%% %13s %10s %10s %10s\n", k, u, 100 * u / bu, t, 100 * t / bt, ns, ri, ro, rh }'
done
echo "stats overhead: ${STATS_COST} ns per run (BPF statistics on minus off, same egress test run)"
for k in "${ORDER[@]}"; do
	if [ -n "${LOAD[$k]:-}" ]; then
		echo "  ($k: start to enforcing ${LOAD[$k]} s, reload to enforcing ${RELOAD[$k]} s)"
	fi
done
