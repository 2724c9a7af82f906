#!/bin/bash
# frtp learn in the VM (docs/learn.md): a small real service (a shell script
# that reads its config, writes its data directory with numbered and random
# names, runs a helper binary and connects to a port) learned from its first
# start, the policy checked and enforced, the service run again with no
# denial, then made to deviate (reads /etc/shadow, execs from /tmp, writes
# outside its data directory): each deviation denied and logged. Then --diff
# against the learned policy, and a learn run of 1,000,000 opens that must
# count every one of them, with the learner's memory.
set -u
. /kwarden-vmtest/lib.sh 2>/dev/null || . "$(dirname "$0")/../../lib.sh"  # test/lib.sh, shipped by test/vm/run

[ "${KWARDEN_IN_VM:-0}" = 1 ] || kw_skip "run me in the VM: test/vm/run $0"
kw_kernel_runs frtp || exit 77
command -v frtp >/dev/null || { kw_fail "frtp is not installed"; kw_done; }
grep -qw bpf /sys/kernel/security/lsm || kw_skip "bpf is not in the LSM list: $(cat /sys/kernel/security/lsm)"

DENY_ID=3f6c1a2e9b7d4c58a1e0f2b3c4d5e601
WOULD_ID=3f6c1a2e9b7d4c58a1e0f2b3c4d5e602
D=/var/lib/learnapp
PORT=7070

