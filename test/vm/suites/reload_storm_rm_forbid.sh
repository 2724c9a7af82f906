#!/bin/bash
# The enforcement runtime, rm-forbid (issue 9): a reload storm. RELOADS reloads
# (default 1,000) alternate between two policies that both refuse deleting a
# held file, while one process keeps deleting it (a deleted file would be
# re-created, held again and counted); each reload waits for its record
# (reload_seq, sha256 of the file swapped in). Not one deletion may succeed.
# The policies differ elsewhere (onlya), and the probe must see both.
# Usage: test/vm/run test/vm/suites/reload_storm_rm_forbid.sh [RELOADS [PACE]]
#   PACE: the probe sleeps 1 ms after every PACE attempts (default 1). Each
#   refusal makes rm-forbid search /proc for the holders; thousands a second
#   (PACE 0) keep its event loop so busy that a reload waits seconds to tens of
#   seconds for its turn, and 1,000 of them would not fit in the VM's time.
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
kw_kernel_runs rm-forbid || exit 77
RELOADS=${1:-1000} PACE=${2:-1}
TOOL=rm-forbid
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM"; kw_done; }
S=/srv/rf P=/tmp/rf
rm -rf $S $P; mkdir -p $S $P
trap '[ -s $P/holders ] && kill $(cat $P/holders) 2>/dev/null' EXIT
# held DIR: a new file in DIR held open by a sleeping process; prints its path.
held() {
	local f=$1/h$RANDOM$RANDOM
	echo x > "$f"
	(exec 3<"$f"; exec sleep 100000) </dev/null >/dev/null 2>&1 &
	echo $! >> $P/holders
	for _ in $(seq 50); do [ -n "$(find /proc/$!/fd -lname "$f" 2>/dev/null)" ] && break; sleep 0.05; done
	echo "$f"
}
deletable() { rm "$1" 2>/dev/null; }

# ---------------------------------------------------------------- storm
kw_section "storm: $RELOADS reloads while deleting a held file both policies protect"
mkdir -p $S/both $S/onlya
printf 'mode: enforce\nprotect: [%s/both, %s/onlya]\n' $S $S > $P/storm-a.yaml
printf 'mode: enforce\nin_use: any\nprotect: [%s/both]\nrename_away: true\nallow_self: true\n' $S > $P/storm-b.yaml
cat > $P/probe.py <<'PY'
# Deletes BOTH/held (held open by a child) in a loop, and ONLYA/held every 8th
# time, sleeping 1 ms every PACE, until SIGTERM; a deleted file is re-created and held again. Prints
# "ready", then one JSON line of counts.
import errno, json, os, signal, sys, time
both, only_a, pace = sys.argv[1] + "/held", sys.argv[2] + "/held", int(sys.argv[3])
def hold(path):
    with open(path, "w") as f:
        f.write("held\n")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.open(path, os.O_RDONLY)
        os.write(w, b"x")
        signal.pause()
        os._exit(0)
    os.close(w)
    os.read(r, 1)
    os.close(r)
    return pid
def release(pid):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
def try_unlink(p):
    try:
        os.unlink(p)
        return 0
    except OSError as e:
        return e.errno
holders = {both: hold(both), only_a: hold(only_a)}
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
r = try_unlink(both)
if r != errno.EBUSY:
    print(f"deleting {both} at start: {os.strerror(r) if r else 'allowed'}, not EBUSY", flush=True)
    sys.exit(1)
print("ready", flush=True)
n = ok = 0
diff = [0, 0]
other = {}
while not stop:
    r = try_unlink(both)
    n += 1
    if r == 0:
        ok += 1
        release(holders[both])
        holders[both] = hold(both)
    elif r != errno.EBUSY:
        other[errno.errorcode.get(r, str(r))] = other.get(errno.errorcode.get(r, str(r)), 0) + 1
    if n % 8 == 0:
        if try_unlink(only_a) == 0:
            diff[0] += 1
            release(holders[only_a])
            holders[only_a] = hold(only_a)
        else:
            diff[1] += 1
    if pace and n % pace == 0:
        time.sleep(0.001)
for pid in holders.values():
    release(pid)
print(json.dumps({"what": "deletions of a held file", "attempts": n, "successes": ok,
                  "differ": {"onlya/held (protected by A only)": diff}, "other": other}), flush=True)
PY
kw_reload_driver storm --tool $TOOL --rules $P/storm-live.yaml --a $P/storm-a.yaml --b $P/storm-b.yaml \
	--n "$RELOADS" --probe "python3 $P/probe.py $S/both $S/onlya $PACE" --stderr $P/storm.err --max-secs 1200
kw_check "storm: the clean stop removed the pins" [ ! -e /sys/fs/bpf/kwarden/rm-forbid ]
kw_check "storm: no enforcement after the stop" deletable "$(held $S/both)"

kw_done
