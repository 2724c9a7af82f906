#!/bin/bash
# frtp benchmark. frtp needs the bpf LSM, which the host refuses, so on the
# host this script builds its workload (bench/helpers/rmloop.c: open+close N
# times, static) and re-runs itself inside the VM (test/vm/run), where it
# measures open+close and fork+exec loops:
#   no policy (baseline); frtp with 10, 1000 and 10000 rules (each rule one
#   exact object), first on a path no rule names (the hot path matching
#   none: a hash lookup per path component), then on a file under a tree
#   with an allow rule (lookup hit + rule and subject evaluation);
#   AppArmor with an equivalent profile (deny read of the same objects, allow
#   the rest) on the loop binaries, when AppArmor is active in the VM kernel
#   (it checks reads and writes through a descriptor too).
#   a read/write loop (pread/pwrite of 64 bytes through one descriptor) with
#   no policy and under each frtp policy: every read and write checks that
#   the descriptor was allowed under the policy in force (one lookup, one
#   compare);
#   frtp's load on a tree of KW_BENCH_TREE_FILES files (the walk that finds
#   hardlinked members), against the same policy on an empty tree;
#   each frtp hook's own run time per call over one more run of each loop,
#   from the kernel's BPF statistics (stable where TCG wall-clock ratios
#   swing). The wall-clock loops run with the statistics off, as the
#   baseline and AppArmor do.
# Ratios against the baseline. Best of KW_BENCH_REPEAT runs.
#   KW_BENCH_OPENS (default 100000), KW_BENCH_EXECS (default 200), KW_BENCH_REPEAT (2),
#   KW_BENCH_RULES (default "10 1000 10000"), KW_BENCH_RW (default 200000),
#   KW_BENCH_TREE_FILES (default 100000; 0 skips the load measurement)
set -eu
N_OPENS=${KW_BENCH_OPENS:-100000}
N_EXECS=${KW_BENCH_EXECS:-200}
REPEAT=${KW_BENCH_REPEAT:-2}
RULES=${KW_BENCH_RULES:-10 1000 10000}
N_RW=${KW_BENCH_RW:-200000}
TREE_FILES=${KW_BENCH_TREE_FILES:-100000}

if [ "${KWARDEN_IN_VM:-0}" != 1 ]; then
	ROOT=$(cd "$(dirname "$0")/.." && pwd)
	extra=$(mktemp -d /tmp/kw-bench-frtp.XXXXXX)
	trap 'rm -rf "$extra"' EXIT
	cc -O2 -static -o "$extra/rmloop" "$ROOT/bench/helpers/rmloop.c"
	cc -O2 -static -o "$extra/forkexec" "$ROOT/bench/helpers/forkexec.c"
	cc -O2 -static -o "$extra/fileloop" "$ROOT/bench/helpers/fileloop.c"
	cp "$ROOT/bench/lib.sh" "$extra/lib.sh"
	printf 'N_OPENS=%s N_EXECS=%s REPEAT=%s RULES="%s" N_RW=%s TREE_FILES=%s\n' "$N_OPENS" "$N_EXECS" "$REPEAT" \
		"$RULES" "$N_RW" "$TREE_FILES" > "$extra/bench.env"
	KWARDEN_VM_EXTRA=$extra KWARDEN_VM_TIMEOUT=${KWARDEN_VM_TIMEOUT:-1500} "$ROOT/test/vm/run" "$0"
	exit
fi

. /kwarden-extra/bench.env
. /kwarden-extra/lib.sh
# The kernel's own cost per call of frtp's hooks over one loop: run_time_ns
# and run_cnt of each frtp_* program before and after (statistics on).
hooks_snap() { bpftool prog show -j 2>/dev/null > "$1"; }
hooks_cost() { # hooks_cost BEFORE AFTER: "file_open 812 ns, ..." (hooks that ran)
	python3 - "$1" "$2" <<'PY'
import json, sys
def load(f):
    out = {}
    for p in json.load(open(f)):
        n = p.get("name", "")
        if n.startswith("frtp_"):
            t, c = out.get(n, (0, 0))
            out[n] = (t + p.get("run_time_ns", 0), c + p.get("run_cnt", 0))
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
parts = []
for n in ("frtp_file_open", "frtp_file_permission", "frtp_file_free", "frtp_bprm_check", "frtp_mmap_file"):
    t0, c0 = a.get(n, (0, 0)); t1, c1 = b.get(n, (0, 0))
    if c1 > c0:
        parts.append(f"{n[5:]} {(t1 - t0) / (c1 - c0):.0f}")
print(", ".join(parts) or "-")
PY
}
W=/srv/frtpbench
rm -rf $W; mkdir -p $W/objs $W/cold/a/b $W/hot/a/b
echo data > $W/cold/a/b/file; echo data > $W/hot/a/b/file
cp /kwarden-extra/rmloop $W/rmloop
LOOP=$W/rmloop
cp /kwarden-extra/forkexec $W/forkexec
EXEC=$W/forkexec
cp /kwarden-extra/fileloop $W/fileloop
RW=$W/fileloop