# ---------------------------------------------------------------- the workload
kw_section "the workload: learnapp.service"
mkdir -p /etc/learnapp /usr/local/lib/learnapp $D/spool /run/learnapp /var/lib/other
conf() { printf 'mode=%s\nport=%s\n' "$1" $PORT > /etc/learnapp/app.conf; }
conf normal
cp /usr/bin/sha256sum /usr/local/lib/learnapp/helper
mkfifo /run/learnapp/ctl
: > $D/runs
cp /usr/bin/true /tmp/learnapp-evil
cat > /usr/local/bin/learnapp <<'EOF'
#!/bin/bash
# learnapp: one run per line on its control FIFO. Reads its config, writes
# a numbered job and a mktemp file in its data directory, runs its helper
# over the jobs, renames the result into place, connects to its port.
set -u
d=/var/lib/learnapp
exec 3<>/run/learnapp/ctl
n=0
while read -r cmd <&3; do
	n=$((n + 1))
	conf=$(cat /etc/learnapp/app.conf)
	mode=${conf#*mode=}; mode=${mode%%$'\n'*}
	port=${conf#*port=}; port=${port%%$'\n'*}
	echo "run $n: $cmd" > "$d/spool/job.$n"
	t=$(mktemp "$d/tmp.XXXXXXXX")
	/usr/local/lib/learnapp/helper "$d"/spool/* > "$t"
	mv -f "$t" "$d/sums"
	echo "ping $n" | nc -N -w 5 127.0.0.1 "$port" > /dev/null
	case $mode in
	shadow) cat /etc/shadow > /dev/null ;;
	tmpexec) /tmp/learnapp-evil ;;
	outside) echo x > /var/lib/other/file ;;
	esac
	echo "done $n" >> "$d/runs"
done
EOF
chmod 755 /usr/local/bin/learnapp
cat > /etc/systemd/system/learnapp.service <<'EOF'
[Unit]
Description=learnapp, the frtp learn test workload
[Service]
ExecStart=/usr/local/bin/learnapp
EOF
systemctl daemon-reload
nc -lk 127.0.0.1 $PORT > /dev/null 2>&1 &
LISTENER=$!

RUNS=0
run_app() { # run_app: one run of the service; waits for it to finish
	RUNS=$((RUNS + 1))
	echo "go $RUNS" > /run/learnapp/ctl
	kw_poll 60 grep -qx "done $RUNS" $D/runs || { kw_fail "learnapp run $RUNS did not finish"; tail -5 $D/runs; return 1; }
}
# learn_start NAME ARGS...: frtp learn in the background, output in /tmp/NAME.*
learn_start() {
	local name=$1; shift
	frtp learn "$@" > /tmp/$name.out 2> /tmp/$name.log &
	LEARNER=$!
	learning() { grep -q "learning from" /tmp/$name.log || ! kill -0 $LEARNER 2>/dev/null; }
	kw_poll 300 learning
	grep -q "learning from" /tmp/$name.log ||
		{ kw_fail "$name: the learner did not start"; grep -v '^[0-9]*: \|^;' /tmp/$name.log | tail -20 | cut -c1-300; kw_done; }
}
learn_stop() { # learn_stop NAME: SIGINT, then its exit code must be 0
	kill -INT $LEARNER
	wait $LEARNER
	local rc=$?
	kw_expect "$1: the learner exits 0 on SIGINT" 0 $rc
	[ $rc = 0 ] || tail -20 /tmp/$1.log | cut -c1-300
}

# ---------------------------------------------------------------- learn
kw_section "learn: the unit starts after the learner"
learn_start learnapp --unit learnapp.service -o /tmp/learnapp.yaml --accesses /tmp/learnapp.jsonl
systemctl start learnapp.service
for i in 1 2 3; do run_app; done
learn_stop learnapp
cat /tmp/learnapp.log
grep -q "NOT learned\|have no path" /tmp/learnapp.log && kw_fail "the learner lost accesses" || kw_pass "the learner lost nothing"
echo "---- the learned policy"
cat /tmp/learnapp.yaml
kw_succeeds "frtp --check accepts the learned policy" frtp --check --rules /tmp/learnapp.yaml
kw_expect "its deny rule is in audit mode first" "    mode: audit" "$(grep -A6 '^  - name: learn-learnapp-deny' /tmp/learnapp.yaml | grep '^    mode:')"
kw_expect "it leaves the file's mode to the rules file (a drop-in)" "" "$(grep '^mode:' /tmp/learnapp.yaml)"
kw_check "the config is allowed to be read, exactly" grep -qx '    objects: \[/etc/learnapp/app.conf\]' /tmp/learnapp.yaml
kw_check "the data directory became a tree" grep -qx '    objects: \[{tree: /var/lib/learnapp}\]' /tmp/learnapp.yaml
kw_check "the helper may be executed" grep -qx '    objects: \[/usr/local/lib/learnapp/helper\]' /tmp/learnapp.yaml
kw_check "a deny rule for the rest, for the unit only" grep -q '^  - name: learn-learnapp-deny' /tmp/learnapp.yaml
python3 - /tmp/learnapp.yaml <<'PY' && kw_pass "every rule carries its provenance" || kw_fail "provenance comments"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
rules = [i for i, l in enumerate(lines) if l.startswith("  - name: ")]
assert rules, "no rules"
for i in rules:
    above = []
    j = i - 1
    while j >= 0 and lines[j].startswith("  #"):
        above.insert(0, lines[j]); j -= 1
    name = lines[i]
    if name.endswith("-deny"):
        continue
    assert re.match(r"  # \d+ accesses \(.*\) by /", above[0]), (name, above)
    assert re.match(r"  # first \d{4}-\d\d-\d\dT.*, last \d{4}-", above[1]), (name, above)
print(f"{len(rules)} rules")
PY

# records SINCE MESSAGE_ID: "operation path rule" of the unit's records since
# SINCE. (frtp's records name a file being created with a " (deleted)"
# suffix: the kernel's dentry is not hashed yet; it is not part of the name.)
records() {
	journalctl --sync 2>/dev/null
	journalctl -t frtp MESSAGE_ID=$2 SUBJECT_UNIT=learnapp.service --since "@$1" -o json --no-pager |
		python3 -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l); print(r.get("OPERATION"), r.get("PATH").removesuffix(" (deleted)"), r.get("RULE"))' | sort -u
}
has_records() { test -n "$(records "$@")"; }
# A second apart, and whole seconds: each check reads only its own records.
now() { sleep 1.1; date +%s; }
# frtp_start UNIT: frtp with the learned policy alone, as a transient unit.
frtp_start() {
	systemd-run --quiet --unit=$1 -p Type=notify -p NotifyAccess=main \
		/usr/sbin/frtp --output journal --rules /tmp/learnapp.yaml ||
		{ kw_fail "frtp did not start with the learned policy"; journalctl -u $1 --no-pager | tail -30; kw_done; }
}

# ---------------------------------------------------------------- audit
kw_section "load it as learned: audit mode, read back what it would deny"
frtp_start frtp-audit
T=$(now)
conf shadow
run_app
conf normal
kw_poll 20 has_records $T $WOULD_ID
kw_expect "a deviation is only logged (would-deny) in audit mode" "read /etc/shadow learn-learnapp-deny" \
	"$(records $T $WOULD_ID)"
kw_expect "and not denied" "" "$(records $T $DENY_ID)"
systemctl stop frtp-audit

# ---------------------------------------------------------------- enforce
kw_section "enforce the learned policy"
sed -i 's/^    mode: audit$/    mode: enforce/' /tmp/learnapp.yaml
frtp_start frtp-enforce
kw_pass "frtp enforces the learned policy"
T=$(now)
run_app
sleep 2
kw_expect "the workload again: no denial" "" "$(records $T $DENY_ID)"
kw_expect "the workload again: its results are there" 5 "$(ls $D/spool | wc -l)"

deviate() { # deviate MODE OPERATION PATH: the run of MODE is denied that on PATH, and nothing else
	local t got
	t=$(now)
	conf "$1"
	run_app
	kw_poll 20 has_records $t $DENY_ID
	got=$(records $t $DENY_ID)
	echo "$got"
	kw_check "deviation $1: $2 $3 denied and logged" grep -qx "$2 $3 learn-learnapp-deny" <<<"$got"
	kw_expect "deviation $1: nothing else denied" "" "$(grep -v "^[a-z]* $3 " <<<"$got")"
}
kw_section "deviations"
deviate shadow read /etc/shadow
deviate tmpexec exec /tmp/learnapp-evil
deviate outside create /var/lib/other/file
kw_check "nothing was written outside the data directory" test ! -e /var/lib/other/file
conf normal
T=$(now)
run_app
sleep 2
kw_expect "back to normal: no denial" "" "$(records $T $DENY_ID)"
systemctl stop frtp-enforce
# The learned file as a drop-in of the shipped policy (mode: enforce there).
install -m 644 /tmp/learnapp.yaml /etc/kwarden/frtp.d/50-learnapp.yaml
kw_succeeds "the learned policy is a drop-in of the shipped one" frtp --check --rules /etc/kwarden/frtp.yaml
rm /etc/kwarden/frtp.d/50-learnapp.yaml

# ---------------------------------------------------------------- --diff
kw_section "learn --diff against the learned policy"
learn_start diff --unit learnapp.service --diff /tmp/learnapp.yaml -o /tmp/diff.txt
conf shadow
run_app
conf normal
run_app
learn_stop diff
cat /tmp/diff.txt
kw_expect "--diff prints only what the policy would deny" "deny read /etc/shadow" \
	"$(grep -v '^#' /tmp/diff.txt | cut -d' ' -f1-3)"

systemctl stop learnapp.service
kill $LISTENER 2>/dev/null

# ---------------------------------------------------------------- 1,000,000 accesses
kw_section "1,000,000 opens learned, none lost"
N=${KWARDEN_TEST_LEARN_OPENS:-1000000}
mkdir -p /srv/learncount
for i in 0 1 2 3; do echo $i > /srv/learncount/f$i; done
PY=$(readlink -f /usr/bin/python3)
learn_start count --exe $PY -o /tmp/count.yaml --accesses /tmp/count.jsonl
t0=$SECONDS
python3 - $N <<'PY'
import os, sys
n = int(sys.argv[1])
files = [f"/srv/learncount/f{i}" for i in range(4)]
for i in range(n):
    os.close(os.open(files[i & 3], os.O_RDONLY))
PY
echo "$N opens in $((SECONDS - t0)) s"
learn_stop count
cat /tmp/count.log
got=$(python3 -c 'import json, sys
print(sum(r["count"] for r in map(json.loads, open(sys.argv[1]))
          if r["path"].startswith("/srv/learncount/f") and r["operation"] == "read"))' /tmp/count.jsonl)
kw_expect "every open counted" "$N" "$got"
kw_check "the policy names them as one tree" grep -q "objects: \[{tree: /srv/learncount}\]" /tmp/count.yaml
grep -B3 "tree: /srv/learncount" /tmp/count.yaml
echo "learner: $(grep -o 'learned [0-9]* accesses.*' /tmp/count.log)"

# ---------------------------------------------------------------- full tables
kw_section "more distinct accesses than the tables hold: said loudly, memory bounded"
F=${KWARDEN_TEST_LEARN_FILES:-140000}
rm -rf /srv/learnmany; mkdir -p /srv/learnmany
learn_start many --exe $PY -o /tmp/many.yaml
t0=$SECONDS
# Each new file is a create and a write: two distinct accesses per name.
python3 - $F <<'PY'
import os, sys
for i in range(int(sys.argv[1])):
    os.close(os.open(f"/srv/learnmany/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
PY
echo "$F files created in $((SECONDS - t0)) s"
learn_stop many
grep -v '^[0-9]*: \|^;' /tmp/many.log | cut -c1-300
kw_check "the full table of accesses is said loudly" grep -q "accesses were NOT learned: the table of 262144" /tmp/many.log
kw_check "the full table of names is said loudly" grep -q "distinct accesses have no path: the table of 65536 names" /tmp/many.log
kw_check "and at the top of the policy" grep -q "^# WARNING: [0-9]* accesses were not counted" /tmp/many.yaml
kw_succeeds "the policy still loads" frtp --check --rules /tmp/many.yaml
echo "learner with full tables: $(grep -o 'learned [0-9]* accesses.*' /tmp/many.log)"
echo "bounds: 262,144 distinct accesses, 65,536 names, 4,096 executables (docs/learn.md)"
rm -rf /srv/learnmany

kw_done
