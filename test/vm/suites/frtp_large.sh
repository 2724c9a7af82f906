#!/bin/bash
# frtp with its largest benchmarked policy in the VM: 100,000 rules, each
# denying reads of its own file (issue 12). It must load, enforce the first
# and the last rule (a rule index past 16 bits must not wrap to another
# rule), leave a file no rule names alone, and reload with both generations
# of the policy in the maps at once, three times (the kernel's and the
# daemon's memory are printed). KWARDEN_TEST_FRTP_LARGE_RULES sizes it
# (test/vm/run passes KWARDEN_TEST_* on).
set -u
. /kwarden-vmtest/lib.sh 2>/dev/null || . "$(dirname "$0")/../../lib.sh"  # test/lib.sh, shipped by test/vm/run
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
U=1000
N=${KWARDEN_TEST_FRTP_LARGE_RULES:-100000}

[ "${KWARDEN_IN_VM:-0}" = 1 ] || kw_skip "run me in the VM: test/vm/run $0"
kw_kernel_runs frtp || exit 77
command -v frtp >/dev/null || { kw_fail "frtp is not installed"; kw_done; }
grep -qw bpf /sys/kernel/security/lsm || kw_skip "bpf is not in the LSM list: $(cat /sys/kernel/security/lsm)"

# ---------------------------------------------------------------- setup
kw_section "$N files and rules"
K=/srv/k
rm -rf $K; mkdir -p $K
# One process makes the files: a fork per file costs 27 ms under TCG.
python3 - "$K" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    os.close(os.open(f"{d}/f{i}", os.O_WRONLY | os.O_CREAT, 0o644))
with open(f"{d}/unnamed", "w") as f:
    f.write("free\n")
PY
echo "last" > $K/f$N
chmod 755 $K
kw_expect "files made" "$((N + 1))" "$(find $K -type f | wc -l)"
P=/tmp/frtp-large.yaml
awk -v n="$N" -v d="$K" 'BEGIN {
	print "mode: enforce\nrules:"
	for (i = 1; i <= n; i++)
		printf "  - name: r%d\n    objects: [%s/f%d]\n    operations: read\n    action: deny\n", i, d, i
}' > $P
echo "policy: $(wc -c < $P) bytes, made at ${SECONDS} s"

kw_section "frtp --check"
t0=$(date +%s.%N)
kw_succeeds "frtp --check accepts $N rules" frtp --check --rules $P
echo "frtp --check: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s under TCG"

# What the policy costs the kernel (the maps' entries are allocated as
# used) and the daemon: printed, for docs/frtp.md.
unreclaim() { awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo; }
memory() { # memory WHEN
	local pid rss=-
	pid=$(systemctl show -p MainPID --value frtp-large 2>/dev/null)
	[ -n "$pid" ] && [ "$pid" != 0 ] && rss=$(($(ps -o rss= -p "$pid") / 1024))
	echo "memory $1: kernel unreclaimable slab +$((($(unreclaim) - KB0) / 1024)) MB, daemon RSS $rss MB"
}
KB0=$(unreclaim)

# ---------------------------------------------------------------- start
kw_section "start"
t0=$(date +%s.%N)
systemd-run --quiet --unit=frtp-large -p Type=notify -p NotifyAccess=main -p TimeoutStartSec=300 \
	/usr/sbin/frtp --output journal --rules $P ||
	{ kw_fail "frtp did not start with $N rules"; journalctl -u frtp-large --no-pager | tail -20; kw_done; }
kw_pass "frtp started with $N rules (READY)"
echo "start to enforcing: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s under TCG"
journalctl -u frtp-large --no-pager | grep -m1 "enforcing" || true
memory "with $N rules"
KB1=$(unreclaim)
T0=$(date +%s)

enforces() { # enforces WHEN
	kw_denied "$1: root reads f1 (rule r1)" EACCES cat $K/f1
	kw_denied "$1: uid $U reads f$((N / 2)) (rule r$((N / 2)))" EACCES as $U cat $K/f$((N / 2))
	kw_denied "$1: root reads f$N (rule r$N)" EACCES cat $K/f$N
	kw_succeeds "$1: a file no rule names is read" grep -q free $K/unnamed
	kw_succeeds "$1: a file no rule names is written" sh -c "echo more >> $K/unnamed"
	kw_succeeds "$1: the directory is listed" ls $K/unnamed
}
enforces "$N rules"

# The record names the rule the kernel chose: r$N, not a rule whose number
# wrapped at 16 bits (every rule here denies reads, so only the name tells).
sleep 2; journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T0" > /tmp/frtp-large.json
python3 - /tmp/frtp-large.json "$K" "$N" <<'PY' && kw_pass "records name rules r1 and r$N" || kw_fail "records (see above)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
K, N = sys.argv[2], sys.argv[3]
def rule_of(path):
    r = [x.get("RULE") for x in recs if x.get("PATH") == path and x.get("DECISION") == "deny"]
    assert r, f"no deny record for {path}; {len(recs)} records"
    return r[0]
for path, rule in ((f"{K}/f1", "r1"), (f"{K}/f{N}", f"r{N}")):
    got = rule_of(path)
    assert got == rule, f"{path}: rule {got}, expected {rule}"
PY

# ---------------------------------------------------------------- reload
# The new generation is written while the old one is in force: both are in
# the maps together, 2 x N objects and 2 x N bound names. Three times: the
# later reloads show whether the memory of the first is used again.
reload() { # reload WHICH
	local t0 n0
	kw_section "$1 reload"
	t0=$(date +%s.%N)
	n0=$(journalctl -u frtp-large --no-pager | grep -c "policy reloaded")
	systemctl kill -s HUP frtp-large
	reloaded() { [ "$(journalctl -u frtp-large --no-pager | grep -c "policy reloaded")" -gt "$n0" ]; }
	if kw_poll 240 reloaded; then
		kw_pass "$1 reload of $N rules"
		echo "$1 reload: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s under TCG"
	else
		kw_fail "$1 reload of $N rules: no 'policy reloaded' in ${KW_WAITED} s"
		journalctl -u frtp-large --no-pager | tail -20
	fi
	systemctl is-active --quiet frtp-large && kw_pass "daemon alive after the $1 reload" ||
		kw_fail "daemon died in the $1 reload"
	memory "after the $1 reload"
	# bpftool's memlock of a map allocated as used counts its entries now.
	bpftool map show 2>/dev/null | grep -A1 -E " name (objects|names) " | grep -v '^--'
}
reload first
# The retired generation's entries are deleted before the reload is logged;
# the kernel frees them after an RCU grace period (slow under TCG).
returned() { [ $(($(unreclaim) - KB0)) -lt $(((KB1 - KB0) * 3 / 2)) ]; }
kw_poll 30 returned; memory "${KW_WAITED} s after the first reload"
reload second
reload third
enforces "after three reloads"

kw_section "stop"
systemctl stop frtp-large
kw_succeeds "stopped: root reads f$N" cat $K/f$N
sleep 1; memory "after the stop"
journalctl -u frtp-large --no-pager | tail -5
rm -rf $K
kw_done
