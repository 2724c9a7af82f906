# Shared helpers for host and VM test scripts (sourced): every check prints one
# PASS:, FAIL: or SKIP: line, failures are counted in KW_FAILS, and kw_done at
# the end prints the verdict and exits 0 (all passed) or 1.
#   host scripts: . "$(dirname "$0")/../lib.sh"
#   VM suites:    . /kwarden-vmtest/lib.sh   (test/vm/run ships this file)
#   VM suites that skip when run outside the VM fall back to this file:
#                 . /kwarden-vmtest/lib.sh 2>/dev/null || . "$(dirname "$0")/../../lib.sh"
# A precondition failure that makes the rest pointless: kw_fail "why"; kw_done
KW_FAILS=0 KW_PASSES=0
kw_pass() { echo "PASS: $*"; KW_PASSES=$((KW_PASSES + 1)); }
kw_fail() { echo "FAIL: $*"; KW_FAILS=$((KW_FAILS + 1)); KW_FAILED+=("$*"); }
KW_FAILED=()
kw_skip() { echo "SKIP: $*"; exit 77; }
# kw_kernel_runs TOOL: true when this kernel offers what TOOL needs (`TOOL probe`).
# Otherwise TOOL must refuse with exit 4 naming what is missing: prints a SKIP
# line with its reason, for the part of a suite that needs TOOL, and is false.
kw_kernel_runs() {
	local out rc
	out=$("$1" probe 2>&1); rc=$?
	[ $rc = 0 ] && return 0
	if [ $rc = 4 ] && [ -n "$out" ]; then
		echo "SKIP: $1 on Linux $(uname -r): ${out#*error: }"
	else
		kw_fail "$1 probe: expected exit 0 or 4 with a reason, got $rc: $out"
	fi
	return 1
}
kw_check() { # kw_check "what" cmd...: cmd must succeed (its output is shown)
	local what=$1; shift
	if "$@"; then kw_pass "$what"; else kw_fail "$what"; fi
}
# kw_expect WHAT EXPECTED ACTUAL: ACTUAL must be the string EXPECTED.
kw_expect() {
	if [ "$2" = "$3" ]; then kw_pass "$1 ($3)"; else kw_fail "$1: expected $2, got $3"; fi
}
# kw_succeeds WHAT CMD...: CMD must succeed; its output is shown only on failure.
kw_succeeds() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then kw_pass "$what"; else kw_fail "$what: expected success, got: $out"; fi
}
# kw_denied WHAT ERRNO CMD...: CMD must fail, and its output (stdout and stderr)
# must name ERRNO by message, by name or as "errno N" (any case).
# ERRNO: EACCES, EPERM or EBUSY.
kw_denied() {
	local what=$1 errno=$2 pat out; shift 2
	case $errno in
	EACCES) pat='permission denied\|EACCES\|errno 13' ;;
	EPERM) pat='operation not permitted\|EPERM\|errno 1\b' ;;
	EBUSY) pat='device or resource busy\|EBUSY\|errno 16' ;;
	*) kw_fail "$what: kw_denied does not know errno '$errno'"; return ;;
	esac
	if out=$("$@" 2>&1); then
		kw_fail "$what: expected $errno, but it succeeded"
	elif grep -qi "$pat" <<<"$out"; then
		kw_pass "$what (denied)"
	else
		kw_fail "$what: failed, but not with $errno: $out"
	fi
}
kw_done() {
	local n=$((KW_PASSES + KW_FAILS))
	if [ "$KW_FAILS" -ne 0 ]; then
		# Repeated last: a long suite's log is often cut in the middle.
		printf 'FAILED: %s\n' "${KW_FAILED[@]}"
		echo "$KW_FAILS of $n check(s) failed"
		exit 1
	fi
	echo "all $n checks passed"; exit 0
}
# kw_wait_for FILE PATTERN [SECONDS]: wait until FILE contains PATTERN.
kw_wait_for() {
	local i
	for i in $(seq 1 $((${3:-20} * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
}

# kw_checks_from CMD [ARGS...]: runs CMD, relaying its output; its lines
# "KW_PASS: what" and "KW_FAIL: what" become kw_pass/kw_fail, "KW_SET: NAME=VALUE"
# sets NAME here. A non-zero exit of CMD is a failure too.
kw_checks_from() {
	local line rc=
	while IFS= read -r line; do
		case $line in
		"KW_PASS: "*) kw_pass "${line#KW_PASS: }" ;;
		"KW_FAIL: "*) kw_fail "${line#KW_FAIL: }" ;;
		"KW_SET: "*=*) line=${line#KW_SET: }; printf -v "${line%%=*}" '%s' "${line#*=}" ;;
		"KW_RC="*) rc=${line#KW_RC=} ;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1; echo "KW_RC=$?")
	[ "$rc" = 0 ] || kw_fail "$(basename "$1") ${2:-} exited with status ${rc:-?}"
}
# kw_reload_driver SUBCOMMAND ARGS...: test/vm/reload_driver.py (shipped next to
# this file in the VM) under kw_checks_from; see the driver's --help.
kw_reload_driver() {
	local d=${BASH_SOURCE[0]%/*}
	[ -f "$d/reload_driver.py" ] || d=$d/vm
	kw_checks_from python3 "$d/reload_driver.py" "$@"
}
# kw_poll SECONDS CMD [ARGS...]: run CMD every 0.5 s until it succeeds (0) or
# SECONDS pass (1); KW_WAITED holds the seconds it took.
kw_poll() {
	local limit=$1 t0=$SECONDS; shift
	while :; do
		KW_WAITED=$((SECONDS - t0))
		"$@" && return 0
		[ "$KW_WAITED" -ge "$limit" ] && return 1
		sleep 0.5
	done
}
# kw_in_unit UNIT CMD [ARGS...]: run CMD inside UNIT's cgroup (exit 125 if it
# could not join it).
kw_in_unit() {
	local cg
	cg=$(systemctl show -p ControlGroup --value "$1") && [ -n "$cg" ] || return 125
	cg=/sys/fs/cgroup$cg; shift
	bash -c 'echo $$ > "$0/cgroup.procs" || exit 125; exec "$@"' "$cg" "$@"
}
# kw_sha256 FILE: the hex sha256 of FILE's bytes.
kw_sha256() { sha256sum "$1" | cut -d' ' -f1; }
# kw_section TITLE: a heading with the seconds since the script started.
kw_section() { echo "# ---- $* (at ${SECONDS} s)"; }
# kw_verifier_budget PINDIR: every program behind PINDIR's link_* pins verified
# in at most KW_VERIFIER_BUDGET instructions (bpf_prog_info.verified_insns,
# read by the verified-insns helper). The kernel refuses a program at
# 1,000,000; a harmless-looking refactor once pushed net-filter's past it, so
# the budget leaves room and a change that adds verifier states fails here,
# not at load on someone's kernel. The programs must not be guarded (docs/guard.md).
KW_VERIFIER_BUDGET=600000
kw_verifier_budget() {
	local dir=$1 vi out name id n pin
	vi=${KW_BIN:-}/verified-insns
	[ -x "$vi" ] || vi=${BASH_SOURCE[0]%/*}/verified-insns	# the VM: shipped next to this file
	[ -x "$vi" ] || { kw_fail "verifier budget: no verified-insns helper (KW_BIN, or next to lib.sh)"; return; }
	compgen -G "$dir/link_*" >/dev/null || { kw_fail "verifier budget: no link_* pins in $dir"; return; }
	# Links share programs (net-filter's six netfilter hooks): each program once.
	out=$("$vi" "$dir"/link_* 2>&1) || { kw_fail "verifier budget: verified-insns failed: $out"; return; }
	while read -r name id n pin; do
		name="$name (${pin##*/})"
		if [ "$n" = 0 ]; then
			echo "SKIP: verifier budget of $name: verified_insns reads 0: Linux $(uname -r) does not report it (5.16 and later do)"
		elif [ "$n" -le "$KW_VERIFIER_BUDGET" ]; then
			kw_pass "verifier budget: $name verified in $n instructions (budget $KW_VERIFIER_BUDGET, kernel limit 1,000,000)"
		else
			kw_fail "verifier budget: $name verified in $n instructions, over the budget of $KW_VERIFIER_BUDGET (kernel limit 1,000,000): cut the verifier's states (bounded loops, branches it must explore), do not raise the budget"
		fi
	done < <(sort -u -k2,2n <<<"$out")
}
