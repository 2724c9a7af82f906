#!/bin/bash
# The enforcement runtime, frtp (issue 9): a reload storm. RELOADS reloads
# (default 1,000) alternate between two policies that both deny reading a file
# 40 directories below a denied tree, while one process keeps reading it; each
# reload waits for its record (reload_seq, sha256 of the file swapped in). Not
# one read may succeed: the old generation is retired only after an RCU grace
# period. The policies differ elsewhere (onlyA), and the probe must see both.
# Usage: test/vm/run test/vm/suites/reload_storm_frtp.sh [RELOADS [PACE]]
#   PACE: the probe sleeps 1 ms after every PACE attempts (default 0: never).
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
kw_kernel_runs frtp || exit 77
RELOADS=${1:-1000} PACE=${2:-0}
TOOL=frtp
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM"; kw_done; }
allowed() { "$@" >/dev/null 2>&1; }
S=/srv/rt P=/tmp/rt
rm -rf $S $P; mkdir -p $S $P

# ---------------------------------------------------------------- storm
kw_section "storm: $RELOADS reloads while reading a file both policies deny"
# The file sits 40 directories below the denied tree: each open walks 40
# dentries before it reaches the rule, the widest window for a reload to retire
# the generation the walk is reading.
DEEP=$S/deep/$(printf 'd/%.0s' $(seq 40))
mkdir -p $DEEP; echo deep > $DEEP/secret; echo onlyA > $S/onlyA
cat > $P/storm-a.yaml <<EOF
mode: enforce
rules:
  - name: deep-a
    objects: [$S/deep/**]
    operations: [read]
    action: deny
  - name: only-a
    objects: [$S/onlyA]
    operations: [read]
    action: deny
EOF
cat > $P/storm-b.yaml <<EOF
mode: enforce
default: allow
rules:
  - name: deep-b
    objects:
      - $S/deep/**
    operations: [read, write]
    action: deny
    except: {uid: 4242}
EOF
cat > $P/probe.py <<'PY'
# Reads SECRET in a loop (and ONLYA every 8th time, and sleeps 1 ms every PACE)
# until SIGTERM; prints "ready", then one JSON line of counts.
import errno, json, os, signal, sys, time
secret, only_a, pace = sys.argv[1], sys.argv[2], int(sys.argv[3])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
def try_read(p):
    try:
        os.close(os.open(p, os.O_RDONLY))
        return 0
    except OSError as e:
        return e.errno
r = try_read(secret)
if r != errno.EACCES:
    print(f"reading {secret} at start: {os.strerror(r) if r else 'allowed'}, not EACCES", flush=True)
    sys.exit(1)
print("ready", flush=True)
n = ok = 0
diff = [0, 0]
other = {}
while not stop:
    r = try_read(secret)
    n += 1
    if r == 0:
        ok += 1
    elif r != errno.EACCES:
        other[errno.errorcode.get(r, str(r))] = other.get(errno.errorcode.get(r, str(r)), 0) + 1
    if n % 8 == 0:
        diff[0 if try_read(only_a) == 0 else 1] += 1
    if pace and n % pace == 0:
        time.sleep(0.001)
print(json.dumps({"what": "reads of the deep file", "attempts": n, "successes": ok,
                  "differ": {"onlyA (denied by A only)": diff}, "other": other}), flush=True)
PY
kw_reload_driver storm --tool $TOOL --rules $P/storm-live.yaml --a $P/storm-a.yaml --b $P/storm-b.yaml \
	--n "$RELOADS" --probe "python3 $P/probe.py $DEEP/secret $S/onlyA $PACE" --stderr $P/storm.err --max-secs 1200
kw_check "storm: the clean stop removed the pins" [ ! -e /sys/fs/bpf/kwarden/frtp ]
kw_check "storm: no enforcement after the stop" allowed head $DEEP/secret

kw_done
