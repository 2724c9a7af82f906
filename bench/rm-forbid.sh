#!/bin/bash
# rm-forbid benchmark. rm-forbid needs the bpf LSM, which the host refuses, so
# on the host this script builds its workload (bench/helpers/rmloop.c, static)
# and re-runs itself inside the VM (test/vm/run), where it measures:
#   create+close+unlink of N_FILES files not in use  (the path_unlink hook)
#   open+close of one file N_OPENS times             (no hook on this path)
# without rm-forbid, with rm-forbid (default policy: every file), and with a
# policy that protects one tree and exempts an executable and a unit (tree walk
# and exemption lookups run only for files in use, so they should cost nothing
# here). Best of KW_BENCH_REPEAT runs each; ratios against the baseline.
#   KW_BENCH_FILES (default 50000), KW_BENCH_OPENS (default 200000), KW_BENCH_REPEAT (3)
#   KW_BENCH_RM_FORBID=PATH measures that binary (no make install)
set -eu
N_FILES=${KW_BENCH_FILES:-50000}
N_OPENS=${KW_BENCH_OPENS:-200000}
REPEAT=${KW_BENCH_REPEAT:-3}

if [ "${KWARDEN_IN_VM:-0}" != 1 ]; then
	ROOT=$(cd "$(dirname "$0")/.." && pwd)
	extra=$(mktemp -d /tmp/kw-bench-rf.XXXXXX)
	trap 'rm -rf "$extra"' EXIT
	cc -O2 -static -o "$extra/rmloop" "$ROOT/bench/helpers/rmloop.c"
	printf 'N_FILES=%s N_OPENS=%s REPEAT=%s\n' "$N_FILES" "$N_OPENS" "$REPEAT" > "$extra/bench.env"
	# KW_BENCH_RM_FORBID=PATH: measure this binary instead of installing the toolkit.
	if [ -n "${KW_BENCH_RM_FORBID:-}" ]; then
		install -D -m 755 "$KW_BENCH_RM_FORBID" "$extra/root/usr/bin/rm-forbid"
		export KWARDEN_VM_NO_INSTALL=1
	fi
	KWARDEN_VM_EXTRA=$extra "$ROOT/test/vm/run" "$0"
	exit
fi

. /kwarden-extra/bench.env
if [ -d /kwarden-extra/root ]; then cp -a /kwarden-extra/root/. /; fi
LOOP=/kwarden-extra/rmloop
W=/tmp/rfbench; mkdir -p $W/d; echo data > $W/file

# best SUBCOMMAND N PATH: the fastest of REPEAT runs, in seconds
best() {
	local b= t
	for _ in $(seq "$REPEAT"); do
		t=$("$LOOP" "$@")
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
	done
	echo "$b"
}
measure() { echo "$(best unlink "$N_FILES" $W/d) $(best open "$N_OPENS" $W/file)"; }

start_rf() {
	rm-forbid "$@" -o json > $W/rf.out 2> $W/rf.err & rf=$!
	for _ in $(seq 300); do grep -q protecting $W/rf.err && return 0; sleep 0.1; done
	echo "bench: rm-forbid did not start:"; cat $W/rf.err; exit 1
}
stop_rf() { kill -INT "$rf"; wait "$rf" || true; }

echo "rm-forbid benchmark in the VM (kernel $(uname -r), TCG, $(nproc) CPUs): $N_FILES create+unlink, $N_OPENS open+close, best of $REPEAT"
read -r base_u base_o < <(measure)
start_rf
read -r rf_u rf_o < <(measure)
# the refusal path: a held file, 200 refused unlinks (event, holder scan, storm aggregation)
echo held > $W/held; (exec 3<$W/held; exec sleep 1000) </dev/null >/dev/null 2>&1 & hp=$!
t0=$(date +%s.%N); for _ in $(seq 200); do rm -f $W/held 2>/dev/null || true; done; t1=$(date +%s.%N)
refused=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 200 * 1000 }')
kill $hp
stop_rf
printf 'protect: [/srv]\nexempt:\n  exe: [/usr/bin/dpkg]\n  unit: [cron.service]\n' > $W/policy.yaml
start_rf --rules $W/policy.yaml
read -r pol_u pol_o < <(measure)
stop_rf

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
per() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.1f", t / n * 1e6 }'; }
printf '\n%-34s %14s %10s %7s %14s %10s %7s\n' "configuration" "unlink s" "us/file" "ratio" "open+close s" "us/op" "ratio"
row() { printf '%-34s %14s %10s %7s %14s %10s %7s\n' "$1" "$2" "$(per "$2" "$N_FILES")" "$(ratio "$2" "$base_u")" "$3" "$(per "$3" "$N_OPENS")" "$(ratio "$3" "$base_o")"; }
row "without rm-forbid (baseline)" "$base_u" "$base_o"
row "rm-forbid, every file" "$rf_u" "$rf_o"
row "rm-forbid, tree + exemptions" "$pol_u" "$pol_o"
echo
echo "refused unlink of a held file (rm process incl. fork+exec, TCG): $refused ms per attempt"
