# Shared helpers for host and VM test scripts (sourced).
KW_FAILS=0
kw_pass() { echo "PASS: $*"; }
kw_fail() { echo "FAIL: $*"; KW_FAILS=$((KW_FAILS + 1)); }
kw_skip() { echo "SKIP: $*"; exit 77; }
kw_check() { # kw_check "what" cmd...
	local what=$1; shift
	if "$@"; then kw_pass "$what"; else kw_fail "$what"; fi
}
kw_done() {
	if [ "$KW_FAILS" -ne 0 ]; then echo "$KW_FAILS check(s) failed"; exit 1; fi
	echo "all checks passed"; exit 0
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
