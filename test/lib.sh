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
kw_fail() { echo "FAIL: $*"; KW_FAILS=$((KW_FAILS + 1)); }
kw_skip() { echo "SKIP: $*"; exit 77; }
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
	if [ "$KW_FAILS" -ne 0 ]; then echo "$KW_FAILS of $n check(s) failed"; exit 1; fi
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
