#!/bin/bash
# Builds the libFuzzer targets (test/fuzz, clang, ASan + UBSan) in their own
# build directory and runs each on its seed corpus. docs/fuzzing.md.
#
#   script/fuzz.sh [TARGET...]      make fuzz: FUZZ_SECONDS (60) per target, or
#                                   FUZZ_RUNS executions when set (a campaign:
#                                   FUZZ_RUNS=10000000 FUZZ_SECONDS=0); new
#                                   inputs kept in BUILD/corpus/TARGET.
#                                   FUZZ_TIMEOUT (2 s, wall clock) may be raised
#                                   for a campaign run at low priority on a busy
#                                   machine; the slowest input is still printed
#   script/fuzz.sh --smoke          make test's fuzz.smoke: a short, seeded
#                                   (repeatable) run of every target
#   script/fuzz.sh --seeds          rebuilds test/fuzz/corpus from rules/, docs/,
#                                   the unit tests and seed_events.cpp
#   script/fuzz.sh --build DIR      the fuzz build directory (default build/fuzz)
#
# Any crash, escaped exception, UBSan report, input slower than 2 s or memory
# past the limits fails the run; the input is saved in BUILD/artifacts/TARGET/.
# Exits 77 (skip) when clang's libFuzzer is missing in --smoke mode.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build/fuzz
mode=run
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) mode=smoke ;;
	--seeds) mode=seeds ;;
	--build) build=$2; shift ;;
	-h|--help) sed -n '2,23p' "$0"; exit 0 ;;
	-*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
	*) targets+=("$1") ;;
	esac
	shift
done
build=$(mkdir -p "$build" && cd "$build" && pwd)

# Smoke: SMOKE_RUNS inputs with a fixed seed, so a run passes or fails the same
# way each time; SMOKE_SECONDS caps a slow machine (it then runs a prefix of
# the same inputs).
seconds=${FUZZ_SECONDS:-60}
smoke_runs=${FUZZ_SMOKE_RUNS:-30000}
smoke_seconds=${FUZZ_SMOKE_SECONDS:-5}
jobs=${FUZZ_JOBS:-2}

unavailable() {
	if [ $mode = smoke ]; then
		echo "SKIP: $1" >&2
		exit 77
	fi
	echo "fuzz: $1" >&2
	exit 1
}

# clang and its libFuzzer runtime (Debian: libclang-rt-dev, in script/deps.sh).
command -v clang++ >/dev/null || unavailable "clang++ not found (script/deps.sh installs it)"
probe=$build/probe
mkdir -p "$probe"
printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }\n' >"$probe/p.cpp"
clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>"$probe/err" ||
	unavailable "clang++ cannot link libFuzzer with ASan/UBSan ($(head -1 "$probe/err")); install libclang-rt-dev"

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$src" -B "$build" -DKWARDEN_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >"$build/configure.log" ||
		{ cat "$build/configure.log"; exit 1; }
fi
cmake --build "$build" -j"$jobs" >"$build/build.log" 2>&1 || { tail -50 "$build/build.log"; exit 1; }

# The targets test/fuzz/CMakeLists.txt builds: fuzz/fuzz_<target>.
all_targets=()
for b in "$build"/fuzz/fuzz_*; do all_targets+=("${b##*/fuzz_}"); done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

if [ $mode = seeds ]; then
	python3 "$src/test/fuzz/make_corpus.py"
	# Event layouts change: the generator's seeds replace the old ones.
	rm -rf "$src"/test/fuzz/corpus/*_record
	"$build/fuzz-tools/fuzz_seed_events" "$src/test/fuzz/corpus"
	for t in "${all_targets[@]}"; do echo "$t: $(ls "$src/test/fuzz/corpus/$t" | wc -l) seeds"; done
	exit 0
fi

# stat line of a libFuzzer log: "#N DONE cov: C ft: F corp: ..." or the last pulse.
last_status() { grep -E '^#[0-9]+' "$1" | tail -1 || true; }
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

failed=()
printf '%-20s %12s %9s %7s %7s %8s %9s  %s\n' target execs exec/s cov ft rss_mb slowest_s result
for t in "${targets[@]}"; do
	bin=$build/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz: no target $t (known: ${all_targets[*]})" >&2; exit 2; }
	seeds=$src/test/fuzz/corpus/$t
	args=(-timeout="${FUZZ_TIMEOUT:-2}" -rss_limit_mb=1024 -malloc_limit_mb=512 -print_final_stats=1
		-artifact_prefix="$build/artifacts/$t/")
	case $t in
	*_policy|*_filter) args+=(-max_len=16384 -dict="$src/test/fuzz/yaml.dict") ;;
	*) args+=(-max_len=8192) ;;
	esac
	if [ $mode = smoke ]; then
		# A fresh work corpus: the run depends on the seeds alone.
		work=$build/smoke/$t
		rm -rf "$work"
		args+=(-seed=1 -runs="$smoke_runs" -max_total_time="$smoke_seconds")
	else
		work=$build/corpus/$t
		args+=(-max_total_time="$seconds")
		[ -z "${FUZZ_RUNS:-}" ] || args+=(-runs="$FUZZ_RUNS")
	fi
	# The smoke's logs apart: make test must not truncate a campaign's log.
	logs=$build/logs
	[ $mode != smoke ] || logs=$build/smoke-logs
	mkdir -p "$work" "$build/artifacts/$t" "$logs"
	log=$logs/$t.log
	rc=0
	(cd "$build/artifacts/$t" && "$bin" "${args[@]}" "$work" "$seeds") >"$log" 2>&1 || rc=$?
	st=$(last_status "$log")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$st")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$st")
	result=ok
	if [ $rc -ne 0 ]; then
		result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|runtime error|contract broken|==ERROR' "$log" || echo "see $log")"
		failed+=("$t")
	fi
	printf '%-20s %12s %9s %7s %7s %8s %9s  %s\n' "$t" "$(final_stat "$log" number_of_executed_units)" \
		"$(final_stat "$log" average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "$(final_stat "$log" peak_rss_mb)" \
		"$(final_stat "$log" slowest_unit_time_sec)" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
	echo "fuzz: logs in $logs/, inputs in $build/artifacts/<target>/; replay one with: $build/fuzz/fuzz_<target> <input>" >&2
	exit 1
fi
