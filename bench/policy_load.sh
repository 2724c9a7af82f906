#!/bin/bash
# Policy load time on the host: `frtp --check` and `net-filter --check` (read
# the rules file, parse it, compile it; frtp also looks up every object) on
# generated policies of 1,000, 10,000, 16,384 and 100,000 rules (the goal:
# under a second; both tools take 131,072). frtp's rules are the frtp
# benchmark's (one exact object each, the files created), net-filter's the
# net-filter benchmark's (four shapes).
# Each row is the best of KW_BENCH_REPEAT runs: wall time, CPU time (user +
# system: wall time swings with the machine's other load, CPU time less),
# peak RSS, and the ratio to the goal of 100 ms per 10,000 rules (docs/frtp.md,
# "Policy load time"). The first row, one rule, is the process's own start.
# With KW_BENCH_OTHER_BIN (a build's bin directory, e.g. main's before a
# change) both builds are measured in the same run, side by side.
# No root needed.
#   KW_BENCH_REPEAT (default 5), KW_BENCH_LOAD_RULES (default "1 1000 10000
#   16384 100000"), KW_BIN (default build/bin), KW_BENCH_OTHER_BIN (default none)
set -eu
REPEAT=${KW_BENCH_REPEAT:-5}
SIZES=${KW_BENCH_LOAD_RULES:-1 1000 10000 16384 100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KW_BIN:-$ROOT/${BUILD:-build}/bin}
OTHER=${KW_BENCH_OTHER_BIN:-}
for b in frtp net-filter; do
	[ -x "$BIN/$b" ] || { echo "bench: $BIN/$b not built (make)"; exit 1; }
	[ -z "$OTHER" ] || [ -x "$OTHER/$b" ] || { echo "bench: $OTHER/$b missing"; exit 1; }
done
. "$ROOT/bench/lib.sh"
OUT=$(mktemp -d /tmp/kw-bench-load.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

gen_frtp() { # N
	mkdir -p "$OUT/objs" "$OUT/hot"
	# The objects exist, as a real policy's mostly do (a missing one costs a warning).
	seq 1 "$1" | sed "s|^|$OUT/objs/f|" | xargs touch
	awk -v n="$1" -v d="$OUT" 'BEGIN {
		print "rules:\n  - name: hot-allow\n    objects: [" d "/hot/**]\n    operations: [read]\n    action: allow\n    subjects: {uid: 0}"
		for (i = 1; i < n; i++)
			printf "  - name: r%d\n    objects: [%s/objs/f%d]\n    operations: [read, write]\n    action: deny\n", i, d, i
	}'
}
gen_net_filter() { # N (bench/net-filter.sh's rules)
	echo "rules:"
	bench_net_filter_rules "$1"
}

# best BINARY RULES: "wall_ms cpu_ms rss_kb exit" over REPEAT runs (the least
# wall and CPU time, the largest RSS), the binary's output discarded.
best() {
	python3 - "$REPEAT" "$@" <<-'EOF'
	import os, sys, time
	n, cmd = int(sys.argv[1]), [sys.argv[2], "--check", "--rules", sys.argv[3]]
	wall, cpu, rss, code = [], [], 0, 0
	for _ in range(n):
	    t = time.monotonic()
	    pid = os.fork()
	    if pid == 0:
	        fd = os.open(os.devnull, os.O_WRONLY)
	        os.dup2(fd, 1)
	        os.dup2(fd, 2)
	        os.execv(cmd[0], cmd)
	    _, status, ru = os.wait4(pid, 0)
	    wall.append(time.monotonic() - t)
	    cpu.append(ru.ru_utime + ru.ru_stime)
	    rss, code = max(rss, ru.ru_maxrss), os.waitstatus_to_exitcode(status)
	print(f"{min(wall) * 1000:.0f} {min(cpu) * 1000:.0f} {rss} {code}")
	EOF
}

echo "policy load (--check), best of $REPEAT; $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
head="tool        rules    wall ms   CPU ms   RSS MB  goal ms  wall/goal"
[ -n "$OTHER" ] && head="$head   other: wall ms   CPU ms   RSS MB  other/this (wall)"
echo "$head"
for tool in frtp net-filter; do
	for n in $SIZES; do
		f=$OUT/$tool-$n.yaml
		"gen_${tool//-/_}" "$n" >"$f"
		read -r wall cpu rss code < <(best "$BIN/$tool" "$f")
		goal=$(awk -v n="$n" 'BEGIN { if (n >= 100) printf "%.0f", n / 100; else print "-" }')
		note=""
		if [ "$code" != 0 ]; then # the time it takes to refuse, against no goal
			goal=-
			note="  refused: $("$BIN/$tool" --check --rules "$f" 2>&1 >/dev/null | sed -n '1s/^[^:]*: error: [^ ]* //p' | cut -d, -f1)"
		fi
		line=$(printf "%-10s %6s %9s %8s %8.1f %8s %10s" "$tool" "$n" "$wall" "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
			"$goal" "$(awk -v w="$wall" -v g="$goal" 'BEGIN { if (g + 0 > 0) printf "%.2f", w / g; else print "-" }')")
		if [ -n "$OTHER" ]; then
			read -r owall ocpu orss ocode < <(best "$OTHER/$tool" "$f")
			line="$line $(printf "%16s %8s %8.1f %18s" "$owall" "$ocpu" "$(awk -v k="$orss" 'BEGIN { print k / 1024 }')" \
				"$(awk -v a="$owall" -v b="$wall" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')")"
			[ "$ocode" = 0 ] || [ "$code" != 0 ] || line="$line  (other: exit $ocode)"
		fi
		echo "$line$note"
		rm -f "$f"
	done
done