best_open() {
	local b= t
	for _ in $(seq "$REPEAT"); do
		t=$("$LOOP" open "$N_OPENS" "$1")
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
	done
	echo "$b"
}
best_exec() {
	local b= t
	for _ in $(seq "$REPEAT"); do
		t=$("$EXEC" "$N_EXECS" /bin/true)
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
	done
	echo "$b"
}
best_rw() {
	local b= t
	for _ in $(seq "$REPEAT"); do
		t=$("$RW" rw "$N_RW" "$1" 2>&1 >/dev/null)
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
	done
	echo "$b"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
us() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.1f", t * 1e6 / n }'; }

policy() { # policy N: N deny rules on N objects, plus one allow rule on hot/
	local n=$1 i
	mkdir -p $W/objs/$n
	{
		echo "rules:"
		echo "  - name: hot-allow"
		echo "    objects: [$W/hot/**]"
		echo "    operations: [read]"
		echo "    action: allow"
		echo "    subjects: {uid: 0}"
		for i in $(seq "$n"); do
			: > $W/objs/$n/f$i
			printf '  - name: r%s\n    objects: [%s]\n    operations: [read, write]\n    action: deny\n' "$i" "$W/objs/$n/f$i"
		done
	} > $W/policy-$n.yaml
}

echo "frtp benchmark in the VM (kernel $(uname -r), TCG, $(nproc) CPUs): $N_OPENS open+close, $N_EXECS fork+exec, best of $REPEAT"
base_o=$(best_open $W/cold/a/b/file)
base_e=$(best_exec)
rows=()
row() { rows+=("$(printf '%-44s %10s us %6s   %10s ms %6s' "$1" "$(us "$2" "$N_OPENS")" "$(ratio "$2" "$base_o")" \
	"$(awk -v t="$3" -v n="$N_EXECS" 'BEGIN { printf "%.2f", t * 1e3 / n }')" "$(ratio "$3" "$base_e")")"); }
row "no policy (baseline)" "$base_o" "$base_e"
base_rw=$(best_rw $W/cold/a/b/file)
rw_rows=()
hook_rows=()
rw_row() { rw_rows+=("$(printf '%-44s %10s us %6s' "$1" "$(us "$2" "$N_RW")" "$(ratio "$2" "$base_rw")")"); }
rw_row "no policy (baseline)" "$base_rw"

for n in $RULES; do
	policy "$n"
	t0=$(date +%s.%N)
	frtp --rules $W/policy-$n.yaml -o json > $W/frtp.out 2> $W/frtp.err & fp=$!
	for _ in $(seq 600); do grep -q enforcing $W/frtp.err && break; sleep 0.1; done
	grep -q enforcing $W/frtp.err || { echo "frtp did not start:"; tail -5 $W/frtp.err; exit 1; }
	load=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	# Wall clock with the statistics off, as AppArmor and the baseline run:
	# with them on, every program run pays two clock reads.
	o=$(best_open $W/cold/a/b/file); e=$(best_exec)
	row "frtp $n rules, path matching none" "$o" "$e"
	o=$(best_open $W/hot/a/b/file)
	row "frtp $n rules, file under an allow rule" "$o" "$e"
	t=$(best_rw $W/cold/a/b/file)
	rw_row "frtp $n rules, path matching none" "$t"
	t=$(best_rw $W/hot/a/b/file)
	rw_row "frtp $n rules, file under an allow rule" "$t"
	# Then each hook's own cost, over one more run of each loop.
	bench_stats_on
	hooks_snap $W/s0; "$LOOP" open "$N_OPENS" $W/cold/a/b/file > /dev/null; hooks_snap $W/s1
	hook_rows+=("$(printf '%-44s %s' "frtp $n rules, path matching none" "$(hooks_cost $W/s0 $W/s1)")")
	hooks_snap $W/s0; "$LOOP" open "$N_OPENS" $W/hot/a/b/file > /dev/null; hooks_snap $W/s1
	hook_rows+=("$(printf '%-44s %s' "frtp $n rules, file under an allow rule" "$(hooks_cost $W/s0 $W/s1)")")
	hooks_snap $W/s0; "$RW" rw "$N_RW" $W/cold/a/b/file > /dev/null 2>&1; hooks_snap $W/s1
	hook_rows+=("$(printf '%-44s %s' "  read/write loop, path matching none" "$(hooks_cost $W/s0 $W/s1)")")
	hooks_snap $W/s0; "$RW" rw "$N_RW" $W/hot/a/b/file > /dev/null 2>&1; hooks_snap $W/s1
	hook_rows+=("$(printf '%-44s %s' "  read/write loop, under an allow rule" "$(hooks_cost $W/s0 $W/s1)")")
	bench_stats_restore
	reload=$(bench_reload_secs $fp $W/frtp.err)
	kill -INT $fp; wait $fp || true
	echo "  (frtp with $n rules: start to enforcing ${load} s, reload to enforcing ${reload} s)"
done

# Load cost of a big tree: frtp walks every tree for files with several
# names (hardlinks) each time it writes a policy.
load_note=
if [ "$TREE_FILES" -gt 0 ]; then
	mkdir -p $W/big $W/empty
	python3 - "$W/big" "$TREE_FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = 1000  # files per directory
for i in range(n):
    d = f"{root}/d{i // per}"
    if i % per == 0:
        os.makedirs(d, exist_ok=True)
    os.close(os.open(f"{d}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
for i in range(0, n, per * 10):   # a few files that have a second name
    os.link(f"{root}/d{i // per}/f{i}", f"{root}/link{i}")
PY
	load_time() { # load_time TREE: seconds from start to enforcing, and frtp's own walk line
		printf 'rules:
  - name: big
    objects: [%s/**]
    operations: [read]
    action: deny
' "$1" > $W/policy-big.yaml
		local t0 fp
		t0=$(date +%s.%N)
		frtp --rules $W/policy-big.yaml -o json > $W/frtp.out 2> $W/frtp.err & fp=$!
		for _ in $(seq 1200); do grep -q enforcing $W/frtp.err && break; sleep 0.1; done
		awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
		kill -INT $fp; wait $fp || true
	}
	t_empty=$(load_time $W/empty)
	t_big=$(load_time $W/big)
	walk=$(grep -o 'trees walked.*' $W/frtp.err | tail -1)
	load_note="load, tree of $TREE_FILES files: ${t_big} s to enforcing (empty tree: ${t_empty} s); frtp: $walk"
fi

aa_note=
if ! grep -qw apparmor /sys/kernel/security/lsm; then
	aa_note="AppArmor not active in this kernel (LSMs: $(cat /sys/kernel/security/lsm)); boot with lsm=...,apparmor,bpf"
elif ! command -v apparmor_parser >/dev/null; then
	aa_note="apparmor_parser missing"
else
	for n in $RULES; do
		# The same deny rules confine both workloads; the exec loop's
		# children inherit its profile (ix), as frtp's rules cover them.
		{
			for prof in "frtpbench $LOOP" "frtpbench-exec $EXEC" "frtpbench-rw $RW"; do
				echo "profile $prof {"
				echo "  /** rwix,"
				for i in $(seq "$n"); do echo "  deny $W/objs/$n/f$i rw,"; done
				echo "}"
			done
		} > $W/aa-$n
		[ -e $W/objs/$n/f1 ] || policy "$n"
		if timeout 600 apparmor_parser -r -W $W/aa-$n 2> $W/aa.err; then
			o=$(best_open $W/cold/a/b/file); e=$(best_exec)
			row "AppArmor $n deny rules, both loops confined" "$o" "$e"
			t=$(best_rw $W/cold/a/b/file)
			rw_row "AppArmor $n deny rules, loop confined" "$t"
			apparmor_parser -R $W/aa-$n 2>/dev/null || true
		else
			aa_note="apparmor_parser failed: $(head -2 $W/aa.err | tr '\n' ' ')"
		fi
	done
fi

printf '\n%-44s %13s %6s   %13s %6s\n' "configuration" "open+close" "ratio" "fork+exec" "ratio"
for r in "${rows[@]}"; do echo "$r"; done
if [ -n "$aa_note" ]; then echo "AppArmor: $aa_note"; fi
printf '\n%-44s %13s %6s\n' "read/write loop ($N_RW pread/pwrite)" "per call" "ratio"
for r in "${rw_rows[@]}"; do echo "$r"; done
if [ -n "$load_note" ]; then echo "$load_note"; fi
printf '\n%-44s %s\n' "BPF ns per call (kernel.bpf_stats_enabled)" "hook ns/call over the loop (TCG; statistics' own clock reads included)"
for r in "${hook_rows[@]}"; do echo "$r"; done
